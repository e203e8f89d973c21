import { createHash } from 'node:crypto';
import { isPlainObject, own } from './encoding.js';

// RFC 7638 §3.2: the required members of each key type, already in lexicographic order (§3.3).
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
  oct: ['k', 'kty'],
};

/**
 * The RFC 7638 JSON input of a JWK: its required members only, in lexicographic order, with no
 * whitespace. `undefined` when `jwk` is not an object of a known `kty` whose required members are
 * all strings.
 */
export function thumbprintInput(jwk: unknown): string | undefined {
  if (!isPlainObject(jwk)) return undefined;
  const kty = own(jwk, 'kty');
  if (typeof kty !== 'string' || !Object.hasOwn(REQUIRED_MEMBERS, kty)) return undefined;
  const members = REQUIRED_MEMBERS[kty] ?? [];
  const parts: string[] = [];
  for (const name of members) {
    const value = own(jwk, name);
    if (typeof value !== 'string') return undefined;
    // JSON.stringify gives the RFC 8259 string form RFC 7638 §3.3 asks for.
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * RFC 7638 JWK thumbprint with SHA-256, base64url without padding: the `jkt` of a DPoP key
 * (RFC 9449 §6) and the value to put in an access token's `cnf.jkt`.
 *
 * Computes the thumbprint of any `EC`, `OKP`, `RSA` or `oct` key, although DPoP proofs only ever
 * carry `EC` P-256 or `OKP` Ed25519 keys. Private members are ignored, as RFC 7638 §3.2 says.
 * Never throws.
 *
 * @param jwk - a JSON Web Key (e.g. the `jwk` header of a DPoP proof)
 * @returns the 43-character thumbprint, or `undefined` when `jwk` lacks a required member
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
 *                 y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA' });
 * // '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' (RFC 9449 §6.1)
 * ```
 */
export function jwkThumbprint(jwk: unknown): string | undefined {
  const input = thumbprintInput(jwk);
  return input === undefined ? undefined : sha256Base64url(input);
}

/**
 * The DPoP `ath` claim for an access token: base64url(SHA-256(ASCII(token))), RFC 9449 §4.2.
 *
 * @param accessToken - the access token value exactly as sent in `Authorization`
 * @returns 43 base64url characters
 *
 * @example
 * ```ts
 * accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU');
 * // 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo' (RFC 9449 §7.1)
 * ```
 */
export function accessTokenHash(accessToken: string): string {
  return sha256Base64url(accessToken);
}

/** SHA-256 of the UTF-8 bytes of `text`, base64url without padding. */
export function sha256Base64url(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
