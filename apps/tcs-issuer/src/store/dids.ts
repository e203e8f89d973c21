import type { Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import type { JWK } from 'jose';
import type { DidKey, DidKeyAlgorithm } from '../crypto/did-key.js';
import type { Sealer } from '../crypto/seal.js';
import type { DidView, PublicJwk } from '../schemas.js';
import { newId } from './tenants.js';

export interface DidRow {
  id: string;
  tenant_id: string;
  did: string;
  verification_method: string;
  algorithm: DidKeyAlgorithm;
  /** As `did-key` derived it: `{ kty, crv, x }` (Ed25519) or `{ kty, crv, x, y }` (P-256). */
  public_jwk: PublicJwk;
  private_jwk_sealed: string;
  origin: 'generated' | 'imported';
  issuing: boolean;
  created_at: Date;
}

/**
 * Most DIDs a tenant may hold, generated and imported together (ours: the published API sets no number).
 * A tenant needs one issuing DID and a few retired ones for credentials still being verified;
 * the cap keeps a stolen login from filling the database with sealed keys.
 */
export const MAX_DIDS_PER_TENANT = 20;
/** The 409 message past {@link MAX_DIDS_PER_TENANT}. */
export const DID_LIMIT_MESSAGE = `DID limit reached: a tenant holds at most ${MAX_DIDS_PER_TENANT} DIDs`;

const DID_COLUMNS =
  'id, tenant_id, did, verification_method, algorithm, public_jwk, private_jwk_sealed, origin, issuing, created_at';

/** A tenant's view of one DID: public material only. */
export function didView(row: DidRow): DidView {
  return {
    id: row.id,
    did: row.did,
    verificationMethod: row.verification_method,
    algorithm: row.algorithm,
    publicJwk: row.public_jwk,
    origin: row.origin,
    issuing: row.issuing,
    createdAt: row.created_at.toISOString(),
  };
}

/** The tenant's DIDs, oldest first. */
export async function listDids(db: Queryable, tenantId: string): Promise<DidRow[]> {
  const { rows } = await db.query<DidRow>(
    `SELECT ${DID_COLUMNS} FROM dids WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return rows;
}

/** True when the tenant has at least one DID. */
export async function hasDid(db: Queryable, tenantId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM dids WHERE tenant_id = $1 LIMIT 1', [tenantId]);
  return rows.length > 0;
}

/** The outcome of {@link insertIssuingDid}: the stored DID, or the tenant is at its cap. */
export type InsertDidResult = Result<{ row: DidRow }, 'limit'>;

/**
 * Stores a DID with its private key sealed (bound to the DID string) and makes it the tenant's
 * issuing key, unless the tenant already holds {@link MAX_DIDS_PER_TENANT}. Run inside a
 * transaction: it first locks the tenant's row, so the DID changes of one tenant are serialised
 * across processes — the count is exact under any concurrency, and the switch of the issuing DID
 * (clear the old flag, insert the new one) never races another (the partial unique index, one
 * issuing DID per tenant, is the backstop, not the mechanism). A DID already registered (by any
 * tenant) is a unique violation.
 */
export async function insertIssuingDid(
  tx: Queryable,
  sealer: Sealer,
  tenantId: string,
  didKey: DidKey,
  privateJwk: JWK,
  origin: 'generated' | 'imported',
  now: Date,
): Promise<InsertDidResult> {
  const { rows: locked } = await tx.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
  // Tenants are never deleted and every caller holds a checked session or the row itself.
  if (locked.length === 0) throw new Error(`DID insert for a tenant that does not exist: ${tenantId}`);
  const { rows: counted } = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM dids WHERE tenant_id = $1',
    [tenantId],
  );
  if ((counted[0]?.n ?? 0) >= MAX_DIDS_PER_TENANT) return { ok: false, reason: 'limit' };
  await tx.query('UPDATE dids SET issuing = false WHERE tenant_id = $1 AND issuing', [tenantId]);
  const { rows } = await tx.query<DidRow>(
    `INSERT INTO dids (id, tenant_id, did, verification_method, algorithm, public_jwk, private_jwk_sealed, origin, issuing, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9) RETURNING ${DID_COLUMNS}`,
    [
      newId('did'),
      tenantId,
      didKey.did,
      didKey.verificationMethod,
      didKey.algorithm,
      JSON.stringify(didKey.publicJwk),
      sealer.seal(JSON.stringify(privateJwk), didKey.did),
      origin,
      now,
    ],
  );
  return { ok: true, row: rows[0] as DidRow };
}

/** The issuing DID of an approved tenant, by slug, or `null`. */
export async function findIssuingDidBySlug(db: Queryable, slug: string): Promise<DidRow | null> {
  const { rows } = await db.query<DidRow>(
    `SELECT ${DID_COLUMNS.split(', ')
      .map((c) => `d.${c}`)
      .join(', ')}
       FROM dids d JOIN tenants t ON t.id = d.tenant_id
      WHERE t.slug = $1 AND t.status = 'approved' AND d.issuing`,
    [slug],
  );
  return rows[0] ?? null;
}

/** The private JWK of a stored DID (opens the seal; throws SealError when the key-encryption key is wrong). */
export function openPrivateJwk(sealer: Sealer, row: DidRow): JWK {
  return JSON.parse(sealer.open(row.private_jwk_sealed, row.did)) as JWK;
}
