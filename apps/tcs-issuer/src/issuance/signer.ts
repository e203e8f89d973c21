// The signers of what tenants issue (SD-JWT VCs, status list tokens), over node:crypto: one
// signature primitive per credential, nothing else on the path, since issuance is measured against
// the bare cost of a signature.
import {
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  sign,
  X509Certificate,
} from 'node:crypto';
import type { Queryable } from '@portcullis/db';
import type { JWK } from 'jose';
import { CREDENTIAL_LIFETIME_MS, type LocalCa } from '../crypto/ca.js';
import type { Sealer } from '../crypto/seal.js';
import { type DidRow, openPrivateJwk } from '../store/dids.js';
import type { CredentialAlgorithm, CredentialSigner, SigningTenant, TenantSigners } from './types.js';

/** What {@link createCredentialSigner} signs with and as. */
export interface CredentialSignerOptions {
  alg: CredentialAlgorithm;
  /** The `iss` of what it signs. */
  issuer: string;
  /** `{ kid }` (eddsa_did) or `{ x5c }` (es256_x509), copied into every protected header. */
  header: CredentialSigner['header'];
  /** The private key: Ed25519 (`OKP`) for EdDSA, P-256 (`EC`) for ES256. Never logged, never returned. */
  privateJwk: JWK;
  /** Its public half; must be the key of `privateJwk`. */
  publicJwk: JWK;
}

/** Most protected headers (one per `typ`) a signer keeps encoded. */
const MAX_ENCODED_HEADERS = 16;

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function importPrivateKey(alg: CredentialAlgorithm, privateJwk: JWK): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  } catch {
    // OpenSSL's message adds nothing and must not carry key material on.
    throw new TypeError(`privateJwk is not a usable ${alg} private key`);
  }
  const fits =
    alg === 'EdDSA'
      ? key.asymmetricKeyType === 'ed25519'
      : key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (!fits) throw new TypeError(`privateJwk is not an ${alg === 'EdDSA' ? 'Ed25519' : 'P-256'} key`);
  return key;
}

/**
 * A {@link CredentialSigner} over node:crypto: Ed25519 (`crypto.sign(null, …)`) for EdDSA, ECDSA
 * P-256 with SHA-256 and the JOSE signature format (r ‖ s, 64 bytes) for ES256. The key is imported
 * once; each protected header is encoded once per `typ`. Signing runs synchronously on the calling
 * thread (a signature costs tens of microseconds, less than a hand-off to the thread pool).
 *
 * @throws TypeError when the private key is not of `alg`'s type or `publicJwk` is not its public half.
 * @example
 * const signer = createCredentialSigner({
 *   alg: 'EdDSA', issuer: did, header: { kid: verificationMethod }, privateJwk, publicJwk,
 * });
 * const jwt = await signer.signJwt('statuslist+jwt', { sub, iat, exp, ttl: 300, status_list });
 */
export function createCredentialSigner(options: CredentialSignerOptions): CredentialSigner {
  const { alg, issuer } = options;
  const key = importPrivateKey(alg, options.privateJwk);
  const derived = createPublicKey(key).export({ format: 'jwk' });
  const given = options.publicJwk;
  if (
    given.kty !== derived.kty ||
    given.crv !== derived.crv ||
    given.x !== derived.x ||
    given.y !== derived.y
  ) {
    throw new TypeError('publicJwk is not the public key of privateJwk');
  }
  const publicJwk: JWK = Object.freeze(
    derived.y === undefined
      ? { kty: derived.kty as string, crv: derived.crv as string, x: derived.x as string }
      : { kty: derived.kty as string, crv: derived.crv as string, x: derived.x as string, y: derived.y },
  );
  const header: CredentialSigner['header'] = Object.freeze(
    'kid' in options.header ? { kid: options.header.kid } : { x5c: Object.freeze([...options.header.x5c]) },
  );

  const signature: (input: Buffer) => Buffer =
    alg === 'EdDSA'
      ? (input) => sign(null, input, key)
      : (input) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
  const signInput = (input: string) => signature(Buffer.from(input, 'utf8')).toString('base64url');

  const encodedHeaders = new Map<string, string>();
  function encodedHeader(typ: string): string {
    let encoded = encodedHeaders.get(typ);
    if (encoded === undefined) {
      encoded = base64url(JSON.stringify({ alg, typ, ...header }));
      if (encodedHeaders.size < MAX_ENCODED_HEADERS) encodedHeaders.set(typ, encoded);
    }
    return encoded;
  }

  return Object.freeze({
    alg,
    issuer,
    header,
    publicJwk,
    async signJwt(typ: string, payload: Record<string, unknown>) {
      const input = `${encodedHeader(typ)}.${base64url(JSON.stringify(payload))}`;
      return `${input}.${signInput(input)}`;
    },
    async sign(data: string) {
      return signInput(data);
    },
  });
}

// ---------------------------------------------------------------------------------------------------------
// tenant signers

/** Options of {@link createTenantSigners}. */
export interface TenantSignersOptions {
  db: Queryable;
  /** Opens the issuing DIDs' private keys. */
  sealer: Sealer;
  /** Certifies the keys of `es256_x509` tenants. */
  ca: LocalCa;
  /** `PUBLIC_URL`; an `es256_x509` tenant issues as `PUBLIC_URL/<slug>` (a trailing `/` is dropped). */
  publicUrl: string;
  /** Clock, ms since the epoch: when a cached signer's leaf certificate is due for renewal. */
  now: () => number;
  /** Most signers kept (one per issuing DID; least recently used go first). Default 1000. */
  maxCachedSigners?: number;
}

const ISSUING_DID_COLUMNS =
  'id, tenant_id, did, verification_method, algorithm, public_jwk, private_jwk_sealed, origin, issuing, created_at';

/**
 * The tenant's issuing DID, or `null` when it has none. One indexed lookup (one issuing DID per
 * tenant); the tenant's status is not looked at, that is for the caller.
 *
 * @example
 * const row = await findIssuingDidByTenantId(db, 'ten_0123…');
 * row?.did; // 'did:key:z6Mk…'
 */
export async function findIssuingDidByTenantId(db: Queryable, tenantId: string): Promise<DidRow | null> {
  const { rows } = await db.query<DidRow>(
    `SELECT ${ISSUING_DID_COLUMNS} FROM dids WHERE tenant_id = $1 AND issuing`,
    [tenantId],
  );
  return rows[0] ?? null;
}

interface CachedSigner {
  readonly tenantId: string;
  readonly slug: string;
  readonly profile: SigningTenant['signingProfile'];
  readonly built: Promise<{ signer: CredentialSigner; renewAt: number }>;
}

/**
 * {@link TenantSigners} over the `dids` table: each call reads the tenant's issuing DID (one query)
 * and answers the signer of that DID, built once and kept per DID, so a new issuing DID takes effect
 * at once and the old one's signer is dropped. `eddsa_did`: EdDSA, `iss` = the DID, `kid` = its
 * verification method. `es256_x509`: ES256, `iss` = `PUBLIC_URL/<slug>`, `x5c` = [a leaf from the
 * local CA for the DID's key, naming that URL]; rebuilt when the leaf has less than a credential
 * lifetime left, so every credential it signs stays covered by its certificate.
 *
 * @throws (from forTenant) Error when the issuing DID's key type does not fit the tenant's signing
 * profile; SealError when its private key does not open.
 * @example
 * const signers = createTenantSigners({ db, sealer, ca, publicUrl: 'https://tcs.example', now: Date.now });
 * const signer = await signers.forTenant({ id: tenant.id, slug: 'acme', signingProfile: 'es256_x509' });
 * signer?.issuer; // 'https://tcs.example/acme'
 */
export function createTenantSigners(options: TenantSignersOptions): TenantSigners {
  const { db, sealer, ca, now } = options;
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const maxCached = options.maxCachedSigners ?? 1000;
  /** By DID id, least recently used first. */
  const cache = new Map<string, CachedSigner>();
  /** Tenant id → the DID id of its cached signer. */
  const byTenant = new Map<string, string>();

  function forget(didId: string): void {
    const entry = cache.get(didId);
    if (entry === undefined) return;
    cache.delete(didId);
    if (byTenant.get(entry.tenantId) === didId) byTenant.delete(entry.tenantId);
  }

  async function build(tenant: SigningTenant, row: DidRow) {
    const alg: CredentialAlgorithm = tenant.signingProfile === 'eddsa_did' ? 'EdDSA' : 'ES256';
    if (row.algorithm !== alg) {
      throw new Error(
        `the issuing DID of tenant ${tenant.slug} is not an ${alg} key (${tenant.signingProfile})`,
      );
    }
    const privateJwk = openPrivateJwk(sealer, row);
    const publicJwk = row.public_jwk as JWK;
    if (alg === 'EdDSA') {
      const header = { kid: row.verification_method };
      const signer = createCredentialSigner({ alg, issuer: row.did, header, privateJwk, publicJwk });
      return { signer, renewAt: Number.POSITIVE_INFINITY };
    }
    const issuer = `${publicUrl}/${tenant.slug}`;
    const leaf = await ca.issueLeaf({ publicJwk, issuerUrl: issuer, commonName: tenant.slug });
    const notAfter = Date.parse(new X509Certificate(Buffer.from(leaf, 'base64')).validTo);
    const signer = createCredentialSigner({ alg, issuer, header: { x5c: [leaf] }, privateJwk, publicJwk });
    return { signer, renewAt: notAfter - CREDENTIAL_LIFETIME_MS };
  }

  const fitsTenant =
    (tenant: SigningTenant) =>
    (entry: CachedSigner | undefined): entry is CachedSigner =>
      entry !== undefined && entry.slug === tenant.slug && entry.profile === tenant.signingProfile;

  const signers: TenantSigners = {
    async forIssuingDid(tenant, didId) {
      const cached = cache.get(didId);
      if (fitsTenant(tenant)(cached) && cached.tenantId === tenant.id) {
        const { signer, renewAt } = await cached.built;
        if (renewAt > now()) return signer;
      }
      return signers.forTenant(tenant);
    },

    async forTenant(tenant) {
      const row = await findIssuingDidByTenantId(db, tenant.id);
      if (row === null) return null;

      const fits = fitsTenant(tenant);
      const cached = cache.get(row.id);
      if (fits(cached)) {
        const { signer, renewAt } = await cached.built;
        if (renewAt > now()) {
          // Most recently used goes last, so eviction takes the idle ones.
          if (cache.get(row.id) === cached) {
            cache.delete(row.id);
            cache.set(row.id, cached);
          }
          return signer;
        }
      }
      // Another caller may have replaced a due entry meanwhile: take theirs.
      const current = cache.get(row.id);
      if (current !== cached && fits(current)) {
        return (await current.built).signer;
      }

      const previous = byTenant.get(tenant.id);
      if (previous !== undefined && previous !== row.id) forget(previous);
      forget(row.id);
      while (cache.size >= maxCached) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        forget(oldest);
      }
      const entry: CachedSigner = {
        tenantId: tenant.id,
        slug: tenant.slug,
        profile: tenant.signingProfile,
        built: build(tenant, row),
      };
      cache.set(row.id, entry);
      byTenant.set(tenant.id, row.id);
      try {
        return (await entry.built).signer;
      } catch (error) {
        if (cache.get(row.id) === entry) forget(row.id);
        throw error;
      }
    },
  };
  return signers;
}
