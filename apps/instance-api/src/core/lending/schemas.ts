import { z } from 'zod';
import { resourceIdPattern } from '../../ids.js';
import {
  addressOut,
  addressSchema,
  amountSchema,
  customerRefSchema,
  decimalOut,
  pageQuery,
} from '../common.js';
import { DECIMAL_SCALE, formatDecimal, parseDecimal } from '../decimal.js';

// Lending markets, liquidity positions and loans, and their requests (SPEC §4.5, service `lending`).

/** Highest collateral factor a market may have (SPEC §4.5: 0–0.9). */
const MAX_COLLATERAL_FACTOR = '0.9';
const MAX_FACTOR_UNITS = parseDecimal(MAX_COLLATERAL_FACTOR) ?? 0n;

export const marketIdSchema = z
  .string()
  .regex(resourceIdPattern('mkt'))
  .meta({ description: 'Market id, `mkt_` + 24 hex.' });

const loanIdSchema = z
  .string({ message: 'must be a loan id: loan_ and 24 hexadecimal digits' })
  .regex(resourceIdPattern('loan'), 'must be a loan id: loan_ and 24 hexadecimal digits')
  .meta({ description: 'Loan id, `loan_` + 24 hex.' });

const FACTOR_MESSAGE = `must be a decimal string from 0 to ${MAX_COLLATERAL_FACTOR} with at most ${DECIMAL_SCALE} decimal places (e.g. "0.75")`;
/** A collateral factor: a decimal string within 0–0.9 (both ends included), read as canonical text. */
const collateralFactorSchema = z
  .string({ message: FACTOR_MESSAGE })
  .refine((text) => {
    const units = parseDecimal(text);
    return units !== undefined && units <= MAX_FACTOR_UNITS;
  }, FACTOR_MESSAGE)
  .transform((text) => formatDecimal(parseDecimal(text) ?? 0n))
  .meta({
    description: `The share of the collateral's value that may be borrowed: a decimal string from 0 to ${MAX_COLLATERAL_FACTOR}, both included. At 0 no loan can be opened.`,
    example: '0.75',
  });

export const createMarketBody = z
  .strictObject({
    stockTokenAddress: addressSchema,
    collateralFactor: collateralFactorSchema,
    price: amountSchema.meta({
      description: 'The reference price of one stock token in the lent asset: a positive decimal string.',
      example: '101.25',
    }),
  })
  .meta({
    id: 'CreateLendingMarketRequest',
    description:
      'A market lends one asset against one stock token as collateral. The stock token need not be registered with custody or tokenization, and one token may back several markets (each with its own factor and price).',
  });

export const listMarketsQuery = z.object({ ...pageQuery });

export const liquidityBody = z.strictObject({ customerRef: customerRefSchema, amount: amountSchema }).meta({
  id: 'LendingLiquidityRequest',
  description: "An amount of the lent asset added to, or removed from, the customer's liquidity position.",
});

export const openLoanBody = z
  .strictObject({
    customerRef: customerRefSchema,
    collateralAmount: amountSchema.meta({ description: 'Stock tokens pledged as collateral.' }),
    borrowAmount: amountSchema.meta({ description: 'The amount of the lent asset borrowed.' }),
  })
  .meta({
    id: 'OpenLoanRequest',
    description:
      'Borrows `borrowAmount` against `collateralAmount` stock tokens. Refused with `INSUFFICIENT_COLLATERAL` when `borrowAmount` exceeds `collateralAmount × price × collateralFactor` (computed exactly; a loan at the bound is accepted) and with `INSUFFICIENT_LIQUIDITY` when it exceeds the free liquidity (`totalDeposits − totalBorrows`).',
  });

export const repayBody = z
  .strictObject({ loanId: loanIdSchema, customerRef: customerRefSchema, amount: amountSchema })
  .meta({
    id: 'RepayLoanRequest',
    description:
      'Pays back part or all of a loan. An amount above what is outstanding is refused (400 `INVALID_INPUT`), never capped; no interest accrues.',
  });

export const closeLoanBody = z.strictObject({ loanId: loanIdSchema, customerRef: customerRefSchema }).meta({
  id: 'CloseLoanRequest',
  description: 'Closes a fully repaid loan and releases its collateral.',
});

export const marketSchema = z
  .object({
    id: marketIdSchema,
    stockTokenAddress: addressOut,
    collateralFactor: decimalOut,
    price: decimalOut,
    totalDeposits: decimalOut,
    totalBorrows: decimalOut,
    availableLiquidity: decimalOut.meta({
      description: '`totalDeposits − totalBorrows`: what may be borrowed or withdrawn.',
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'LendingMarket', description: 'A lending market and its totals.' });
export type MarketView = z.infer<typeof marketSchema>;

export const marketMetricsSchema = z
  .object({
    marketId: marketIdSchema,
    totalDeposits: decimalOut,
    totalBorrows: decimalOut,
    availableLiquidity: decimalOut,
    utilization: decimalOut.meta({
      description:
        '`totalBorrows / totalDeposits`, from 0 to 1, rounded toward zero to 18 decimal places; 0 without deposits.',
    }),
    openLoans: z.int().min(0),
    closedLoans: z.int().min(0),
    collateralLocked: decimalOut.meta({ description: 'Stock tokens pledged by the open loans.' }),
    liquidityProviders: z.int().min(0).meta({ description: 'Customers with a position above zero.' }),
  })
  .meta({ id: 'LendingMarketMetrics', description: "A market's totals and counts, read at one instant." });
export type MarketMetricsView = z.infer<typeof marketMetricsSchema>;

export const positionSchema = z
  .object({
    marketId: marketIdSchema,
    customerId: z.string(),
    deposited: decimalOut.meta({ description: "The customer's liquidity in the market after the change." }),
    market: marketSchema,
  })
  .meta({
    id: 'LendingPosition',
    description: "A customer's liquidity position, and its market after the change.",
  });
export type PositionView = z.infer<typeof positionSchema>;

export const loanSchema = z
  .object({
    loanId: z.string().regex(resourceIdPattern('loan')),
    marketId: marketIdSchema,
    customerId: z.string(),
    collateralAmount: decimalOut,
    borrowAmount: decimalOut,
    outstanding: decimalOut.meta({ description: 'What is left to repay (no interest accrues).' }),
    status: z.enum(['OPEN', 'CLOSED']).meta({
      description: '`CLOSED` once repaid and closed: its collateral is then released to the borrower.',
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    closedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Loan', description: 'A loan against stock tokens.' });
export type LoanView = z.infer<typeof loanSchema>;
