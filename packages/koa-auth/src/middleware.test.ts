import { instanceApiErrors, rateLimitErrors, renderTrusset } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { generateInstanceKey, generateMicaKey } from '@portcullis/key-format';
import { listen, readJson, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { adminTokenAuth, bearerToken } from './admin-token-auth.js';
import { errorHandler } from './error-handler.js';
import { type InstancePrincipal, instanceKeyAuth } from './instance-key-auth.js';
import { type JsonBodyProblem, jsonBody, jsonBodyProblemMessage } from './json-body.js';
import { micaKeyAuth } from './mica-key-auth.js';
import { requestId } from './request-id.js';

type State = {
  requestId: string;
  auth?: InstancePrincipal;
  body?: unknown;
  admin?: boolean;
  mica?: { keyId: string; developerId: string };
};

interface TestBody {
  error: { code: string; message: string; details?: unknown };
  auth: unknown;
  body: unknown;
}
const json = (res: Response) => readJson<TestBody>(res);

// Refusals as apps give them: frozen, with the app's reason.
const UNKNOWN = Object.freeze({ ok: false, reason: 'unknown' } as const);
const REVOKED = Object.freeze({ ok: false, reason: 'revoked' } as const);

const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

/** A Koa app with the standard head (request id, Trusset errors) and the given middleware. */
async function appWith(...middleware: Koa.Middleware<State>[]): Promise<string> {
  const app = new Koa<State>();
  app.use(requestId());
  app.use(
    errorHandler<State>(
      (err, ctx) =>
        renderTrusset(err, {
          requestId: ctx.state.requestId,
          timestamp: new Date(0).toISOString(),
          ...(ctx.state.auth ? { instanceId: ctx.state.auth.instanceId } : {}),
        }),
      { notFound: () => instanceApiErrors.error('NOT_FOUND') },
    ),
  );
  for (const m of middleware) app.use(m);
  const server = await listen(app.callback());
  served.push(server);
  return server.url;
}

const ok: Koa.Middleware<State> = async (ctx) => {
  ctx.body = { auth: ctx.state.auth ?? null, body: ctx.state.body ?? null };
};

describe('requestId', () => {
  it('keeps a well-formed incoming X-Request-Id', async () => {
    const url = await appWith(ok);
    const res = await fetch(url, { headers: { 'x-request-id': 'abc.DEF_12:3-4' } });
    expect(res.headers.get('x-request-id')).toBe('abc.DEF_12:3-4');
  });

  it.each([
    ['too short', 'abc1234'],
    ['too long', 'a'.repeat(129)],
    ['a forbidden character', 'abcdefgh/ij'],
    ['a space', 'abcd efgh'],
  ])('replaces an incoming id with %s by a UUID v4', async (_, incoming) => {
    const url = await appWith(ok);
    const res = await fetch(url, { headers: { 'x-request-id': incoming } });
    expect(res.headers.get('x-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('errorHandler emptyError', () => {
  async function appWithEmptyError(handler: Koa.Middleware<State>): Promise<string> {
    const app = new Koa<State>();
    app.use(requestId());
    app.use(
      errorHandler<State>(
        (err, ctx) =>
          renderTrusset(err, { requestId: ctx.state.requestId, timestamp: new Date(0).toISOString() }),
        {
          notFound: () => instanceApiErrors.error('NOT_FOUND'),
          emptyError: (status) =>
            status === 405 || status === 501 ? instanceApiErrors.error('METHOD_NOT_ALLOWED') : undefined,
        },
      ),
    );
    app.use(handler);
    const server = await listen(app.callback());
    served.push(server);
    return server.url;
  }

  it("renders a router's bodiless 405 in the app's format and keeps its Allow header", async () => {
    const url = await appWithEmptyError(async (ctx) => {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
    });
    const res = await fetch(url, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect((await json(res)).error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' });
  });

  it('turns a bodiless 501 into the 405 the hook returns, never a 5xx', async () => {
    const url = await appWithEmptyError(async (ctx) => {
      ctx.status = 501;
    });
    const res = await fetch(url, { method: 'PROPFIND' });
    expect(res.status).toBe(405);
    expect((await json(res)).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('leaves statuses the hook declines, and error statuses with a body, as they are', async () => {
    const declined = await appWithEmptyError(async (ctx) => {
      ctx.status = 418;
    });
    const res = await fetch(declined);
    expect(res.status).toBe(418);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const withBody = await appWithEmptyError(async (ctx) => {
      ctx.status = 409;
      ctx.body = { mine: true };
    });
    expect(await (await fetch(withBody)).json()).toEqual({ mine: true });
  });
});

describe('errorHandler', () => {
  it('renders a thrown coded error with the request id in body and header', async () => {
    const url = await appWith(async () => {
      throw instanceApiErrors.error('INVALID_INPUT', { message: 'Key already revoked' });
    });
    const res = await fetch(url);
    const body = await json(res);
    expect(res.status).toBe(400);
    expect(body).toEqual({
      success: false,
      data: null,
      error: { code: 'INVALID_INPUT', message: 'Key already revoked' },
      metadata: { requestId: res.headers.get('x-request-id'), timestamp: new Date(0).toISOString() },
    });
  });

  it('masks an unexpected error as a 500 without its message', async () => {
    const url = await appWith(async () => {
      throw new Error('connect ECONNREFUSED password=hunter2');
    });
    const res = await fetch(url);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text).error).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('ECONNREFUSED');
  });

  it('drops headers the failing handler set but keeps the request id and rate-limit headers', async () => {
    const url = await appWith(async (ctx) => {
      ctx.set('Location', '/elsewhere');
      ctx.set('X-RateLimit-Remaining', '3');
      throw instanceApiErrors.error('INVALID_INPUT');
    });
    const res = await fetch(url);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('x-ratelimit-remaining')).toBe('3');
    expect(res.headers.get('x-request-id')).not.toBeNull();
  });

  it('renders the configured not-found error when no route answered', async () => {
    const url = await appWith(async (_ctx, next) => next());
    const res = await fetch(`${url}/nowhere`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('NOT_FOUND');
  });
});

describe('instanceKeyAuth', () => {
  const key = generateInstanceKey('abcd1234');
  const principal: InstancePrincipal = { instanceId: 'inst_1', keyId: 'key_1', services: ['custody'] };
  const seen: string[] = [];
  const lookup = async (digest: string) => {
    seen.push(digest);
    return digest === digestKey(key) ? { ok: true as const, principal } : UNKNOWN;
  };

  it('answers 401 AUTH_REQUIRED when the header is absent or empty', async () => {
    const url = await appWith(instanceKeyAuth({ lookup }), ok);
    for (const headers of [{}, { 'x-api-key': '' }]) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toEqual({ code: 'AUTH_REQUIRED', message: 'API key required' });
    }
  });

  it('answers the same 401 AUTH_FAILED for a malformed key and an unknown one', async () => {
    const url = await appWith(instanceKeyAuth({ lookup }), ok);
    const malformed = await fetch(url, { headers: { 'X-API-Key': 'trusset_nope' } });
    const unknown = await fetch(url, { headers: { 'X-API-Key': generateInstanceKey('abcd1234') } });
    const a = await json(malformed);
    const b = await json(unknown);
    expect([malformed.status, unknown.status]).toEqual([401, 401]);
    expect(a.error).toEqual({ code: 'AUTH_FAILED', message: 'Invalid or expired API key' });
    expect(b.error).toEqual(a.error);
  });

  it('hands the lookup only the SHA-256 digest of the key and sets the principal', async () => {
    const url = await appWith(instanceKeyAuth({ lookup }), ok);
    seen.length = 0;
    const res = await fetch(url, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect((await json(res)).auth).toEqual(principal);
    expect(seen).toEqual([digestKey(key)]);
  });

  describe('beforeLookup (shedding before the lookup)', () => {
    const cachedKey = generateInstanceKey('abcd1234');
    const refusedKey = generateInstanceKey('abcd1234');
    // L1 as the app sees it: one admitted key, one known refusal, the rest unknown.
    const cached = (digest: string) =>
      digest === digestKey(cachedKey)
        ? { ok: true as const, principal }
        : digest === digestKey(refusedKey)
          ? REVOKED
          : undefined;
    const overBudget = () => {
      throw rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: 1 });
    };

    it('admits an L1 hit without running beforeLookup or the lookup', async () => {
      let gated = 0;
      seen.length = 0;
      const url = await appWith(
        instanceKeyAuth({
          lookup,
          cached,
          beforeLookup: () => {
            gated += 1;
          },
        }),
        ok,
      );
      const res = await fetch(url, { headers: { 'x-api-key': cachedKey } });
      expect(res.status).toBe(200);
      expect((await json(res)).auth).toEqual(principal);
      expect([gated, seen.length]).toEqual([0, 0]);
    });

    it('runs beforeLookup first for every request L1 does not admit, and its refusal stops the lookup', async () => {
      const gatedKinds: string[] = [];
      seen.length = 0;
      const url = await appWith(
        instanceKeyAuth({
          lookup,
          cached,
          beforeLookup: (ctx) => {
            gatedKinds.push(String(ctx.get('x-kind')));
            if (ctx.get('x-over') === 'yes') overBudget();
          },
        }),
        ok,
      );
      const ask = (kind: string, apiKey: string | undefined, over: boolean) =>
        fetch(url, {
          headers: {
            'x-kind': kind,
            'x-over': over ? 'yes' : 'no',
            ...(apiKey ? { 'x-api-key': apiKey } : {}),
          },
        });
      // Within budget: the usual answers.
      expect((await ask('missing', undefined, false)).status).toBe(401);
      expect((await ask('malformed', 'trusset_nope', false)).status).toBe(401);
      expect((await ask('refused', refusedKey, false)).status).toBe(401);
      expect((await ask('unknown', key, false)).status).toBe(200);
      expect(seen).toEqual([digestKey(key)]);
      // Over budget: refused before any lookup, whatever the key.
      for (const [kind, apiKey] of [
        ['missing', undefined],
        ['malformed', 'trusset_nope'],
        ['refused', refusedKey],
        ['unknown', key],
      ] as const) {
        const res = await ask(kind, apiKey, true);
        expect(res.status, kind).toBe(429);
      }
      expect(seen).toEqual([digestKey(key)]);
      expect(gatedKinds).toEqual([
        'missing',
        'malformed',
        'refused',
        'unknown',
        'missing',
        'malformed',
        'refused',
        'unknown',
      ]);
    });
  });

  it('answers 403 SERVICE_NOT_ENABLED when the route needs a service the instance lacks', async () => {
    const url = await appWith(instanceKeyAuth({ lookup, service: 'trading' }), ok);
    const res = await fetch(url, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(403);
    expect((await json(res)).error.code).toBe('SERVICE_NOT_ENABLED');
  });

  it('answers 500 AUTH_ERROR, never AUTH_FAILED, when the lookup fails', async () => {
    const url = await appWith(
      instanceKeyAuth({
        lookup: async () => {
          throw new Error('database and cache unreachable');
        },
      }),
      ok,
    );
    const res = await fetch(url, { headers: { 'x-api-key': key } });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text).error).toEqual({ code: 'AUTH_ERROR', message: 'Authentication failed' });
    expect(text).not.toContain('unreachable');
  });

  it('accepts a synchronous decision (an L1 hit) like an asynchronous one', async () => {
    const url = await appWith(
      instanceKeyAuth({
        lookup: (digest) => (digest === digestKey(key) ? { ok: true as const, principal } : UNKNOWN),
      }),
      ok,
    );
    const good = await fetch(url, { headers: { 'x-api-key': key } });
    expect(good.status).toBe(200);
    expect((await json(good)).auth).toEqual(principal);
    const bad = await fetch(url, { headers: { 'x-api-key': generateInstanceKey('abcd1234') } });
    expect((await json(bad)).error.code).toBe('AUTH_FAILED');
  });

  it('answers 500 AUTH_ERROR when the lookup throws synchronously', async () => {
    const url = await appWith(
      instanceKeyAuth({
        lookup: () => {
          throw new Error('cache corrupted');
        },
      }),
      ok,
    );
    const res = await fetch(url, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(500);
    expect((await json(res)).error.code).toBe('AUTH_ERROR');
  });

  it('lets an error of a later handler through unchanged, never as AUTH_ERROR', async () => {
    for (const lookupOf of [
      async () => ({ ok: true as const, principal }),
      () => ({ ok: true as const, principal }),
    ]) {
      const url = await appWith(instanceKeyAuth({ lookup: lookupOf }), async () => {
        throw instanceApiErrors.error('INVALID_INPUT', { message: 'downstream' });
      });
      const res = await fetch(url, { headers: { 'x-api-key': key } });
      expect(res.status).toBe(400);
      expect((await json(res)).error).toEqual({ code: 'INVALID_INPUT', message: 'downstream' });
    }
  });

  it('refuses a legacy key unless legacy keys are enabled', async () => {
    const legacy = `trusset_v2_abcd1234_${'a'.repeat(64)}`;
    const lookupAny = async () => ({ ok: true as const, principal });
    const strict = await appWith(instanceKeyAuth({ lookup: lookupAny }), ok);
    const lenient = await appWith(instanceKeyAuth({ lookup: lookupAny, allowLegacy: true }), ok);
    expect((await fetch(strict, { headers: { 'x-api-key': legacy } })).status).toBe(401);
    expect((await fetch(lenient, { headers: { 'x-api-key': legacy } })).status).toBe(200);
  });
});

describe('adminTokenAuth', () => {
  const token = 'admin-token-0123456789abcdef';

  it('lets the right bearer token through', async () => {
    const url = await appWith(adminTokenAuth({ token }), ok);
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(url, { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
  });

  it('answers AUTH_REQUIRED without a token and AUTH_FAILED with a wrong one', async () => {
    const url = await appWith(adminTokenAuth({ token }), ok);
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'AUTH_REQUIRED'],
      [{ authorization: 'Bearer wrong' }, 'AUTH_FAILED'],
      [{ authorization: `Bearer ${token}x` }, 'AUTH_FAILED'],
      [{ authorization: `Basic ${token}` }, 'AUTH_FAILED'],
      [{ authorization: `Bearer ${token} extra` }, 'AUTH_FAILED'],
    ];
    for (const [headers, code] of cases) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe(code);
    }
  });

  it('refuses to be configured with an empty token', () => {
    expect(() => adminTokenAuth({ token: '' })).toThrow(TypeError);
  });

  it('reads bearer credentials strictly', () => {
    expect(bearerToken('')).toBeUndefined();
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Bearer  abc ')).toBe('abc');
    expect(bearerToken('Bearer a b')).toBe('');
    expect(bearerToken(`Bearer ${'a'.repeat(5000)}`)).toBe('');
  });
});

describe('jsonBody', () => {
  // The app's own errors (here the instance API's), passed as every app must.
  const errors = {
    tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
    invalid: (problem: JsonBodyProblem) =>
      instanceApiErrors.error('VALIDATION_ERROR', {
        details: [{ field: 'body', message: jsonBodyProblemMessage(problem) }],
      }),
  };
  const post = (url: string, body: string | Uint8Array, contentType = 'application/json') =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });

  it('parses a JSON body into ctx.state.body', async () => {
    const url = await appWith(jsonBody(errors), ok);
    const res = await post(url, JSON.stringify({ name: 'ci' }));
    expect((await json(res)).body).toEqual({ name: 'ci' });
  });

  it('leaves an empty body undefined', async () => {
    const url = await appWith(jsonBody(errors), ok);
    const res = await fetch(url, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await json(res)).body).toBeNull();
  });

  it('answers 413 for a body over the limit', async () => {
    const url = await appWith(jsonBody({ ...errors, limitBytes: 100 }), ok);
    const res = await post(url, JSON.stringify({ pad: 'x'.repeat(200) }));
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['invalid JSON', '{"a":', 'application/json', 'Request body is not valid JSON'],
    [
      'bad UTF-8',
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
      'application/json',
      'Request body is not valid UTF-8',
    ],
    [
      'another content type',
      'name=x',
      'application/x-www-form-urlencoded',
      'Content-Type must be application/json',
    ],
    [
      'deep nesting',
      `${'['.repeat(40)}${']'.repeat(40)}`,
      'application/json',
      'Request body is nested too deeply',
    ],
  ])('answers 400 VALIDATION_ERROR for %s', async (_, body, contentType, message) => {
    const url = await appWith(jsonBody(errors), ok);
    const res = await post(url, body, contentType);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'Request validation failed',
      details: [{ field: 'body', message }],
    });
  });
});

describe('micaKeyAuth (SPEC §5.1)', () => {
  const key = generateMicaKey();
  const principal = { keyId: 'mkey_1', developerId: 'dev_1' };

  it('accepts a synchronous (cache hit) and an asynchronous lookup alike', async () => {
    for (const lookup of [
      (digest: string) => (digest === digestKey(key) ? { ok: true as const, principal } : UNKNOWN),
      async (digest: string) => (digest === digestKey(key) ? { ok: true as const, principal } : UNKNOWN),
    ]) {
      const url = await appWith(micaKeyAuth({ lookup }), async (ctx) => {
        ctx.body = { mica: ctx.state.mica };
      });
      const res = await fetch(url, { headers: { 'x-api-key': key } });
      expect(await res.json()).toEqual({ mica: principal });
      const unknown = await fetch(url, { headers: { 'x-api-key': generateMicaKey() } });
      expect((await json(unknown)).error.code).toBe('INVALID_KEY');
    }
  });

  it('answers UNAUTHORIZED without a key or with another prefix, and AUTH_ERROR when the lookup throws', async () => {
    const url = await appWith(
      micaKeyAuth({
        lookup: () => {
          throw new Error('cache and database unreachable');
        },
      }),
      ok,
    );
    expect((await json(await fetch(url))).error.code).toBe('UNAUTHORIZED');
    expect((await json(await fetch(url, { headers: { 'x-api-key': 'trusset_abc' } }))).error.code).toBe(
      'UNAUTHORIZED',
    );
    const failed = await fetch(url, { headers: { 'x-api-key': key } });
    expect(failed.status).toBe(500);
    expect((await json(failed)).error.code).toBe('AUTH_ERROR');
  });
});
