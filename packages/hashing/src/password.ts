import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { argon2id, hash as nativeHash, verify as nativeVerify } from 'argon2';
import { createGate } from './gate.js';
import type { PasswordHashFormatReason } from './phc.js';
import { encodePhc, parsePhc, withinArgon2Limits } from './phc.js';

/**
 * Default password hashing parameters: OWASP Password Storage Cheat Sheet, argon2id
 * "m=19456 (19 MiB), t=2, p=1", and the input bound of this package.
 */
export const PASSWORD_HASH_DEFAULTS = Object.freeze({
  /** Memory cost `m`, in KiB (19 MiB). */
  memoryCostKiB: 19_456,
  /** Time cost `t`, in passes over memory. */
  timeCost: 2,
  /** Parallelism `p`, in lanes (threads per hash). */
  parallelism: 1,
  /** Longest accepted password, in UTF-8 bytes, checked before any argon2 work. */
  maxPasswordBytes: 1024,
});

// Tag length and salt length of every hash we write: the argon2 package's defaults, stated here so
// that needsRehash() compares against what hash() actually produces (RFC 9106 §4: 128-bit salt,
// 256-bit tag).
const HASH_BYTES = 32;
const MIN_SALT_BYTES = 16;
const ARGON2_VERSION = 0x13;
const MAX_PASSWORD_BYTES_LIMIT = 65_536;

/** Argon2 cost parameters and input bound. Every field defaults to {@link PASSWORD_HASH_DEFAULTS}. */
export interface PasswordHashOptions {
  /** Memory cost `m`, in KiB. Default 19456 (19 MiB). Between 8 × parallelism and 1048576 (1 GiB). */
  readonly memoryCostKiB?: number;
  /** Time cost `t`, in passes. Default 2. Between 1 and 32. */
  readonly timeCost?: number;
  /** Parallelism `p`, in lanes. Default 1. Between 1 and 16. */
  readonly parallelism?: number;
  /** Longest accepted password, in UTF-8 bytes. Default 1024. Between 1 and 65536. */
  readonly maxPasswordBytes?: number;
}

/** The subset of the `argon2` package this package calls; inject a wrapper to observe it in tests. */
export interface Argon2Backend {
  readonly hash: (password: string, options: Argon2HashOptions) => Promise<string>;
  readonly verify: (phc: string, password: string) => Promise<boolean>;
}

/** Options passed to {@link Argon2Backend.hash}, in the `argon2` package's own names and units (KiB). */
export interface Argon2HashOptions {
  readonly type: typeof argon2id;
  readonly version: number;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly hashLength: number;
}

export interface PasswordHasherOptions extends PasswordHashOptions {
  /** The argon2 implementation. Default: the native `argon2` package (work runs on libuv's threadpool). */
  readonly argon2?: Argon2Backend;
  /**
   * Most argon2 computations running at once. Default: the cores this process may use, minus one
   * (at least 1), so password work never occupies every core and the event loop keeps a core for
   * other requests during a login flood. The rest wait in FIFO order.
   */
  readonly maxConcurrent?: number;
  /**
   * Most computations waiting for a slot; one more is refused at once with
   * {@link PasswordHasherBusyError} (shed load rather than queue unboundedly). Default 64.
   */
  readonly maxQueued?: number;
}

/** Why a password was refused before any argon2 work. */
export type PasswordRejection =
  /** The empty string (never hashed, so it can never match). */
  | 'empty'
  /** Longer than `maxPasswordBytes` UTF-8 bytes. */
  | 'too_long'
  /** Contains a lone UTF-16 surrogate (cannot be encoded as UTF-8), or is not a string at all. */
  | 'not_well_formed';

// The shape of `Result` in @portcullis/errors, spelled out: this package does not depend on it.
/** The PHC string to store, or why the password was refused before any argon2 work. */
export type HashPasswordResult = { readonly ok: true; readonly phc: string } | PasswordRefusal;

type PasswordRefusal = { readonly ok: false; readonly reason: PasswordRejection };

/** A password hasher bound to one parameter set and one argon2 implementation. */
export interface PasswordHasher {
  /** The resolved parameters, defaults applied. */
  readonly parameters: Readonly<Required<PasswordHashOptions>>;
  /**
   * Hashes a new password with argon2id and returns the PHC string to store, e.g.
   * `$argon2id$v=19$m=19456,t=2,p=1$<16-byte salt>$<32-byte hash>` (base64, unpadded).
   *
   * Costs one argon2 computation: about 50 ms of one libuv threadpool thread and 19 MiB of memory
   * at the defaults. The password is NFKC-normalized first; the empty string, a password longer
   * than `maxPasswordBytes` UTF-8 bytes and a string with a lone surrogate are refused before any
   * argon2 work, as a result (they are user input), never as an exception. Password policy
   * (minimum length, …) is the caller's.
   *
   * @example
   * const result = await passwords.hash(body.newPassword);
   * if (!result.ok) return validationError('newPassword', result.reason); // 'empty' | 'too_long' | 'not_well_formed'
   * await tenants.setPasswordHash(tenantId, result.phc);
   */
  readonly hash: (password: string) => Promise<HashPasswordResult>;
  /**
   * Checks a password against a stored argon2 PHC string (argon2id, or legacy argon2i / argon2d,
   * with the parameters stored in the string). Costs one argon2 computation.
   *
   * A password refused by the input rules of `hash` gives `false` without argon2 work. A stored
   * string that is not a supported argon2 PHC string rejects with {@link PasswordHashFormatError}
   * (a data fault, not a wrong password); a failure inside argon2 rejects with that error. Neither
   * error ever contains the password or the stored hash.
   *
   * @example
   * if (await passwords.verify(tenant.passwordHash, body.currentPassword)) {
   *   // correct current password: allow the change
   * }
   */
  readonly verify: (phc: string, password: string) => Promise<boolean>;
  /**
   * The login check: `verify` when the account exists, and when it does not (`phc` is `null` or
   * `undefined`) exactly one argon2 verify against a dummy hash made with the same parameters, then
   * `false`. Unknown account and wrong password thus take the same argon2 path and cost.
   *
   * @example
   * const tenant = await tenants.findByUuid(body.uuid);
   * if (!(await passwords.verifyOrDummy(tenant?.passwordHash, body.password))) {
   *   return unauthorized('Invalid credentials'); // one message for unknown uuid and wrong password
   * }
   */
  readonly verifyOrDummy: (phc: string | null | undefined, password: string) => Promise<boolean>;
  /**
   * True when a stored hash should be replaced on the next successful login: it is not argon2id,
   * not argon2 version 19, or its m, t, p or hash length differ from this hasher's parameters (or
   * its salt is shorter than 16 bytes). Cheap: parses the string, no argon2 work. Throws
   * {@link PasswordHashFormatError} for a string that is not a supported argon2 PHC string.
   *
   * @example
   * if (passwords.needsRehash(stored)) {
   *   const next = await passwords.hash(password);
   *   if (next.ok) await tenants.setPasswordHash(tenantId, next.phc);
   * }
   */
  readonly needsRehash: (phc: string) => boolean;
  /** Computes the dummy hash now (call at boot), so the first unknown-account login is not slower than later ones. */
  readonly warmUp: () => Promise<void>;
}

/**
 * A stored password hash is not a supported argon2 PHC string. This is a data or infrastructure
 * fault (a corrupt row, a hash from another system), never a wrong password: an infrastructure
 * failure must not turn into "invalid credentials", so it is thrown (the login
 * route answers 500 and the operator sees `reason` in the log) rather than returned as `false`.
 * The message carries neither the password nor the stored hash.
 */
export class PasswordHashFormatError extends Error {
  override readonly name = 'PasswordHashFormatError';
  readonly reason: PasswordHashFormatReason;

  constructor(reason: PasswordHashFormatReason) {
    super(`Stored password hash is not a supported argon2 PHC string (${reason})`);
    this.reason = reason;
  }
}

const nativeArgon2: Argon2Backend = {
  hash: (password, options) => nativeHash(password, options),
  verify: (phc, password) => nativeVerify(phc, password),
};

// A lone surrogate, matched as its own code point in unicode mode (paired surrogates form one
// astral code point of another category).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The form in which a password is hashed and verified: Unicode NFKC (NIST SP 800-63B §5.1.1.2),
 * so the same password typed on systems that compose characters differently ('é' as U+00E9 or as
 * e + U+0301, full-width letters) is one password. Any rule about a password (its length, that a
 * new one differs from the old) must look at this form, or the rule and the hash disagree: six
 * 'e' + U+0301 are twelve code points as typed but six characters as hashed.
 *
 * @example
 * normalizePassword('cafe\u0301'); // 'café' (4 code points)
 * normalizePassword('\uff50\uff57'); // 'pw'
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * The length of a password as it is hashed: code points of its {@link normalizePassword} form,
 * so an emoji counts once and a letter with a combining accent that NFKC composes counts once.
 *
 * @example
 * passwordLength('e\u0301'.repeat(6)); // 6
 * passwordLength('\u{1F511}'.repeat(12)); // 12
 */
export function passwordLength(password: string): number {
  let length = 0;
  for (const _codePoint of normalizePassword(password)) length += 1;
  return length;
}

type CheckedPassword = { readonly ok: true; readonly value: string } | PasswordRefusal;

function checkPassword(password: unknown, maxPasswordBytes: number): CheckedPassword {
  if (typeof password !== 'string') {
    return { ok: false, reason: 'not_well_formed' };
  }
  if (password.length === 0) {
    return { ok: false, reason: 'empty' };
  }
  // Every UTF-16 code unit takes at least one UTF-8 byte, so this refuses a huge input in O(1)
  // before any scan; the exact byte count follows.
  if (password.length > maxPasswordBytes) {
    return { ok: false, reason: 'too_long' };
  }
  // UTF-8 encoding would turn each lone surrogate into U+FFFD, so two different strings would hash
  // alike; refuse instead of silently merging them.
  if (LONE_SURROGATE.test(password)) {
    return { ok: false, reason: 'not_well_formed' };
  }
  if (Buffer.byteLength(password, 'utf8') > maxPasswordBytes) {
    return { ok: false, reason: 'too_long' };
  }
  // NIST SP 800-63B §5.1.1.2 (see normalizePassword). The byte bound above applies to the input
  // as received.
  return { ok: true, value: normalizePassword(password) };
}

function resolveOptions(options: PasswordHashOptions): Readonly<Required<PasswordHashOptions>> {
  const resolved = Object.freeze({
    memoryCostKiB: options.memoryCostKiB ?? PASSWORD_HASH_DEFAULTS.memoryCostKiB,
    timeCost: options.timeCost ?? PASSWORD_HASH_DEFAULTS.timeCost,
    parallelism: options.parallelism ?? PASSWORD_HASH_DEFAULTS.parallelism,
    maxPasswordBytes: options.maxPasswordBytes ?? PASSWORD_HASH_DEFAULTS.maxPasswordBytes,
  });
  // Configuration errors are programming or deployment faults, caught at boot: thrown.
  if (!withinArgon2Limits(resolved)) {
    throw new RangeError(
      'Invalid argon2 options: need integers with 1 ≤ parallelism ≤ 16, 1 ≤ timeCost ≤ 32, ' +
        '8 × parallelism ≤ memoryCostKiB ≤ 1048576',
    );
  }
  if (
    !Number.isInteger(resolved.maxPasswordBytes) ||
    resolved.maxPasswordBytes < 1 ||
    resolved.maxPasswordBytes > MAX_PASSWORD_BYTES_LIMIT
  ) {
    throw new RangeError('Invalid maxPasswordBytes: need an integer between 1 and 65536');
  }
  return resolved;
}

/**
 * Creates a password hasher bound to one argon2id parameter set. Apps create one at boot from
 * their configuration and call `warmUp()`.
 *
 * Throws `RangeError` for parameters outside the documented bounds (a configuration fault).
 *
 * @param options - Cost parameters (units in the names), input bound, and optionally the argon2
 *   implementation to call (default: the native `argon2` package).
 *
 * @example
 * ```ts
 * const passwords = createPasswordHasher({ memoryCostKiB: 19_456, timeCost: 2, parallelism: 1 });
 * await passwords.warmUp();
 *
 * const tenant = await tenants.findByUuid(uuid); // null when unknown
 * const ok = await passwords.verifyOrDummy(tenant?.passwordHash, password);
 * if (!ok) return unauthorized();
 * if (passwords.needsRehash(tenant.passwordHash)) {
 *   const rehashed = await passwords.hash(password);
 *   if (rehashed.ok) await tenants.setPasswordHash(tenant.id, rehashed.phc);
 * }
 * ```
 */
export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const parameters = resolveOptions(options);
  const backend = options.argon2 ?? nativeArgon2;
  const { memoryCostKiB, timeCost, parallelism, maxPasswordBytes } = parameters;
  const maxConcurrent = options.maxConcurrent ?? Math.max(1, availableParallelism() - 1);
  const maxQueued = options.maxQueued ?? 64;
  if (
    !Number.isInteger(maxConcurrent) ||
    maxConcurrent < 1 ||
    !Number.isInteger(maxQueued) ||
    maxQueued < 0
  ) {
    throw new RangeError(
      'Invalid maxConcurrent / maxQueued: need integers, maxConcurrent ≥ 1, maxQueued ≥ 0',
    );
  }
  const gate = createGate(maxConcurrent, maxQueued);
  // Every argon2 computation, dummy ones included, goes through the gate: the same queue for
  // known and unknown accounts, so waiting time reveals nothing either.
  const argon2: Argon2Backend = {
    hash: (password, hashOptions) => gate.run(() => backend.hash(password, hashOptions)),
    verify: (phc, password) => gate.run(() => backend.verify(phc, password)),
  };

  async function hash(password: string): Promise<HashPasswordResult> {
    const checked = checkPassword(password, maxPasswordBytes);
    if (!checked.ok) {
      return checked;
    }
    const produced = await argon2.hash(checked.value, {
      type: argon2id,
      version: ARGON2_VERSION,
      memoryCost: memoryCostKiB,
      timeCost,
      parallelism,
      hashLength: HASH_BYTES,
    });
    // Re-encode in the canonical m,t,p order (the argon2 package writes m,p,t, which the reference
    // implementation and other languages' libraries refuse), after checking that the library did
    // what we asked.
    const parsed = parsePhc(produced);
    if (
      !parsed.ok ||
      parsed.parsed.info.algorithm !== 'argon2id' ||
      parsed.parsed.info.version !== 19 ||
      parsed.parsed.info.memoryCostKiB !== memoryCostKiB ||
      parsed.parsed.info.timeCost !== timeCost ||
      parsed.parsed.info.parallelism !== parallelism ||
      parsed.parsed.info.hashBytes !== HASH_BYTES
    ) {
      throw new Error('argon2 returned a hash that does not match the requested parameters');
    }
    return { ok: true, phc: encodePhc(parsed.parsed) };
  }

  async function verify(phc: string, password: string): Promise<boolean> {
    // The stored hash is checked first, so a corrupt row is reported whatever the password.
    const parsed = parsePhc(phc);
    if (!parsed.ok) {
      throw new PasswordHashFormatError(parsed.reason);
    }
    // A refused password can never match (hash() never stores one), and refusing it costs the
    // same for known and unknown accounts, so the early return reveals nothing about the account.
    const checked = checkPassword(password, maxPasswordBytes);
    if (!checked.ok) {
      return false;
    }
    // argon2 is handed the canonical re-encoding of what we validated, nothing else. An argon2
    // failure (rejection) propagates: it is an infrastructure error, not "wrong password".
    return (await argon2.verify(encodePhc(parsed.parsed), checked.value)) === true;
  }

  // The dummy hash uses the current parameters, so a verify against it costs what a
  // verify against a current real hash costs. Cached as a promise so concurrent first callers share
  // one computation; a failed computation is forgotten so the next call retries.
  let dummy: Promise<string> | undefined;

  function dummyHash(): Promise<string> {
    if (dummy === undefined) {
      const pending = hash(randomBytes(32).toString('hex')).then((result) => {
        if (!result.ok) {
          throw new Error('could not compute the dummy password hash');
        }
        return result.phc;
      });
      dummy = pending;
      pending.catch(() => {
        if (dummy === pending) {
          dummy = undefined;
        }
      });
    }
    return dummy;
  }

  async function verifyOrDummy(phc: string | null | undefined, password: string): Promise<boolean> {
    if (phc !== null && phc !== undefined) {
      return verify(phc, password);
    }
    // Same input check as verify(), so an unknown account and a known one refuse the same inputs
    // without argon2 work, and spend exactly one argon2 verify on every other input.
    const checked = checkPassword(password, maxPasswordBytes);
    if (!checked.ok) {
      return false;
    }
    // The dummy's password is random and discarded, and the outcome is ignored: an absent
    // account never authenticates.
    await argon2.verify(await dummyHash(), checked.value);
    return false;
  }

  function needsRehash(phc: string): boolean {
    const parsed = parsePhc(phc);
    if (!parsed.ok) {
      throw new PasswordHashFormatError(parsed.reason);
    }
    const info = parsed.parsed.info;
    return (
      info.algorithm !== 'argon2id' ||
      info.version !== 19 ||
      info.memoryCostKiB !== memoryCostKiB ||
      info.timeCost !== timeCost ||
      info.parallelism !== parallelism ||
      info.hashBytes !== HASH_BYTES ||
      info.saltBytes < MIN_SALT_BYTES
    );
  }

  async function warmUp(): Promise<void> {
    await dummyHash();
  }

  return Object.freeze({ parameters, hash, verify, verifyOrDummy, needsRehash, warmUp });
}
