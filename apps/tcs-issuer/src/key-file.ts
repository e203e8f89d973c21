import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseKeyEncryptionKey } from './crypto/seal.js';

/**
 * The key-encryption key kept in `path` for the embedded default (no `KEY_ENCRYPTION_KEY`):
 * read when the file exists, else 32 random bytes written as hex with mode 0600. Created with
 * `wx`, so two processes starting together cannot write two different keys.
 *
 * @example
 * const kek = config.keyEncryptionKey ?? (await loadOrCreateKeyFile(join(config.dataDir, 'key-encryption-key')));
 */
export async function loadOrCreateKeyFile(path: string): Promise<Uint8Array> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = parseKeyEncryptionKey((await readFile(path, 'utf8')).trim());
  if (!key) throw new Error(`${path} does not hold a 32-byte key (64 hex characters)`);
  return key;
}
