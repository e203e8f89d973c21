import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { Result } from '@portcullis/errors';
import type { JWK } from 'jose';
import { parseDidKey } from '../crypto/did-key.js';
import { BASE64URL, decodeJsonSegment } from '../crypto/jws-parts.js';

// Key proofs of a credential request (OpenID4VCI 1.0 Appendix F.1, `proof_type: jwt`). Each check
// names what failed in a fixed sentence, never quoting the proof.

const PROOF_TYP = 'openid4vci-proof+jwt';
/** How far `iat` may be from now, seconds, either way. */
const MAX_IAT_SKEW_SECONDS = 300;
/** Longest proof looked at, characters. */
const MAX_PROOF_LENGTH = 8192;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** An accepted key proof: the holder key to bind the credential to, and the nonce it carries. */
export interface AcceptedProof {
  /** The holder's public key, public members only. */
  jwk: JWK;
  /** The proof's `nonce` (a `c_nonce`), not yet checked against the store. */
  nonce: string;
}

/** Why a proof is refused: `invalid_proof` with this description. */
export type ProofResult = Result<AcceptedProof, 'invalid', { description: string }>;

export interface ProofCheck {
  /** The tenant's Credential Issuer Identifier: the proof's `aud`. */
  audience: string;
  /** Accepted `alg` values (the configuration's list). */
  algorithms: readonly string[];
  /** Clock, ms since the epoch. */
  now: number;
}

const refuse = (description: string): ProofResult => ({ ok: false, reason: 'invalid', description });

/** The public key of a proof header (`jwk` or a did:key `kid`), or why not. */
function proofKey(
  header: Record<string, unknown>,
  alg: 'ES256' | 'EdDSA',
): Result<{ jwk: JWK; key: KeyObject }, 'invalid', { description: string }> {
  const hasJwk = header.jwk !== undefined;
  const hasKid = header.kid !== undefined;
  if (hasJwk === hasKid || header.x5c !== undefined) {
    return {
      ok: false,
      reason: 'invalid',
      description: 'The proof header must carry exactly one of jwk or kid',
    };
  }
  let jwk: JWK;
  if (hasJwk) {
    const given = header.jwk;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      return { ok: false, reason: 'invalid', description: 'The proof jwk is not a JSON object' };
    }
    const members = given as Record<string, unknown>;
    if (PRIVATE_MEMBERS.some((name) => Object.hasOwn(members, name))) {
      return { ok: false, reason: 'invalid', description: 'The proof jwk holds private key material' };
    }
    jwk =
      members.kty === 'OKP'
        ? { kty: 'OKP', crv: members.crv as string, x: members.x as string }
        : {
            kty: members.kty as string,
            crv: members.crv as string,
            x: members.x as string,
            y: members.y as string,
          };
  } else {
    const kid = header.kid;
    const did = typeof kid === 'string' ? kid.split('#', 1)[0] : undefined;
    const parsed = parseDidKey(did);
    if (!parsed.ok || parsed.verificationMethod !== kid) {
      return {
        ok: false,
        reason: 'invalid',
        description: 'The proof kid is not a did:key verification method',
      };
    }
    jwk = parsed.publicJwk;
  }
  const suits =
    alg === 'EdDSA'
      ? jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.x === 'string'
      : jwk.kty === 'EC' && jwk.crv === 'P-256' && typeof jwk.x === 'string' && typeof jwk.y === 'string';
  if (!suits) return { ok: false, reason: 'invalid', description: 'The proof key does not suit its alg' };
  try {
    return {
      ok: true,
      jwk,
      key: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
    };
  } catch {
    return { ok: false, reason: 'invalid', description: 'The proof key cannot be imported' };
  }
}

/**
 * Checks one key proof JWT: `typ` `openid4vci-proof+jwt`; `alg` in `algorithms`; exactly one of
 * `jwk` (public members only) or `kid` (a did:key verification method); the signature; no `iss`
 * (the pre-authorized grant is anonymous); `aud` = the Credential Issuer Identifier; `iat` within
 * 300 s of now; a `nonce`. The nonce itself is checked (and consumed) by the caller, once for
 * every proof of the request. Never throws.
 *
 * @example
 * const result = checkKeyProof(jwt, { audience: 'https://tcs.example/acme', algorithms: ['ES256', 'EdDSA', 'Ed25519'], now: Date.now() });
 * if (!result.ok) throw credentialEndpointErrors.error('invalid_proof', { message: result.description });
 */
export function checkKeyProof(proof: unknown, check: ProofCheck): ProofResult {
  if (typeof proof !== 'string' || proof.length === 0 || proof.length > MAX_PROOF_LENGTH) {
    return refuse('A proof must be a compact JWT');
  }
  const parts = proof.split('.');
  if (parts.length !== 3) return refuse('A proof must be a compact JWT');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
  const header = decodeJsonSegment(encodedHeader);
  const payload = decodeJsonSegment(encodedPayload);
  if (header === null || payload === null || !BASE64URL.test(encodedSignature)) {
    return refuse('A proof must be a compact JWT');
  }
  if (header.typ !== PROOF_TYP) return refuse(`The proof typ must be ${PROOF_TYP}`);
  if (header.crit !== undefined) return refuse('The proof carries an unsupported crit header');
  const alg = header.alg;
  if (typeof alg !== 'string' || !check.algorithms.includes(alg)) {
    return refuse('The proof alg is not supported');
  }
  const family = alg === 'ES256' ? 'ES256' : 'EdDSA';
  const key = proofKey(header, family);
  if (!key.ok) return refuse(key.description);
  const signature = Buffer.from(encodedSignature, 'base64url');
  const input = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  let valid: boolean;
  try {
    valid =
      family === 'EdDSA'
        ? cryptoVerify(null, input, key.key, signature)
        : signature.length === 64 &&
          cryptoVerify('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    valid = false;
  }
  if (!valid) return refuse('The proof signature does not verify');
  if (payload.iss !== undefined)
    return refuse('The proof must not carry iss for an anonymous pre-authorized grant');
  if (payload.aud !== check.audience) return refuse('The proof aud must be the credential issuer identifier');
  const iat = payload.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('The proof iat is missing');
  if (Math.abs(check.now / 1000 - iat) > MAX_IAT_SKEW_SECONDS)
    return refuse('The proof iat is too old or in the future');
  const nonce = payload.nonce;
  if (typeof nonce !== 'string' || nonce.length === 0) return refuse('The proof carries no nonce');
  return { ok: true, jwk: key.jwk, nonce };
}
