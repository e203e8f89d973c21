import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeDeadOwnerDirs, removeTempDir } from './temp-dirs.js';

describe('temporary directories', () => {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sweep-root-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("sweeps only this package's directories whose owner process is gone", async () => {
    const dead = join(root, 'portcullis-pglite-data-999999999-AbC123');
    const mine = join(root, `portcullis-redis-${process.pid}-AbC123`);
    const parent = join(root, `portcullis-pglite-build-${process.ppid}-AbC123`);
    const foreign = join(root, 'portcullis-something-999999999-AbC123');
    for (const dir of [dead, mine, parent, foreign]) await mkdir(dir);

    await removeDeadOwnerDirs(root);

    expect(existsSync(dead)).toBe(false);
    expect(existsSync(mine)).toBe(true);
    expect(existsSync(parent)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
  });

  it('names directories after their owner pid and removes them idempotently', async () => {
    const dir = await makeTempDir('redis');
    expect(dir).toMatch(new RegExp(`portcullis-redis-${process.pid}-[A-Za-z0-9]{6}$`));
    await removeTempDir(dir);
    await removeTempDir(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
