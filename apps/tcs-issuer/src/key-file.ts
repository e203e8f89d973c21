import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseKeyEncryptionKey } from './crypto/seal.js';

/**
 * The key-encryption key kept in `path` for the embedded default (no `KEY_ENCRYPTION_KEY`):
 * read when the file exists, else 32 random bytes written as hex with mode 0600. Created with
 * a hard link from a fully written temporary file, so two processes starting together can
 * neither write two different keys nor read a half-written one.
 *
 * @example
 * const kek = config.keyEncryptionKey ?? (await loadOrCreateKeyFile(join(config.dataDir, 'key-encryption-key')));
 */
export async function loadOrCreateKeyFile(path: string): Promise<Uint8Array> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writeFile(temporary, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  const key = parseKeyEncryptionKey((await readFile(path, 'utf8')).trim());
  if (!key) throw new Error(`${path} does not hold a 32-byte key (64 hex characters)`);
  return key;
}
