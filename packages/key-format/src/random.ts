import { randomBytes } from 'node:crypto';

/** A source of uniformly random bytes; `crypto.randomBytes` outside tests. */
export type RandomByteSource = (size: number) => Uint8Array;

/** `bytes` random bytes as lowercase hex (2 characters per byte). SPEC §2: hex is lowercase. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * `length` characters drawn uniformly and independently from `alphabet` (at most 256 symbols).
 *
 * Rejection sampling: a byte is used only when it is below the largest multiple of the alphabet size
 * that fits in 256 (252 for 36 symbols), so every symbol has probability exactly 1/|alphabet|. Taking
 * `byte % 36` on every byte would make the first 4 symbols 8/7 times as likely as the others.
 */
export function randomString(
  length: number,
  alphabet: string,
  source: RandomByteSource = randomBytes,
): string {
  const size = alphabet.length;
  const limit = 256 - (256 % size);
  let out = '';
  while (out.length < length) {
    // Ask for a few spare bytes so one call nearly always suffices (acceptance is ≥ 50 %, 98 % for 36).
    const bytes = source(length - out.length + 8);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const byte = bytes[i] as number;
      if (byte < limit) out += alphabet.charAt(byte % size);
    }
  }
  return out;
}
