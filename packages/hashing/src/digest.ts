import { hash } from 'node:crypto';

/**
 * SHA-256 digest of a full API key or management token, as stored at rest and used as the
 * lookup key (SPEC §3, published for TCS: `SHA-256(full key)` as lowercase hex).
 *
 * The key is hashed as UTF-8 bytes, whole, prefix included (`tcs_production_…`,
 * `trusset_…`), so a digest can never match a key of another kind. Keys are high-entropy
 * random strings, so a fast unsalted hash is the right tool here; human-chosen passwords go
 * through `createPasswordHasher` (argon2id) instead.
 *
 * @param key - The full plaintext key exactly as presented by the client.
 * @returns 64 lowercase hexadecimal characters (32 bytes).
 *
 * @example
 * ```ts
 * const digest = digestKey('tcs_production_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718');
 * // 'e0bc0d68fe91795bc8bf299f3c64935be33ab9181b18c87fcf220a12e7bbceec'
 * const row = await db.query('SELECT … FROM api_keys WHERE key_digest = $1', [digest]);
 * ```
 */
export function digestKey(key: string): string {
  // One-shot crypto.hash (Node ≥ 20.12) costs about a third of createHash().update().digest():
  // this runs on every authenticated request. Strings are hashed as UTF-8, as before.
  return hash('sha256', key, 'hex');
}
