export { digestKey } from './digest.js';
export { PasswordHasherBusyError } from './gate.js';
export type {
  Argon2Backend,
  Argon2HashOptions,
  HashPasswordResult,
  PasswordHasher,
  PasswordHasherOptions,
  PasswordHashOptions,
  PasswordRejection,
} from './password.js';
export {
  createPasswordHasher,
  normalizePassword,
  PASSWORD_HASH_DEFAULTS,
  PasswordHashFormatError,
  passwordLength,
} from './password.js';
export type {
  Argon2Algorithm,
  ParsePasswordHashResult,
  PasswordHashFormatReason,
  PasswordHashInfo,
} from './phc.js';
export { ARGON2_LIMITS, parsePasswordHash } from './phc.js';
export { timingSafeEqualString } from './timing-safe.js';
