// Encryption at rest for private keys (SPEC §6.2): AES-256-GCM (NIST SP 800-38D) under a 32-byte
// key-encryption key from the environment.
//
//   sealed = 'v1.' + base64url( iv (12 bytes) ‖ tag (16 bytes) ‖ ciphertext )
//
// The caller's `context` (the row id, the DID, the kid) is the additional authenticated data, so a
// sealed value copied into another row does not open there.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

/** Seals and opens short secrets (private JWKs) under one key-encryption key. */
export interface Sealer {
  /**
   * AES-256-GCM with a random 96-bit IV; `context` (e.g. the row id) is bound as additional authenticated
   * data. Output `v1.` + base64url(iv ‖ tag ‖ ciphertext). Throws TypeError when `plaintext` or
   * `context` is not a well-formed string (a lone UTF-16 surrogate would not survive UTF-8).
   */
  seal(plaintext: string, context: string): string;
  /**
   * Throws {@link SealError} (a message without any plaintext/key material) when the format, key or
   * context is wrong.
   */
  open(sealed: string, context: string): string;
}

/**
 * A sealed value that does not open: bad format, another key-encryption key, another context, or
 * tampering. The message names the kind of failure only; it never holds sealed data, plaintext or keys.
 *
 * @example
 * try {
 *   sealer.open(row.private_jwk_sealed, row.id);
 * } catch (error) {
 *   if (error instanceof SealError) log.error('stored key does not open; wrong KEY_ENCRYPTION_KEY?');
 *   throw error;
 * }
 */
export class SealError extends Error {
  override readonly name = 'SealError';
}

const VERSION_PREFIX = 'v1.';
const KEY_BYTES = 32;
const IV_BYTES = 12; // SP 800-38D §8.2: 96-bit IVs, random (§8.2.2)
const TAG_BYTES = 16; // full-length tag
const BASE64URL = /^[A-Za-z0-9_-]*$/;
// A lone surrogate. With the `u` flag a well-formed pair is one code point and does not match.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function isWellFormedString(value: unknown): value is string {
  return typeof value === 'string' && !LONE_SURROGATE.test(value);
}

/**
 * A {@link Sealer} for a 32-byte key-encryption key. The key is copied, so later changes to the array do
 * not affect the sealer. Random IVs: stay well below 2^32 seals per key (SP 800-38D §8.3).
 *
 * @throws TypeError unless `key` is a Uint8Array of exactly 32 bytes.
 * @example
 * const key = parseKeyEncryptionKey(process.env.KEY_ENCRYPTION_KEY ?? '');
 * if (key === undefined) throw new Error('KEY_ENCRYPTION_KEY must be 32 bytes (64 hex or 43 base64url)');
 * const sealer = createSealer(key);
 * const sealed = sealer.seal(JSON.stringify(privateJwk), rowId); // 'v1.…'
 * JSON.parse(sealer.open(sealed, rowId)); // the private JWK again
 */
export function createSealer(key: Uint8Array): Sealer {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new TypeError('key-encryption key must be 32 bytes');
  }
  // A KeyObject keeps the key outside the JS heap and out of util.inspect output.
  const secret: KeyObject = createSecretKey(Buffer.from(key));

  return {
    seal(plaintext, context) {
      if (!isWellFormedString(plaintext)) throw new TypeError('plaintext must be a well-formed string');
      if (!isWellFormedString(context)) throw new TypeError('context must be a well-formed string');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${VERSION_PREFIX}${Buffer.concat([iv, tag, ciphertext]).toString('base64url')}`;
    },

    open(sealed, context) {
      if (typeof sealed !== 'string' || !sealed.startsWith(VERSION_PREFIX)) {
        throw new SealError('sealed value has an unknown format');
      }
      if (!isWellFormedString(context)) throw new SealError('context must be a well-formed string');
      const body = sealed.slice(VERSION_PREFIX.length);
      // Length 4k+1 is never valid base64; Buffer.from would silently drop the extra character.
      if (!BASE64URL.test(body) || body.length % 4 === 1) {
        throw new SealError('sealed value is not base64url');
      }
      const bytes = Buffer.from(body, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES || bytes.toString('base64url') !== body) {
        throw new SealError('sealed value is truncated or not canonical base64url');
      }
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
      const ciphertext = bytes.subarray(IV_BYTES + TAG_BYTES);
      let plaintext: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
      } catch {
        // OpenSSL's message says nothing useful; do not pass it (or the data) on.
        throw new SealError('sealed value does not open: wrong key, wrong context or tampered');
      }
      try {
        // seal() only takes well-formed strings, so authentic plaintext is always valid UTF-8.
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(plaintext);
      } catch {
        throw new SealError('sealed value is not UTF-8');
      }
    },
  };
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64URL_KEY = /^[A-Za-z0-9_-]{43}$/;

/**
 * Parses a key-encryption key given as 64 hex characters (either case) or 43 base64url characters (no
 * padding), both 32 bytes; `undefined` otherwise. No trimming: a stray space or newline is refused
 * rather than guessed at. The last base64url character must be canonical (its 2 spare bits zero).
 *
 * @example
 * parseKeyEncryptionKey('00'.repeat(32)); // Uint8Array(32)
 * parseKeyEncryptionKey(randomBytes(32).toString('base64url')); // Uint8Array(32)
 * parseKeyEncryptionKey('too-short'); // undefined
 */
export function parseKeyEncryptionKey(text: string): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  if (HEX_KEY.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  if (BASE64URL_KEY.test(text)) {
    const bytes = Buffer.from(text, 'base64url');
    if (bytes.length === KEY_BYTES && bytes.toString('base64url') === text) return new Uint8Array(bytes);
  }
  return undefined;
}
