import type { Database, Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import { retryingTransaction } from '../common.js';
import { canonicalNumeric } from '../decimal.js';
import type { BalanceView, HolderView, SupplyChangeView, TokenView } from './schemas.js';

// Tokenized securities and their holder ledger in SQL (migration 0005). Every statement filters on
// the caller's instance. A token's total supply and its holders' balances change together in one
// transaction, and each change takes the token's row lock first (issue by updating the supply,
// redeem by SELECT … FOR UPDATE), so two changes of one token never interleave, never deadlock
// (one lock order), and none is lost: total supply = sum of holdings at every commit. No holding
// goes below zero: a redemption is a conditional UPDATE (`balance >= amount`), and the CHECKs of
// the columns hold whatever a statement tries.

interface TokenRow {
  token_address: string;
  name: string;
  symbol: string;
  isin: string;
  issuer_address: string;
  total_supply: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'token_address, name, symbol, isin, issuer_address, total_supply, created_at, updated_at';

function view(row: TokenRow): TokenView {
  return {
    tokenAddress: row.token_address,
    name: row.name,
    symbol: row.symbol,
    isin: row.isin,
    issuerAddress: row.issuer_address,
    totalSupply: canonicalNumeric(row.total_supply),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A token to register: its reference address is derived by the caller (`tokenAddressFor`). */
export interface NewToken {
  tokenAddress: string;
  name: string;
  symbol: string;
  isin: string;
  issuerAddress: string;
}

/**
 * Registers a token with a total supply of 0. An ISIN (or address) the instance already has is
 * `exists`, decided by the table's unique keys, so also between concurrent deploys.
 *
 * @example
 * const created = await createToken(db, instanceId, { tokenAddress, name: 'Apple', symbol: 'AAPL', isin: 'US0378331005', issuerAddress }, new Date());
 */
export async function createToken(
  db: Queryable,
  instanceId: string,
  token: NewToken,
  now: Date,
): Promise<Result<{ token: TokenView }, 'exists'>> {
  const { rows } = await db.query<TokenRow>(
    `INSERT INTO tokenized_tokens (instance_id, token_address, name, symbol, isin, issuer_address, total_supply, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)
     ON CONFLICT DO NOTHING
     RETURNING ${COLUMNS}`,
    [instanceId, token.tokenAddress, token.name, token.symbol, token.isin, token.issuerAddress, now],
  );
  const row = rows[0];
  return row === undefined ? { ok: false, reason: 'exists' } : { ok: true, token: view(row) };
}

/**
 * The instance's token at `tokenAddress` (lower case), or `undefined`.
 *
 * @example
 * const token = await findToken(db, instanceId, '0x…');
 */
export async function findToken(
  db: Queryable,
  instanceId: string,
  tokenAddress: string,
): Promise<TokenView | undefined> {
  const { rows } = await db.query<TokenRow>(
    `SELECT ${COLUMNS} FROM tokenized_tokens WHERE instance_id = $1 AND token_address = $2`,
    [instanceId, tokenAddress],
  );
  const row = rows[0];
  return row === undefined ? undefined : view(row);
}

/** One page of items and how many there are in all. */
export interface Page<T> {
  items: T[];
  total: number;
}

/**
 * One page of the instance's tokens, oldest first (then by address), and their number.
 *
 * @example
 * const { items, total } = await listTokens(db, instanceId, { limit: 100, offset: 0 });
 */
export async function listTokens(
  db: Queryable,
  instanceId: string,
  page: { limit: number; offset: number },
): Promise<Page<TokenView>> {
  const { rows } = await db.query<TokenRow & { total: string }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM tokenized_tokens WHERE instance_id = $1
     ORDER BY created_at, token_address LIMIT $2 OFFSET $3`,
    [instanceId, page.limit, page.offset],
  );
  const total =
    rows[0] !== undefined
      ? Number(rows[0].total)
      : page.offset === 0
        ? 0
        : await count(db, 'SELECT count(*) AS n FROM tokenized_tokens WHERE instance_id = $1', [instanceId]);
  return { items: rows.map(view), total };
}

/** A count alone, for a page past the end (the window count comes with rows only). */
async function count(db: Queryable, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/**
 * One page of the holders of the instance's token (balance above 0), largest balance first and
 * by address among equal balances, and their number; `undefined` when the instance has no such
 * token.
 *
 * @example
 * const holders = await listHolders(db, instanceId, '0x…', { limit: 100, offset: 0 });
 */
export async function listHolders(
  db: Database,
  instanceId: string,
  tokenAddress: string,
  page: { limit: number; offset: number },
): Promise<Page<HolderView> | undefined> {
  // One snapshot for the token check, the page and the count.
  return db.transaction(async (tx) => {
    if (!(await tokenExists(tx, instanceId, tokenAddress))) return undefined;
    const where = 'instance_id = $1 AND token_address = $2 AND balance > 0';
    const { rows } = await tx.query<{ account: string; balance: string; total: string }>(
      `SELECT account, balance, count(*) OVER () AS total FROM tokenized_holdings WHERE ${where}
       ORDER BY balance DESC, account LIMIT $3 OFFSET $4`,
      [instanceId, tokenAddress, page.limit, page.offset],
    );
    const total =
      rows[0] !== undefined
        ? Number(rows[0].total)
        : page.offset === 0
          ? 0
          : await count(tx, `SELECT count(*) AS n FROM tokenized_holdings WHERE ${where}`, [
              instanceId,
              tokenAddress,
            ]);
    return {
      items: rows.map((row) => ({ account: row.account, balance: canonicalNumeric(row.balance) })),
      total,
    };
  });
}

async function tokenExists(
  db: Queryable,
  instanceId: string,
  tokenAddress: string,
  lock = '',
): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM tokenized_tokens WHERE instance_id = $1 AND token_address = $2 ${lock}`,
    [instanceId, tokenAddress],
  );
  return rows.length === 1;
}

/**
 * `account`'s balance of the instance's token: `0` for an account it was never issued to;
 * `undefined` when the instance has no such token.
 *
 * @example
 * const balance = await findBalance(db, instanceId, '0x…token', '0x…account');
 */
export async function findBalance(
  db: Queryable,
  instanceId: string,
  tokenAddress: string,
  account: string,
): Promise<BalanceView | undefined> {
  const { rows } = await db.query<{ balance: string | null }>(
    `SELECT h.balance FROM tokenized_tokens t
       LEFT JOIN tokenized_holdings h
         ON h.instance_id = t.instance_id AND h.token_address = t.token_address AND h.account = $3
      WHERE t.instance_id = $1 AND t.token_address = $2`,
    [instanceId, tokenAddress, account],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return { tokenAddress, account, balance: row.balance === null ? '0' : canonicalNumeric(row.balance) };
}

/** A change of an unknown token, or a redemption larger than the holding. */
type SupplyChange = Result<{ change: SupplyChangeView }, 'token-not-found' | 'insufficient'>;

/**
 * Issues `amount` (canonical decimal text) of the instance's token to `account`: the total supply
 * and the account's holding both grow, in one transaction that holds the token's row lock.
 *
 * @example
 * const issued = await issue(db, instanceId, '0x…token', '0x…holder', '100', new Date());
 */
export function issue(
  db: Database,
  instanceId: string,
  tokenAddress: string,
  account: string,
  amount: string,
  now: Date,
): Promise<SupplyChange> {
  return retryingTransaction(db, async (tx) => {
    const { rows: supply } = await tx.query<{ total_supply: string }>(
      `UPDATE tokenized_tokens SET total_supply = total_supply + $3::numeric, updated_at = $4
        WHERE instance_id = $1 AND token_address = $2 RETURNING total_supply`,
      [instanceId, tokenAddress, amount, now],
    );
    if (supply[0] === undefined) return { ok: false, reason: 'token-not-found' } as const;
    const { rows: held } = await tx.query<{ balance: string }>(
      `INSERT INTO tokenized_holdings (instance_id, token_address, account, balance, updated_at)
       VALUES ($1, $2, $3, $4::numeric, $5)
       ON CONFLICT (instance_id, token_address, account)
       DO UPDATE SET balance = tokenized_holdings.balance + EXCLUDED.balance, updated_at = EXCLUDED.updated_at
       RETURNING balance`,
      [instanceId, tokenAddress, account, amount, now],
    );
    return {
      ok: true,
      change: changeView(tokenAddress, account, amount, held[0]?.balance, supply[0].total_supply),
    } as const;
  });
}

/**
 * Redeems `amount` (canonical decimal text) of `account`'s holding of the instance's token: the
 * holding and the total supply both shrink, in one transaction that holds the token's row lock.
 * More than the account holds is `insufficient` and changes nothing.
 *
 * @example
 * const redeemed = await redeem(db, instanceId, '0x…token', '0x…holder', '40', new Date());
 */
export function redeem(
  db: Database,
  instanceId: string,
  tokenAddress: string,
  account: string,
  amount: string,
  now: Date,
): Promise<SupplyChange> {
  return retryingTransaction(db, async (tx) => {
    // The token's lock first, as issue takes it: one lock order, no deadlock between the two.
    if (!(await tokenExists(tx, instanceId, tokenAddress, 'FOR UPDATE'))) {
      return { ok: false, reason: 'token-not-found' } as const;
    }
    const { rows: held } = await tx.query<{ balance: string }>(
      `UPDATE tokenized_holdings SET balance = balance - $4::numeric, updated_at = $5
        WHERE instance_id = $1 AND token_address = $2 AND account = $3 AND balance >= $4::numeric
        RETURNING balance`,
      [instanceId, tokenAddress, account, amount, now],
    );
    if (held[0] === undefined) return { ok: false, reason: 'insufficient' } as const;
    const { rows: supply } = await tx.query<{ total_supply: string }>(
      `UPDATE tokenized_tokens SET total_supply = total_supply - $3::numeric, updated_at = $4
        WHERE instance_id = $1 AND token_address = $2 RETURNING total_supply`,
      [instanceId, tokenAddress, amount, now],
    );
    return {
      ok: true,
      change: changeView(tokenAddress, account, amount, held[0].balance, supply[0]?.total_supply),
    } as const;
  });
}

function changeView(
  tokenAddress: string,
  account: string,
  amount: string,
  balance: string | undefined,
  totalSupply: string | undefined,
): SupplyChangeView {
  // Both statements return their row once they ran: a missing one is a bug, not input.
  if (balance === undefined || totalSupply === undefined) throw new Error('supply change returned no row');
  return {
    tokenAddress,
    account,
    amount,
    balance: canonicalNumeric(balance),
    totalSupply: canonicalNumeric(totalSupply),
  };
}
