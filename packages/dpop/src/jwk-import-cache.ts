import { KeyObject } from 'node:crypto';
import { importJWK } from 'jose';
import { BoundedCache } from './bounded-cache.js';

// Importing a JWK costs more than verifying a signature (a P-256 import validates the point), and
// a client signs many proofs with one key. Imports are memoised by algorithm and RFC 7638
// thumbprint: the thumbprint input is exactly the members that make up the key, so two JWKs with
// one thumbprint are the same public key. Only public keys are held.
const keys = new BoundedCache<string, Promise<KeyObject | undefined>>(1_024);

/**
 * The verification key for a validated public JWK (`{ kty, crv, x[, y] }` only), or `undefined`
 * when it is refused (e.g. an EC point not on the curve). Never rejects.
 *
 * jose imports the JWK for `alg` (checking that the key type and curve suit the algorithm, and
 * that the runtime accepts the key, which for P-256 means the point is on the curve); the result
 * is held as a Node `KeyObject` for `crypto.verify`.
 */
export function importPublicKey(
  cacheKey: string,
  jwk: { kty: string; crv: string; x: string; y?: string },
  alg: string,
): Promise<KeyObject | undefined> {
  const cached = keys.get(cacheKey);
  if (cached !== undefined) return cached;
  const imported: Promise<KeyObject | undefined> = importJWK({ ...jwk }, alg).then(
    (key) => (key instanceof Uint8Array || key.type !== 'public' ? refuse() : KeyObject.from(key)),
    refuse,
  );
  function refuse(): undefined {
    // A refused key is not cached: the next proof with it pays the import again, like the first.
    if (keys.get(cacheKey) === imported) keys.delete(cacheKey);
    return undefined;
  }
  keys.set(cacheKey, imported);
  return imported;
}
