// Status list tokens (IETF OAuth Token Status List): a tenant's statuses, 2 bits per credential,
// packed, compressed and signed as a JWT that relying parties fetch and cache for `ttl` seconds.
//
//   entry i → byte i >> 2, bits (i & 3) * 2 and the next, least significant first
//   lst     = base64url( DEFLATE in the ZLIB format (RFC 1950/1951) of the bytes )
import { deflateSync } from 'node:zlib';
import { type CredentialSigner, STATUS_LIST_SIZE, STATUS_LIST_TTL_SECONDS } from './types.js';

/** Bits per entry of our lists: 0 valid, 1 revoked, 2 suspended, 3 unused. */
const STATUS_LIST_BITS = 2;
/** Largest list {@link encodeStatusList} builds (2^24 entries, 4 MiB before compression). */
const MAX_STATUS_LIST_SIZE = 2 ** 24;

/** One entry of a status list: its index and its 2-bit value. */
export type StatusListEntry = readonly [idx: number, value: 0 | 1 | 2 | 3];

/**
 * The `lst` of a status list of `size` entries: every entry not given is 0 (valid); an index given
 * twice keeps its last value.
 *
 * @throws RangeError for an index outside `[0, size)`, a value outside 0–3, or a bad `size`.
 * @example
 * const lst = encodeStatusList([[0, 1], [5, 2]]); // entry 0 revoked, entry 5 suspended, 131070 valid
 */
export function encodeStatusList(
  entries: Iterable<StatusListEntry>,
  size: number = STATUS_LIST_SIZE,
): string {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_STATUS_LIST_SIZE) {
    throw new RangeError(`size must be an integer from 1 to ${MAX_STATUS_LIST_SIZE}`);
  }
  const bytes = new Uint8Array(Math.ceil(size / 4));
  for (const [idx, value] of entries) {
    if (!Number.isInteger(idx) || idx < 0 || idx >= size) {
      throw new RangeError(`status list index out of range: ${idx} (size ${size})`);
    }
    if (value !== 0 && value !== 1 && value !== 2 && value !== 3) {
      throw new RangeError(`status value must be 0, 1, 2 or 3, got ${String(value)}`);
    }
    const shift = (idx & 3) * 2;
    const at = idx >> 2;
    bytes[at] = ((bytes[at] as number) & ~(0b11 << shift)) | (value << shift);
  }
  // Level 9: the list is compressed once per change and fetched many times.
  return deflateSync(bytes, { level: 9 }).toString('base64url');
}

/** What {@link signStatusListToken} signs. */
export interface SignStatusListTokenOptions {
  signer: CredentialSigner;
  /** The list's URI: the `sub` of the token, the `status_list.uri` of its credentials. */
  uri: string;
  /** From {@link encodeStatusList}. */
  lst: string;
  /** `iat`, seconds since the epoch. */
  issuedAt: number;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

/**
 * A signed status list token: header `{ alg, typ: 'statuslist+jwt', kid | x5c }`, payload
 * `{ iss, sub: uri, iat, exp, ttl: 300, status_list: { bits: 2, lst } }`.
 *
 * @throws RangeError when the times are not whole seconds with `expiresAt` after `issuedAt`.
 * @example
 * const now = Math.floor(Date.now() / 1000);
 * const jwt = await signStatusListToken({
 *   signer, uri: 'https://tcs.example/acme/status/1', lst: encodeStatusList(entries),
 *   issuedAt: now, expiresAt: now + 86_400,
 * });
 */
export async function signStatusListToken(options: SignStatusListTokenOptions): Promise<string> {
  const { signer, uri, lst, issuedAt, expiresAt } = options;
  if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt) || expiresAt <= issuedAt) {
    throw new RangeError('issuedAt and expiresAt must be whole seconds, expiresAt after issuedAt');
  }
  if (typeof uri !== 'string' || uri === '') throw new TypeError('uri must be a non-empty string');
  return signer.signJwt('statuslist+jwt', {
    iss: signer.issuer,
    sub: uri,
    iat: issuedAt,
    exp: expiresAt,
    ttl: STATUS_LIST_TTL_SECONDS,
    status_list: { bits: STATUS_LIST_BITS, lst },
  });
}
