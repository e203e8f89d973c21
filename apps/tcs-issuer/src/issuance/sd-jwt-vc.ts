// SD-JWT VCs (IETF SD-JWT-based Verifiable Credentials, media type dc+sd-jwt): the issuer-signed
// JWT carries the credential's frame (issuer, type, validity, holder key, status reference) in clear
// and one salted digest per claim; each claim travels as a disclosure the holder may leave out.
import { randomBytes } from 'node:crypto';
import { digest } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance, type SdJwtVcPayload } from '@sd-jwt/sd-jwt-vc';
import type { JWK } from 'jose';
import { type CredentialSigner, STATUS_LIST_SIZE } from './types.js';

/** What {@link issueSdJwtVc} issues. */
export interface IssueSdJwtVcOptions {
  /** The tenant's signer: `iss`, `alg` and `kid`/`x5c` come from it. */
  signer: CredentialSigner;
  /** The credential type (`vct`). */
  vct: string;
  /** The claims; each top-level member becomes one disclosure. */
  claims: Readonly<Record<string, unknown>>;
  /** The holder's public key (from its proof of possession): `cnf.jwk`. */
  holderJwk: JWK;
  /** The credential's entry on a status list: `status.status_list`. */
  status: { idx: number; uri: string };
  /** `iat`, seconds since the epoch. */
  issuedAt: number;
  /** `exp`, seconds since the epoch. */
  expiresAt: number;
}

/**
 * Claims of the credential's frame, never disclosable and never taken from `claims`: the issuer,
 * type, validity, holder binding and status reference, and the SD-JWT structure's own members.
 */
const RESERVED_CLAIMS = new Set([
  'iss',
  'vct',
  'vct#integrity',
  'iat',
  'nbf',
  'exp',
  'cnf',
  'status',
  '_sd',
  '_sd_alg',
  '...',
]);
/** Members of a JWK that only a private or symmetric key has. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Bytes of CSPRNG output fetched at once for salts (256 salts of 128 bits). */
const SALT_POOL_BYTES = 4096;
let saltPool = Buffer.alloc(0);
let saltOffset = 0;
/**
 * Salt of each disclosure: 128 random bits (at least `length` bytes), base64url, as the SD-JWT
 * specification recommends. (`@sd-jwt/crypto-nodejs`'s generateSalt(16) gives 16 hex characters,
 * only 64 bits.) The bytes come from a pool filled by `crypto.randomBytes` 4 KB at a time and each
 * is handed out once: one call to the CSPRNG per 256 salts instead of one per salt (as Node's own
 * `randomUUID` caches its entropy), which took about a sixth of a credential's construction.
 */
const saltGenerator = (length: number): string => {
  const size = Math.max(length, 16);
  if (size > SALT_POOL_BYTES) return randomBytes(size).toString('base64url');
  if (saltOffset + size > saltPool.length) {
    saltPool = randomBytes(SALT_POOL_BYTES);
    saltOffset = 0;
  }
  const salt = saltPool.toString('base64url', saltOffset, saltOffset + size);
  // Spent bytes are overwritten, so no salt stays readable in the pool after it was handed out.
  saltPool.fill(0, saltOffset, saltOffset + size);
  saltOffset += size;
  return salt;
};
/** Times above this are milliseconds passed as seconds (year 5138 in seconds). */
const MAX_SECONDS = 100_000_000_000;

type DisclosureFrame = Parameters<SDJwtVcInstance['issue']>[1];

const instances = new WeakMap<CredentialSigner, SDJwtVcInstance>();

function instanceFor(signer: CredentialSigner): SDJwtVcInstance {
  let instance = instances.get(signer);
  if (instance === undefined) {
    instance = new SDJwtVcInstance({
      hasher: digest,
      hashAlg: 'sha-256',
      saltGenerator,
      signer: (data) => signer.sign(data),
      signAlg: signer.alg,
    });
    instances.set(signer, instance);
  }
  return instance;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkSeconds(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value >= MAX_SECONDS) {
    throw new RangeError(`${name} must be whole seconds since the epoch`);
  }
}

/**
 * Issues an SD-JWT VC in compact form: the issuer-signed JWT, then one disclosure per claim, each
 * followed by `~` (so the string ends in `~`; no key binding JWT — that is the holder's to add).
 *
 * Header: `{ typ: 'dc+sd-jwt', kid | x5c, alg }`. Payload: `iss` (the signer's), `vct`, `iat`, `exp`,
 * `cnf: { jwk: holderJwk }`, `status: { status_list: { idx, uri } }`, `_sd_alg: 'sha-256'`, and `_sd`
 * with the digests of every top-level claim of `claims`; nested values are disclosed whole.
 *
 * @throws TypeError when `claims` is not an object or names a reserved claim (`iss`, `vct`, `iat`, `nbf`,
 * `exp`, `cnf`, `status`, `_sd`, `_sd_alg`), `vct` is empty, `holderJwk` is not a public JWK, or
 * `status.uri` is empty; RangeError when `status.idx` is off the list or the times are not whole
 * seconds with `expiresAt` after `issuedAt`. Messages name the problem, never a claim's value.
 * @example
 * const credential = await issueSdJwtVc({
 *   signer, vct: 'https://tcs.example/acme/vct/employee', claims: { given_name: 'Ada', family_name: 'Lovelace' },
 *   holderJwk: proof.jwk, status: { idx: 4711, uri: 'https://tcs.example/acme/status/1' },
 *   issuedAt: 1_767_225_600, expiresAt: 1_798_761_600,
 * });
 * // 'eyJ0eXAiOiJkYytzZC1qd3Qi….…~WyJ…~WyJ…~'
 */
export async function issueSdJwtVc(options: IssueSdJwtVcOptions): Promise<string> {
  const { signer, vct, claims, holderJwk, status, issuedAt, expiresAt } = options;
  if (typeof vct !== 'string' || vct === '') throw new TypeError('vct must be a non-empty string');
  if (!isRecord(claims)) throw new TypeError('claims must be an object');
  const keys = Object.keys(claims);
  for (const key of keys) {
    if (RESERVED_CLAIMS.has(key)) throw new TypeError(`claims may not set the reserved claim ${key}`);
  }
  if (!isRecord(holderJwk) || typeof holderJwk.kty !== 'string') {
    throw new TypeError('holderJwk must be a JWK');
  }
  if (PRIVATE_JWK_MEMBERS.some((member) => member in holderJwk)) {
    throw new TypeError('holderJwk must be a public key');
  }
  if (!isRecord(status) || typeof status.uri !== 'string' || status.uri === '') {
    throw new TypeError('status.uri must be a non-empty string');
  }
  if (!Number.isInteger(status.idx) || status.idx < 0 || status.idx >= STATUS_LIST_SIZE) {
    throw new RangeError(`status.idx must be an integer from 0 to ${STATUS_LIST_SIZE - 1}`);
  }
  checkSeconds('issuedAt', issuedAt);
  checkSeconds('expiresAt', expiresAt);
  if (expiresAt <= issuedAt) throw new RangeError('expiresAt must be after issuedAt');

  const payload: SdJwtVcPayload = {
    iss: signer.issuer,
    vct,
    iat: issuedAt,
    exp: expiresAt,
    cnf: { jwk: holderJwk },
    status: { status_list: { idx: status.idx, uri: status.uri } },
    ...claims,
  };
  // Every claim of `claims` at the top level, nothing else. (The library's frame type lists the
  // frame's own claims as never-disclosable, which a computed key list cannot show the compiler.)
  const frame = { _sd: keys } as unknown as DisclosureFrame;
  return instanceFor(signer).issue(payload, frame, { header: { ...signer.header } });
}
