// A minimal DPoP client for the adapter tests, on node:crypto only (RFC 9449 §4.2).
import { createHash, createPrivateKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import { generateJwkPair } from '@portcullis/testing';

export interface DpopClientKey {
  readonly alg: 'ES256' | 'EdDSA';
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, string>;
  /** RFC 7638 thumbprint. */
  readonly jkt: string;
}

export function dpopClientKey(alg: 'ES256' | 'EdDSA' = 'ES256'): DpopClientKey {
  // As JWKs from the generation itself: see generateJwkPair (exporting can deadlock Node's GC).
  const jwks = generateJwkPair(alg);
  const privateKey = createPrivateKey({ key: jwks.privateJwk, format: 'jwk' });
  const { kty = '', crv = '', x = '', y } = jwks.publicJwk as Record<string, string>;
  const jwk = y === undefined ? { crv, kty, x } : { crv, kty, x, y };
  const jkt = createHash('sha256').update(JSON.stringify(jwk)).digest('base64url');
  return { alg, privateKey, jwk, jkt };
}

export interface ProofClaims {
  htm: string;
  htu: string;
  /** Seconds since the epoch. */
  iat: number;
  nonce?: string;
  accessToken?: string;
  jti?: string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function dpopProof(key: DpopClientKey, claims: ProofClaims): string {
  const payload: Record<string, unknown> = {
    jti: claims.jti ?? randomUUID(),
    htm: claims.htm,
    htu: claims.htu,
    iat: claims.iat,
  };
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  if (claims.accessToken !== undefined) {
    payload.ath = createHash('sha256').update(claims.accessToken).digest('base64url');
  }
  const input = `${b64({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk })}.${b64(payload)}`;
  const signature =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign(null, Buffer.from(input), key.privateKey);
  return `${input}.${signature.toString('base64url')}`;
}
