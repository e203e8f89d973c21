import { isUniqueViolation, type Queryable } from '@portcullis/db';
import { digestKey } from '@portcullis/hashing';
import { generateInstanceKey, generateInstanceRef, keyPreview } from '@portcullis/key-format';
import { type InstanceType, MAX_ACTIVE_KEYS, SERVICES, type Service } from '../domain.js';
import { newInstanceId, newKeyId } from '../ids.js';
import type { InstanceView, KeyCounts } from '../schemas.js';
import { effectiveStatusSql } from './api-keys.js';

export interface InstanceRow {
  id: string;
  name: string;
  type: InstanceType;
  instance_ref: string;
  services: string[];
  archived: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The published instance object of a row. */
export function instanceView(row: InstanceRow): InstanceView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    instanceRef: row.instance_ref,
    services: SERVICES.map((id) => ({ id, enabled: row.services.includes(id) })),
    archived: row.archived,
    createdAt: row.created_at.toISOString(),
    limits: { maxApiKeys: MAX_ACTIVE_KEYS },
  };
}

const INSTANCE_COLUMNS = 'id, name, type, instance_ref, services, archived, created_at, updated_at';

// Key counts by the status each key has at `now` (SPEC §4.4 states, evaluated at request time, by
// the same rule as the key list: a key rotated while paused counts as paused until its pause ends).
const countsSql = (now: string) => {
  const status = effectiveStatusSql('k', now);
  return `
  count(k.id)::int AS total,
  count(k.id) FILTER (WHERE ${status} = 'ACTIVE')::int AS active,
  count(k.id) FILTER (WHERE ${status} = 'PAUSED')::int AS paused,
  count(k.id) FILTER (WHERE ${status} = 'PENDING_ROTATION')::int AS pending_rotation,
  count(k.id) FILTER (WHERE ${status} = 'EXPIRED')::int AS expired,
  count(k.id) FILTER (WHERE ${status} = 'REVOKED')::int AS revoked`;
};

interface CountsRow {
  total: number;
  active: number;
  paused: number;
  pending_rotation: number;
  expired: number;
  revoked: number;
}

function counts(row: CountsRow): KeyCounts {
  return {
    total: row.total,
    active: row.active,
    paused: row.paused,
    pendingRotation: row.pending_rotation,
    expired: row.expired,
    revoked: row.revoked,
  };
}

export interface CreatedInstance {
  instance: InstanceRow;
  apiKey: string;
  keyDigest: string;
}

/**
 * Creates an instance and its first key, `Default` (SPEC §4.3), in one transaction. A generated
 * instanceRef that collides with an existing one is drawn again.
 */
export async function createInstance(
  db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> },
  input: { name: string; type: InstanceType; services: readonly Service[] },
  now: Date,
): Promise<CreatedInstance> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await db.transaction(async (tx) => {
        const instanceRef = generateInstanceRef();
        const { rows } = await tx.query<InstanceRow>(
          `INSERT INTO instances (id, name, type, instance_ref, services, archived, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, false, $6, $6) RETURNING ${INSTANCE_COLUMNS}`,
          [newInstanceId(), input.name, input.type, instanceRef, [...input.services], now],
        );
        const instance = rows[0] as InstanceRow;
        const apiKey = generateInstanceKey(instanceRef);
        const keyDigest = digestKey(apiKey);
        await tx.query(
          `INSERT INTO api_keys (id, instance_id, name, key_digest, key_preview, status, created_at, updated_at)
           VALUES ($1, $2, 'Default', $3, $4, 'ACTIVE', $5, $5)`,
          [newKeyId(), instance.id, keyDigest, keyPreview(apiKey), now],
        );
        return { instance, apiKey, keyDigest };
      });
    } catch (error) {
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

export async function listInstances(
  db: Queryable,
  now: Date,
): Promise<Array<{ instance: InstanceRow; keys: KeyCounts }>> {
  const { rows } = await db.query<InstanceRow & CountsRow>(
    `SELECT i.id, i.name, i.type, i.instance_ref, i.services, i.archived, i.created_at, i.updated_at,
            ${countsSql('$1')}
       FROM instances i LEFT JOIN api_keys k ON k.instance_id = i.id
      GROUP BY i.id ORDER BY i.created_at, i.id`,
    [now],
  );
  return rows.map((row) => ({ instance: row, keys: counts(row) }));
}

export async function getInstance(
  db: Queryable,
  id: string,
  now: Date,
): Promise<{ instance: InstanceRow; keys: KeyCounts } | null> {
  const { rows } = await db.query<InstanceRow & CountsRow>(
    `SELECT i.id, i.name, i.type, i.instance_ref, i.services, i.archived, i.created_at, i.updated_at,
            ${countsSql('$2')}
       FROM instances i LEFT JOIN api_keys k ON k.instance_id = i.id
      WHERE i.id = $1 GROUP BY i.id`,
    [id, now],
  );
  const row = rows[0];
  return row ? { instance: row, keys: counts(row) } : null;
}

/** Updates name and/or services; returns the row and the digests of its keys (to invalidate). */
export async function updateInstance(
  db: Queryable,
  id: string,
  patch: { name?: string | undefined; services?: readonly Service[] | undefined },
  now: Date,
): Promise<{ instance: InstanceRow; digests: string[] } | null> {
  const { rows } = await db.query<InstanceRow>(
    `UPDATE instances SET name = COALESCE($2, name), services = COALESCE($3, services), updated_at = $4
      WHERE id = $1 RETURNING ${INSTANCE_COLUMNS}`,
    [id, patch.name ?? null, patch.services ? [...patch.services] : null, now],
  );
  const instance = rows[0];
  return instance ? { instance, digests: await keyDigests(db, id) } : null;
}

export async function setArchived(
  db: Queryable,
  id: string,
  archived: boolean,
  now: Date,
): Promise<{ instance: InstanceRow; digests: string[] } | null> {
  const { rows } = await db.query<InstanceRow>(
    `UPDATE instances SET archived = $2, updated_at = $3 WHERE id = $1 RETURNING ${INSTANCE_COLUMNS}`,
    [id, archived, now],
  );
  const instance = rows[0];
  return instance ? { instance, digests: await keyDigests(db, id) } : null;
}

async function keyDigests(db: Queryable, instanceId: string): Promise<string[]> {
  const { rows } = await db.query<{ key_digest: string }>(
    'SELECT key_digest FROM api_keys WHERE instance_id = $1',
    [instanceId],
  );
  return rows.map((row) => row.key_digest);
}
