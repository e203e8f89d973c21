import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';

/** Issues and checks server nonces (RFC 9449 §8, §9). */
export interface NonceIssuer {
  /** A fresh nonce, valid `ttlSeconds` from now: 64 base64url characters. */
  issue(): string;
  /** True when `nonce` was issued with one of the secrets and has not expired. Never throws. */
  verify(nonce: unknown): boolean;
}

/** Options of {@link createNonceIssuer}. */
export interface NonceIssuerOptions {
  /**
   * HMAC keys, current first, then previous ones still accepted (rotation: prepend a new secret,
   * drop the oldest once `ttlSeconds` have passed). Each at least 32 bytes (strings as UTF-8).
   */
  secrets: readonly (string | Uint8Array)[];
  /** Lifetime of a nonce, in seconds. Default 300 (SPEC §6.4). */
  ttlSeconds?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

// Layout (48 bytes, 64 base64url characters):
//   version (1) | expiry, ms since the epoch, big-endian (6) | random salt (9) | HMAC-SHA-256 (32)
// The MAC covers a domain label and the first 16 bytes, so a secret shared by mistake with another
// HMAC use cannot produce valid nonces there or here.
const VERSION = 1;
const BODY_BYTES = 16;
const MAC_BYTES = 32;
const NONCE_BYTES = BODY_BYTES + MAC_BYTES;
const NONCE_CHARS = 64;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{64}$/;
const LABEL = Buffer.from('portcullis/dpop-nonce/v1\0', 'utf8');
const MIN_SECRET_BYTES = 32;
const MAX_EXPIRY_MS = 2 ** 48 - 1;

/**
 * Stateless DPoP nonces (SPEC §6.4): HMAC-SHA-256 over an expiry and a random salt with a server
 * secret, base64url. Nothing is stored, so every process holding the secrets can check any
 * nonce. `verify` accepts any listed secret (rotation without invalidating live nonces) and
 * rejects expired, malformed and tampered nonces, comparing MACs in constant time.
 *
 * A nonce is not single-use: within its lifetime it may back several proofs (each proof is still
 * single-use through its `jti`), as RFC 9449 §8 allows.
 *
 * @throws TypeError when no secret is given, one is shorter than 32 bytes, or `ttlSeconds` is not positive
 * @example
 * ```ts
 * const nonces = createNonceIssuer({ secrets: [env.DPOP_NONCE_SECRET, env.DPOP_NONCE_SECRET_PREVIOUS] });
 * ctx.set('DPoP-Nonce', nonces.issue());
 * nonces.verify(claims.nonce); // true for 300 s
 * ```
 */
export function createNonceIssuer(options: NonceIssuerOptions): NonceIssuer {
  const ttlSeconds = options.ttlSeconds ?? 300;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError('createNonceIssuer: ttlSeconds must be a positive number');
  }
  const ttlMs = Math.round(ttlSeconds * 1000);
  const now = options.now ?? Date.now;
  if (options.secrets.length === 0) throw new TypeError('createNonceIssuer: at least one secret is required');
  const keys: KeyObject[] = options.secrets.map((secret) => {
    // Copied, so a caller mutating its buffer later cannot change the key.
    const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
    if (bytes.length < MIN_SECRET_BYTES) {
      throw new TypeError(`createNonceIssuer: every secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    return createSecretKey(bytes);
  });
  const [current] = keys as [KeyObject, ...KeyObject[]];

  const mac = (key: KeyObject, body: Buffer): Buffer =>
    createHmac('sha256', key).update(LABEL).update(body).digest();

  return {
    issue() {
      const body = Buffer.alloc(BODY_BYTES);
      body.writeUInt8(VERSION, 0);
      body.writeUIntBE(Math.min(Math.max(0, Math.floor(now() + ttlMs)), MAX_EXPIRY_MS), 1, 6);
      randomBytes(9).copy(body, 7);
      return Buffer.concat([body, mac(current, body)]).toString('base64url');
    },
    verify(nonce) {
      if (typeof nonce !== 'string' || nonce.length !== NONCE_CHARS || !NONCE_PATTERN.test(nonce)) {
        return false;
      }
      // 64 characters are exactly 48 bytes: every spelling is canonical.
      const bytes = Buffer.from(nonce, 'base64url');
      if (bytes.length !== NONCE_BYTES || bytes[0] !== VERSION) return false;
      const body = bytes.subarray(0, BODY_BYTES);
      const presented = bytes.subarray(BODY_BYTES);
      // Every secret is tried, without stopping at a match, so timing does not tell which one matched.
      let matched = false;
      for (const key of keys) matched = timingSafeEqual(mac(key, body), presented) || matched;
      return matched && body.readUIntBE(1, 6) >= now();
    },
  };
}
