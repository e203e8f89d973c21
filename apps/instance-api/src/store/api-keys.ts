import type { Database, Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import type { KeyUsage } from '@portcullis/key-cache';
import { generateInstanceKey, keyPreview } from '@portcullis/key-format';
import { effectiveStatus, type KeyState, type KeyStatus, MAX_ACTIVE_KEYS, mayManageKeys } from '../domain.js';
import { newKeyId } from '../ids.js';
import type { ApiKeyView } from '../schemas.js';

export interface ApiKeyRow {
  id: string;
  instance_id: string;
  name: string;
  key_digest: string;
  key_preview: string;
  status: KeyStatus;
  paused_until: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

const KEY_COLUMNS =
  'id, instance_id, name, key_digest, key_preview, status, paused_until, expires_at, last_used_at, created_at';

function keyState(row: Pick<ApiKeyRow, 'status' | 'paused_until' | 'expires_at'>): KeyState {
  return {
    status: row.status,
    pausedUntilMs: row.paused_until?.getTime() ?? null,
    expiresAtMs: row.expires_at?.getTime() ?? null,
  };
}

/**
 * `effectiveStatus` (domain.ts) in SQL, for the key row `alias` at the timestamptz `now` (a
 * parameter such as `$2`): where keys are counted or filtered by the status they have at request
 * time. The CASE order is the TypeScript rule's order; a test runs both over the same rows.
 *
 * @example
 * `SELECT count(*) FILTER (WHERE ${effectiveStatusSql('k', '$2')} = 'PAUSED') FROM api_keys k WHERE k.instance_id = $1`
 */
export function effectiveStatusSql(alias: string, now: string): string {
  const k = alias;
  return `(CASE
    WHEN ${k}.status = 'PAUSED' AND ${k}.paused_until <= ${now} THEN 'ACTIVE'
    WHEN ${k}.status = 'PENDING_ROTATION' AND ${k}.expires_at <= ${now} THEN 'EXPIRED'
    WHEN ${k}.status = 'PENDING_ROTATION' AND ${k}.paused_until > ${now} THEN 'PAUSED'
    ELSE ${k}.status END)`;
}

/**
 * The published key object at `now`. Status is the effective one, so the list tells what the key
 * does now: a key rotated while paused lists as PAUSED with its `pausedUntil` and, as `expiresAt`,
 * the end of its overlap; after `pausedUntil` it lists as PENDING_ROTATION, after `expiresAt` as
 * EXPIRED. `pausedUntil` is set exactly when the status is PAUSED.
 */
export function apiKeyView(row: ApiKeyRow, now: Date, lastUsedMs?: number): ApiKeyView {
  const status = effectiveStatus(keyState(row), now.getTime());
  const stored = row.last_used_at?.getTime();
  // Uses not yet flushed to the database are newer than the stored value.
  const lastUsed =
    lastUsedMs !== undefined && (stored === undefined || lastUsedMs > stored) ? lastUsedMs : stored;
  return {
    id: row.id,
    name: row.name,
    keyPreview: row.key_preview,
    status,
    lastUsedAt: lastUsed === undefined ? null : new Date(lastUsed).toISOString(),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    pausedUntil: status === 'PAUSED' ? (row.paused_until?.toISOString() ?? null) : null,
  };
}

/**
 * A key change's outcome: its payload `T`, or why it was refused; the route maps a refusal to
 * 404 / 400 / 409. `read-only-caller`: the caller's own key may not change keys (see
 * `mayManageKeys`). `invalid-state` carries the client message that names the state rule.
 */
type KeyChangeResult<T extends object> =
  | Result<T, 'not-found' | 'read-only-caller' | 'limit'>
  | { ok: false; reason: 'invalid-state'; message: string };

/** A refused key change (see {@link KeyChangeResult}). */
export type KeyChangeFailure = Extract<KeyChangeResult<object>, { ok: false }>;

/** Who asks for a key change: the authenticated key and its instance. */
export interface KeyManager {
  instanceId: string;
  keyId: string;
}

/**
 * Runs one key change of `caller`'s instance in a transaction that first takes the instance's row
 * lock, then checks in the database that the caller's own key may change keys (`mayManageKeys`:
 * only an ACTIVE key; a key in its rotation overlap only reads). Every key change takes the same
 * lock first, so the changes of one instance are serialised across processes: the caller's state
 * read here stays true until commit (a concurrent rotation of the caller's key is either seen here
 * or waits for this change), and the key cap counts exactly. The caller's row is also share-locked,
 * in case a writer without the instance lock ever appears. The answer the route sent the caller
 * through (a cached auth row) is not trusted for this: it may be up to one invalidation old.
 */
async function asManager<T extends object>(
  db: Database,
  caller: KeyManager,
  now: Date,
  change: (tx: Queryable, instance: { instance_ref: string }) => Promise<KeyChangeResult<T>>,
): Promise<KeyChangeResult<T>> {
  return db.transaction(async (tx) => {
    const { rows: locked } = await tx.query<{ instance_ref: string }>(
      'SELECT instance_ref FROM instances WHERE id = $1 FOR UPDATE',
      [caller.instanceId],
    );
    const instance = locked[0];
    if (!instance) return { ok: false, reason: 'not-found' } as const;
    const { rows: callers } = await tx.query<Pick<ApiKeyRow, 'status' | 'paused_until' | 'expires_at'>>(
      'SELECT status, paused_until, expires_at FROM api_keys WHERE id = $1 AND instance_id = $2 FOR SHARE',
      [caller.keyId, caller.instanceId],
    );
    const own = callers[0];
    if (!own || !mayManageKeys(effectiveStatus(keyState(own), now.getTime()))) {
      return { ok: false, reason: 'read-only-caller' } as const;
    }
    return change(tx, instance);
  });
}

export async function listKeys(db: Queryable, instanceId: string): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${KEY_COLUMNS} FROM api_keys WHERE instance_id = $1 ORDER BY created_at, id`,
    [instanceId],
  );
  return rows;
}

/**
 * Creates a key under the SPEC §4.4 cap, for a caller allowed to change keys (`asManager`): the
 * instance row is locked for the transaction, so concurrent creates on any number of processes are
 * serialised and count correctly. A key rotated while paused is PENDING_ROTATION in storage and,
 * like every rotated key, does not count.
 */
export async function createKey(
  db: Database,
  caller: KeyManager,
  name: string,
  now: Date,
): Promise<KeyChangeResult<{ row: ApiKeyRow; key: string }>> {
  const { instanceId } = caller;
  return asManager<{ row: ApiKeyRow; key: string }>(db, caller, now, async (tx, instance) => {
    const { rows: counted } = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE instance_id = $1 AND status IN ('ACTIVE', 'PAUSED')`,
      [instanceId],
    );
    if ((counted[0]?.n ?? 0) >= MAX_ACTIVE_KEYS) return { ok: false, reason: 'limit' } as const;
    const key = generateInstanceKey(instance.instance_ref);
    const { rows } = await tx.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, instance_id, name, key_digest, key_preview, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'ACTIVE', $6, $6) RETURNING ${KEY_COLUMNS}`,
      [newKeyId(), instanceId, name, digestKey(key), keyPreview(key), now],
    );
    return { ok: true, row: rows[0] as ApiKeyRow, key } as const;
  });
}

/** A rotation: the old key (now PENDING_ROTATION or EXPIRED), the new one and its secret. */
interface Rotation {
  oldKey: ApiKeyRow;
  newKey: ApiKeyRow;
  key: string;
  overlapEndDate: Date;
}

/**
 * Rotates a key (SPEC §4.4), for a caller allowed to change keys (`asManager`): the new key is
 * ACTIVE at once; the old one is PENDING_ROTATION until `now + overlapSeconds` (EXPIRED at once
 * for 0). Rotation never loosens the old key: a pause still running is kept, so a key rotated
 * while paused authenticates only after `pausedUntil` and before the overlap end (never, when the
 * pause outlasts the overlap). One conditional UPDATE decides, so of two concurrent rotations of
 * one key exactly one succeeds.
 */
export async function rotateKey(
  db: Database,
  caller: KeyManager,
  keyId: string,
  overlapSeconds: number,
  now: Date,
): Promise<KeyChangeResult<Rotation>> {
  const { instanceId } = caller;
  const overlapEndDate = new Date(now.getTime() + overlapSeconds * 1000);
  return asManager<Rotation>(db, caller, now, async (tx, instance) => {
    // In SET, `status` and `paused_until` are the values before this UPDATE.
    const { rows } = await tx.query<ApiKeyRow>(
      `UPDATE api_keys
          SET status = CASE WHEN $4::int = 0 THEN 'EXPIRED' ELSE 'PENDING_ROTATION' END,
              expires_at = $5,
              paused_until = CASE WHEN $4::int > 0 AND status = 'PAUSED' AND paused_until > $3
                                  THEN paused_until END,
              updated_at = $3
        WHERE id = $1 AND instance_id = $2 AND status IN ('ACTIVE', 'PAUSED')
        RETURNING ${KEY_COLUMNS}`,
      [keyId, instanceId, now, overlapSeconds, overlapEndDate],
    );
    const old = rows[0];
    if (!old) {
      return refusal(
        tx,
        instanceId,
        keyId,
        'Only an ACTIVE or PAUSED key that was not rotated before can be rotated',
      );
    }
    const key = generateInstanceKey(instance.instance_ref);
    const { rows: created } = await tx.query<ApiKeyRow>(
      `INSERT INTO api_keys (id, instance_id, name, key_digest, key_preview, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'ACTIVE', $6, $6) RETURNING ${KEY_COLUMNS}`,
      [newKeyId(), instanceId, old.name, digestKey(key), keyPreview(key), now],
    );
    const newKey = created[0] as ApiKeyRow;
    await tx.query('UPDATE api_keys SET rotated_to = $2 WHERE id = $1', [old.id, newKey.id]);
    return { ok: true, oldKey: old, newKey, key, overlapEndDate } as const;
  });
}

/** Pauses an ACTIVE key (a PAUSED key whose pause has ended counts as ACTIVE). */
export async function pauseKey(
  db: Database,
  caller: KeyManager,
  keyId: string,
  durationSeconds: number,
  now: Date,
): Promise<KeyChangeResult<{ row: ApiKeyRow }>> {
  return changeKey(
    db,
    caller,
    keyId,
    `status = 'PAUSED', paused_until = $4, updated_at = $3`,
    `(status = 'ACTIVE' OR (status = 'PAUSED' AND paused_until <= $3))`,
    [now, new Date(now.getTime() + durationSeconds * 1000)],
    'Only ACTIVE keys can be paused',
  );
}

/**
 * Resumes a PAUSED key: it is ACTIVE again. A key rotated while paused (it lists as PAUSED) is
 * resumed into its overlap: it authenticates again until its overlap end, as PENDING_ROTATION.
 * Resuming is the explicit way to lift a pause early; rotating never does it.
 */
export async function resumeKey(
  db: Database,
  caller: KeyManager,
  keyId: string,
  now: Date,
): Promise<KeyChangeResult<{ row: ApiKeyRow }>> {
  return changeKey(
    db,
    caller,
    keyId,
    `status = CASE WHEN status = 'PAUSED' THEN 'ACTIVE' ELSE status END, paused_until = NULL, updated_at = $3`,
    `(status = 'PAUSED' OR (status = 'PENDING_ROTATION' AND paused_until > $3 AND expires_at > $3))`,
    [now],
    'Only PAUSED keys can be resumed',
  );
}

/** Revokes a key in any state but REVOKED; the record is kept. */
export async function revokeKey(
  db: Database,
  caller: KeyManager,
  keyId: string,
  now: Date,
): Promise<KeyChangeResult<{ row: ApiKeyRow }>> {
  return changeKey(
    db,
    caller,
    keyId,
    `status = 'REVOKED', revoked_at = $3, paused_until = NULL, updated_at = $3`,
    `status <> 'REVOKED'`,
    [now],
    'Key already revoked',
  );
}

/** Deletes a key record; returns its digest for invalidation. */
export async function deleteKey(
  db: Database,
  caller: KeyManager,
  keyId: string,
  now: Date,
): Promise<KeyChangeResult<{ digest: string }>> {
  return asManager<{ digest: string }>(db, caller, now, async (tx) => {
    const { rows } = await tx.query<{ key_digest: string }>(
      'DELETE FROM api_keys WHERE id = $1 AND instance_id = $2 RETURNING key_digest',
      [keyId, caller.instanceId],
    );
    const row = rows[0];
    return row
      ? ({ ok: true, digest: row.key_digest } as const)
      : ({ ok: false, reason: 'not-found' } as const);
  });
}

// One conditional UPDATE per state change: the WHERE clause is the state rule, so concurrent
// changes cannot both pass it. $1 key id, $2 instance id, then `params` from $3 ($3 is `now`).
async function changeKey(
  db: Database,
  caller: KeyManager,
  keyId: string,
  set: string,
  allowedWhen: string,
  params: readonly [Date, ...unknown[]],
  refusedMessage: string,
): Promise<KeyChangeResult<{ row: ApiKeyRow }>> {
  const { instanceId } = caller;
  return asManager<{ row: ApiKeyRow }>(db, caller, params[0], async (tx) => {
    const { rows } = await tx.query<ApiKeyRow>(
      `UPDATE api_keys SET ${set} WHERE id = $1 AND instance_id = $2 AND ${allowedWhen} RETURNING ${KEY_COLUMNS}`,
      [keyId, instanceId, ...params],
    );
    const row = rows[0];
    return row ? ({ ok: true, row } as const) : refusal(tx, instanceId, keyId, refusedMessage);
  });
}

async function refusal(
  tx: Queryable,
  instanceId: string,
  keyId: string,
  message: string,
): Promise<KeyChangeFailure> {
  const { rows } = await tx.query('SELECT 1 FROM api_keys WHERE id = $1 AND instance_id = $2', [
    keyId,
    instanceId,
  ]);
  return rows.length === 0
    ? { ok: false, reason: 'not-found' }
    : { ok: false, reason: 'invalid-state', message };
}

/** The row the auth path caches for a key digest: what is needed to decide, no secret. */
export interface AuthRow {
  keyId: string;
  instanceId: string;
  instanceRef: string;
  status: KeyStatus;
  pausedUntilMs: number | null;
  expiresAtMs: number | null;
  archived: boolean;
  services: string[];
}

export async function findAuthRow(db: Queryable, digest: string): Promise<AuthRow | null> {
  const { rows } = await db.query<{
    id: string;
    instance_id: string;
    instance_ref: string;
    status: KeyStatus;
    paused_until: Date | null;
    expires_at: Date | null;
    archived: boolean;
    services: string[];
  }>(
    `SELECT k.id, k.instance_id, i.instance_ref, k.status, k.paused_until, k.expires_at, i.archived, i.services
       FROM api_keys k JOIN instances i ON i.id = k.instance_id
      WHERE k.key_digest = $1`,
    [digest],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    keyId: row.id,
    instanceId: row.instance_id,
    instanceRef: row.instance_ref,
    status: row.status,
    pausedUntilMs: row.paused_until?.getTime() ?? null,
    expiresAtMs: row.expires_at?.getTime() ?? null,
    archived: row.archived,
    services: row.services,
  };
}

/** Writes batched last-use times (SPEC §4.4); never moves a time backwards. */
export async function recordLastUsed(db: Queryable, usage: ReadonlyMap<string, KeyUsage>): Promise<void> {
  if (usage.size === 0) return;
  const ids = [...usage.keys()];
  const times = ids.map((id) => new Date(usage.get(id)?.lastUsedMs ?? 0));
  await db.query(
    `UPDATE api_keys k SET last_used_at = u.at
       FROM (SELECT unnest($1::text[]) AS id, unnest($2::timestamptz[]) AS at) u
      WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
    [ids, times],
  );
}
