// Parsing and canonical encoding of argon2 PHC strings, e.g.
//   $argon2id$v=19$m=19456,t=2,p=1$<salt, unpadded base64>$<hash, unpadded base64>
// Format: PHC string format (https://github.com/P-H-C/phc-string-format, C2SP phc-strings) and the
// argon2 reference encoding (phc-winner-argon2 src/encoding.c).
//
// We parse stored hashes ourselves, strictly and within bounds, before any of them reaches the
// argon2 package: a corrupted or hostile row must neither crash the process nor make one verify
// allocate gigabytes (m) or spawn thousands of threads (p).

/** Argon2 variants a stored hash may use. Only `argon2id` is produced; the others are verified and rehashed. */
export type Argon2Algorithm = 'argon2id' | 'argon2i' | 'argon2d';

/** Why a stored string is not a usable argon2 PHC string. */
export type PasswordHashFormatReason =
  /** Not a PHC string of the expected shape (segments, digits, base64, lengths). */
  | 'malformed'
  /** A PHC string for another function (bcrypt `$2b$`, `$scrypt$`, `$pbkdf2-sha256$`, …). */
  | 'unsupported_algorithm'
  /** An argon2 version other than 0x10 (16) or 0x13 (19). */
  | 'unsupported_version'
  /** Argon2 `keyid` or `data` (associated data) parameters, which this package never writes. */
  | 'unsupported_parameters'
  /** m, t, p, salt or hash length outside {@link ARGON2_LIMITS}. */
  | 'parameters_out_of_range';

/** The parameters carried by a stored argon2 PHC string. */
export interface PasswordHashInfo {
  readonly algorithm: Argon2Algorithm;
  /** Argon2 version number: 19 (0x13, current) or 16 (0x10). */
  readonly version: 16 | 19;
  /** Memory cost `m`, in KiB. */
  readonly memoryCostKiB: number;
  /** Time cost `t`, in passes over memory. */
  readonly timeCost: number;
  /** Parallelism `p`, in lanes. */
  readonly parallelism: number;
  /** Salt length, in bytes. */
  readonly saltBytes: number;
  /** Hash (tag) length, in bytes. */
  readonly hashBytes: number;
}

// The shape of `Result` in @portcullis/errors, spelled out: this package does not depend on it.
/** The parameters of a usable stored hash, or why it is unusable. */
export type ParsePasswordHashResult =
  | { readonly ok: true; readonly hash: PasswordHashInfo }
  | PasswordHashFormatFailure;

type PasswordHashFormatFailure = { readonly ok: false; readonly reason: PasswordHashFormatReason };

/**
 * Bounds applied to every argon2 parameter this package reads from a stored hash or accepts as an
 * option. The lower bounds are argon2's own (RFC 9106 §3.1: m ≥ 8·p KiB, t ≥ 1, salt ≥ 8 bytes,
 * tag ≥ 4 bytes); the upper bounds are ours, far above any sane configuration, so that one corrupt
 * row cannot exhaust memory or threads.
 */
export const ARGON2_LIMITS = Object.freeze({
  /** Upper bound of `m`, in KiB (1 GiB). The lower bound is 8 × parallelism. */
  maxMemoryCostKiB: 1_048_576,
  /** Upper bound of `t`, in passes. */
  maxTimeCost: 32,
  /** Upper bound of `p`, in lanes (the native binding starts one thread per lane). */
  maxParallelism: 16,
  minSaltBytes: 8,
  maxSaltBytes: 64,
  minHashBytes: 4,
  maxHashBytes: 64,
  /** Longest stored string examined at all, in characters; longer is `malformed` without further work. */
  maxPhcLength: 512,
});

/** Parsed form kept internally: the info plus the original base64 segments, for re-encoding. */
export interface ParsedPhc {
  readonly info: PasswordHashInfo;
  readonly saltB64: string;
  readonly hashB64: string;
}

type InternalParseResult = { readonly ok: true; readonly parsed: ParsedPhc } | PasswordHashFormatFailure;

const ARGON2_ALGORITHMS: ReadonlySet<string> = new Set<Argon2Algorithm>(['argon2id', 'argon2i', 'argon2d']);
// PHC: the function identifier is [a-z0-9-]{1,32}.
const PHC_ID = /^[a-z0-9-]{1,32}$/;
const VERSION = /^v=(0|[1-9][0-9]{0,9})$/;
// PHC: a parameter is name=value, value from [a-zA-Z0-9/+.-]; m, t and p are decimal without
// leading zeros, and 10 digits bound them below 2^34.
const PARAM = /^([a-z0-9-]{1,32})=([a-zA-Z0-9/+.-]{1,128})$/;
const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;
// PHC: salt and hash are standard base64 without padding.
const B64 = /^[A-Za-z0-9+/]+$/;

/** Decoded byte length of unpadded base64, or -1 when the length is impossible (4n + 1). */
function b64Bytes(segment: string): number {
  const remainder = segment.length % 4;
  if (remainder === 1) {
    return -1;
  }
  return Math.floor(segment.length / 4) * 3 + (remainder === 0 ? 0 : remainder - 1);
}

/** @internal Parses a stored PHC string, keeping the base64 segments. Never throws. */
export function parsePhc(phc: unknown): InternalParseResult {
  if (typeof phc !== 'string' || phc.length === 0 || phc.length > ARGON2_LIMITS.maxPhcLength) {
    return { ok: false, reason: 'malformed' };
  }
  const segments = phc.split('$');
  const [lead, id] = segments;
  if (lead !== '' || id === undefined || !PHC_ID.test(id)) {
    return { ok: false, reason: 'malformed' };
  }
  if (!ARGON2_ALGORITHMS.has(id)) {
    return { ok: false, reason: 'unsupported_algorithm' };
  }
  // The version segment is optional in the PHC grammar (absent means argon2 1.0), but every
  // argon2 1.3 producer writes it; a hash without it is older than anything we need to accept.
  if (segments.length !== 6) {
    return { ok: false, reason: 'malformed' };
  }
  const [, , versionSegment = '', paramSegment = '', saltB64 = '', hashB64 = ''] = segments;

  const versionMatch = VERSION.exec(versionSegment);
  if (versionMatch === null) {
    return { ok: false, reason: 'malformed' };
  }
  const version = Number(versionMatch[1]);
  if (version !== 16 && version !== 19) {
    return { ok: false, reason: 'unsupported_version' };
  }

  // The argon2 encoding fixes the order m,t,p, but node-argon2 0.4x writes m,p,t
  // (ranisalt/node-argon2#559), so any order of the three is read; each must appear exactly once.
  const params = new Map<string, number>();
  for (const item of paramSegment.split(',')) {
    const match = PARAM.exec(item);
    if (match === null) {
      return { ok: false, reason: 'malformed' };
    }
    const [, name = '', value = ''] = match;
    if (name === 'keyid' || name === 'data') {
      return { ok: false, reason: 'unsupported_parameters' };
    }
    if ((name !== 'm' && name !== 't' && name !== 'p') || params.has(name) || !DECIMAL.test(value)) {
      return { ok: false, reason: 'malformed' };
    }
    params.set(name, Number(value));
  }
  const memoryCostKiB = params.get('m');
  const timeCost = params.get('t');
  const parallelism = params.get('p');
  if (memoryCostKiB === undefined || timeCost === undefined || parallelism === undefined) {
    return { ok: false, reason: 'malformed' };
  }

  if (!B64.test(saltB64) || !B64.test(hashB64)) {
    return { ok: false, reason: 'malformed' };
  }
  const saltBytes = b64Bytes(saltB64);
  const hashBytes = b64Bytes(hashB64);
  if (saltBytes < 0 || hashBytes < 0) {
    return { ok: false, reason: 'malformed' };
  }

  if (
    !withinArgon2Limits({ memoryCostKiB, timeCost, parallelism }) ||
    saltBytes < ARGON2_LIMITS.minSaltBytes ||
    saltBytes > ARGON2_LIMITS.maxSaltBytes ||
    hashBytes < ARGON2_LIMITS.minHashBytes ||
    hashBytes > ARGON2_LIMITS.maxHashBytes
  ) {
    return { ok: false, reason: 'parameters_out_of_range' };
  }

  return {
    ok: true,
    parsed: {
      info: {
        algorithm: id as Argon2Algorithm,
        version,
        memoryCostKiB,
        timeCost,
        parallelism,
        saltBytes,
        hashBytes,
      },
      saltB64,
      hashB64,
    },
  };
}

/** @internal True when m, t and p are integers inside {@link ARGON2_LIMITS} (and m ≥ 8·p). */
export function withinArgon2Limits(params: {
  readonly memoryCostKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}): boolean {
  const { memoryCostKiB, timeCost, parallelism } = params;
  return (
    Number.isInteger(parallelism) &&
    parallelism >= 1 &&
    parallelism <= ARGON2_LIMITS.maxParallelism &&
    Number.isInteger(timeCost) &&
    timeCost >= 1 &&
    timeCost <= ARGON2_LIMITS.maxTimeCost &&
    Number.isInteger(memoryCostKiB) &&
    memoryCostKiB >= 8 * parallelism &&
    memoryCostKiB <= ARGON2_LIMITS.maxMemoryCostKiB
  );
}

/** @internal Encodes in the canonical argon2 order `m,t,p` (PHC string format, argon2 encoding). */
export function encodePhc(parsed: ParsedPhc): string {
  const { algorithm, version, memoryCostKiB, timeCost, parallelism } = parsed.info;
  return `$${algorithm}$v=${version}$m=${memoryCostKiB},t=${timeCost},p=${parallelism}$${parsed.saltB64}$${parsed.hashB64}`;
}

/**
 * Reads the algorithm and parameters of a stored argon2 PHC string, strictly and within
 * {@link ARGON2_LIMITS}. Never throws; runs in time linear in the input, and inputs longer than
 * 512 characters are `malformed` without further work. Useful for operational checks (how many
 * stored hashes still use old parameters) and to explain a {@link PasswordHashFormatError}.
 *
 * @param phc - A stored PHC string (or any value read from storage).
 * @returns The parameters, or the reason the string is not usable.
 *
 * @example
 * ```ts
 * const result = parsePasswordHash(row.password_hash);
 * if (result.ok) {
 *   metrics.hashParams.inc({ m: result.hash.memoryCostKiB, t: result.hash.timeCost });
 * } else {
 *   log.error({ tenant: row.slug, reason: result.reason }, 'unusable password hash');
 * }
 * ```
 */
export function parsePasswordHash(phc: string): ParsePasswordHashResult {
  const result = parsePhc(phc);
  return result.ok ? { ok: true, hash: result.parsed.info } : result;
}
