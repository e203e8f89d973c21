import Router from '@koa/router';
import { instanceApiErrors } from '@portcullis/errors';
import type { AppDeps } from '../app.js';
import { send } from '../respond.js';
import type { AppState } from '../state.js';

/** `/healthz` (process up), `/readyz` (dependencies reachable, else 503), `/metrics` (SPEC §1). */
export function healthRoutes(deps: AppDeps): Router<AppState> {
  const { now, checks, metrics } = deps;
  const router = new Router<AppState>();

  router.get('/healthz', (ctx) => send(ctx, now, { status: 'ok' }));

  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await check();
          return [name, 'up'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    const status = Object.fromEntries(results);
    if (results.some(([, state]) => state === 'down')) {
      throw instanceApiErrors.error('SERVICE_UNAVAILABLE', { details: status });
    }
    send(ctx, now, { status: 'ready', checks: status });
  });

  router.get('/metrics', (ctx) => {
    ctx.type = 'text/plain; version=0.0.4';
    ctx.body = metrics.render();
  });

  return router;
}
