import type { Database, Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import type { z } from 'zod';
import { newResourceId } from '../../ids.js';
import { retryingTransaction } from '../common.js';
import { resolveCustomer } from '../customers/store.js';
import { canonicalNumeric, formatDecimal, fromNumeric, parseDecimal } from '../decimal.js';
import type { createMarketBody, LoanView, MarketMetricsView, MarketView, PositionView } from './schemas.js';

// Lending in SQL (migration 0007). Every statement filters on the caller's instance. Every change
// to a market locks its row (FOR UPDATE) before it changes anything, so the changes of one market run one at a time
// and each reads the state the previous one committed; the guarded columns then only move through
// conditional updates (`… WHERE total_borrows + $x <= total_deposits`), each change one statement
// (a data-modifying WITH), and the table CHECKs hold the invariants even against a bug here. A
// refusal rolls back what its transaction had changed.

interface MarketRow {
  id: string;
  stock_token_address: string;
  collateral_factor: string;
  price: string;
  total_deposits: string;
  total_borrows: string;
  created_at: Date;
  updated_at: Date;
}

const MARKET_COLUMNS =
  'id, stock_token_address, collateral_factor, price, total_deposits, total_borrows, created_at, updated_at';

function marketView(row: MarketRow): MarketView {
  const deposits = fromNumeric(row.total_deposits);
  const borrows = fromNumeric(row.total_borrows);
  return {
    id: row.id,
    stockTokenAddress: row.stock_token_address,
    collateralFactor: canonicalNumeric(row.collateral_factor),
    price: canonicalNumeric(row.price),
    totalDeposits: formatDecimal(deposits),
    totalBorrows: formatDecimal(borrows),
    availableLiquidity: formatDecimal(deposits - borrows),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

interface LoanRow {
  id: string;
  market_id: string;
  customer_id: string;
  collateral_amount: string;
  borrowed: string;
  outstanding: string;
  status: LoanView['status'];
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
}

const LOAN_COLUMNS =
  'id, market_id, customer_id, collateral_amount, borrowed, outstanding, status, created_at, updated_at, closed_at';

function loanView(row: LoanRow): LoanView {
  return {
    loanId: row.id,
    marketId: row.market_id,
    customerId: row.customer_id,
    collateralAmount: canonicalNumeric(row.collateral_amount),
    borrowAmount: canonicalNumeric(row.borrowed),
    outstanding: canonicalNumeric(row.outstanding),
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    closedAt: row.closed_at === null ? null : row.closed_at.toISOString(),
  };
}

/** Why a change to a market was refused. */
export type LendingRefusal =
  | 'market-not-found'
  | 'customer-not-found'
  | 'loan-not-found'
  | 'insufficient-balance'
  | 'insufficient-collateral'
  | 'insufficient-liquidity'
  | 'exceeds-outstanding'
  | 'outstanding-debt'
  | 'loan-closed';

/** Thrown inside a change to roll back its transaction; answered as `{ ok: false, reason }`. */
class Refusal extends Error {
  constructor(readonly reason: LendingRefusal) {
    super(reason);
  }
}

function refuse(reason: LendingRefusal): never {
  throw new Refusal(reason);
}

/**
 * Runs one change of market `marketId` in a transaction: resolves the customer (FOR SHARE, so it
 * cannot be archived meanwhile; an archived one only for a change that winds it down —
 * withdrawing, repaying, closing — see `NamedCustomer`), locks the instance's market row, then runs `work` — one
 * statement, so the lock is held for three round trips (lock, change, commit) and a busy market
 * serves as many changes as it can. An unknown market is `market-not-found` (named before an
 * unknown customer), an unknown or archived customer `customer-not-found`. A {@link Refusal} rolls
 * the transaction back; a lost race reruns it.
 */
async function changeMarket<T extends object>(
  db: Database,
  instanceId: string,
  marketId: string,
  customer: { ref: string; windDown: boolean },
  work: (tx: Queryable, customerId: string) => Promise<T>,
): Promise<Result<T, LendingRefusal>> {
  try {
    const done = await retryingTransaction(db, async (tx) => {
      const customerId = await resolveCustomer(tx, instanceId, customer.ref, customer);
      const { rowCount } = await tx.query(
        'SELECT 1 FROM lending_markets WHERE instance_id = $1 AND id = $2 FOR UPDATE',
        [instanceId, marketId],
      );
      if (rowCount === 0) refuse('market-not-found');
      if (customerId === undefined) refuse('customer-not-found');
      return work(tx, customerId);
    });
    return { ok: true, ...done };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.reason };
    throw error;
  }
}

/**
 * Creates a market with nothing deposited or borrowed.
 *
 * @example
 * const market = await createMarket(db, instanceId, { stockTokenAddress: '0xab…', collateralFactor: '0.5', price: '100' }, new Date());
 */
export async function createMarket(
  db: Queryable,
  instanceId: string,
  input: z.output<typeof createMarketBody>,
  now: Date,
): Promise<MarketView> {
  const { rows } = await db.query<MarketRow>(
    `INSERT INTO lending_markets (id, instance_id, stock_token_address, collateral_factor, price, created_at, updated_at)
     VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6, $6)
     RETURNING ${MARKET_COLUMNS}`,
    [newResourceId('mkt'), instanceId, input.stockTokenAddress, input.collateralFactor, input.price, now],
  );
  return marketView(rows[0] as MarketRow);
}

/**
 * One page of the instance's markets, oldest first, and how many it has in all.
 *
 * @example
 * const { items, total } = await listMarkets(db, instanceId, { limit: 100, offset: 0 });
 */
export async function listMarkets(
  db: Queryable,
  instanceId: string,
  page: { limit: number; offset: number },
): Promise<{ items: MarketView[]; total: number }> {
  const { rows } = await db.query<MarketRow & { total: string }>(
    `SELECT ${MARKET_COLUMNS}, count(*) OVER () AS total FROM lending_markets WHERE instance_id = $1
      ORDER BY created_at, id LIMIT $2 OFFSET $3`,
    [instanceId, page.limit, page.offset],
  );
  if (rows[0] !== undefined) return { items: rows.map(marketView), total: Number(rows[0].total) };
  if (page.offset === 0) return { items: [], total: 0 };
  // A page past the end: the window count comes with rows only.
  const { rows: counted } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM lending_markets WHERE instance_id = $1',
    [instanceId],
  );
  return { items: [], total: Number(counted[0]?.n ?? 0) };
}

/**
 * The instance's market `marketId`, or `undefined`.
 *
 * @example
 * const market = await findMarket(db, instanceId, 'mkt_…');
 */
export async function findMarket(
  db: Queryable,
  instanceId: string,
  marketId: string,
): Promise<MarketView | undefined> {
  const { rows } = await db.query<MarketRow>(
    `SELECT ${MARKET_COLUMNS} FROM lending_markets WHERE instance_id = $1 AND id = $2`,
    [instanceId, marketId],
  );
  return rows[0] === undefined ? undefined : marketView(rows[0]);
}

const ONE = parseDecimal('1') ?? 1n;

/**
 * The totals and counts of the instance's market `marketId`, read by one statement (one
 * snapshot), or `undefined`. Utilization is rounded toward zero to 18 decimal places.
 *
 * @example
 * const metrics = await marketMetrics(db, instanceId, 'mkt_…');
 */
export async function marketMetrics(
  db: Queryable,
  instanceId: string,
  marketId: string,
): Promise<MarketMetricsView | undefined> {
  const { rows } = await db.query<{
    total_deposits: string;
    total_borrows: string;
    open_loans: string;
    closed_loans: string;
    collateral: string;
    providers: string;
  }>(
    `SELECT m.total_deposits, m.total_borrows,
            (SELECT count(*) FROM lending_loans l
              WHERE l.instance_id = m.instance_id AND l.market_id = m.id AND l.status = 'OPEN') AS open_loans,
            (SELECT count(*) FROM lending_loans l
              WHERE l.instance_id = m.instance_id AND l.market_id = m.id AND l.status = 'CLOSED') AS closed_loans,
            (SELECT COALESCE(sum(l.collateral_amount), 0) FROM lending_loans l
              WHERE l.instance_id = m.instance_id AND l.market_id = m.id AND l.status = 'OPEN') AS collateral,
            (SELECT count(*) FROM lending_positions p
              WHERE p.instance_id = m.instance_id AND p.market_id = m.id AND p.deposited > 0) AS providers
       FROM lending_markets m WHERE m.instance_id = $1 AND m.id = $2`,
    [instanceId, marketId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const deposits = fromNumeric(row.total_deposits);
  const borrows = fromNumeric(row.total_borrows);
  return {
    marketId,
    totalDeposits: formatDecimal(deposits),
    totalBorrows: formatDecimal(borrows),
    availableLiquidity: formatDecimal(deposits - borrows),
    utilization: formatDecimal(deposits === 0n ? 0n : (borrows * ONE) / deposits),
    openLoans: Number(row.open_loans),
    closedLoans: Number(row.closed_loans),
    collateralLocked: canonicalNumeric(row.collateral),
    liquidityProviders: Number(row.providers),
  };
}

/** A change whose answer is the customer's position and the market after it. */
type PositionChange = Result<{ position: PositionView }, LendingRefusal>;

function positionView(
  marketId: string,
  customerId: string,
  deposited: string,
  market: MarketRow,
): PositionView {
  return { marketId, customerId, deposited: canonicalNumeric(deposited), market: marketView(market) };
}

/**
 * Adds `amount` of the lent asset to the customer's liquidity position in the market and to its
 * total deposits.
 *
 * @example
 * const added = await addLiquidity(db, instanceId, 'mkt_…', 'cus_…', '1000', new Date());
 */
export function addLiquidity(
  db: Database,
  instanceId: string,
  marketId: string,
  customerRef: string,
  amount: string,
  now: Date,
): Promise<PositionChange> {
  return changeMarket(
    db,
    instanceId,
    marketId,
    { ref: customerRef, windDown: false },
    async (tx, customerId) => {
      const { rows } = await tx.query<MarketRow & { deposited: string }>(
        `WITH position AS (
         INSERT INTO lending_positions (instance_id, market_id, customer_id, deposited, updated_at)
         VALUES ($1, $2, $3, $4::numeric, $5)
         ON CONFLICT (market_id, customer_id)
         DO UPDATE SET deposited = lending_positions.deposited + EXCLUDED.deposited, updated_at = EXCLUDED.updated_at
         RETURNING deposited
       ), market AS (
         UPDATE lending_markets SET total_deposits = total_deposits + $4::numeric, updated_at = $5
          WHERE instance_id = $1 AND id = $2
         RETURNING ${MARKET_COLUMNS}
       )
       SELECT position.deposited, market.* FROM position, market`,
        [instanceId, marketId, customerId, amount, now],
      );
      // The market row is locked by this transaction: it cannot be gone.
      const row = rows[0];
      if (row === undefined) throw new Error('lending: the locked market row is gone');
      return { position: positionView(marketId, customerId, row.deposited, row) };
    },
  );
}

/**
 * Takes `amount` out of the customer's liquidity position: more than the position holds is
 * `insufficient-balance`, more than the market has free (lent out) is `insufficient-liquidity`.
 *
 * @example
 * const removed = await removeLiquidity(db, instanceId, 'mkt_…', 'cus_…', '250', new Date());
 */
export function removeLiquidity(
  db: Database,
  instanceId: string,
  marketId: string,
  customerRef: string,
  amount: string,
  now: Date,
): Promise<PositionChange> {
  return changeMarket(
    db,
    instanceId,
    marketId,
    { ref: customerRef, windDown: true },
    async (tx, customerId) => {
      // Both updates are conditional; the market's runs only when the position's matched.
      const { rows } = await tx.query<Partial<MarketRow> & { deposited: string | null }>(
        `WITH position AS (
         UPDATE lending_positions SET deposited = deposited - $4::numeric, updated_at = $5
          WHERE instance_id = $1 AND market_id = $2 AND customer_id = $3 AND deposited >= $4::numeric
         RETURNING deposited
       ), market AS (
         UPDATE lending_markets SET total_deposits = total_deposits - $4::numeric, updated_at = $5
          WHERE instance_id = $1 AND id = $2 AND total_deposits - $4::numeric >= total_borrows
            AND EXISTS (SELECT 1 FROM position)
         RETURNING ${MARKET_COLUMNS}
       )
       SELECT (SELECT deposited FROM position) AS deposited, market.*
         FROM (SELECT 1) AS one LEFT JOIN market ON true`,
        [instanceId, marketId, customerId, amount, now],
      );
      const row = rows[0];
      if (row?.deposited == null) refuse('insufficient-balance');
      // The liquidity is lent out: the refusal rolls the position's change back.
      if (row.id == null) refuse('insufficient-liquidity');
      return { position: positionView(marketId, customerId, row.deposited, row as MarketRow) };
    },
  );
}

/** A change whose answer is a loan. */
type LoanChange = Result<{ loan: LoanView }, LendingRefusal>;

/**
 * Opens a loan of `borrowAmount` against `collateralAmount` stock tokens. The bound
 * `collateralAmount × price × collateralFactor` is computed by SQL numeric, which multiplies
 * exactly (no rounding): a loan at the bound is accepted, one 10⁻¹⁸ over it is
 * `insufficient-collateral`. Above the market's free liquidity it is `insufficient-liquidity`.
 *
 * @example
 * const opened = await openLoan(db, instanceId, 'mkt_…', 'cus_…', { collateralAmount: '10', borrowAmount: '500' }, new Date());
 */
export function openLoan(
  db: Database,
  instanceId: string,
  marketId: string,
  customerRef: string,
  amounts: { collateralAmount: string; borrowAmount: string },
  now: Date,
): Promise<LoanChange> {
  return changeMarket(
    db,
    instanceId,
    marketId,
    { ref: customerRef, windDown: false },
    async (tx, customerId) => {
      // The loan is inserted only when the market's conditional update matched.
      const { rows } = await tx.query<LoanRow>(
        `WITH market AS (
         UPDATE lending_markets SET total_borrows = total_borrows + $4::numeric, updated_at = $5
          WHERE instance_id = $1 AND id = $2
            AND $3::numeric * price * collateral_factor >= $4::numeric
            AND total_borrows + $4::numeric <= total_deposits
         RETURNING id
       )
       INSERT INTO lending_loans (id, instance_id, market_id, customer_id, collateral_amount, borrowed,
         outstanding, status, created_at, updated_at)
       SELECT $6::text, $1, market.id, $7::text, $3::numeric, $4::numeric, $4::numeric, 'OPEN', $5, $5 FROM market
       RETURNING ${LOAN_COLUMNS}`,
        [
          instanceId,
          marketId,
          amounts.collateralAmount,
          amounts.borrowAmount,
          now,
          newResourceId('loan'),
          customerId,
        ],
      );
      if (rows[0] !== undefined) return { loan: loanView(rows[0]) };
      // Refused: which condition failed (the row is locked, so it reads as the update saw it).
      const { rows: checked } = await tx.query<{ covered: boolean }>(
        `SELECT $3::numeric * price * collateral_factor >= $4::numeric AS covered
         FROM lending_markets WHERE instance_id = $1 AND id = $2`,
        [instanceId, marketId, amounts.collateralAmount, amounts.borrowAmount],
      );
      return refuse(checked[0]?.covered === true ? 'insufficient-liquidity' : 'insufficient-collateral');
    },
  );
}

/** Why a conditional change of loan `loanId` matched nothing: no such loan of the customer, or its state. */
async function loanRefusal(
  tx: Queryable,
  instanceId: string,
  marketId: string,
  customerId: string,
  loanId: string,
  whenOpen: LendingRefusal,
): Promise<never> {
  const { rows } = await tx.query<{ status: LoanView['status'] }>(
    'SELECT status FROM lending_loans WHERE instance_id = $1 AND market_id = $2 AND customer_id = $3 AND id = $4',
    [instanceId, marketId, customerId, loanId],
  );
  if (rows[0] === undefined) refuse('loan-not-found');
  refuse(rows[0].status === 'CLOSED' ? 'loan-closed' : whenOpen);
}

/**
 * Pays `amount` back on the customer's open loan `loanId`: its outstanding debt and the market's
 * total borrows go down by it. More than is outstanding is `exceeds-outstanding` (refused, not
 * capped); a closed loan is `loan-closed`.
 *
 * @example
 * const repaid = await repayLoan(db, instanceId, 'mkt_…', 'cus_…', 'loan_…', '100', new Date());
 */
export function repayLoan(
  db: Database,
  instanceId: string,
  marketId: string,
  customerRef: string,
  loanId: string,
  amount: string,
  now: Date,
): Promise<LoanChange> {
  return changeMarket(
    db,
    instanceId,
    marketId,
    { ref: customerRef, windDown: true },
    async (tx, customerId) => {
      // The market's total borrows go down only when the loan's conditional update matched; they
      // include this loan's debt, so the CHECK (total_borrows >= 0) can only catch a bug.
      const { rows } = await tx.query<LoanRow>(
        `WITH loan AS (
         UPDATE lending_loans SET outstanding = outstanding - $5::numeric, updated_at = $6
          WHERE instance_id = $1 AND market_id = $2 AND customer_id = $3 AND id = $4
            AND status = 'OPEN' AND outstanding >= $5::numeric
         RETURNING ${LOAN_COLUMNS}
       ), market AS (
         UPDATE lending_markets SET total_borrows = total_borrows - $5::numeric, updated_at = $6
          WHERE instance_id = $1 AND id = $2 AND EXISTS (SELECT 1 FROM loan)
       )
       SELECT * FROM loan`,
        [instanceId, marketId, customerId, loanId, amount, now],
      );
      if (rows[0] !== undefined) return { loan: loanView(rows[0]) };
      return loanRefusal(tx, instanceId, marketId, customerId, loanId, 'exceeds-outstanding');
    },
  );
}

/**
 * Closes the customer's loan `loanId` once nothing is outstanding (`outstanding-debt` before),
 * releasing its collateral; a closed loan is `loan-closed`.
 *
 * @example
 * const closed = await closeLoan(db, instanceId, 'mkt_…', 'cus_…', 'loan_…', new Date());
 */
export function closeLoan(
  db: Database,
  instanceId: string,
  marketId: string,
  customerRef: string,
  loanId: string,
  now: Date,
): Promise<LoanChange> {
  return changeMarket(
    db,
    instanceId,
    marketId,
    { ref: customerRef, windDown: true },
    async (tx, customerId) => {
      const { rows } = await tx.query<LoanRow>(
        `UPDATE lending_loans SET status = 'CLOSED', closed_at = $5, updated_at = $5
        WHERE instance_id = $1 AND market_id = $2 AND customer_id = $3 AND id = $4
          AND status = 'OPEN' AND outstanding = 0
        RETURNING ${LOAN_COLUMNS}`,
        [instanceId, marketId, customerId, loanId, now],
      );
      if (rows[0] !== undefined) return { loan: loanView(rows[0]) };
      return loanRefusal(tx, instanceId, marketId, customerId, loanId, 'outstanding-debt');
    },
  );
}
