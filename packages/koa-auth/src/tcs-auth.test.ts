import { renderTcs } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { generateTcsKey } from '@portcullis/key-format';
import { listen, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthDecision } from './auth-outcome.js';
import { bearerJwtAuth } from './bearer-jwt-auth.js';
import { errorHandler } from './error-handler.js';
import { tcsKeyAuth } from './tcs-key-auth.js';

type State = { tenant?: string; bearer?: string };

const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

async function appWith(middleware: Koa.Middleware<State>): Promise<string> {
  const app = new Koa<State>();
  app.use(errorHandler<State>((err) => renderTcs(err)));
  app.use(middleware);
  app.use((ctx) => {
    ctx.body = { tenant: ctx.state.tenant ?? null, bearer: ctx.state.bearer ?? null };
  });
  const server = await listen(app.callback());
  served.push(server);
  return server.url;
}

describe('tcsKeyAuth (SPEC §6.1)', () => {
  const key = generateTcsKey('production');
  type Decision = AuthDecision<string, 'unknown' | 'not_approved'>;
  const lookup = async (digest: string): Promise<Decision> =>
    digest === digestKey(key) ? { ok: true, principal: 'ten_1' } : { ok: false, reason: 'unknown' };

  it('answers the three published messages byte for byte', async () => {
    const pending = generateTcsKey('sandbox');
    const url = await appWith(
      tcsKeyAuth({
        lookup: async (digest) =>
          digest === digestKey(pending) ? { ok: false, reason: 'not_approved' } : lookup(digest),
      }),
    );
    const text = async (headers: Record<string, string>) => {
      const res = await fetch(url, { headers });
      return `${res.status} ${await res.text()}`;
    };
    expect(await text({})).toBe(
      '401 {"statusCode":401,"message":"API Key is required","error":"Unauthorized"}',
    );
    expect(await text({ 'x-api-key': '  ' })).toBe(
      '401 {"statusCode":401,"message":"API Key is required","error":"Unauthorized"}',
    );
    for (const bad of [
      `trusset_abcd1234_${'a'.repeat(64)}`,
      'tcs_production_xyz',
      generateTcsKey('production'),
    ]) {
      expect(await text({ 'x-api-key': bad })).toBe(
        '401 {"statusCode":401,"message":"Invalid API Key","error":"Unauthorized"}',
      );
    }
    expect(await text({ 'x-api-key': pending })).toBe(
      '403 {"statusCode":403,"message":"Account is not approved","error":"Forbidden"}',
    );
    expect(await text({ 'x-api-key': key })).toBe('200 {"tenant":"ten_1","bearer":null}');
  });

  it('decides a synchronous lookup (a cache hit) the same way', async () => {
    const url = await appWith(
      tcsKeyAuth({
        lookup: (digest): Decision =>
          digest === digestKey(key) ? { ok: true, principal: 'ten_1' } : { ok: false, reason: 'unknown' },
      }),
    );
    expect((await fetch(url, { headers: { 'x-api-key': key } })).status).toBe(200);
    const unknown = await fetch(url, { headers: { 'x-api-key': generateTcsKey('production') } });
    expect(await unknown.text()).toBe(
      '{"statusCode":401,"message":"Invalid API Key","error":"Unauthorized"}',
    );
  });

  it('answers 503, never "Invalid API Key", when the lookup fails', async () => {
    const url = await appWith(
      tcsKeyAuth({
        lookup: async () => {
          throw new Error('database unreachable');
        },
      }),
    );
    const res = await fetch(url, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      statusCode: 503,
      message: 'Service temporarily unavailable',
      error: 'Service Unavailable',
    });
  });
});

describe('bearerJwtAuth', () => {
  const verify = async (token: string): Promise<string | null> =>
    token === 'good.token.here' ? 'session-1' : null;

  it('sets the principal of a verified token', async () => {
    const url = await appWith(bearerJwtAuth({ verify }));
    const res = await fetch(url, { headers: { authorization: 'Bearer good.token.here' } });
    expect(await res.json()).toEqual({ tenant: null, bearer: 'session-1' });
  });

  it('tells a missing token from a refused one, and refuses other schemes without verifying', async () => {
    const calls: string[] = [];
    const url = await appWith(
      bearerJwtAuth({
        verify: async (token) => {
          calls.push(token);
          return verify(token);
        },
      }),
    );
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { message: string }).message).toBe('Bearer token is required');
    for (const authorization of [
      'Basic good.token.here',
      'Bearer a b',
      `Bearer ${'x'.repeat(5000)}`,
      'Bearer bad',
    ]) {
      const res = await fetch(url, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toBe('Invalid or expired token');
    }
    expect(calls).toEqual(['bad']);
  });
});
