import { randomBytes, randomUUID } from 'node:crypto';
import { type Database, isUniqueViolation, type Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { generateTcsKey } from '@portcullis/key-format';
import type { DidKeyAlgorithm } from '../crypto/did-key.js';
import type { SigningProfile, TenantEnvironment, TenantStatus, TenantView } from '../schemas.js';

export interface TenantRow {
  id: string;
  slug: string;
  organization_name: string;
  owner_email: string;
  signing_profile: SigningProfile;
  environment: TenantEnvironment;
  status: TenantStatus;
  created_at: Date;
  updated_at: Date;
  approved_at: Date | null;
  suspended_at: Date | null;
}

const TENANT_COLUMNS =
  'id, slug, organization_name, owner_email, signing_profile, environment, status, created_at, updated_at, approved_at, suspended_at';

/** The signing algorithm of a profile: Ed25519 for `eddsa_did`, P-256 for `es256_x509`. */
export function profileAlgorithm(profile: SigningProfile): DidKeyAlgorithm {
  return profile === 'eddsa_did' ? 'EdDSA' : 'ES256';
}

/** The operator's view of a tenant (no secrets: those are shown once, at creation or rotation). */
export function tenantView(row: TenantRow): TenantView {
  return {
    id: row.id,
    slug: row.slug,
    organizationName: row.organization_name,
    ownerEmail: row.owner_email,
    signingProfile: row.signing_profile,
    environment: row.environment,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    approvedAt: row.approved_at?.toISOString() ?? null,
    suspendedAt: row.suspended_at?.toISOString() ?? null,
  };
}

export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/** A generated initial password: 24 base64url characters (144 random bits). */
export function generateInitialPassword(): string {
  return randomBytes(18).toString('base64url');
}

async function insertApiKey(tx: Queryable, tenantId: string, environment: string, now: Date) {
  const apiKey = generateTcsKey(environment);
  const digest = digestKey(apiKey);
  await tx.query(
    `INSERT INTO tenant_api_keys (id, tenant_id, key_digest, key_prefix, created_at) VALUES ($1, $2, $3, $4, $5)`,
    [newId('tak'), tenantId, digest, `tcs_${environment}_`, now],
  );
  return { apiKey, digest };
}

export interface NewTenant {
  slug: string;
  organizationName: string;
  ownerEmail: string;
  signingProfile: SigningProfile;
  environment: TenantEnvironment;
}

export type CreateTenantResult = Result<
  { tenant: TenantRow; uuid: string; apiKey: string; digest: string },
  'slug-exists'
>;

/**
 * Creates a pending tenant with its owner account and first API key in one transaction. The
 * caller hashes the initial password (argon2 runs outside the transaction). The unique
 * index on `slug` decides duplicates, also under concurrency.
 */
export async function createTenant(
  db: Database,
  input: NewTenant,
  passwordHash: string,
  now: Date,
): Promise<CreateTenantResult> {
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<TenantRow>(
        `INSERT INTO tenants (id, slug, organization_name, owner_email, signing_profile, environment, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) RETURNING ${TENANT_COLUMNS}`,
        [
          newId('ten'),
          input.slug,
          input.organizationName,
          input.ownerEmail,
          input.signingProfile,
          input.environment,
          now,
        ],
      );
      const tenant = rows[0] as TenantRow;
      const uuid = randomUUID();
      await tx.query(
        `INSERT INTO accounts (uuid, tenant_id, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $4)`,
        [uuid, tenant.id, passwordHash, now],
      );
      const { apiKey, digest } = await insertApiKey(tx, tenant.id, input.environment, now);
      return { ok: true as const, tenant, uuid, apiKey, digest };
    });
  } catch (error) {
    if (isUniqueViolation(error)) return { ok: false, reason: 'slug-exists' };
    throw error;
  }
}

/** Every tenant, oldest first. */
export async function listTenants(db: Queryable): Promise<TenantRow[]> {
  const { rows } = await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY created_at, id`);
  return rows;
}

/** One tenant by slug, or `null`. */
export async function getTenant(db: Queryable, slug: string): Promise<TenantRow | null> {
  const { rows } = await db.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE slug = $1`, [slug]);
  return rows[0] ?? null;
}

export type StatusAction = 'approve' | 'suspend';

/** The tenant after the change, or why not; an invalid transition names the status it met. */
export type StatusChangeResult =
  | Result<
      {
        tenant: TenantRow;
        /** False when the tenant already had the target status (the call is idempotent). */
        changed: boolean;
        /** Digests of the tenant's live API keys, to invalidate in every process's cache. */
        digests: string[];
      },
      'not-found'
    >
  | { ok: false; reason: 'invalid-transition'; status: TenantStatus };

/**
 * Moves a tenant along pending → approved ⇄ suspended, under a row lock so concurrent operators
 * see one order. Approving an already approved tenant (or suspending a suspended one) changes
 * nothing; suspending a pending tenant is refused. `onApproved` runs in the same transaction after
 * a change to approved (the app creates the tenant's first DID there).
 */
export async function changeStatus(
  db: Database,
  slug: string,
  action: StatusAction,
  now: Date,
  onApproved: (tx: Queryable, tenant: TenantRow) => Promise<void>,
): Promise<StatusChangeResult> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<TenantRow>(
      `SELECT ${TENANT_COLUMNS} FROM tenants WHERE slug = $1 FOR UPDATE`,
      [slug],
    );
    const current = rows[0];
    if (!current) return { ok: false, reason: 'not-found' };
    const target: TenantStatus = action === 'approve' ? 'approved' : 'suspended';
    const digests = await liveDigests(tx, current.id);
    if (current.status === target) return { ok: true, tenant: current, changed: false, digests };
    if (action === 'suspend' && current.status !== 'approved') {
      return { ok: false, reason: 'invalid-transition', status: current.status };
    }
    const updated = await tx.query<TenantRow>(
      `UPDATE tenants SET status = $2, updated_at = $3,
         approved_at = CASE WHEN $2 = 'approved' THEN $3 ELSE approved_at END,
         suspended_at = CASE WHEN $2 = 'suspended' THEN $3 ELSE NULL END
       WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
      [current.id, target, now],
    );
    const tenant = updated.rows[0] as TenantRow;
    if (target === 'approved') await onApproved(tx, tenant);
    return { ok: true, tenant, changed: true, digests };
  });
}

async function liveDigests(tx: Queryable, tenantId: string): Promise<string[]> {
  const { rows } = await tx.query<{ key_digest: string }>(
    'SELECT key_digest FROM tenant_api_keys WHERE tenant_id = $1 AND revoked_at IS NULL',
    [tenantId],
  );
  return rows.map((row) => row.key_digest);
}

export type RotateApiKeyResult = Result<
  { tenant: TenantRow; apiKey: string; revokedDigests: string[]; digest: string },
  'not-found'
>;

/**
 * Replaces the tenant's API key: the old one stops working at once (no overlap: the operator
 * rotates because a key leaked), the new one is returned once. One transaction under the tenant's
 * row lock, so two concurrent rotations leave exactly one live key.
 */
export async function rotateApiKey(db: Database, slug: string, now: Date): Promise<RotateApiKeyResult> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<TenantRow>(
      `SELECT ${TENANT_COLUMNS} FROM tenants WHERE slug = $1 FOR UPDATE`,
      [slug],
    );
    const tenant = rows[0];
    if (!tenant) return { ok: false, reason: 'not-found' };
    const revoked = await tx.query<{ key_digest: string }>(
      `UPDATE tenant_api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING key_digest`,
      [tenant.id, now],
    );
    const { apiKey, digest } = await insertApiKey(tx, tenant.id, tenant.environment, now);
    return {
      ok: true,
      tenant,
      apiKey,
      digest,
      revokedDigests: revoked.rows.map((row) => row.key_digest),
    };
  });
}

/** What the API-key guard needs about a key: cached by digest (no plaintext anywhere). */
export interface TenantKeyRow {
  keyId: string;
  tenantId: string;
  slug: string;
  status: TenantStatus;
  signingProfile: SigningProfile;
  environment: TenantEnvironment;
  revoked: boolean;
}

/** The key-cache loader: the key's tenant by SHA-256 digest, or `null` when unknown. */
export async function findTenantKey(db: Queryable, digest: string): Promise<TenantKeyRow | null> {
  const { rows } = await db.query<{
    id: string;
    tenant_id: string;
    slug: string;
    status: TenantStatus;
    signing_profile: SigningProfile;
    environment: TenantEnvironment;
    revoked_at: Date | null;
  }>(
    `SELECT k.id, k.tenant_id, t.slug, t.status, t.signing_profile, t.environment, k.revoked_at
       FROM tenant_api_keys k JOIN tenants t ON t.id = k.tenant_id
      WHERE k.key_digest = $1`,
    [digest],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    keyId: row.id,
    tenantId: row.tenant_id,
    slug: row.slug,
    status: row.status,
    signingProfile: row.signing_profile,
    environment: row.environment,
    revoked: row.revoked_at !== null,
  };
}
