import { createHash, createHmac, randomBytes, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Queryable } from '@portcullis/db';
import type { Sealer } from '../crypto/seal.js';
import type { SigningProfile, TenantStatus } from '../schemas.js';

// Offers of the pre-authorized code flow. The code is 32 random bytes (base64url), looked up by
// its SHA-256 digest and kept sealed only to show it again in the public offer until it is spent.
// The optional tx_code (6 digits) is kept as an HMAC under a server key: six digits hashed plainly
// would be read back by anyone holding the database.

/** Wrong tx_code answers an offer takes; the last one spends its code. */
const MAX_TX_CODE_FAILURES = 5;
/** Longest pre-authorized code looked up (ours are 43 characters). */
const MAX_CODE_LENGTH = 512;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const txDigest = (key: Uint8Array, offerId: string, txCode: string) =>
  createHmac('sha256', key).update(`${offerId}:${txCode}`).digest('hex');

export interface NewOffer {
  tenantId: string;
  credentialConfigurationId: string;
  claims: Record<string, unknown>;
  expiresInSeconds: number;
  txCode: boolean;
  now: Date;
}

export interface CreatedOffer {
  offerId: string;
  /** The pre-authorized code (secret). */
  code: string;
  /** The 6-digit transaction code, when asked for (secret, shown once). */
  txCode: string | undefined;
  expiresAt: Date;
}

/**
 * Stores a new offer with a fresh pre-authorized code (and tx_code when asked).
 *
 * @example
 * const offer = await createOffer(db, sealer, txKey, { tenantId, credentialConfigurationId, claims, expiresInSeconds: 3600, txCode: true, now: new Date() });
 */
export async function createOffer(
  db: Queryable,
  sealer: Sealer,
  txKey: Uint8Array,
  input: NewOffer,
): Promise<CreatedOffer> {
  const offerId = randomUUID();
  const code = randomBytes(32).toString('base64url');
  const txCode = input.txCode ? String(randomInt(0, 1_000_000)).padStart(6, '0') : undefined;
  const expiresAt = new Date(input.now.getTime() + input.expiresInSeconds * 1000);
  await db.query(
    `INSERT INTO offers (id, tenant_id, credential_configuration_id, claims, code_digest, code_sealed,
                         tx_code_digest, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      offerId,
      input.tenantId,
      input.credentialConfigurationId,
      JSON.stringify(input.claims),
      sha256(code),
      sealer.seal(code, `offer:${offerId}`),
      txCode === undefined ? null : txDigest(txKey, offerId, txCode),
      input.now,
      expiresAt,
    ],
  );
  return { offerId, code, txCode, expiresAt };
}

/** What the public offer document shows: only while the offer is live (not expired, not spent). */
export interface LiveOffer {
  slug: string;
  credentialConfigurationId: string;
  code: string;
  hasTxCode: boolean;
}

/** The live offer `offerId`, or null once expired or spent (or never made). */
export async function findLiveOffer(
  db: Queryable,
  sealer: Sealer,
  offerId: string,
  now: Date,
): Promise<LiveOffer | null> {
  const { rows } = await db.query<{
    id: string;
    slug: string;
    credential_configuration_id: string;
    code_sealed: string;
    has_tx_code: boolean;
  }>(
    `SELECT o.id, t.slug, o.credential_configuration_id, o.code_sealed, o.tx_code_digest IS NOT NULL AS has_tx_code
       FROM offers o JOIN tenants t ON t.id = o.tenant_id
      WHERE o.id = $1 AND o.spent_at IS NULL AND o.expires_at > $2`,
    [offerId, now],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    slug: row.slug,
    credentialConfigurationId: row.credential_configuration_id,
    // The stored id, not the caller's spelling: a uuid matches in any letter case, its seal only in
    // the one it was sealed with.
    code: sealer.open(row.code_sealed, `offer:${row.id}`),
    hasTxCode: row.has_tx_code,
  };
}

/** An offer found by its code at the token endpoint, with its tenant. */
export interface RedeemableOffer {
  offerId: string;
  tenantId: string;
  slug: string;
  signingProfile: SigningProfile;
  tenantStatus: TenantStatus;
  credentialConfigurationId: string;
  txCodeDigest: string | null;
}

/** The unspent, unexpired offer whose code is `code`, or null. Spends nothing. */
export async function findOfferByCode(
  db: Queryable,
  code: string,
  now: Date,
): Promise<RedeemableOffer | null> {
  if (code.length === 0 || code.length > MAX_CODE_LENGTH) return null;
  const { rows } = await db.query<{
    id: string;
    tenant_id: string;
    slug: string;
    signing_profile: SigningProfile;
    status: TenantStatus;
    credential_configuration_id: string;
    tx_code_digest: string | null;
  }>(
    `SELECT o.id, o.tenant_id, t.slug, t.signing_profile, t.status, o.credential_configuration_id, o.tx_code_digest
       FROM offers o JOIN tenants t ON t.id = o.tenant_id
      WHERE o.code_digest = $1 AND o.spent_at IS NULL AND o.expires_at > $2`,
    [sha256(code), now],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    offerId: row.id,
    tenantId: row.tenant_id,
    slug: row.slug,
    signingProfile: row.signing_profile,
    tenantStatus: row.status,
    credentialConfigurationId: row.credential_configuration_id,
    txCodeDigest: row.tx_code_digest,
  };
}

/** True when `txCode` is the offer's transaction code (HMACs compared in constant time). */
export function txCodeMatches(txKey: Uint8Array, offer: RedeemableOffer, txCode: string): boolean {
  if (offer.txCodeDigest === null) return false;
  const expected = Buffer.from(offer.txCodeDigest, 'hex');
  const given = Buffer.from(txDigest(txKey, offer.offerId, txCode), 'hex');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Counts a wrong tx_code in one conditional UPDATE: `retry` while attempts remain, `spent` when
 * this was the last allowed one (the code is spent with it) or the offer was already spent or
 * expired meanwhile.
 */
export async function recordWrongTxCode(
  db: Queryable,
  offerId: string,
  now: Date,
): Promise<'retry' | 'spent'> {
  const { rows } = await db.query<{ failures: number }>(
    `UPDATE offers
        SET tx_code_failures = tx_code_failures + 1,
            spent_at = CASE WHEN tx_code_failures + 1 >= $3 THEN $2 ELSE NULL END
      WHERE id = $1 AND spent_at IS NULL AND expires_at > $2
      RETURNING tx_code_failures AS failures`,
    [offerId, now, MAX_TX_CODE_FAILURES],
  );
  const failures = rows[0]?.failures;
  return failures !== undefined && failures < MAX_TX_CODE_FAILURES ? 'retry' : 'spent';
}

/** Spends the code by its one successful exchange: true for exactly one caller, whatever the concurrency. */
export async function redeemOffer(db: Queryable, offerId: string, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    `UPDATE offers SET spent_at = $2, redeemed = true
      WHERE id = $1 AND spent_at IS NULL AND expires_at > $2 RETURNING 1`,
    [offerId, now],
  );
  return rows.length === 1;
}

/** Everything a credential request needs about its offer and tenant, read in one query. */
export interface IssuanceContext {
  tenant: { id: string; slug: string; signingProfile: SigningProfile; status: TenantStatus };
  claims: Record<string, unknown>;
  credentialConfigurationId: string;
}

/**
 * The offer an issuance token was granted for, with its tenant (status as of now: it may have
 * been suspended since): one round trip. `null` when the offer is gone or not the tenant's.
 *
 * @example
 * const context = await issuanceContext(db, { offerId: claims.offer, tenantId: claims.tenant });
 */
export async function issuanceContext(
  db: Queryable,
  grant: { offerId: string; tenantId: string },
): Promise<IssuanceContext | null> {
  const { rows } = await db.query<{
    id: string;
    slug: string;
    signing_profile: SigningProfile;
    status: TenantStatus;
    claims: Record<string, unknown>;
    credential_configuration_id: string;
  }>(
    `SELECT t.id, t.slug, t.signing_profile, t.status, o.claims, o.credential_configuration_id
       FROM offers o
       JOIN tenants t ON t.id = o.tenant_id
      WHERE o.id = $1 AND o.tenant_id = $2`,
    [grant.offerId, grant.tenantId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    tenant: { id: row.id, slug: row.slug, signingProfile: row.signing_profile, status: row.status },
    claims: row.claims,
    credentialConfigurationId: row.credential_configuration_id,
  };
}
