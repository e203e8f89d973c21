import { type Database, isUniqueViolation, type Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import type { z } from 'zod';
import { newReferenceKey, newResourceId } from '../../ids.js';
import type { CUSTOMER_TYPES, CustomerView, createCustomerBody, updateCustomerBody } from './schemas.js';

// Customers in SQL (migration 0003). Every statement filters on the caller's instance.

interface CustomerRow {
  id: string;
  name: string;
  customer_type: CustomerView['customerType'];
  investor_type: CustomerView['investorType'];
  country: string | null;
  wallet_address: string | null;
  reference_key: string | null;
  external_id: string | null;
  metadata: Record<string, unknown>;
  archived: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, customer_type, investor_type, country, wallet_address, reference_key, external_id, metadata, archived, created_at, updated_at';

function view(row: CustomerRow): CustomerView {
  return {
    id: row.id,
    name: row.name,
    customerType: row.customer_type,
    investorType: row.investor_type,
    country: row.country,
    walletAddress: row.wallet_address,
    referenceKey: row.reference_key,
    externalId: row.external_id,
    metadata: row.metadata,
    archived: row.archived,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A wallet or external id another customer of the instance already has. */
type CustomerChange = Result<{ customer: CustomerView }, 'exists' | 'not-found' | 'archived'>;

function duplicate(error: unknown): boolean {
  return (
    isUniqueViolation(error, 'customers_wallet_unique') ||
    isUniqueViolation(error, 'customers_external_id_unique')
  );
}

/**
 * Creates a customer; a wallet or external id already used in the instance is `exists` (decided
 * by the unique constraints, so also under concurrency).
 *
 * @example
 * const created = await createCustomer(db, instanceId, { name: 'Ada', customerType: 'INDIVIDUAL', investorType: 'RETAIL' }, new Date());
 */
export async function createCustomer(
  db: Database,
  instanceId: string,
  input: z.output<typeof createCustomerBody>,
  now: Date,
): Promise<CustomerChange> {
  try {
    const { rows } = await db.query<CustomerRow>(
      `INSERT INTO customers (id, instance_id, name, customer_type, investor_type, country, wallet_address,
         reference_key, external_id, metadata, archived, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11, $11)
       RETURNING ${COLUMNS}`,
      [
        newResourceId('cus'),
        instanceId,
        input.name,
        input.customerType,
        input.investorType,
        input.country ?? null,
        input.walletAddress ?? null,
        input.walletAddress === undefined ? newReferenceKey() : null,
        input.externalId ?? null,
        JSON.stringify(input.metadata ?? {}),
        now,
      ],
    );
    return { ok: true, customer: view(rows[0] as CustomerRow) };
  } catch (error) {
    if (duplicate(error)) return { ok: false, reason: 'exists' };
    throw error;
  }
}

export interface ListCustomersOptions {
  search?: string | undefined;
  includeArchived: boolean;
  customerType?: (typeof CUSTOMER_TYPES)[number] | undefined;
  limit: number;
  offset: number;
}

/** `%…%` for ILIKE with the pattern characters of `text` taken literally. */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * One page of the instance's customers, oldest first, and how many match in all.
 *
 * @example
 * const { items, total } = await listCustomers(db, instanceId, { includeArchived: false, limit: 100, offset: 0 });
 */
export async function listCustomers(
  db: Queryable,
  instanceId: string,
  options: ListCustomersOptions,
): Promise<{ items: CustomerView[]; total: number }> {
  const where = ['instance_id = $1'];
  const params: unknown[] = [instanceId];
  if (!options.includeArchived) where.push('NOT archived');
  if (options.customerType !== undefined) {
    params.push(options.customerType);
    where.push(`customer_type = $${params.length}`);
  }
  if (options.search !== undefined) {
    params.push(containing(options.search));
    const p = `$${params.length}`;
    where.push(
      `(name ILIKE ${p} OR id ILIKE ${p} OR wallet_address ILIKE ${p} OR reference_key ILIKE ${p} OR external_id ILIKE ${p})`,
    );
  }
  params.push(options.limit, options.offset);
  const { rows } = await db.query<CustomerRow & { total: string }>(
    `SELECT ${COLUMNS}, count(*) OVER () AS total FROM customers WHERE ${where.join(' AND ')}
     ORDER BY created_at, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  const total =
    rows[0] !== undefined
      ? Number(rows[0].total)
      : options.offset === 0
        ? 0
        : await countCustomers(db, where.join(' AND '), params.slice(0, -2));
  return { items: rows.map(view), total };
}

/** The count alone, for a page past the end (the window count comes with rows only). */
async function countCustomers(db: Queryable, where: string, params: unknown[]): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM customers WHERE ${where}`,
    params,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The instance's customer named by `identifier`: its id, wallet address (any case), reference key
 * or external id, tried in that order. Archived customers are found too (`archived: true`).
 *
 * @example
 * const customer = await findCustomer(db, instanceId, '0xAbC…');
 */
export async function findCustomer(
  db: Queryable,
  instanceId: string,
  identifier: string,
): Promise<CustomerView | undefined> {
  const row = await findRow(db, instanceId, identifier);
  return row === undefined ? undefined : view(row);
}

/** SPEC §4.5: an identifier is tried as id, wallet address, reference key, then external id. */
const IDENTIFIER_PRIORITY = (ref: string) =>
  `CASE WHEN id = ${ref} THEN 0 WHEN wallet_address = lower(${ref}) THEN 1 WHEN reference_key = ${ref} THEN 2 ELSE 3 END`;

async function findRow(
  db: Queryable,
  instanceId: string,
  identifier: string,
): Promise<CustomerRow | undefined> {
  const { rows } = await db.query<CustomerRow>(
    `SELECT ${COLUMNS} FROM customers
      WHERE instance_id = $1 AND (id = $2 OR wallet_address = lower($2) OR reference_key = $2 OR external_id = $2)
      ORDER BY ${IDENTIFIER_PRIORITY('$2')}
      LIMIT 1`,
    [instanceId, identifier],
  );
  return rows[0];
}

/**
 * The id of the customer that `customerRef` names in the instance — an active one, or with
 * `windDown` an archived one too (see {@link NamedCustomer}) — or `undefined`: what custody, trading and lending key their records on, so one customer has one
 * balance whichever identifier a request uses. Takes a share lock when `tx` is a transaction, so
 * the customer cannot be archived while the change that names it commits.
 *
 * @example
 * const customerId = await resolveCustomer(tx, instanceId, body.customerRef);
 * if (customerId === undefined) throw customerNotFound.error();
 */
export async function resolveCustomer(
  tx: Queryable,
  instanceId: string,
  customerRef: string,
  options: { windDown?: boolean } = {},
): Promise<string | undefined> {
  return (
    await resolveCustomers(tx, instanceId, [{ ref: customerRef, windDown: options.windDown ?? false }])
  )[0];
}

/**
 * A customer a change names. `windDown`: the change only takes something away from the customer
 * (a debit, an unlock, a transfer out, cancelling its order, repaying or closing its loan,
 * withdrawing its liquidity), so an archived customer may be named too — a customer who has left
 * can still be wound down. A change that gives a customer something (a credit, a new order, loan
 * or deposit) names active customers only.
 */
export interface NamedCustomer {
  ref: string;
  windDown: boolean;
}

/**
 * {@link resolveCustomer} for several references in one statement (a transfer's two parties):
 * the customer ids in the order given, `undefined` where a reference names no customer it may
 * (see {@link NamedCustomer}).
 *
 * @example
 * const [fromId, toId] = await resolveCustomers(tx, instanceId, [
 *   { ref: body.fromCustomerRef, windDown: true },
 *   { ref: body.toCustomerRef, windDown: false },
 * ]);
 */
export async function resolveCustomers(
  tx: Queryable,
  instanceId: string,
  customers: readonly NamedCustomer[],
): Promise<Array<string | undefined>> {
  const { rows } = await tx.query<{ n: string; id: string }>(
    `SELECT r.n, c.id FROM unnest($2::text[], $3::boolean[]) WITH ORDINALITY AS r (ref, wind_down, n)
       CROSS JOIN LATERAL (
         SELECT id FROM customers
          WHERE instance_id = $1 AND (r.wind_down OR NOT archived)
            AND (id = r.ref OR wallet_address = lower(r.ref) OR reference_key = r.ref OR external_id = r.ref)
          ORDER BY ${IDENTIFIER_PRIORITY('r.ref')} LIMIT 1 FOR SHARE) c`,
    [instanceId, customers.map((c) => c.ref), customers.map((c) => c.windDown)],
  );
  const found = new Map(rows.map((row) => [Number(row.n), row.id]));
  return customers.map((_, index) => found.get(index + 1));
}

/**
 * Applies a partial update to the instance's customer `customerId`. An archived customer is
 * `archived` (it can be read, not changed); a wallet or external id of another customer `exists`.
 *
 * @example
 * await updateCustomer(db, instanceId, 'cus_…', { name: 'Ada L.' }, new Date());
 */
export async function updateCustomer(
  db: Database,
  instanceId: string,
  customerId: string,
  changes: z.output<typeof updateCustomerBody>,
  now: Date,
): Promise<CustomerChange> {
  const columns: Record<string, unknown> = {
    name: changes.name,
    customer_type: changes.customerType,
    investor_type: changes.investorType,
    country: changes.country,
    wallet_address: changes.walletAddress,
    external_id: changes.externalId,
    metadata: changes.metadata === undefined ? undefined : JSON.stringify(changes.metadata),
  };
  const set: string[] = [];
  const params: unknown[] = [instanceId, customerId, now];
  for (const [column, value] of Object.entries(columns)) {
    if (value === undefined) continue;
    params.push(value);
    set.push(`${column} = $${params.length}`);
  }
  try {
    return await db.transaction(async (tx) => {
      const { rows: current } = await tx.query<{ archived: boolean }>(
        'SELECT archived FROM customers WHERE instance_id = $1 AND id = $2 FOR UPDATE',
        [instanceId, customerId],
      );
      if (current[0] === undefined) return { ok: false, reason: 'not-found' } as const;
      if (current[0].archived) return { ok: false, reason: 'archived' } as const;
      const { rows } = await tx.query<CustomerRow>(
        `UPDATE customers SET ${[...set, 'updated_at = $3'].join(', ')}
          WHERE instance_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        params,
      );
      return { ok: true, customer: view(rows[0] as CustomerRow) } as const;
    });
  } catch (error) {
    if (duplicate(error)) return { ok: false, reason: 'exists' };
    throw error;
  }
}

/**
 * Archives (soft-deletes) the instance's customer `customerId`; archiving an archived customer
 * again is the same answer. `false` when there is no such customer.
 *
 * @example
 * if (!(await archiveCustomer(db, instanceId, 'cus_…', new Date()))) throw customerNotFound.error();
 */
export async function archiveCustomer(
  db: Queryable,
  instanceId: string,
  customerId: string,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE customers SET archived = true, updated_at = CASE WHEN archived THEN updated_at ELSE $3 END
      WHERE instance_id = $1 AND id = $2`,
    [instanceId, customerId, now],
  );
  return rowCount === 1;
}
