import { singleLineText } from '@portcullis/routes';
import { z } from 'zod';
import { addressOut, addressSchema, amountSchema, decimalOut, pageQuery } from '../common.js';
import { isValidIsin } from './isin.js';

// Tokenized securities and their requests (SPEC §4.5, service `tokenization`).

const ISIN_SHAPE = /^[A-Za-z]{2}[A-Za-z0-9]{9}[0-9]$/;
const ISIN_SHAPE_MESSAGE =
  'must be an ISIN (ISO 6166): two letters, nine letters or digits and a check digit, e.g. US0378331005';
const ISIN_CHECK_MESSAGE = 'has a check digit that does not match the rest of the ISIN (ISO 6166)';

/** An ISIN whose check digit matches; letters in any case, read in upper case. */
const isinSchema = z
  .string({ message: ISIN_SHAPE_MESSAGE })
  .superRefine((text, ctx) => {
    if (!ISIN_SHAPE.test(text)) ctx.addIssue({ code: 'custom', message: ISIN_SHAPE_MESSAGE });
    else if (!isValidIsin(text.toUpperCase())) ctx.addIssue({ code: 'custom', message: ISIN_CHECK_MESSAGE });
  })
  .transform((text) => text.toUpperCase())
  .meta({
    description:
      'ISIN (ISO 6166): two letters, nine letters or digits, and the Luhn check digit of the letters-to-digits expansion (A = 10 … Z = 35). Letters in any case; answers write it in upper case.',
    example: 'US0378331005',
  });

const SYMBOL_MESSAGE = 'must be 1 to 20 letters, digits, dots or hyphens';

export const deployTokenBody = z
  .strictObject({
    name: singleLineText({ min: 1, max: 100 }),
    symbol: z.string({ message: SYMBOL_MESSAGE }).regex(/^[A-Za-z0-9.-]{1,20}$/, SYMBOL_MESSAGE),
    isin: isinSchema,
    issuerAddress: addressSchema,
  })
  .meta({
    id: 'DeployTokenizedTokenRequest',
    description:
      "Registers the instance's token for a security. An ISIN the instance already has a token for is a 409 `TOKEN_EXISTS`.",
  });

export const issueBody = z.strictObject({ recipient: addressSchema, amount: amountSchema }).meta({
  id: 'IssueTokenizedRequest',
  description: 'Adds `amount` to the total supply, held by `recipient`.',
});

export const redeemBody = z.strictObject({ account: addressSchema, amount: amountSchema }).meta({
  id: 'RedeemTokenizedRequest',
  description:
    "Removes `amount` of `account`'s holding from the total supply; more than it holds is a 400 `INSUFFICIENT_BALANCE`.",
});

export const listQuery = z.object({ ...pageQuery });

export const tokenSchema = z
  .object({
    tokenAddress: addressOut,
    name: z.string(),
    symbol: z.string(),
    isin: z.string().regex(/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/),
    issuerAddress: addressOut,
    totalSupply: decimalOut,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({
    id: 'TokenizedToken',
    description:
      "A tokenized security of the instance. `tokenAddress` is its reference address (keccak-256 of the instance and the ISIN); `totalSupply` is the sum of its holders' balances.",
  });
export type TokenView = z.infer<typeof tokenSchema>;

export const deploymentSchema = z
  .object({
    token: tokenSchema,
    transaction: z
      .object({
        to: addressOut.meta({ description: 'The token factory.' }),
        data: z
          .string()
          .regex(/^0x([0-9a-f]{2})+$/)
          .meta({
            description:
              'ABI-encoded call of `deployToken(string name, string symbol, string isin, address issuer)`: the 4-byte keccak-256 selector, then the arguments.',
          }),
        value: z.literal('0'),
      })
      .meta({
        description: 'Unsigned: nothing is submitted on your behalf. Sign and send it to deploy the token.',
      }),
  })
  .meta({ id: 'TokenizedTokenDeployment', description: 'The registered token and its unsigned deployment.' });
export type DeploymentView = z.infer<typeof deploymentSchema>;

export const supplyChangeSchema = z
  .object({
    tokenAddress: addressOut,
    account: addressOut,
    amount: decimalOut,
    balance: decimalOut.meta({ description: "The account's balance after the change." }),
    totalSupply: decimalOut.meta({ description: "The token's total supply after the change." }),
  })
  .meta({ id: 'TokenizedSupplyChange', description: 'An issue or a redemption, as applied.' });
export type SupplyChangeView = z.infer<typeof supplyChangeSchema>;

export const holderSchema = z
  .object({ account: addressOut, balance: decimalOut })
  .meta({ id: 'TokenizedHolder', description: 'An account that holds some of the token.' });
export type HolderView = z.infer<typeof holderSchema>;

export const balanceSchema = z
  .object({ tokenAddress: addressOut, account: addressOut, balance: decimalOut })
  .meta({
    id: 'TokenizedBalance',
    description: "An account's balance of the token (0 if it never held any).",
  });
export type BalanceView = z.infer<typeof balanceSchema>;
