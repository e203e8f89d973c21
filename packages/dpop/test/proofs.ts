// Builds DPoP proofs for tests with node:crypto only, so a test can break any one rule: change a
// header member, a claim, the encoding or the signature. Independent of the verifier's code.
import { createHash, createPrivateKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import { generateJwkPair } from '@portcullis/testing';

export type TestAlgorithm = 'ES256' | 'EdDSA' | 'Ed25519';

export interface TestKey {
  readonly alg: TestAlgorithm;
  readonly privateKey: KeyObject;
  /** The public JWK as Node exports it (`kty`, `crv`, `x`[, `y`]). */
  readonly publicJwk: Record<string, string>;
  /** The private JWK (with `d`), for tests that leak it into the header. */
  readonly privateJwk: Record<string, string>;
  /** RFC 7638 thumbprint, computed here independently of the package. */
  readonly jkt: string;
}

export function generateTestKey(alg: TestAlgorithm = 'ES256'): TestKey {
  // As JWKs from the generation itself: see generateJwkPair (exporting can deadlock Node's GC).
  const jwks = generateJwkPair(alg === 'ES256' ? 'ES256' : 'EdDSA');
  const publicJwk = jwks.publicJwk as Record<string, string>;
  const privateJwk = jwks.privateJwk as Record<string, string>;
  const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const members = alg === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
  const canonical = `{${members.map((m) => `"${m}":"${publicJwk[m]}"`).join(',')}}`;
  const jkt = createHash('sha256').update(canonical).digest('base64url');
  return { alg, privateKey, publicJwk, privateJwk, jkt };
}

export const b64json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `signingInput` as a JWS of `key.alg` would (R || S for ES256). */
export function signInput(key: TestKey, signingInput: string): Buffer {
  return key.alg === 'ES256'
    ? sign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
    : sign(null, Buffer.from(signingInput), key.privateKey);
}

export interface ProofParts {
  /** Merged over `{ typ, alg, jwk }`; a member set to `undefined` is removed. */
  header?: Record<string, unknown>;
  /** Merged over `{ jti, htm, htu, iat }`; a member set to `undefined` is removed. */
  claims?: Record<string, unknown>;
}

export interface ProofDefaults {
  htm: string;
  htu: string;
  /** Seconds since the epoch. */
  iat: number;
}

/** The header and claims a correct proof has, with `parts` applied. */
export function proofContent(key: TestKey, defaults: ProofDefaults, parts: ProofParts = {}) {
  const header = dropUndefined({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...parts.header });
  const claims = dropUndefined({
    jti: randomUUID(),
    htm: defaults.htm,
    htu: defaults.htu,
    iat: defaults.iat,
    ...parts.claims,
  });
  return { header, claims };
}

/** A compact JWS signed with `key`; `parts` override the header and claims. */
export function makeProof(key: TestKey, defaults: ProofDefaults, parts: ProofParts = {}): string {
  const { header, claims } = proofContent(key, defaults, parts);
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${signInput(key, input).toString('base64url')}`;
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
