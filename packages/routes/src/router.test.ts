// guardedRoutes: a router entered only by paths it could match, with the same answers as unguarded.
import { listen, type Served } from '@portcullis/testing';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
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
