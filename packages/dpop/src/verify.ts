import { type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { withDeadline } from './deadline.js';
import { decodeBase64url, decodeJsonObject, isCanonicalBase64url, isPlainObject, own } from './encoding.js';
import { type NormalizedHttpUri, normalizeHttpUri } from './htu.js';
import { importPublicKey } from './jwk-import-cache.js';
import type { ReplayStore } from './replay-store.js';
import { accessTokenHash, sha256Base64url, thumbprintInput } from './thumbprint.js';

/**
 * The checks of a DPoP proof, in the order {@link verifyDpopProof} runs them (SPEC §6.4,
 * RFC 9449 §4.3). A failure names the first rule the proof broke.
 */
export const DPOP_RULES = [
  'single-header',
  'compact-jws',
  'typ',
  'alg',
  'jwk',
  'signature',
  'jti',
  'htm',
  'htu',
  'iat',
  'nonce',
  'ath',
  'jkt',
  'replay',
] as const;

/** One of {@link DPOP_RULES}. */
export type DpopRule = (typeof DPOP_RULES)[number];

/**
 * JWS algorithms a proof may use. `Ed25519` is the fully-specified name of EdDSA over Ed25519
 * (RFC 9864), which current clients (e.g. panva's `dpop` 2.x) emit; it is the same algorithm as
 * `EdDSA` with an Ed25519 key. Asymmetric only: `none`, `HS*` and everything else never verify.
 */
export type DpopAlgorithm = 'ES256' | 'EdDSA' | 'Ed25519';

/** The public key of a verified proof: exactly the members that define it. */
export type DpopPublicJwk =
  | { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string }
  | { readonly kty: 'OKP'; readonly crv: 'Ed25519'; readonly x: string };

/** The claims of a verified proof: the four RFC 9449 §4.2 requires, typed, and any others as sent. */
export interface DpopClaims {
  readonly jti: string;
  readonly htm: string;
  readonly htu: string;
  readonly iat: number;
  readonly [claim: string]: unknown;
}

/** The server's nonce policy for one request (RFC 9449 §8, §9). */
export interface DpopNoncePolicy {
  /** When true, a proof without a valid `nonce` fails with `useNonce: true`. */
  required: boolean;
  /**
   * Checks a `nonce` claim (e.g. `NonceIssuer.verify`). A proof that carries a nonce is always
   * checked, required or not. A throw or rejection is an infrastructure failure: the verifier
   * throws {@link DpopInfrastructureError}.
   */
  verify(nonce: string): boolean | Promise<boolean>;
}

/** Options of {@link verifyDpopProof}. */
export interface VerifyDpopProofOptions {
  /** The raw `DPoP` header: `req.headers.dpop` (a string, an array, or undefined). */
  proof: unknown;
  /** The request method, e.g. `ctx.method` (`htm` is compared case-sensitively). */
  method: string;
  /**
   * The request URL as the client addressed it: `PUBLIC_URL` + path, never built from the `Host`
   * header (SPEC §6.4). Its query and fragment are ignored.
   */
  url: string;
  /**
   * The access token presented with the proof (resource requests). The proof must then carry a
   * matching `ath`, and `expectedJkt` must be given. Absent (token endpoint): a proof with `ath`
   * is refused.
   */
  accessToken?: string | undefined;
  /** The `cnf.jkt` of the presented access token. Required with `accessToken`. */
  expectedJkt?: string | undefined;
  /** Nonce policy. Absent: the server issues no nonces, and a `nonce` claim is not looked at. */
  nonce?: DpopNoncePolicy | undefined;
  /** Where `jti`s are remembered (Redis, Postgres or memory store). */
  replay: ReplayStore;
  /** Clock in ms since the epoch. */
  now: () => number;
  /** How old `iat` may be, in seconds. Default 300 (SPEC §6.4). */
  maxAgeSeconds?: number | undefined;
  /** How far in the future `iat` may be, in seconds (clock skew). Default `maxAgeSeconds`, so |now − iat| ≤ 300 s. */
  clockSkewSeconds?: number | undefined;
  /** Accepted algorithms. Default `['ES256', 'EdDSA', 'Ed25519']`. */
  algorithms?: readonly DpopAlgorithm[] | undefined;
  /** Bound on the replay store's answer, in ms. Default 1 000; past it the verifier fails closed. */
  replayTimeoutMs?: number | undefined;
}

/** A proof that passed every rule; its `jti` is now recorded. */
export interface DpopVerified {
  readonly ok: true;
  /** RFC 7638 thumbprint of `jwk`: the `cnf.jkt` to bind a token to (RFC 9449 §6.1). */
  readonly jkt: string;
  readonly jwk: DpopPublicJwk;
  readonly jti: string;
  /** Seconds since the epoch, as sent. */
  readonly iat: number;
  readonly claims: DpopClaims;
}

/** A refused proof. `reason` is a fixed English sentence: it never quotes the proof or a token. */
export interface DpopRejected {
  readonly ok: false;
  readonly rule: DpopRule;
  readonly reason: string;
  /** Set when the client should retry with the nonce in the response's `DPoP-Nonce` (RFC 9449 §8). */
  readonly useNonce?: true;
}

// Narrows like `Result` in @portcullis/errors (this package does not depend on it): `ok` and a
// named payload, or `ok: false` and the refusal. Here the closed code for logs and metrics is
// `rule`, and `reason` is a fixed sentence that clients do see (the OAuth `error_description`).
export type DpopVerification = DpopVerified | DpopRejected;

/**
 * A dependency of the verifier could not answer: the replay store (failed, timed out, or gave an
 * answer other than true/false) or the nonce verifier (threw). The proof was neither accepted nor
 * judged; answer 5xx (`server_error`), never accept. `cause` holds the original error, for logs.
 */
export class DpopInfrastructureError extends Error {
  override readonly name = 'DpopInfrastructureError';
  readonly dependency: 'replay-store' | 'nonce';

  constructor(dependency: 'replay-store' | 'nonce', message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.dependency = dependency;
  }
}

const DEFAULT_ALGORITHMS: readonly DpopAlgorithm[] = ['ES256', 'EdDSA', 'Ed25519'];
// Bounded before any decoding. A P-256 proof with a nonce and ath is about 700 characters.
const MAX_PROOF_LENGTH = 8_192;
const MAX_JTI_LENGTH = 256;
const MAX_NONCE_LENGTH = 1_024;
// RFC 7517/7518/8037 members that hold private or symmetric key material.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Checks a DPoP proof (RFC 9449 §4.3) in exactly this order, stopping at the first failure and
 * naming its rule (SPEC §6.4):
 *
 * 1. `single-header`: one `DPoP` header (an array or a comma-joined value is more than one);
 * 2. `compact-jws`: ≤ 8 KiB, three canonical base64url parts, JSON-object header and payload,
 *    a signature, no `crit`;
 * 3. `typ` = `dpop+jwt`; 4. `alg` ∈ `algorithms`;
 * 5. `jwk`: present, public only, `EC` P-256 for ES256 or `OKP` Ed25519 for EdDSA, importable;
 * 6. `signature`: verified against that `jwk` (imported by jose, checked by `crypto.verify`);
 * 7. `jti`: a string of 1–256 characters; 8. `htm` = `method`;
 * 9. `htu` = `url` without query and fragment, both RFC 3986-normalized ({@link normalizeHttpUri});
 *    an `htu` carrying a query or fragment is refused;
 * 10. `iat`: now − maxAge ≤ iat ≤ now + skew; 11. `nonce`: valid when present, present when required;
 * 12. `ath` = base64url(SHA-256(accessToken)) when a token is presented, absent otherwise;
 * 13. `jkt`: the RFC 7638 thumbprint of `jwk` = `expectedJkt` (constant time);
 * 14. `replay`: `jti` unseen for this `jkt`, recorded atomically for maxAge + skew seconds.
 *
 * The replay check is last, so a proof refused for any other rule does not use up its `jti`.
 * Never throws on any proof: a malformed one is a result. Throws only
 * {@link DpopInfrastructureError} (a store or nonce verifier that cannot answer) and, for invalid
 * options (a programming error), `TypeError`.
 *
 * @example
 * ```ts
 * const result = await verifyDpopProof({
 *   proof: ctx.req.headers.dpop, method: ctx.method, url: `${env.PUBLIC_URL}${ctx.path}`,
 *   accessToken, expectedJkt: claims.cnf.jkt, replay, now: Date.now,
 * });
 * if (!result.ok) throw credentialEndpointErrors.error('invalid_dpop_proof', { message: result.reason });
 * ```
 */
export async function verifyDpopProof(options: VerifyDpopProofOptions): Promise<DpopVerification> {
  const settings = readSettings(options);

  // 1. single-header (RFC 9449 §4.3 step 1).
  const single = singleHeader(options.proof);
  if (!single.ok) return single;
  const jws = single.value;

  // 2. compact-jws (step 2): a single, well-formed JWS before any of its content is looked at.
  if (typeof jws !== 'string') return reject('compact-jws', 'DPoP header is not a string');
  if (jws.length > MAX_PROOF_LENGTH) return reject('compact-jws', 'DPoP proof is too long');
  const parts = jws.split('.');
  if (parts.length !== 3) return reject('compact-jws', 'DPoP proof is not a compact JWS');
  const [encodedHeader = '', encodedClaims = '', encodedSignature = ''] = parts;
  // A client signs every proof with one key, so its encoded header repeats: the outcome of the
  // header rules (compact-jws for the header, typ, jwk, key import) is a pure function of that
  // string and is memoised. Only accepted headers are cached; alg is re-checked against this
  // call's `algorithms` below, so every rule still runs, in order, for every proof.
  const cached = headers.get(encodedHeader);
  const joseHeader = cached === undefined ? decodeJsonObject(encodedHeader) : undefined;
  if (cached === undefined && joseHeader === undefined) {
    return reject('compact-jws', 'JWS header is not a base64url JSON object');
  }
  const claims = decodeJsonObject(encodedClaims);
  if (claims === undefined) return reject('compact-jws', 'JWS payload is not a base64url JSON object');
  if (encodedSignature.length === 0 || !isCanonicalBase64url(encodedSignature)) {
    return reject('compact-jws', 'JWS signature is missing or not base64url');
  }

  let header: AcceptedHeader;
  if (cached !== undefined) {
    // 4. alg, against this call's algorithms (2, 3 and 5 passed when the header was cached).
    if (!settings.algorithms.includes(cached.alg)) return reject('alg', 'alg is not an accepted algorithm');
    header = cached;
  } else {
    const checked = await checkHeader(joseHeader ?? {}, settings);
    if (!checked.ok) return checked;
    header = checked;
    if (encodedHeader.length <= MAX_CACHED_HEADER_LENGTH) headers.set(encodedHeader, checked);
  }
  const { alg, jwk, jkt } = header;

  // 6. signature (step 6) over the exact signing input, with the one algorithm checked above.
  const signingInputLength = encodedHeader.length + 1 + encodedClaims.length;
  if (!verifySignature(alg, header.key, jws, signingInputLength, encodedSignature)) {
    return reject('signature', 'signature does not verify');
  }

  // 7. jti (step 3: required claims; RFC 9449 §4.2).
  const jti = own(claims, 'jti');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    return reject('jti', 'jti is missing, empty or longer than 256 characters');
  }

  // 8. htm (step 8).
  const htm = own(claims, 'htm');
  if (typeof htm !== 'string') return reject('htm', 'htm is missing');
  if (htm !== options.method) return reject('htm', 'htm does not match the request method');

  // 9. htu (step 9).
  const htu = own(claims, 'htu');
  if (typeof htu !== 'string') return reject('htu', 'htu is missing');
  const presented = normalized(htu);
  if (!presented.ok) return reject('htu', 'htu is not an absolute http or https URI');
  if (presented.hasQuery || presented.hasFragment) {
    return reject('htu', 'htu must not have a query or fragment');
  }
  const expected = typeof options.url === 'string' ? normalized(options.url) : undefined;
  if (!expected?.ok) return reject('htu', 'the request URL is not a valid http or https URI');
  if (presented.uri !== expected.uri) return reject('htu', 'htu does not match the request URL');

  // 10. iat (step 11).
  const iat = own(claims, 'iat');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    return reject('iat', 'iat is missing or not a number');
  }
  const nowMs = options.now();
  // A clock giving NaN would make both comparisons false, i.e. accept any iat: fail loudly instead.
  if (!Number.isFinite(nowMs)) throw new TypeError('verifyDpopProof: now() must return a finite number');
  if (nowMs - iat * 1000 > settings.maxAgeMs) return reject('iat', 'proof is too old');
  if (iat * 1000 - nowMs > settings.skewMs) return reject('iat', 'proof is issued in the future');

  // 11. nonce (step 10).
  if (options.nonce !== undefined) {
    const failure = await checkNonce(own(claims, 'nonce'), options.nonce);
    if (failure !== undefined) return failure;
  }

  // 12. ath (step 12): binds the proof to the token, and a token-less proof to no token (RFC 9449 §7).
  const ath = own(claims, 'ath');
  if (options.accessToken !== undefined) {
    if (typeof ath !== 'string') return reject('ath', 'ath is missing');
    if (!constantTimeEqual(ath, accessTokenHash(options.accessToken))) {
      return reject('ath', 'ath does not match the access token');
    }
  } else if (ath !== undefined) {
    return reject('ath', 'ath is present but no access token was presented');
  }

  // 13. jkt (step 12): the token must be bound to this very key.
  if (options.expectedJkt !== undefined) {
    if (!constantTimeEqual(jkt, options.expectedJkt)) {
      return reject('jkt', 'the proof key is not the key the access token is bound to');
    }
  } else if (options.accessToken !== undefined) {
    return reject('jkt', 'the access token is not bound to a DPoP key');
  }

  // 14. replay (RFC 9449 §11.1), last: only a proof that passed everything else uses up its jti.
  // A proof stays acceptable for maxAge + skew seconds (iat up to skew ahead, then maxAge old),
  // so its jti is remembered for that long.
  const remembered = rememberJti(options.replay, jkt, jti, settings.maxAgeMs + settings.skewMs, settings);
  const first = typeof remembered === 'boolean' ? remembered : await remembered;
  if (!first) return reject('replay', 'jti has already been used');

  return { ok: true, jkt, jwk, jti, iat, claims: claims as unknown as DpopClaims };
}

/** A header that passed compact-jws, typ, alg and jwk, with its imported key. */
interface AcceptedHeader {
  readonly ok: true;
  readonly alg: DpopAlgorithm;
  readonly jwk: DpopPublicJwk;
  readonly jkt: string;
  /** What `crypto.verify` takes: the key, with the JWS signature encoding for ES256. */
  readonly key: KeyObject | { readonly key: KeyObject; readonly dsaEncoding: 'ieee-p1363' };
}

// Normal headers are 150–300 characters; longer ones are checked every time instead of cached,
// which bounds the cache at about 1 MiB.
const MAX_CACHED_HEADER_LENGTH = 1_024;
const headers = new BoundedCache<string, AcceptedHeader>(1_024);
const uris = new BoundedCache<string, NormalizedHttpUri>(256);

/** Rules 2 (rest of compact-jws for the header), 3 typ, 4 alg and 5 jwk on a decoded header. */
async function checkHeader(
  joseHeader: Record<string, unknown>,
  settings: Settings,
): Promise<AcceptedHeader | DpopRejected> {
  // RFC 7515 §4.1.11: no extension is understood here, so none may be critical (this also
  // excludes RFC 7797 unencoded payloads).
  if (Object.hasOwn(joseHeader, 'crit')) return reject('compact-jws', 'JWS header has crit');

  // 3. typ (step 4).
  if (own(joseHeader, 'typ') !== 'dpop+jwt') return reject('typ', 'typ is not dpop+jwt');

  // 4. alg (step 5): asymmetric and allowed; never none or a MAC.
  const alg = own(joseHeader, 'alg');
  if (typeof alg !== 'string' || !settings.algorithms.includes(alg)) {
    return reject('alg', 'alg is not an accepted algorithm');
  }

  // 5. jwk (step 7): public only, of the type alg needs, and a valid key.
  const checked = publicJwk(own(joseHeader, 'jwk'), alg);
  if (!checked.ok) return reject('jwk', checked.reason);
  const jkt = sha256Base64url(checked.thumbprintInput);
  const key = await importPublicKey(`${alg}:${jkt}`, checked.jwk, alg);
  if (key === undefined) return reject('jwk', 'jwk is not a valid public key');
  // RFC 7518 §3.4: an ES256 JWS signature is R || S, not DER.
  const verifyKey = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return { ok: true, alg: alg as DpopAlgorithm, jwk: checked.jwk, jkt, key: verifyKey };
}

/** RFC 3986 normalization, memoised: an endpoint sees the same few URIs again and again. */
function normalized(uri: string): NormalizedHttpUri {
  let result = uris.get(uri);
  if (result === undefined) {
    result = normalizeHttpUri(uri);
    if (uri.length <= MAX_CACHED_HEADER_LENGTH) uris.set(uri, result);
  }
  return result;
}

interface Settings {
  algorithms: readonly string[];
  maxAgeMs: number;
  skewMs: number;
  replayTimeoutMs: number;
}

function readSettings(options: VerifyDpopProofOptions): Settings {
  const maxAgeSeconds = options.maxAgeSeconds ?? 300;
  const skewSeconds = options.clockSkewSeconds ?? maxAgeSeconds;
  const replayTimeoutMs = options.replayTimeoutMs ?? 1_000;
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  if (!isNonNegative(maxAgeSeconds)) throw new TypeError('verifyDpopProof: maxAgeSeconds must be ≥ 0');
  if (!isNonNegative(skewSeconds)) throw new TypeError('verifyDpopProof: clockSkewSeconds must be ≥ 0');
  if (!isNonNegative(replayTimeoutMs) || replayTimeoutMs === 0) {
    throw new TypeError('verifyDpopProof: replayTimeoutMs must be > 0');
  }
  if (typeof options.now !== 'function') throw new TypeError('verifyDpopProof: now must be a function');
  if (algorithms.length === 0 || !algorithms.every((alg) => DEFAULT_ALGORITHMS.includes(alg))) {
    throw new TypeError('verifyDpopProof: algorithms must be a non-empty subset of ES256, EdDSA, Ed25519');
  }
  return { algorithms, maxAgeMs: maxAgeSeconds * 1000, skewMs: skewSeconds * 1000, replayTimeoutMs };
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function reject(rule: DpopRule, reason: string): DpopRejected {
  return { ok: false, rule, reason };
}

function singleHeader(proof: unknown): { ok: true; value: unknown } | DpopRejected {
  let value = proof;
  if (Array.isArray(proof)) {
    if (proof.length > 1) return reject('single-header', 'more than one DPoP header');
    value = proof[0];
  }
  if (value === undefined || value === null) return reject('single-header', 'no DPoP header');
  // Node joins repeated headers with ", "; a compact JWS never contains a comma.
  if (typeof value === 'string' && value.includes(',')) {
    return reject('single-header', 'more than one DPoP header');
  }
  return { ok: true, value };
}

type PublicJwkCheck =
  | { ok: true; jwk: DpopPublicJwk; thumbprintInput: string }
  | { ok: false; reason: string };

function publicJwk(value: unknown, alg: string): PublicJwkCheck {
  if (!isPlainObject(value)) return { ok: false, reason: 'jwk is missing or not an object' };
  // RFC 9449 §4.2: the jwk "MUST NOT contain a private key".
  for (const member of PRIVATE_MEMBERS) {
    if (Object.hasOwn(value, member)) return { ok: false, reason: 'jwk contains private key material' };
  }
  const kty = own(value, 'kty');
  const crv = own(value, 'crv');
  const x = own(value, 'x');
  const y = own(value, 'y');
  let jwk: DpopPublicJwk;
  if (alg === 'ES256') {
    if (kty !== 'EC' || crv !== 'P-256' || !isCoordinate(x) || !isCoordinate(y)) {
      return { ok: false, reason: 'jwk is not an EC P-256 public key as ES256 requires' };
    }
    jwk = { kty, crv, x, y };
  } else {
    if (kty !== 'OKP' || crv !== 'Ed25519' || !isCoordinate(x) || y !== undefined) {
      return { ok: false, reason: 'jwk is not an OKP Ed25519 public key as EdDSA requires' };
    }
    jwk = { kty, crv, x };
  }
  // Optional members must not contradict the use made of the key (RFC 7517 §4.2–4.4).
  const jwkAlg = own(value, 'alg');
  if (jwkAlg !== undefined && jwkAlg !== alg) {
    return { ok: false, reason: 'jwk alg differs from the JWS alg' };
  }
  const use = own(value, 'use');
  if (use !== undefined && use !== 'sig') return { ok: false, reason: 'jwk use is not sig' };
  const keyOps = own(value, 'key_ops');
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) {
    return { ok: false, reason: 'jwk key_ops does not allow verify' };
  }
  const input = thumbprintInput(jwk);
  // Unreachable: jwk has every required member as a string.
  if (input === undefined) return { ok: false, reason: 'jwk is missing required members' };
  return { ok: true, jwk, thumbprintInput: input };
}

// JWS signatures of both algorithms are 64 bytes (86 base64url characters): R || S for ES256
// (RFC 7518 §3.4), the Ed25519 signature for EdDSA (RFC 8037 §3.1).
const SIGNATURE_BYTES = 64;
const SIGNATURE_CHARS = 86;
// Reused buffers for the signing input and the signature: written and consumed within one
// synchronous call, so no proof allocates (and later collects) buffers for them.
const inputScratch = Buffer.alloc(8_192);
const signatureScratch = Buffer.alloc(SIGNATURE_BYTES);

/**
 * Verifies the JWS signature of `jws` (the first `signingInputLength` characters are the signing
 * input) with node:crypto's one-shot `verify`, the primitive SPEC §9 measures against. jose 6
 * verifies through WebCrypto, whose per-call job dispatch alone cost about half the throughput
 * here (README "Decisions"); jose still imports and checks the key. Never throws.
 */
function verifySignature(
  alg: string,
  key: AcceptedHeader['key'],
  jws: string,
  signingInputLength: number,
  encodedSignature: string,
): boolean {
  if (encodedSignature.length !== SIGNATURE_CHARS) return false;
  if (signatureScratch.write(encodedSignature, 'base64url') !== SIGNATURE_BYTES) return false;
  // The signing input is base64url and '.', so latin1 writes exactly its ASCII bytes.
  const data = inputScratch.subarray(0, inputScratch.write(jws, 0, signingInputLength, 'latin1'));
  try {
    return verify(alg === 'ES256' ? 'sha256' : null, data, key, signatureScratch);
  } catch {
    return false;
  }
}

/** A 32-byte value in canonical unpadded base64url: a P-256 coordinate or an Ed25519 public key. */
function isCoordinate(value: unknown): value is string {
  return typeof value === 'string' && value.length === 43 && decodeBase64url(value)?.length === 32;
}

async function checkNonce(nonce: unknown, policy: DpopNoncePolicy): Promise<DpopRejected | undefined> {
  if (nonce === undefined) {
    return policy.required ? { ...reject('nonce', 'nonce is required'), useNonce: true } : undefined;
  }
  if (typeof nonce !== 'string' || nonce.length === 0 || nonce.length > MAX_NONCE_LENGTH) {
    return { ...reject('nonce', 'nonce is not valid'), useNonce: true };
  }
  let valid: unknown;
  try {
    valid = await policy.verify(nonce);
  } catch (cause) {
    throw new DpopInfrastructureError('nonce', 'DPoP nonce verifier failed', cause);
  }
  return valid === true ? undefined : { ...reject('nonce', 'nonce is invalid or expired'), useNonce: true };
}

/**
 * Records the jti. A store that answers synchronously (memory) cannot hang and is answered without
 * a promise; a pending answer is bounded by `replayTimeoutMs`. Anything but true/false, a throw, a
 * rejection or a timeout is a {@link DpopInfrastructureError}.
 */
function rememberJti(
  replay: ReplayStore,
  jkt: string,
  jti: string,
  ttlMs: number,
  settings: Settings,
): boolean | Promise<boolean> {
  let answer: unknown;
  try {
    answer = replay.remember(jkt, jti, ttlMs);
  } catch (cause) {
    throw storeFailed(cause);
  }
  if (answer === true || answer === false) return answer;
  return withDeadline(Promise.resolve(answer), settings.replayTimeoutMs, () => {
    return new Error(`no answer within ${settings.replayTimeoutMs} ms`);
  }).then(
    (late) => {
      if (late === true || late === false) return late;
      throw new DpopInfrastructureError(
        'replay-store',
        'DPoP replay store gave an answer that is not a boolean',
      );
    },
    (cause: unknown) => {
      throw storeFailed(cause);
    },
  );
}

function storeFailed(cause: unknown): DpopInfrastructureError {
  return new DpopInfrastructureError('replay-store', 'DPoP replay store did not answer', cause);
}

/** Equality of two strings in time independent of where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Lengths are not secret (both are 43-character digests when well-formed); compare anyway so
  // the work done does not depend on the inputs.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
