import { renderTcs, renderTrusset } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { generateInstanceKey, generateMicaKey, generateTcsKey } from '@portcullis/key-format';
import { listen, type Served } from '@portcullis/testing';
import Koa, { type Middleware } from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { adminTokenAuth } from './admin-token-auth.js';
import type { AuthDecision, AuthScheme } from './auth-outcome.js';
import { bearerJwtAuth } from './bearer-jwt-auth.js';
import { type ErrorRenderer, errorHandler } from './error-handler.js';
import { instanceKeyAuth } from './instance-key-auth.js';
import { micaKeyAuth } from './mica-key-auth.js';
import { tcsKeyAuth } from './tcs-key-auth.js';
import { createWindowLimiter } from './window-limiter.js';

type Outcome = [AuthScheme, string, string];

/** Runs `middleware` on a request with these headers; resolves to the outcomes it reported. */
function recorder() {
  const outcomes: Outcome[] = [];
  const onOutcome = (scheme: AuthScheme, reason: string, code: string) => {
    outcomes.push([scheme, reason, code]);
  };
  // biome-ignore lint/suspicious/noExplicitAny: each middleware has its own state type
  const run = async (middleware: Middleware<any>, headers: Record<string, string>) => {
    const ctx = { req: { headers }, get: (name: string) => headers[name] ?? '', state: {} };
    await Promise.resolve()
      .then(() => middleware(ctx as never, async () => undefined))
      .catch(() => undefined);
    return outcomes.splice(0);
  };
  return { onOutcome, run };
}

describe('authentication outcome hooks', () => {
  it('report every instance-key decision with its reason and answered code', async () => {
    const { onOutcome, run } = recorder();
    const good = generateInstanceKey('abcd1234');
    const refused = generateInstanceKey('abcd1234');
    const principal = { instanceId: 'i1', keyId: 'k1', services: ['custody'] };
    const auth = (service?: string) =>
      instanceKeyAuth({
        lookup: (_digest, key): AuthDecision<typeof principal, 'revoked'> | Promise<never> =>
          key.key === good
            ? { ok: true, principal }
            : key.key === refused
              ? { ok: false, reason: 'revoked' }
              : Promise.reject(new Error('db down')),
        ...(service ? { service } : {}),
        onOutcome,
      });
    expect(await run(auth(), { 'x-api-key': good })).toEqual([['instance_key', 'ok', 'ok']]);
    expect(await run(auth(), {})).toEqual([['instance_key', 'missing', 'AUTH_REQUIRED']]);
    expect(await run(auth(), { 'x-api-key': 'trusset_nope' })).toEqual([
      ['instance_key', 'malformed', 'AUTH_FAILED'],
    ]);
    expect(await run(auth(), { 'x-api-key': refused })).toEqual([['instance_key', 'revoked', 'AUTH_FAILED']]);
    expect(await run(auth(), { 'x-api-key': generateInstanceKey('abcd1234') })).toEqual([
      ['instance_key', 'lookup_failed', 'AUTH_ERROR'],
    ]);
    expect(await run(auth('issuance'), { 'x-api-key': good })).toEqual([
      ['instance_key', 'service_not_enabled', 'SERVICE_NOT_ENABLED'],
    ]);
  });

  it('report MiCA, TCS, admin-token and bearer decisions', async () => {
    const { onOutcome, run } = recorder();
    const mica = generateMicaKey();
    const micaAuth = micaKeyAuth({
      lookup: (digest): AuthDecision<{ keyId: string; developerId: string }, 'unknown'> =>
        digest === digestKey(mica)
          ? { ok: true, principal: { keyId: 'k', developerId: 'd' } }
          : { ok: false, reason: 'unknown' },
      onOutcome,
    });
    expect(await run(micaAuth, { 'x-api-key': mica })).toEqual([['mica_key', 'ok', 'ok']]);
    expect(await run(micaAuth, { 'x-api-key': generateMicaKey() })).toEqual([
      ['mica_key', 'unknown', 'INVALID_KEY'],
    ]);
    expect(await run(micaAuth, { 'x-api-key': 'other' })).toEqual([
      ['mica_key', 'wrong-prefix', 'UNAUTHORIZED'],
    ]);

    const tcs = generateTcsKey('production');
    const revokedTcs = generateTcsKey('production');
    const tcsAuth = tcsKeyAuth({
      lookup: (digest): AuthDecision<string, 'revoked' | 'not_approved'> =>
        digest === digestKey(tcs) ? { ok: false, reason: 'not_approved' } : { ok: false, reason: 'revoked' },
      onOutcome,
    });
    expect(await run(tcsAuth, { 'x-api-key': tcs })).toEqual([
      ['tcs_api_key', 'not_approved', 'ACCOUNT_NOT_APPROVED'],
    ]);
    expect(await run(tcsAuth, { 'x-api-key': revokedTcs })).toEqual([
      ['tcs_api_key', 'revoked', 'INVALID_API_KEY'],
    ]);
    expect(await run(tcsAuth, {})).toEqual([['tcs_api_key', 'missing', 'API_KEY_REQUIRED']]);

    const admin = adminTokenAuth({ token: 'operator-token-0123456789', onOutcome });
    expect(await run(admin, { authorization: 'Bearer operator-token-0123456789' })).toEqual([
      ['admin_token', 'ok', 'ok'],
    ]);
    expect(await run(admin, { authorization: 'Bearer guess' })).toEqual([
      ['admin_token', 'refused', 'AUTH_FAILED'],
    ]);
    expect(await run(admin, { authorization: 'Basic abc' })).toEqual([
      ['admin_token', 'malformed', 'AUTH_FAILED'],
    ]);

    const bearer = bearerJwtAuth({
      verify: async (token) =>
        token === 'good' ? { sub: 'x' } : token === 'down' ? Promise.reject(new Error('db')) : null,
      onOutcome,
    });
    expect(await run(bearer, { authorization: 'Bearer good' })).toEqual([['bearer_jwt', 'ok', 'ok']]);
    expect(await run(bearer, { authorization: 'Bearer bad' })).toEqual([
      ['bearer_jwt', 'refused', 'INVALID_TOKEN'],
    ]);
    expect(await run(bearer, {})).toEqual([['bearer_jwt', 'missing', 'TOKEN_REQUIRED']]);
    expect(await run(bearer, { authorization: 'Bearer down' })).toEqual([
      ['bearer_jwt', 'lookup_failed', 'unknown'],
    ]);
  });
});

describe("the app's refusal reason", () => {
  const served: Served[] = [];
  afterEach(async () => {
    await Promise.all(served.splice(0).map((server) => server.close()));
  });

  // biome-ignore lint/suspicious/noExplicitAny: each middleware has its own state type
  async function appWith(render: ErrorRenderer<any>, auth: Middleware<any>): Promise<string> {
    const app = new Koa();
    app.use(errorHandler(render));
    app.use(auth);
    app.use((ctx) => {
      ctx.body = { admitted: true };
    });
    const server = await listen(app.callback());
    served.push(server);
    return server.url;
  }

  /** Status, headers (but the date) and body of the answer to this key. */
  async function answer(url: string, key: string) {
    const res = await fetch(url, { headers: { 'x-api-key': key } });
    const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
    return { status: res.status, headers, body: await res.text() };
  }

  const trusset = (err: unknown) =>
    renderTrusset(err, { requestId: 'req-1', timestamp: '2024-01-01T00:00:00.000Z' });

  // Two keys the app refuses for different reasons, and the reasons the hook must see for them.
  const cases = [
    {
      scheme: 'instance_key',
      keys: [generateInstanceKey('abcd1234'), generateInstanceKey('abcd1234')],
      reasons: ['archived', 'paused'],
      render: trusset,
      make: (decide: (digest: string) => AuthDecision<never, string>, onOutcome: Outcome[]) =>
        instanceKeyAuth({ lookup: decide, onOutcome: (...o) => onOutcome.push(o) }),
    },
    {
      scheme: 'mica_key',
      keys: [generateMicaKey(), generateMicaKey()],
      reasons: ['unknown', 'revoked'],
      render: trusset,
      make: (decide: (digest: string) => AuthDecision<never, string>, onOutcome: Outcome[]) =>
        micaKeyAuth({ lookup: decide, onOutcome: (...o) => onOutcome.push(o) }),
    },
    {
      scheme: 'tcs_api_key',
      keys: [generateTcsKey('production'), generateTcsKey('production')],
      reasons: ['unknown', 'revoked'],
      render: (err: unknown) => renderTcs(err),
      make: (decide: (digest: string) => AuthDecision<never, string>, onOutcome: Outcome[]) =>
        tcsKeyAuth({ lookup: decide, onOutcome: (...o) => onOutcome.push(o) }),
    },
  ] as const;

  it.each(cases)('reaches the $scheme hook while both refusals answer alike', async (c) => {
    const outcomes: Outcome[] = [];
    const [first, second] = c.keys;
    const [firstReason, secondReason] = c.reasons;
    const decide = (digest: string): AuthDecision<never, string> => ({
      ok: false,
      reason: digest === digestKey(first) ? firstReason : secondReason,
    });
    const url = await appWith(c.render, c.make(decide, outcomes));

    const a = await answer(url, first);
    const b = await answer(url, second);
    expect(a.status).toBe(401);
    // Same status, headers and bytes: the client cannot tell the two reasons apart.
    expect(b).toEqual(a);
    expect(outcomes.map(([scheme, reason]) => [scheme, reason])).toEqual([
      [c.scheme, firstReason],
      [c.scheme, secondReason],
    ]);
  });
});

describe('window limiter onRefused', () => {
  it('is called for each refusing consume and peek, never for an admitted one', async () => {
    const refused: number[] = [];
    const limiter = createWindowLimiter({
      limit: 2,
      windowMs: 60_000,
      prefix: 't',
      now: () => 0,
      onRefused: (result) => refused.push(result.remaining),
    });
    await limiter.consume('a');
    await limiter.peek('a');
    await limiter.consume('a');
    expect(refused).toEqual([]);
    await limiter.peek('a');
    await limiter.consume('a');
    expect(refused).toEqual([0, 0]);
  });
});
