import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';

/** JWK encodings requested from the key generation itself (Node's types have no overload for them). */
const JWK_ENCODINGS = {
  privateKeyEncoding: { format: 'jwk' },
  publicKeyEncoding: { format: 'jwk' },
} as const;

/**
 * A new key pair as JWKs — P-256 for `ES256`, Ed25519 for `EdDSA` — encoded by the key generation
 * itself. Exporting a JWK from a key object that `generateKeyPairSync` returned can deadlock
 * Node's garbage collector (seen on Node 20: the generation job's destructor, run by a collection
 * during the export, waits for the key's lock that the export holds; a loop of such exports hangs
 * within seconds under a small young generation). Import the private JWK with `createPrivateKey`
 * to sign.
 *
 * @example
 * const { publicJwk, privateJwk } = generateJwkPair('ES256');
 * const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
 */
export function generateJwkPair(alg: 'ES256' | 'EdDSA'): { publicJwk: JsonWebKey; privateJwk: JsonWebKey } {
  const pair = (alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256', ...JWK_ENCODINGS })
    : generateKeyPairSync('ed25519', JWK_ENCODINGS)) as unknown as {
    publicKey: JsonWebKey;
    privateKey: JsonWebKey;
  };
  return { publicJwk: pair.publicKey, privateJwk: pair.privateKey };
}
