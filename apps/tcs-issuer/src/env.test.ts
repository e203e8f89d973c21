import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readConfig } from './env.js';
import { loadOrCreateKeyFile } from './key-file.js';

const KEK_HEX = 'ab'.repeat(32);

describe('readConfig', () => {
  it('starts on embedded defaults: port 3003, generated admin token, no key-encryption key yet', () => {
    const result = readConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.port).toBe(3003);
    expect(result.config.adminTokenGenerated).toBe(true);
    expect(result.config.adminToken).toMatch(/^[0-9a-f]{64}$/);
    expect(result.config.keyEncryptionKey).toBeUndefined();
    expect(result.config.accessTokenTtlSeconds).toBe(900);
    expect(result.config.limits).toEqual({ loginFailuresPer15Min: 15, adminAuthPer15Min: 15 });
  });

  it('reads KEY_ENCRYPTION_KEY as hex or base64url', () => {
    for (const value of [KEK_HEX, Buffer.alloc(32, 7).toString('base64url')]) {
      const result = readConfig({ KEY_ENCRYPTION_KEY: value });
      expect(result.ok && result.config.keyEncryptionKey?.length).toBe(32);
    }
  });

  it('reports every bad variable at once, without echoing secrets', () => {
    const result = readConfig({
      KEY_ENCRYPTION_KEY: 'secret-but-wrong',
      ADMIN_TOKEN: 'short',
      ACCESS_TOKEN_TTL_SECONDS: '5',
      RATE_LIMIT_LOGIN_FAILURES_PER_15MIN: 'many',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('invalid');
    expect(result.problems).toHaveLength(4);
    expect(result.problems.join('\n')).not.toContain('secret-but-wrong');
    expect(result.problems).toContain(
      'KEY_ENCRYPTION_KEY must be 32 bytes as 64 hex or 43 base64url characters',
    );
  });

  it('requires ADMIN_TOKEN, PUBLIC_URL, DATABASE_URL and KEY_ENCRYPTION_KEY in production', () => {
    const result = readConfig({ NODE_ENV: 'production' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'ADMIN_TOKEN is required when NODE_ENV=production',
        'PUBLIC_URL is required when NODE_ENV=production',
        'DATABASE_URL is required when NODE_ENV=production',
        'KEY_ENCRYPTION_KEY is required when NODE_ENV=production',
      ]),
    );
  });
});

describe('loadOrCreateKeyFile', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte key with mode 0600 once and reads the same key afterwards', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcs-kek-'));
    const path = join(dir, 'nested', 'key-encryption-key');
    const [first, second] = await Promise.all([loadOrCreateKeyFile(path), loadOrCreateKeyFile(path)]);
    expect(first).toHaveLength(32);
    expect(Buffer.from(second)).toEqual(Buffer.from(first));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await loadOrCreateKeyFile(path))).toEqual(Buffer.from(first));
    expect(readFileSync(path, 'utf8').trim()).toBe(Buffer.from(first).toString('hex'));
  });

  it('refuses a file that does not hold a key', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tcs-kek-'));
    const path = join(dir, 'key-encryption-key');
    writeFileSync(path, 'not a key\n');
    await expect(loadOrCreateKeyFile(path)).rejects.toThrow('does not hold a 32-byte key');
  });
});
