import { isUniqueViolation, type Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import type { z } from 'zod';
import { newResourceId } from '../../ids.js';
import { resolveCustomer, resolveCustomers } from '../customers/store.js';
import { canonicalNumeric, formatDecimal, fractionDigits, fromNumeric, parseDecimal } from '../decimal.js';
import type {
  BalanceView,
  CustodyTokenView,
  Movement,
  MovementResultView,
  registerTokenBody,
  TransactionView,
} from './schemas.js';

// The custody ledger in SQL (migration 0004). Every statement filters on the caller's instance.
// Lock order, the same in every change so two changes never wait on each other in a cycle: the
// customers named (share locks, by `resolveCustomer`), then the token row (credit and debit,
// which change its supply), then balance rows in customer-id order. The CHECKs of the migration
// hold the invariants should any code path get this wrong: a violation is a rolled-back change,
// never a negative balance.

interface TokenRow {
  token_address: string;
  name: string;
  symbol: string;
  decimals: number;
  active: boolean;
  total_supply: string;
  created_at: Date;
}

const TOKEN_COLUMNS = 'token_address, name, symbol, decimals, active, total_supply, created_at';

function tokenView(row: TokenRow): CustodyTokenView {
  return {
    tokenAddress: row.token_address,
    name: row.name,
    symbol: row.symbol,
    decimals: row.decimals,
    active: row.active,
    totalSupply: canonicalNumeric(row.total_supply),
    createdAt: row.created_at.toISOString(),
  };
}

interface BalanceRow {
  customer_id: string;
  token_address: string;
  balance: string;
  locked: string;
}

function balanceView(row: BalanceRow): BalanceView {
  const balance = fromNumeric(row.balance);
  const locked = fromNumeric(row.locked);
  return {
    customerId: row.customer_id,
    tokenAddress: row.token_address,
    balance: canonicalNumeric(row.balance),
    locked: canonicalNumeric(row.locked),
    available: formatDecimal(balance - locked),
  };
}

/**
 * Registers a token for custody; an address the instance already has is `exists` (the primary
 * key decides, also under concurrency).
 *
 * @example
 * await registerToken(db, instanceId, { tokenAddress: '0x…', name: 'Euro', symbol: 'EURX', decimals: 2 }, new Date());
 */
export async function registerToken(
  db: Queryable,
  instanceId: string,
  input: z.output<typeof registerTokenBody>,
  now: Date,
): Promise<Result<{ token: CustodyTokenView }, 'exists'>> {
  try {
    const { rows } = await db.query<TokenRow>(
      `INSERT INTO custody_tokens (instance_id, token_address, name, symbol, decimals, active, total_supply, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, true, 0, $6, $6) RETURNING ${TOKEN_COLUMNS}`,
      [instanceId, input.tokenAddress, input.name, input.symbol, input.decimals, now],
    );
    return { ok: true, token: tokenView(rows[0] as TokenRow) };
  } catch (error) {
    if (isUniqueViolation(error)) return { ok: false, reason: 'exists' };
    throw error;
  }
}

/** One page of the instance's tokens, oldest first, and how many there are. */
export async function listTokens(
  db: Queryable,
  instanceId: string,
  options: { includeInactive: boolean; limit: number; offset: number },
): Promise<{ items: CustodyTokenView[]; total: number }> {
  const where = `instance_id = $1${options.includeInactive ? '' : ' AND active'}`;
  const [page, count] = await Promise.all([
    db.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM custody_tokens WHERE ${where} ORDER BY created_at, token_address LIMIT $2 OFFSET $3`,
      [instanceId, options.limit, options.offset],
    ),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM custody_tokens WHERE ${where}`, [instanceId]),
  ]);
  return { items: page.rows.map(tokenView), total: Number(count.rows[0]?.n ?? 0) };
}

/** The instance's token at `tokenAddress` (active or not), or `undefined`. */
export async function getToken(
  db: Queryable,
  instanceId: string,
  tokenAddress: string,
): Promise<CustodyTokenView | undefined> {
  const { rows } = await db.query<TokenRow>(
    `SELECT ${TOKEN_COLUMNS} FROM custody_tokens WHERE instance_id = $1 AND token_address = $2`,
    [instanceId, tokenAddress],
  );
  return rows[0] === undefined ? undefined : tokenView(rows[0]);
}

/**
 * Deactivates the instance's token: balances stay readable, every movement of it is refused from
 * now on (404 `TOKEN_NOT_FOUND`). Deactivating again answers the same. `undefined` when unknown.
 */
export async function deactivateToken(
  db: Queryable,
  instanceId: string,
  tokenAddress: string,
  now: Date,
): Promise<CustodyTokenView | undefined> {
  const { rows } = await db.query<TokenRow>(
    `UPDATE custody_tokens SET active = false, updated_at = CASE WHEN active THEN $3 ELSE updated_at END
      WHERE instance_id = $1 AND token_address = $2 RETURNING ${TOKEN_COLUMNS}`,
    [instanceId, tokenAddress, now],
  );
  return rows[0] === undefined ? undefined : tokenView(rows[0]);
}

/** Why a movement was refused; the route maps each to its documented error. */
export type MovementFailure =
  | { reason: 'token-not-found' }
  | { reason: 'customer-not-found' }
  | { reason: 'too-precise'; decimals: number }
  | { reason: 'insufficient'; locked: boolean }
  | { reason: 'same-customer' };

export type MovementOutcome = ({ ok: true } & MovementResultView) | ({ ok: false } & MovementFailure);

export interface MovementInput {
  type: Exclude<Movement, 'TRANSFER'>;
  tokenAddress: string;
  customerRef: string;
  amount: string;
  reference?: string | undefined;
}

export interface TransferInput {
  tokenAddress: string;
  fromCustomerRef: string;
  toCustomerRef: string;
  amount: string;
  reference?: string | undefined;
}

/**
 * Why the movement cannot use the token (unknown, inactive, or the amount too precise for it), or
 * `undefined`. `lockSupply`: a credit or debit, which changes the token's supply, takes the token
 * row here, before any balance row (the lock order above).
 */
async function movableToken(
  tx: Queryable,
  instanceId: string,
  tokenAddress: string,
  amount: string,
  lockSupply: boolean,
): Promise<MovementFailure | undefined> {
  const { rows } = await tx.query<{ decimals: number }>(
    `SELECT decimals FROM custody_tokens WHERE instance_id = $1 AND token_address = $2 AND active
      ${lockSupply ? 'FOR NO KEY UPDATE' : ''}`,
    [instanceId, tokenAddress],
  );
  const token = rows[0];
  if (token === undefined) return { reason: 'token-not-found' };
  if (fractionDigits(parseDecimal(amount) ?? 0n) > token.decimals) {
    return { reason: 'too-precise', decimals: token.decimals };
  }
  return undefined;
}

async function journal(
  tx: Queryable,
  instanceId: string,
  entry: {
    type: Movement;
    tokenAddress: string;
    customerId: string;
    toCustomerId: string | null;
    amount: string;
    reference: string | null;
  },
  now: Date,
): Promise<TransactionView> {
  const id = newResourceId('ctx');
  await tx.query(
    `INSERT INTO custody_transactions (id, instance_id, token_address, type, customer_id, to_customer_id, amount, reference, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      id,
      instanceId,
      entry.tokenAddress,
      entry.type,
      entry.customerId,
      entry.toCustomerId,
      entry.amount,
      entry.reference,
      now,
    ],
  );
  return { id, ...entry, createdAt: now.toISOString() };
}

/** DEBIT, LOCK and UNLOCK as one conditional UPDATE each (`$4` is the amount). */
const CONDITIONAL_CHANGES = {
  DEBIT: { set: 'balance = balance - $4::numeric', condition: 'balance - locked >= $4::numeric' },
  LOCK: { set: 'locked = locked + $4::numeric', condition: 'balance - locked >= $4::numeric' },
  UNLOCK: { set: 'locked = locked - $4::numeric', condition: 'locked >= $4::numeric' },
} as const;

/**
 * One movement of one customer's balance, in the caller's transaction: CREDIT adds to the balance
 * and the token's supply; DEBIT takes from the free balance and the supply; LOCK moves free
 * balance to locked; UNLOCK moves locked back. Each is one conditional UPDATE, so a movement that
 * would break an invariant changes nothing (`insufficient`).
 *
 * @example
 * await db.transaction((tx) => moveBalance(tx, instanceId, { type: 'CREDIT', tokenAddress, customerRef, amount: '10' }, new Date()));
 */
export async function moveBalance(
  tx: Queryable,
  instanceId: string,
  input: MovementInput,
  now: Date,
): Promise<MovementOutcome> {
  // A debit or an unlock only takes away: an archived customer can still be wound down.
  const windDown = input.type === 'DEBIT' || input.type === 'UNLOCK';
  const customerId = await resolveCustomer(tx, instanceId, input.customerRef, { windDown });
  if (customerId === undefined) return { ok: false, reason: 'customer-not-found' };
  const changesSupply = input.type === 'CREDIT' || input.type === 'DEBIT';
  const refused = await movableToken(tx, instanceId, input.tokenAddress, input.amount, changesSupply);
  if (refused !== undefined) return { ok: false, ...refused };
  const key = [instanceId, input.tokenAddress, customerId, input.amount, now];

  let row: BalanceRow | undefined;
  if (input.type === 'CREDIT') {
    ({
      rows: [row],
    } = await tx.query<BalanceRow>(
      `INSERT INTO custody_balances (instance_id, token_address, customer_id, balance, locked, updated_at)
       VALUES ($1, $2, $3, $4::numeric, 0, $5)
       ON CONFLICT (instance_id, token_address, customer_id)
       DO UPDATE SET balance = custody_balances.balance + excluded.balance, updated_at = excluded.updated_at
       RETURNING customer_id, token_address, balance, locked`,
      key,
    ));
  } else {
    const { set, condition } = CONDITIONAL_CHANGES[input.type];
    ({
      rows: [row],
    } = await tx.query<BalanceRow>(
      `UPDATE custody_balances SET ${set}, updated_at = $5
        WHERE instance_id = $1 AND token_address = $2 AND customer_id = $3 AND ${condition}
        RETURNING customer_id, token_address, balance, locked`,
      key,
    ));
  }
  if (row === undefined) return { ok: false, reason: 'insufficient', locked: input.type === 'UNLOCK' };
  if (changesSupply) {
    // After the balance changed: a debit the balance refused never reaches the supply's CHECK.
    await tx.query(
      `UPDATE custody_tokens SET total_supply = total_supply ${input.type === 'CREDIT' ? '+' : '-'} $3::numeric,
         updated_at = $4 WHERE instance_id = $1 AND token_address = $2`,
      [instanceId, input.tokenAddress, input.amount, now],
    );
  }
  const transaction = await journal(
    tx,
    instanceId,
    {
      type: input.type,
      tokenAddress: input.tokenAddress,
      customerId,
      toCustomerId: null,
      amount: input.amount,
      reference: input.reference ?? null,
    },
    now,
  );
  return { ok: true, transaction, balances: [balanceView(row)] };
}

/**
 * Moves `amount` of the sender's free balance to the receiver, atomically, in the caller's
 * transaction, leaving the token's supply untouched. One statement creates any missing balance
 * row and locks both in customer-id order (`INSERT … ON CONFLICT DO UPDATE` locks the rows it
 * meets, in the order given), so concurrent transfers in opposite directions queue instead of
 * deadlocking; one more moves the amount and writes the journal. Two round trips hold the locks.
 *
 * @example
 * await db.transaction((tx) => transfer(tx, instanceId, { tokenAddress, fromCustomerRef: 'cus_a…', toCustomerRef: 'cus_b…', amount: '5' }, new Date()));
 */
export async function transfer(
  tx: Queryable,
  instanceId: string,
  input: TransferInput,
  now: Date,
): Promise<MovementOutcome> {
  // An archived customer can still send what it holds, but receives nothing.
  const [fromId, toId] = await resolveCustomers(tx, instanceId, [
    { ref: input.fromCustomerRef, windDown: true },
    { ref: input.toCustomerRef, windDown: false },
  ]);
  if (fromId === undefined || toId === undefined) return { ok: false, reason: 'customer-not-found' };
  if (fromId === toId) return { ok: false, reason: 'same-customer' };
  const refused = await movableToken(tx, instanceId, input.tokenAddress, input.amount, false);
  if (refused !== undefined) return { ok: false, ...refused };

  const { rows: held } = await tx.query<BalanceRow>(
    `INSERT INTO custody_balances (instance_id, token_address, customer_id, balance, locked, updated_at)
     SELECT $1, $2, c.id, 0, 0, $4 FROM unnest($3::text[]) WITH ORDINALITY AS c (id, n) ORDER BY c.n
     ON CONFLICT (instance_id, token_address, customer_id) DO UPDATE SET updated_at = custody_balances.updated_at
     RETURNING customer_id, token_address, balance, locked`,
    [instanceId, input.tokenAddress, [fromId, toId].sort(), now],
  );
  const sender = held.find((row) => row.customer_id === fromId);
  const amount = parseDecimal(input.amount) ?? 0n;
  if (sender === undefined || fromNumeric(sender.balance) - fromNumeric(sender.locked) < amount) {
    return { ok: false, reason: 'insufficient', locked: false };
  }
  const id = newResourceId('ctx');
  const { rows: moved } = await tx.query<BalanceRow>(
    `WITH journal AS (
       INSERT INTO custody_transactions (id, instance_id, token_address, type, customer_id, to_customer_id, amount, reference, created_at)
       VALUES ($6, $1, $2, 'TRANSFER', $3, $4, $5::numeric, $7, $8))
     UPDATE custody_balances
        SET balance = balance + CASE WHEN customer_id = $3 THEN -$5::numeric ELSE $5::numeric END, updated_at = $8
      WHERE instance_id = $1 AND token_address = $2 AND customer_id IN ($3, $4)
      RETURNING customer_id, token_address, balance, locked`,
    [instanceId, input.tokenAddress, fromId, toId, input.amount, id, input.reference ?? null, now],
  );
  const after = (customerId: string) =>
    balanceView(moved.find((row) => row.customer_id === customerId) as BalanceRow);
  return {
    ok: true,
    transaction: {
      id,
      type: 'TRANSFER',
      tokenAddress: input.tokenAddress,
      customerId: fromId,
      toCustomerId: toId,
      amount: input.amount,
      reference: input.reference ?? null,
      createdAt: now.toISOString(),
    },
    balances: [after(fromId), after(toId)],
  };
}

/**
 * Every balance of the customer (zero rows included once created), by token address.
 *
 * @example
 * const balances = await customerBalances(db, instanceId, 'cus_…');
 */
export async function customerBalances(
  db: Queryable,
  instanceId: string,
  customerId: string,
): Promise<BalanceView[]> {
  const { rows } = await db.query<BalanceRow>(
    `SELECT customer_id, token_address, balance, locked FROM custody_balances
      WHERE instance_id = $1 AND customer_id = $2 ORDER BY token_address`,
    [instanceId, customerId],
  );
  return rows.map(balanceView);
}

/** The customer's balance of one token: zero when nothing was ever moved. */
export async function tokenBalance(
  db: Queryable,
  instanceId: string,
  customerId: string,
  tokenAddress: string,
): Promise<BalanceView> {
  const { rows } = await db.query<BalanceRow>(
    `SELECT customer_id, token_address, balance, locked FROM custody_balances
      WHERE instance_id = $1 AND customer_id = $2 AND token_address = $3`,
    [instanceId, customerId, tokenAddress],
  );
  return balanceView(
    rows[0] ?? { customer_id: customerId, token_address: tokenAddress, balance: '0', locked: '0' },
  );
}

interface TransactionRow {
  id: string;
  type: Movement;
  token_address: string;
  customer_id: string;
  to_customer_id: string | null;
  amount: string;
  reference: string | null;
  created_at: Date;
}

/**
 * One page of the instance's movements, newest first, optionally of one token, one customer
 * (sender or receiver) or one type, and how many match.
 */
export async function listTransactions(
  db: Queryable,
  instanceId: string,
  options: {
    tokenAddress?: string | undefined;
    customerId?: string | undefined;
    type?: Movement | undefined;
    limit: number;
    offset: number;
  },
): Promise<{ items: TransactionView[]; total: number }> {
  const where = ['instance_id = $1'];
  const params: unknown[] = [instanceId];
  const filter = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(sql(`$${params.length}`));
  };
  if (options.tokenAddress !== undefined) filter((p) => `token_address = ${p}`, options.tokenAddress);
  if (options.customerId !== undefined)
    filter((p) => `(customer_id = ${p} OR to_customer_id = ${p})`, options.customerId);
  if (options.type !== undefined) filter((p) => `type = ${p}`, options.type);
  const condition = where.join(' AND ');
  const [page, count] = await Promise.all([
    db.query<TransactionRow>(
      `SELECT id, type, token_address, customer_id, to_customer_id, amount, reference, created_at
         FROM custody_transactions WHERE ${condition}
        ORDER BY seq DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, options.limit, options.offset],
    ),
    db.query<{ n: string }>(`SELECT count(*) AS n FROM custody_transactions WHERE ${condition}`, params),
  ]);
  return {
    items: page.rows.map((row) => ({
      id: row.id,
      type: row.type,
      tokenAddress: row.token_address,
      customerId: row.customer_id,
      toCustomerId: row.to_customer_id,
      amount: canonicalNumeric(row.amount),
      reference: row.reference,
      createdAt: row.created_at.toISOString(),
    })),
    total: Number(count.rows[0]?.n ?? 0),
  };
}
