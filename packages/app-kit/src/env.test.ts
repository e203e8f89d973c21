import { describe, expect, it } from 'vitest';
import { readServiceEnv } from './env.js';

describe('readServiceEnv', () => {
  it('gives the SPEC §1 defaults for an empty environment', () => {
    const { common, reader } = readServiceEnv({}, { app: 'demo', defaultPort: 3009 });
    expect(reader.problems).toEqual([]);
    expect(common).toMatchObject({
      host: '127.0.0.1',
      port: 3009,
      publicUrl: 'http://127.0.0.1:3009',
      databaseUrl: undefined,
      redisUrl: undefined,
      logLevel: 'info',
      production: false,
      trustProxy: false,
      trustProxyHops: 1,
    });
    expect(common.dataDir).toMatch(/\.data\/demo$/);
  });

  it('reports every bad variable at once, and never echoes a URL that may hold a password', () => {
    const { reader } = readServiceEnv(
      {
        PORT: 'eighty',
        DATABASE_URL: 'mysql://user:hunter2@db/x',
        REDIS_URL: '::::',
        LOG_LEVEL: 'loud',
        TRUST_PROXY: 'yes',
        TRUST_PROXY_HOPS: '0',
      },
      { app: 'demo', defaultPort: 1 },
    );
    expect(reader.problems).toHaveLength(6);
    expect(reader.problems.join('\n')).not.toContain('hunter2');
    expect(reader.problems.map((p) => p.split(' ')[0])).toEqual([
      'PORT',
      'DATABASE_URL',
      'REDIS_URL',
      'LOG_LEVEL',
      'TRUST_PROXY',
      'TRUST_PROXY_HOPS',
    ]);
  });

  it('reads TRUST_PROXY_HOPS as the number of trusted proxies, 1 to 10', () => {
    const { common, reader } = readServiceEnv(
      { TRUST_PROXY: 'true', TRUST_PROXY_HOPS: '2' },
      { app: 'demo', defaultPort: 1 },
    );
    expect(reader.problems).toEqual([]);
    expect(common).toMatchObject({ trustProxy: true, trustProxyHops: 2 });
  });

  it('requires PUBLIC_URL and DATABASE_URL in production', () => {
    const { reader } = readServiceEnv({ NODE_ENV: 'production' }, { app: 'demo', defaultPort: 1 });
    expect(reader.problems).toEqual([
      'PUBLIC_URL is required when NODE_ENV=production',
      'DATABASE_URL is required when NODE_ENV=production',
    ]);
  });

  it('reads bounded whole numbers for app-specific settings', () => {
    const { reader } = readServiceEnv({ A: '12', B: '0', C: '1.5' }, { app: 'demo', defaultPort: 1 });
    expect(reader.int('A', 5, 1, 100)).toBe(12);
    expect(reader.int('B', 5, 1, 100)).toBe(5);
    expect(reader.int('C', 5, 1, 100)).toBe(5);
    expect(reader.int('UNSET', 5, 1, 100)).toBe(5);
    expect(reader.problems).toHaveLength(2);
  });
});
