import type { Queryable } from '@portcullis/db';
import type { SigningProfile, TenantStatus } from '../schemas.js';

/** A tenant's login account with what login and every authenticated request decide on. */
export interface AccountRow {
  uuid: string;
  tenantId: string;
  slug: string;
  status: TenantStatus;
  signingProfile: SigningProfile;
  passwordHash: string;
  passwordVersion: number;
}

// Postgres rejects a malformed uuid literal with an error; a login with one must be a 401, not a
// 500, so the shape is checked before the query.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The account of a login uuid with its tenant, or `null` (also for a string that is no uuid). */
export async function findAccount(db: Queryable, uuid: string): Promise<AccountRow | null> {
  if (!UUID.test(uuid)) return null;
  const { rows } = await db.query<{
    uuid: string;
    tenant_id: string;
    slug: string;
    status: TenantStatus;
    signing_profile: SigningProfile;
    password_hash: string;
    password_version: number;
  }>(
    `SELECT a.uuid, a.tenant_id, t.slug, t.status, t.signing_profile, a.password_hash, a.password_version
       FROM accounts a JOIN tenants t ON t.id = a.tenant_id
      WHERE a.uuid = $1`,
    [uuid.toLowerCase()],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    uuid: row.uuid,
    tenantId: row.tenant_id,
    slug: row.slug,
    status: row.status,
    signingProfile: row.signing_profile,
    passwordHash: row.password_hash,
    passwordVersion: row.password_version,
  };
}

/**
 * Stores a rehash of the same password (new argon2 parameters) only if the stored hash
 * is still the one that was verified: a concurrent password change wins.
 */
export async function replacePasswordHash(
  db: Queryable,
  uuid: string,
  verifiedHash: string,
  newHash: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE accounts SET password_hash = $3 WHERE uuid = $1 AND password_hash = $2',
    [uuid, verifiedHash, newHash],
  );
  return rowCount === 1;
}

/**
 * Sets a new password and bumps `password_version` (ending every earlier session), if the
 * version is still the one the caller verified against: of two concurrent changes, one wins and
 * the other gets `null`. Returns the new version.
 */
export async function changePassword(
  db: Queryable,
  uuid: string,
  verifiedVersion: number,
  newHash: string,
  now: Date,
): Promise<number | null> {
  const { rows } = await db.query<{ password_version: number }>(
    `UPDATE accounts SET password_hash = $3, password_version = password_version + 1, password_changed_at = $4
      WHERE uuid = $1 AND password_version = $2 RETURNING password_version`,
    [uuid, verifiedVersion, newHash, now],
  );
  return rows[0]?.password_version ?? null;
}
