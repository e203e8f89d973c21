// guardedRoutes: a router entered only by paths it could match, with the same answers as unguarded.

import Router from '@koa/router';
import { listen, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { appRouter, guardedRoutes } from './router.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

async function start(guarded: boolean) {
  const entered: string[] = [];
  const admin = appRouter({ prefix: '/admin' });
  admin.use((ctx, next) => {
    entered.push(ctx.path);
    return next();
  });
  admin.get('/things', (ctx) => {
    ctx.body = 'things';
  });
  const health = appRouter();
  health.get('/healthz', (ctx) => {
    ctx.body = 'ok';
  });
  const app = new Koa();
  if (guarded) {
    app.use(guardedRoutes(admin, { prefixes: ['/admin'] }, { allowedMethods: true }));
    app.use(guardedRoutes(health, { paths: ['/healthz'] }));
  } else {
    app.use(admin.routes()).use(admin.allowedMethods()).use(health.routes());
  }
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = 'none';
  });
  served = await listen(app.callback());
  const url = served.url;
  const answer = async (path: string, method = 'GET') => {
    const res = await fetch(`${url}${path}`, { method });
    return `${res.status} ${await res.text()}`;
  };
  const paths = [
    '/admin/things',
    '/admin/things/',
    '/Admin/things',
    '/administrator',
    '/healthz',
    '/healthz/',
    '/HEALTHZ',
    '/x',
  ];
  const answers = [];
  for (const path of paths) answers.push(await answer(path));
  answers.push(await answer('/admin/things', 'POST'));
  return { answers, entered };
}

describe('guardedRoutes', () => {
  it('answers every path as the unguarded router does', async () => {
    const plain = await start(false);
    await served?.close();
    served = undefined;
    const guarded = await start(true);
    expect(guarded.answers).toEqual(plain.answers);
    expect(guarded.answers.slice(0, 2)).toEqual(['200 things', '200 things']);
  });

  it('keeps other paths out of the router, and exposes it as `router`', async () => {
    const { entered } = await start(true);
    expect(entered).toEqual(['/admin/things', '/admin/things/']);
    const admin = appRouter();
    expect(guardedRoutes(admin, { prefixes: ['/admin'] }).router).toBe(admin);
  });
});

describe('guardedRoutes on a literal route', () => {
  /** What a router records on the context, as seen by `use` middleware and by the route. */
  function routed(ctx: Koa.Context, router: Router) {
    const c = ctx as unknown as Record<string, unknown>;
    return {
      matched: (c.matched as { path: string }[]).map((layer) => layer.path),
      routeMatched: c.routeMatched,
      ownRouter: c.router === router,
      matchedRoute: c._matchedRoute,
      matchedRouteName: c._matchedRouteName,
      params: c.params,
      requestParams: (ctx.request as unknown as { params: unknown }).params,
      captures: c.captures,
      routerPath: c.routerPath,
      routerName: c.routerName,
    };
  }

  async function answers(guarded: boolean, requests: [string, string][]) {
    const router = appRouter({ prefix: '/v1' });
    router.use((ctx, next) => {
      ctx.state.seen = [routed(ctx, router)];
      return next();
    });
    const reply = (ctx: Koa.Context) => {
      ctx.body = { at: ctx.path, seen: [...ctx.state.seen, routed(ctx, router)] };
    };
    router.get('status', '/status', reply);
    router.post('/status', reply);
    router.get('/items/:id', reply);
    router.use('/items', (ctx, next) => {
      ctx.state.seen.push(routed(ctx, router));
      return next();
    });
    router.get('/items/all', reply);
    // A router ahead of it that records a match of its own: `ctx.matched` is appended to.
    const before = appRouter();
    before.use((_ctx, next) => next());
    const app = new Koa();
    app.use(before.routes());
    app.use(
      guarded
        ? guardedRoutes(router, { prefixes: ['/v1'] }, { allowedMethods: true })
        : (ctx, next) => router.routes()(ctx as never, () => router.allowedMethods()(ctx as never, next)),
    );
    served = await listen(app.callback());
    const seen = [];
    for (const [method, path] of requests) {
      const res = await fetch(`${served.url}${path}`, { method });
      seen.push(`${method} ${path} ${res.status} ${method === 'HEAD' ? '' : await res.text()}`);
    }
    await served.close();
    served = undefined;
    return seen;
  }

  const requests: [string, string][] = [
    ['GET', '/v1/status'],
    ['HEAD', '/v1/status'],
    ['POST', '/v1/status'],
    ['PUT', '/v1/status'],
    ['GET', '/v1/status/'],
    ['GET', '/v1/items/7'],
    ['GET', '/v1/items/all'],
    ['GET', '/v1/Status'],
    ['GET', '/v1/status'],
  ];

  it('records on the context what the router records, for every method and spelling', async () => {
    const plain = await answers(false, requests);
    const guarded = await answers(true, requests);
    expect(guarded).toEqual(plain);
    // The fixture exercises what it claims: a named route, a `use` layer under a prefix, a param.
    const first = JSON.parse(plain[0]?.split(' 200 ')[1] ?? 'null');
    expect(first.seen[1]).toMatchObject({
      matchedRoute: '/v1/status',
      matchedRouteName: 'status',
      params: {},
    });
    // Appended to the earlier router's match; every layer the path matched, the POST route's too.
    expect(first.seen[1].matched).toHaveLength(4);
    expect(first.seen[1].matched.slice(2)).toEqual(['/v1/status', '/v1/status']);
    expect(plain[3]).toMatch(/^PUT \/v1\/status 405/);
    expect(JSON.parse(plain[5]?.split(' 200 ')[1] ?? 'null').seen[1].params).toEqual({ id: '7' });
  });

  it('resolves a literal route once, without the router matching each request', async () => {
    const router = appRouter({ prefix: '/v1' });
    router.get('/status', (ctx) => {
      ctx.body = 'ok';
    });
    router.get('/items/:id', (ctx) => {
      ctx.body = ctx.params.id;
    });
    const app = new Koa();
    app.use(guardedRoutes(router, { prefixes: ['/v1'] }));
    served = await listen(app.callback());
    const match = vi.spyOn(router, 'match');
    for (let i = 0; i < 3; i += 1) expect(await (await fetch(`${served.url}/v1/status`)).text()).toBe('ok');
    const resolving = match.mock.calls.length;
    expect(resolving).toBeGreaterThan(0);
    for (let i = 0; i < 3; i += 1) expect(await (await fetch(`${served.url}/v1/status`)).text()).toBe('ok');
    expect(match.mock.calls.length).toBe(resolving);
    expect(await (await fetch(`${served.url}/v1/items/9`)).text()).toBe('9');
    expect(match.mock.calls.length).toBe(resolving + 1);
  });

  it('serves a route added after the first request', async () => {
    const router = appRouter();
    router.get('/a', (ctx) => {
      ctx.body = 'a';
    });
    const app = new Koa();
    app.use(guardedRoutes(router, { paths: ['/a', '/b'] }));
    served = await listen(app.callback());
    expect(await (await fetch(`${served.url}/a`)).text()).toBe('a');
    expect((await fetch(`${served.url}/b`)).status).toBe(404);
    router.get('/b', (ctx) => {
      ctx.body = 'b';
    });
    expect(await (await fetch(`${served.url}/b`)).text()).toBe('b');
  });

  it('leaves an exclusive router to itself: only its most specific layer runs, as unguarded', async () => {
    const router = new Router({ exclusive: true, sensitive: true });
    router.use('/only', (ctx, next) => {
      ctx.set('X-Use-Layer', 'ran');
      return next();
    });
    router.get('/only', (ctx) => {
      ctx.body = 'route';
    });
    const app = new Koa();
    app.use(guardedRoutes(router, { paths: ['/only'] }));
    served = await listen(app.callback());
    for (let i = 0; i < 2; i += 1) {
      const res = await fetch(`${served.url}/only`);
      expect(await res.text()).toBe('route');
      expect(res.headers.get('x-use-layer')).toBeNull();
    }
  });

  it('leaves a literal path outside `where` to the next middleware, as the guard always did', async () => {
    const router = appRouter();
    router.get('/hidden', (ctx) => {
      ctx.body = 'router';
    });
    const app = new Koa();
    app.use(guardedRoutes(router, { paths: ['/other'] }));
    app.use((ctx) => {
      ctx.body = 'next';
    });
    served = await listen(app.callback());
    expect(await (await fetch(`${served.url}/hidden`)).text()).toBe('next');
  });
});
