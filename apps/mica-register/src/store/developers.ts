import { randomBytes } from 'node:crypto';
import { type Database, isUniqueViolation, type Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import type { KeyUsage } from '@portcullis/key-cache';
import { generateManagementToken, generateMicaKey, micaKeyHint, micaKeyPrefix } from '@portcullis/key-format';

/** SPEC §5.2: at most 3 active keys per developer. */
export const MAX_ACTIVE_KEYS = 3;

export interface DeveloperRow {
  id: string;
  name: string;
  email: string;
  created_at: Date;
}

export interface DeveloperKeyRow {
  id: string;
  developer_id: string;
  name: string;
  key_digest: string;
  key_prefix: string;
  key_hint: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  request_count: string; // int8 arrives as a string (no precision lost)
}

const KEY_COLUMNS =
  'id, developer_id, name, key_digest, key_prefix, key_hint, created_at, last_used_at, revoked_at, request_count';

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** A developer or key change: its payload `T`, or why it was refused (the route maps it to 404 / 409). */
type DeveloperResult<T extends object> = Result<
  T,
  'email-exists' | 'not-found' | 'key-limit' | 'already-revoked'
>;

/** A refused developer or key change (see {@link DeveloperResult}). */
export type DeveloperFailure = Extract<DeveloperResult<object>, { ok: false }>;

/** A new key's record plus the key itself, shown once. */
export interface IssuedKey {
  row: DeveloperKeyRow;
  apiKey: string;
}

async function insertKey(tx: Queryable, developerId: string, name: string, now: Date): Promise<IssuedKey> {
  const apiKey = generateMicaKey();
  const { rows } = await tx.query<DeveloperKeyRow>(
    `INSERT INTO developer_keys (id, developer_id, name, key_digest, key_prefix, key_hint, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${KEY_COLUMNS}`,
    [newId('mkey'), developerId, name, digestKey(apiKey), micaKeyPrefix(apiKey), micaKeyHint(apiKey), now],
  );
  return { row: rows[0] as DeveloperKeyRow, apiKey };
}

/**
 * Registers a developer with a first key and a management token, both shown once (SPEC §5.2).
 * The unique index on the lower-cased email decides `EMAIL_EXISTS`, also under concurrency.
 */
export async function registerDeveloper(
  db: Database,
  input: { name: string; email: string },
  now: Date,
): Promise<DeveloperResult<{ developer: DeveloperRow; key: IssuedKey; managementToken: string }>> {
  const managementToken = generateManagementToken();
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<DeveloperRow>(
        `INSERT INTO developers (id, name, email, email_normalized, management_token_digest, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id, name, email, created_at`,
        [newId('dev'), input.name, input.email, input.email.toLowerCase(), digestKey(managementToken), now],
      );
      const developer = rows[0] as DeveloperRow;
      const key = await insertKey(tx, developer.id, 'default', now);
      return { ok: true, developer, key, managementToken } as const;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return { ok: false, reason: 'email-exists' };
    throw error;
  }
}

/** The developer a management token belongs to, by the token's digest. */
export async function findDeveloperByToken(db: Queryable, tokenDigest: string): Promise<DeveloperRow | null> {
  const { rows } = await db.query<DeveloperRow>(
    'SELECT id, name, email, created_at FROM developers WHERE management_token_digest = $1',
    [tokenDigest],
  );
  return rows[0] ?? null;
}

export async function listDeveloperKeys(db: Queryable, developerId: string): Promise<DeveloperKeyRow[]> {
  const { rows } = await db.query<DeveloperKeyRow>(
    `SELECT ${KEY_COLUMNS} FROM developer_keys WHERE developer_id = $1 ORDER BY created_at, id`,
    [developerId],
  );
  return rows;
}

/**
 * Creates a key under the cap: the developer row is locked for the transaction, so concurrent
 * creates on any number of processes count correctly (SPEC §5.2 "race-safe").
 */
export async function createDeveloperKey(
  db: Database,
  developerId: string,
  name: string,
  now: Date,
): Promise<DeveloperResult<IssuedKey>> {
  return db.transaction(async (tx) => {
    const locked = await tx.query('SELECT 1 FROM developers WHERE id = $1 FOR UPDATE', [developerId]);
    if (locked.rows.length === 0) return { ok: false, reason: 'not-found' } as const;
    const { rows } = await tx.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM developer_keys WHERE developer_id = $1 AND revoked_at IS NULL',
      [developerId],
    );
    if ((rows[0]?.n ?? 0) >= MAX_ACTIVE_KEYS) return { ok: false, reason: 'key-limit' } as const;
    return { ok: true, ...(await insertKey(tx, developerId, name, now)) } as const;
  });
}

/** Revokes a key of this developer; one conditional UPDATE decides, so a second revoke is refused. */
export async function revokeDeveloperKey(
  db: Database,
  developerId: string,
  keyId: string,
  now: Date,
): Promise<DeveloperResult<{ row: DeveloperKeyRow }>> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DeveloperKeyRow>(
      `UPDATE developer_keys SET revoked_at = $3
        WHERE id = $1 AND developer_id = $2 AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`,
      [keyId, developerId, now],
    );
    const row = rows[0];
    if (row) return { ok: true, row } as const;
    return refusal(tx, developerId, keyId);
  });
}

/**
 * Replaces a key by a new one in one transaction (ours): the old key is revoked at once and the
 * new one takes its name. The cap is unchanged (one out, one in).
 */
export async function rotateDeveloperKey(
  db: Database,
  developerId: string,
  keyId: string,
  now: Date,
): Promise<DeveloperResult<{ old: DeveloperKeyRow } & IssuedKey>> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<DeveloperKeyRow>(
      `UPDATE developer_keys SET revoked_at = $3
        WHERE id = $1 AND developer_id = $2 AND revoked_at IS NULL RETURNING ${KEY_COLUMNS}`,
      [keyId, developerId, now],
    );
    const old = rows[0];
    if (!old) return refusal(tx, developerId, keyId);
    const issued = await insertKey(tx, developerId, old.name, now);
    await tx.query('UPDATE developer_keys SET replaced_by = $2 WHERE id = $1', [old.id, issued.row.id]);
    return { ok: true, old, ...issued } as const;
  });
}

/** Issues a new management token; the old one stops working at once. */
export async function rotateManagementToken(db: Queryable, developerId: string, now: Date): Promise<string> {
  const token = generateManagementToken();
  await db.query('UPDATE developers SET management_token_digest = $2, updated_at = $3 WHERE id = $1', [
    developerId,
    digestKey(token),
    now,
  ]);
  return token;
}

async function refusal(tx: Queryable, developerId: string, keyId: string): Promise<DeveloperFailure> {
  const { rows } = await tx.query('SELECT 1 FROM developer_keys WHERE id = $1 AND developer_id = $2', [
    keyId,
    developerId,
  ]);
  return rows.length === 0 ? { ok: false, reason: 'not-found' } : { ok: false, reason: 'already-revoked' };
}

/** What the auth path caches for a key digest. */
export interface MicaAuthRow {
  keyId: string;
  developerId: string;
  revoked: boolean;
}

export async function findMicaAuthRow(db: Queryable, digest: string): Promise<MicaAuthRow | null> {
  const { rows } = await db.query<{ id: string; developer_id: string; revoked_at: Date | null }>(
    'SELECT id, developer_id, revoked_at FROM developer_keys WHERE key_digest = $1',
    [digest],
  );
  const row = rows[0];
  return row ? { keyId: row.id, developerId: row.developer_id, revoked: row.revoked_at !== null } : null;
}

/** Adds batched request counts and moves `last_used_at` forward (SPEC §5.2, no write per request). */
export async function recordKeyUsage(db: Queryable, usage: ReadonlyMap<string, KeyUsage>): Promise<void> {
  if (usage.size === 0) return;
  const ids = [...usage.keys()];
  const times = ids.map((id) => new Date(usage.get(id)?.lastUsedMs ?? 0));
  const counts = ids.map((id) => usage.get(id)?.count ?? 0);
  await db.query(
    `UPDATE developer_keys k
        SET request_count = k.request_count + u.n,
            last_used_at = GREATEST(COALESCE(k.last_used_at, u.at), u.at)
       FROM (SELECT unnest($1::text[]) AS id, unnest($2::timestamptz[]) AS at, unnest($3::int[]) AS n) u
      WHERE k.id = u.id`,
    [ids, times, counts],
  );
}
