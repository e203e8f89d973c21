import { createPublicKey, verify as cryptoVerify, type KeyObject, randomUUID } from 'node:crypto';
import type { Database } from '@portcullis/db';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { BASE64URL, decodeJsonSegment } from './crypto/jws-parts.js';
import type { Sealer } from './crypto/seal.js';
import type { JwksView, PublicSigningJwk } from './schemas.js';

/** The registry session a login access token stands for. */
interface SessionClaims {
  /** The account uuid (the login name). */
  sub: string;
  /** The tenant id. */
  tenant: string;
  /** The account's `password_version` when the token was issued. */
  pwv: number;
}

export interface TokenService {
  /** Makes sure an active signing key exists (the first process to start creates it) and loads the keys. */
  start(): Promise<void>;
  /** A signed login access token and its lifetime in seconds. */
  issue(claims: SessionClaims): Promise<{ token: string; expiresIn: number }>;
  /** The claims of a valid login access token, or `null` for anything else (never throws on input). */
  verify(token: string): Promise<SessionClaims | null>;
  /** The JWKS document: every signing key's public half. */
  jwks(): JwksView;
  /** A signed issuance access token (audience the credential endpoint) and its lifetime in seconds. */
  issueAccess(claims: IssuanceClaims): Promise<{ token: string; expiresIn: number }>;
  /** The claims of a valid issuance access token, or `null` for anything else (never throws on input). */
  verifyAccess(token: string): Promise<IssuanceClaims | null>;
}

/** What an issuance access token stands for (OpenID4VCI pre-authorized code flow). */
interface IssuanceClaims {
  /** The tenant id. */
  tenant: string;
  /** The offer whose code was exchanged. */
  offer: string;
  /** The credential configuration ids the token covers. */
  configurations: string[];
  /** RFC 7638 thumbprint of the DPoP key the token is bound to (`cnf.jkt`), when it is. */
  jkt?: string | undefined;
}

export interface TokenServiceOptions {
  db: Database;
  sealer: Sealer;
  /** The `iss` of every token: the issuer's `PUBLIC_URL`. */
  issuer: string;
  /** Token lifetime, seconds (900, 15 minutes, unless configured). */
  ttlSeconds: number;
  /** Clock, ms since the epoch. */
  now: () => number;
  /** Audience of issuance access tokens: the credential endpoint URL. */
  credentialEndpoint: string;
  /** Issuance access token lifetime, seconds. */
  issuanceTtlSeconds: number;
}

// Login tokens are for the Trust Registry API only. Issuance access tokens are signed
// by the same server key, so the audience keeps the two apart: one can never stand for the other.
const REGISTRY_AUDIENCE_SUFFIX = '/v1';
const TOKEN_TYPE = 'at+jwt';
// Tokens longer than this are refused before any parsing (ours are ~500 characters).
const MAX_TOKEN_LENGTH = 4096;

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

interface LoadedKey {
  /** The public key for `node:crypto.verify` (one-shot, no WebCrypto round trip). */
  verifyKey: KeyObject;
  kid: string;
  privateKey: ImportedKey;
  publicKey: ImportedKey;
  publicJwk: PublicSigningJwk;
}

/**
 * The issuer's login access tokens: ES256 JWTs (`typ: at+jwt`, RFC 9068) with `kid`,
 * `iss` = `PUBLIC_URL`, `aud` = `PUBLIC_URL/v1`, `sub` = account uuid, `tenant`, `pwv`, `jti`,
 * and a 15-minute `exp`. The signing key lives in the database, sealed, shared by every process.
 *
 * @example
 * const tokens = createTokenService({ db, sealer, issuer: 'https://tcs.example', ttlSeconds: 900, now: Date.now });
 * await tokens.start();
 * const { token } = await tokens.issue({ sub: uuid, tenant: tenantId, pwv: 1 });
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const { db, sealer, issuer, ttlSeconds, now, credentialEndpoint, issuanceTtlSeconds } = options;
  const audience = `${issuer.replace(/\/+$/, '')}${REGISTRY_AUDIENCE_SUFFIX}`;
  const keys = new Map<string, LoadedKey>();
  let active: LoadedKey | undefined;

  async function load(): Promise<void> {
    const { rows } = await db.query<{
      kid: string;
      /** As `createKey` stored it: `{ kty, crv, x, y }`. */
      public_jwk: Omit<PublicSigningJwk, 'kid' | 'alg' | 'use'>;
      private_jwk_sealed: string;
      active: boolean;
    }>('SELECT kid, public_jwk, private_jwk_sealed, active FROM signing_keys ORDER BY created_at');
    keys.clear();
    active = undefined;
    for (const row of rows) {
      const privateJwk = JSON.parse(sealer.open(row.private_jwk_sealed, row.kid)) as JWK;
      const loaded: LoadedKey = {
        kid: row.kid,
        privateKey: await importJWK(privateJwk, 'ES256'),
        publicKey: await importJWK(row.public_jwk, 'ES256'),
        verifyKey: createPublicKey({ key: { ...row.public_jwk }, format: 'jwk' }),
        publicJwk: { ...row.public_jwk, kid: row.kid, alg: 'ES256', use: 'sig' },
      };
      keys.set(row.kid, loaded);
      if (row.active) active = loaded;
    }
  }

  async function createKey(): Promise<void> {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const { kty, crv, x, y } = await exportJWK(pair.publicKey);
    if (kty !== 'EC' || crv !== 'P-256' || !x || !y)
      throw new Error('ES256 key export gave no EC public key');
    const publicJwk = { kty, crv, x, y };
    const kid = await calculateJwkThumbprint(publicJwk);
    // Two processes starting together: the unique index on the active flag lets one insert win.
    await db.query(
      `INSERT INTO signing_keys (kid, algorithm, public_jwk, private_jwk_sealed, active, created_at)
       VALUES ($1, 'ES256', $2, $3, true, $4) ON CONFLICT DO NOTHING`,
      [kid, JSON.stringify(publicJwk), sealer.seal(JSON.stringify(privateJwk), kid), new Date(now())],
    );
  }

  return {
    async start() {
      await load();
      if (active) return;
      await createKey();
      await load();
      if (!active) throw new Error('no active token signing key after creating one');
    },

    async issue(claims) {
      if (!active) throw new Error('token service not started');
      const issuedAt = Math.floor(now() / 1000);
      const token = await new SignJWT({ tenant: claims.tenant, pwv: claims.pwv })
        .setProtectedHeader({ alg: 'ES256', kid: active.kid, typ: TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(claims.sub)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(active.privateKey);
      return { token, expiresIn: ttlSeconds };
    },

    async verify(token) {
      const payload = await verified(token, audience);
      if (payload === null) return null;
      const { sub, tenant, pwv } = payload;
      if (typeof sub !== 'string' || typeof tenant !== 'string') return null;
      if (typeof pwv !== 'number' || !Number.isSafeInteger(pwv)) return null;
      return { sub, tenant, pwv };
    },

    async issueAccess(claims) {
      if (!active) throw new Error('token service not started');
      const issuedAt = Math.floor(now() / 1000);
      const token = await new SignJWT({
        tenant: claims.tenant,
        credential_configuration_ids: claims.configurations,
        ...(claims.jkt === undefined ? {} : { cnf: { jkt: claims.jkt } }),
      })
        .setProtectedHeader({ alg: 'ES256', kid: active.kid, typ: TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(credentialEndpoint)
        .setSubject(claims.offer)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + issuanceTtlSeconds)
        .sign(active.privateKey);
      return { token, expiresIn: issuanceTtlSeconds };
    },

    async verifyAccess(token) {
      const payload = await verified(token, credentialEndpoint);
      if (payload === null) return null;
      const { sub, tenant, credential_configuration_ids: configurations, cnf } = payload;
      if (typeof sub !== 'string' || typeof tenant !== 'string') return null;
      if (!Array.isArray(configurations) || !configurations.every((id) => typeof id === 'string'))
        return null;
      let jkt: string | undefined;
      if (cnf !== undefined) {
        const bound = (cnf as { jkt?: unknown } | null)?.jkt;
        if (typeof bound !== 'string') return null;
        jkt = bound;
      }
      return { tenant, offer: sub, configurations, jkt };
    },

    jwks() {
      return { keys: [...keys.values()].map((key) => key.publicJwk) };
    },
  };

  /**
   * The payload of a token of ours for `aud`, or null for anything else. Checked by hand with the
   * one-shot `node:crypto.verify` (jose verifies through WebCrypto, several times slower on the
   * credential endpoint's hot path): compact form, header `{ alg: ES256, typ: at+jwt, kid }` of a
   * key of ours and no `crit`, the signature, then `iss`, `aud` (a string, or an array holding it),
   * `sub`, `jti`, `iat` and `exp` present, `exp` and `nbf` against the clock with 5 s of tolerance.
   */
  async function verified(token: string, aud: string): Promise<JWTPayload | null> {
    if (token.length > MAX_TOKEN_LENGTH) return null;
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
    const header = decodeJsonSegment(encodedHeader);
    if (header === null || header.alg !== 'ES256' || header.typ !== TOKEN_TYPE) return null;
    if (header.crit !== undefined || typeof header.kid !== 'string') return null;
    const key = keys.get(header.kid);
    if (key === undefined || !BASE64URL.test(encodedSignature)) return null;
    const signature = Buffer.from(encodedSignature, 'base64url');
    // Canonical encoding only: one token, one string (unused low bits of the last character set
    // would decode to the same signature).
    if (signature.length !== 64 || signature.toString('base64url') !== encodedSignature) return null;
    const signed = cryptoVerify(
      'sha256',
      Buffer.from(`${encodedHeader}.${encodedPayload}`),
      { key: key.verifyKey, dsaEncoding: 'ieee-p1363' },
      signature,
    );
    if (!signed) return null;
    const payload = decodeJsonSegment(encodedPayload) as JWTPayload | null;
    if (payload === null || payload.iss !== issuer) return null;
    const audience = payload.aud;
    if (!(audience === aud || (Array.isArray(audience) && audience.includes(aud)))) return null;
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return null;
    const { exp, iat, nbf } = payload;
    if (
      typeof exp !== 'number' ||
      typeof iat !== 'number' ||
      !Number.isFinite(exp) ||
      !Number.isFinite(iat)
    ) {
      return null;
    }
    // Whole seconds, as NumericDate claims are compared (RFC 7519 §2).
    const nowSeconds = Math.floor(now() / 1000);
    if (exp <= nowSeconds - CLOCK_TOLERANCE_SECONDS) return null;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + CLOCK_TOLERANCE_SECONDS))
      return null;
    return payload;
  }
}

/** Leeway on `exp` and `nbf`, seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;
