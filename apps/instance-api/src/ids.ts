import { randomBytes } from 'node:crypto';

/** `inst_` + 24 lowercase hex (96 random bits). */
export function newInstanceId(): string {
  return `inst_${randomBytes(12).toString('hex')}`;
}

/** `key_` + 24 lowercase hex (96 random bits). */
export function newKeyId(): string {
  return `key_${randomBytes(12).toString('hex')}`;
}
