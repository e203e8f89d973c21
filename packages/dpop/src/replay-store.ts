import { sha256Base64url } from './thumbprint.js';

/**
 * Remembers DPoP proof identifiers (RFC 9449 §11.1) so a proof is accepted at most once.
 *
 * `remember` must be atomic: of any number of concurrent calls with the same `jkt` and `jti`
 * within `ttlMs`, exactly one answers `true`. It throws, rejects or never settles only when the
 * store cannot answer; the verifier then fails closed (`DpopInfrastructureError`).
 */
export interface ReplayStore {
  /**
   * Records `jti` for the key `jkt` for `ttlMs` milliseconds.
   *
   * @returns `true` the first time the pair is seen within its TTL, `false` for a replay. A store
   * that never waits (the memory store) may answer synchronously.
   */
  remember(jkt: string, jti: string, ttlMs: number): Promise<boolean> | boolean;
}

/**
 * Thrown by {@link createMemoryReplayStore} when it holds `maxEntries` unexpired identifiers: it
 * refuses new ones rather than forget live ones (which would let their proofs be replayed).
 */
export class ReplayStoreFullError extends Error {
  override readonly name = 'ReplayStoreFullError';
  constructor() {
    super('DPoP replay store is full');
  }
}

/**
 * The stored form of a `jti`: its SHA-256, base64url. A client chooses `jti` freely (up to 256
 * characters, any Unicode, NUL included), so stores keep a fixed-size digest that any key-value
 * or `text` column accepts.
 */
export function jtiDigest(jti: string): string {
  return sha256Base64url(jti);
}

/** A TTL as a whole number of milliseconds ≥ 1 (Redis `PX` and expiry columns need one). */
export function ttlOf(ttlMs: number): number {
  return Number.isFinite(ttlMs) && ttlMs >= 1 ? Math.ceil(ttlMs) : 1;
}
