import { generateInstanceKey, generateMicaKey, generateTcsKey } from '@portcullis/key-format';
import type { Middleware } from 'koa';
import { describe, expect, it } from 'vitest';
import { adminTokenAuth } from './admin-token-auth.js';
import type { AuthReason, AuthScheme } from './auth-outcome.js';
import { bearerJwtAuth } from './bearer-jwt-auth.js';
import { instanceKeyAuth } from './instance-key-auth.js';
import { micaKeyAuth } from './mica-key-auth.js';
import { tcsKeyAuth } from './tcs-key-auth.js';
import { createWindowLimiter } from './window-limiter.js';

type Outcome = [AuthScheme, AuthReason, string];

/** Runs `middleware` on a request with these headers; resolves to the outcomes it reported. */
function recorder() {
  const outcomes: Outcome[] = [];
  const onOutcome = (scheme: AuthScheme, reason: AuthReason, code: string) => {
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
        lookup: (_digest, key) =>
          key.key === good
            ? { ok: true, principal }
            : key.key === refused
              ? { ok: false }
              : Promise.reject(new Error('db down')),
        ...(service ? { service } : {}),
        onOutcome,
      });
    expect(await run(auth(), { 'x-api-key': good })).toEqual([['instance_key', 'ok', 'ok']]);
    expect(await run(auth(), {})).toEqual([['instance_key', 'missing', 'AUTH_REQUIRED']]);
    expect(await run(auth(), { 'x-api-key': 'trusset_nope' })).toEqual([
      ['instance_key', 'malformed', 'AUTH_FAILED'],
    ]);
    expect(await run(auth(), { 'x-api-key': refused })).toEqual([['instance_key', 'refused', 'AUTH_FAILED']]);
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
      lookup: () => ({ keyId: 'k', developerId: 'd' }),
      onOutcome,
    });
    expect(await run(micaAuth, { 'x-api-key': mica })).toEqual([['mica_key', 'ok', 'ok']]);
    expect(await run(micaAuth, { 'x-api-key': 'other' })).toEqual([
      ['mica_key', 'wrong-prefix', 'UNAUTHORIZED'],
    ]);

    const tcs = generateTcsKey('production');
    const tcsAuth = tcsKeyAuth({ lookup: () => ({ principal: 't', approved: false }), onOutcome });
    expect(await run(tcsAuth, { 'x-api-key': tcs })).toEqual([
      ['tcs_api_key', 'not_approved', 'ACCOUNT_NOT_APPROVED'],
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
