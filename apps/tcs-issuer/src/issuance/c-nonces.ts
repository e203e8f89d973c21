import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '@portcullis/db';
import type { Redis } from 'ioredis';

/**
 * Single-use credential nonces (`c_nonce`, OpenID4VCI 1.0 §7): issued by `POST /v1/nonce`, bound
 * into key proofs, consumed atomically by the credential request that uses them. Only a SHA-256
 * digest of each nonce is stored. A store that cannot answer throws: the request fails closed.
 */
export interface CredentialNonces {
  /** A new nonce (32 random bytes, base64url), live for the store's lifetime. */
  issue(): Promise<string>;
  /** True exactly once per live nonce, whatever the concurrency; false for unknown, expired or used ones. */
  consume(nonce: string): Promise<boolean>;
}

/** The nonce store did not answer (Redis or the database down): the request fails closed, 503. */
export class NonceStoreUnavailableError extends Error {
  override readonly name = 'NonceStoreUnavailableError';
  constructor(cause: unknown) {
    super('credential nonce store unavailable', { cause });
  }
}

/** `operation`, its failure turned into {@link NonceStoreUnavailableError}. */
async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new NonceStoreUnavailableError(error);
  }
}

// Anything longer is no nonce of ours (43 characters); refused before hashing.
const MAX_NONCE_LENGTH = 128;
const digestOf = (nonce: string) => createHash('sha256').update(nonce).digest('hex');
const newNonce = () => randomBytes(32).toString('base64url');

/**
 * Credential nonces in Redis, shared by every process: `SET <prefix><digest> 1 PX <ttl>` to issue,
 * `DEL` to consume (1 for exactly one caller).
 *
 * @example
 * const nonces = createRedisCredentialNonces({ redis, prefix: 'pc:tcs:cnonce:', ttlMs: 300_000 });
 */
export function createRedisCredentialNonces(options: {
  redis: Pick<Redis, 'set' | 'del'>;
  prefix: string;
  /** Lifetime, ms. */
  ttlMs: number;
}): CredentialNonces {
  const { redis, prefix, ttlMs } = options;
  return {
    async issue() {
      const nonce = newNonce();
      await guarded(() => redis.set(`${prefix}${digestOf(nonce)}`, '1', 'PX', ttlMs));
      return nonce;
    },
    async consume(nonce) {
      if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) return false;
      return (await guarded(() => redis.del(`${prefix}${digestOf(nonce)}`))) === 1;
    },
  };
}

/**
 * Credential nonces in Postgres (or the embedded database), for deployments without Redis:
 * consumed by one `DELETE … RETURNING`, so one caller wins. Expired rows are removed as new
 * nonces are issued (a bounded batch each time), so the table stays small.
 *
 * @example
 * const nonces = createSqlCredentialNonces({ db, ttlMs: 300_000, now: Date.now });
 */
export function createSqlCredentialNonces(options: {
  db: Queryable;
  /** Lifetime, ms. */
  ttlMs: number;
  /** Clock, ms since the epoch. */
  now: () => number;
}): CredentialNonces {
  const { db, ttlMs, now } = options;
  return {
    async issue() {
      const nonce = newNonce();
      const at = now();
      await guarded(() =>
        db.query(
          `WITH expired AS (
           DELETE FROM credential_nonces WHERE digest IN (
             SELECT digest FROM credential_nonces WHERE expires_at <= $3 LIMIT 100))
         INSERT INTO credential_nonces (digest, expires_at) VALUES ($1, $2)`,
          [digestOf(nonce), new Date(at + ttlMs), new Date(at)],
        ),
      );
      return nonce;
    },
    async consume(nonce) {
      if (nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) return false;
      const { rows } = await guarded(() =>
        db.query('DELETE FROM credential_nonces WHERE digest = $1 AND expires_at > $2 RETURNING 1', [
          digestOf(nonce),
          new Date(now()),
        ]),
      );
      return rows.length === 1;
    },
  };
}
