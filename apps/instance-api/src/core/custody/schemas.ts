import { singleLineText } from '@portcullis/routes';
import { z } from 'zod';
import { resourceIdPattern } from '../../ids.js';
import {
  addressOut,
  addressSchema,
  amountSchema,
  booleanQuery,
  customerRefSchema,
  decimalOut,
  pageQuery,
  referenceSchema,
} from '../common.js';
import { customerIdSchema } from '../customers/schemas.js';

// The custody ledger's objects and requests (SPEC §4.5, service `custody`).

const MOVEMENTS = ['CREDIT', 'DEBIT', 'LOCK', 'UNLOCK', 'TRANSFER'] as const;
export type Movement = (typeof MOVEMENTS)[number];

export const registerTokenBody = z
  .strictObject({
    tokenAddress: addressSchema,
    name: singleLineText({ min: 1, max: 100 }),
    symbol: singleLineText({ min: 1, max: 20 }),
    decimals: z
      .int({ message: 'must be a whole number from 0 to 18' })
      .min(0, 'must be a whole number from 0 to 18')
      .max(18, 'must be a whole number from 0 to 18')
      .default(18),
  })
  .meta({
    id: 'RegisterCustodyTokenRequest',
    description:
      '`decimals` (default 18) bounds the fractional digits of every amount of the token. An address already registered in the instance (active or not) is a 409 `TOKEN_EXISTS`.',
  });

const movement = {
  tokenAddress: addressSchema,
  amount: amountSchema,
  reference: referenceSchema.optional().meta({ description: 'Free text kept with the movement.' }),
};

export const balanceChangeBody = z
  .strictObject({ ...movement, customerRef: customerRefSchema })
  .meta({ id: 'CustodyBalanceChangeRequest' });

export const transferBody = z
  .strictObject({ ...movement, fromCustomerRef: customerRefSchema, toCustomerRef: customerRefSchema })
  .meta({
    id: 'CustodyTransferRequest',
    description: 'Moves `amount` of the free balance of one customer to another, atomically.',
  });

export const listTokensQuery = z.object({
  includeInactive: booleanQuery.meta({ description: 'Also list deactivated tokens. Default false.' }),
  ...pageQuery,
});

export const listTransactionsQuery = z.object({
  tokenAddress: addressSchema.optional(),
  customerRef: customerRefSchema.optional().meta({
    description: "Only movements from or to this customer (any of its identifiers; archived customers' too).",
  }),
  type: z.enum(MOVEMENTS, { message: `must be one of ${MOVEMENTS.join(', ')}` }).optional(),
  ...pageQuery,
});

export const tokenAddressParams = z.object({
  tokenAddress: addressSchema.meta({
    param: { id: 'TokenAddress', description: 'A token address, `0x` + 40 hex in any letter case.' },
  }),
});

export const customerRefParams = z.object({
  customerRef: customerRefSchema.meta({
    param: {
      id: 'CustomerRef',
      description:
        "A customer of the caller's instance by id, wallet address, reference key or external id (archived ones too).",
    },
  }),
});

export const custodyTokenSchema = z
  .object({
    tokenAddress: addressOut,
    name: z.string(),
    symbol: z.string(),
    decimals: z.int().min(0).max(18),
    active: z.boolean(),
    totalSupply: decimalOut.meta({ description: 'Credited minus debited: always the sum of all balances.' }),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'CustodyToken', description: 'A token registered for custody.' });
export type CustodyTokenView = z.infer<typeof custodyTokenSchema>;

export const balanceSchema = z
  .object({
    customerId: customerIdSchema,
    tokenAddress: addressOut,
    balance: decimalOut,
    locked: decimalOut.meta({ description: 'Held back from debits and transfers; never above `balance`.' }),
    available: decimalOut.meta({
      description: '`balance − locked`: what a debit, lock or transfer may use.',
    }),
  })
  .meta({ id: 'CustodyBalance', description: "A customer's balance of one token." });
export type BalanceView = z.infer<typeof balanceSchema>;

export const customerBalancesSchema = z
  .object({ customerId: customerIdSchema, balances: z.array(balanceSchema) })
  .meta({
    id: 'CustodyCustomerBalances',
    description: 'Every token balance of a customer, by token address.',
  });

export const transactionSchema = z
  .object({
    id: z.string().regex(resourceIdPattern('ctx')),
    type: z.enum(MOVEMENTS),
    tokenAddress: addressOut,
    customerId: customerIdSchema.meta({ description: 'The customer moved; for a transfer, the sender.' }),
    toCustomerId: customerIdSchema.nullable().meta({ description: 'The receiver of a transfer, else null.' }),
    amount: decimalOut,
    reference: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'CustodyTransaction', description: 'One movement of the ledger.' });
export type TransactionView = z.infer<typeof transactionSchema>;

export const movementResultSchema = z
  .object({
    transaction: transactionSchema,
    balances: z.array(balanceSchema).meta({
      description:
        'The balances the movement changed, after it: the customer, or the sender then the receiver.',
    }),
  })
  .meta({ id: 'CustodyMovement', description: 'A movement and the balances it left.' });
export type MovementResultView = z.infer<typeof movementResultSchema>;
