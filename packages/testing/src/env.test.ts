import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCi } from './env.js';
import { postgresAvailability } from './postgres.js';
import { findRedisServer, redisAvailability } from './redis.js';

describe('isCi', () => {
  it('is true for CI=true and CI=1 only', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'TRUE' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({})).toBe(false);
  });
});

describe('postgresAvailability', () => {
  it('returns the DATABASE_URL when set', () => {
    expect(postgresAvailability({ DATABASE_URL: 'postgres://u@h/db' })).toEqual({
      ok: true,
      url: 'postgres://u@h/db',
    });
  });

  it('gives a skip reason outside CI when DATABASE_URL is unset or blank', () => {
    expect(postgresAvailability({})).toEqual({ ok: false, reason: 'DATABASE_URL is not set' });
    expect(postgresAvailability({ DATABASE_URL: '  ', CI: 'false' })).toMatchObject({ ok: false });
  });

  it('throws a clear error under CI when DATABASE_URL is unset', () => {
    expect(() => postgresAvailability({ CI: 'true' })).toThrow(
      /CI=true requires the Postgres suites.*DATABASE_URL/,
    );
  });
});

describe('findRedisServer and redisAvailability', () => {
  let dir = '';
  let fake = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-find-redis-'));
    fake = join(dir, 'redis-server');
    await writeFile(fake, '#!/bin/sh\nexit 0\n');
    await chmod(fake, 0o755);
    await writeFile(join(dir, 'not-executable'), '');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('uses REDIS_SERVER_BIN when it is an executable file', () => {
    expect(findRedisServer({ REDIS_SERVER_BIN: fake, PATH: '' })).toEqual({ ok: true, bin: fake });
  });

  it('reports a REDIS_SERVER_BIN that is not executable instead of searching PATH', () => {
    const result = findRedisServer({ REDIS_SERVER_BIN: join(dir, 'not-executable'), PATH: dir });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('REDIS_SERVER_BIN') });
  });

  it('searches PATH in order', () => {
    expect(findRedisServer({ PATH: ['/nonexistent', dir].join(':') })).toEqual({ ok: true, bin: fake });
  });

  it('gives a reason when there is no binary', () => {
    expect(findRedisServer({ PATH: '/nonexistent' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('redis-server'),
    });
    expect(findRedisServer({})).toMatchObject({ ok: false });
  });

  it('throws under CI when there is no binary, and passes through a found one', () => {
    expect(() => redisAvailability({ CI: 'true', PATH: '/nonexistent' })).toThrow(
      /CI=true requires the Redis suites to run/,
    );
    expect(redisAvailability({ CI: 'true', PATH: dir })).toEqual({ ok: true, bin: fake });
  });
});
