import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkPathSpellings,
  delayedLimiters,
  documentedOperationsOf,
  type LimiterCall,
  pathSpellings,
  recordingLimiters,
} from './path-spellings.js';

describe('pathSpellings', () => {
  it('always differs from the path and decodes back to it up to case and one trailing slash', () => {
    const path = '/api/v2/instance/api-keys/key_0a1b';
    fc.assert(
      fc.property(pathSpellings(path), ({ path: spelt, changes }) => {
        expect(spelt).not.toBe(path);
        expect(changes.length).toBeGreaterThan(0);
        const decoded = decodeURIComponent(spelt).toLowerCase();
        expect([path, `${path}/`]).toContain(decoded);
      }),
      { numRuns: 500 },
    );
  });

  it('produces every kind of change', () => {
    const seen = new Set(fc.sample(pathSpellings('/admin/instances'), 300).flatMap((s) => s.changes));
    expect([...seen].sort()).toEqual(['case', 'percent-encoding', 'trailing-slash']);
  });
});

describe('documentedOperationsOf', () => {
  const document = {
    security: [{ apiKey: [] }],
    paths: {
      '/healthz': { get: { security: [] } },
      '/keys/{keyId}': { delete: {}, parameters: [] },
      '/admin': { post: { security: [{ adminToken: [] }] } },
    },
  };

  it('lists each operation with its filled path and required scheme', () => {
    expect(documentedOperationsOf(document, { keyId: 'k1' })).toEqual([
      { method: 'GET', template: '/healthz', path: '/healthz', security: undefined },
      { method: 'DELETE', template: '/keys/{keyId}', path: '/keys/k1', security: 'apiKey' },
      { method: 'POST', template: '/admin', path: '/admin', security: 'adminToken' },
    ]);
  });

  it('refuses to leave out a route whose parameter has no value', () => {
    expect(() => documentedOperationsOf(document, {})).toThrow(/keyId/);
  });
});

describe('checkPathSpellings', () => {
  const operations = documentedOperationsOf({ paths: { '/keys': { get: { security: [{ k: [] }] } } } }, {});

  it('passes when respelt paths are 404s or take the same guards', async () => {
    await checkPathSpellings({
      operations,
      numRuns: 50,
      send: async (_op, path) =>
        path === '/keys' || path === '/keys/'
          ? { status: 401, routeNotFound: false, trace: ['guard'] }
          : { status: 404, routeNotFound: true, trace: [] },
    });
  });

  it('fails when a respelt path reaches the route without the guard', async () => {
    const failure = await checkPathSpellings({
      operations,
      numRuns: 100,
      send: async (_op, path) =>
        path === '/keys'
          ? { status: 401, routeNotFound: false, trace: ['guard'] }
          : { status: 200, routeNotFound: false, trace: [] },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const text = `${String(failure)} ${String((failure as Error).cause)}`;
    expect(text).toMatch(/200 through \[\], canonical 401 through \[guard\]/);
  });
});

describe('recordingLimiters', () => {
  it('logs each call before it runs and keeps the other properties', async () => {
    const log: LimiterCall[] = [];
    const limiters = recordingLimiters(
      { perIp: { limit: 5, consume: (key: string) => `consumed ${key}`, peek: async () => 'peeked' } },
      log,
    );
    expect(limiters.perIp.limit).toBe(5);
    expect(limiters.perIp.consume('1.2.3.4')).toBe('consumed 1.2.3.4');
    expect(await limiters.perIp.peek()).toBe('peeked');
    expect(log).toEqual([
      { limiter: 'perIp', method: 'consume', key: '1.2.3.4' },
      { limiter: 'perIp', method: 'peek', key: undefined },
    ]);
  });
});

describe('delayedLimiters', () => {
  it('counts at the call and answers later', async () => {
    let count = 0;
    // Like a WindowLimiter, whose methods may answer now or later.
    const limiters = delayedLimiters(
      { one: { limit: 1, consume: (): number | Promise<number> => ++count } },
      30,
    );
    let answered = false;
    const answer = Promise.resolve(limiters.one.consume()).then((value) => {
      answered = true;
      return value;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect([count, answered]).toEqual([1, false]);
    expect(await answer).toBe(1);
    expect(limiters.one.limit).toBe(1);
  });
});
