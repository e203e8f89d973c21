import type Router from '@koa/router';
import { instanceApiErrors, renderTrussetSuccess } from '@portcullis/errors';
import type { Metrics } from './metrics.js';
import { appRouter } from './router.js';

export interface HealthRoutesOptions {
  /** Clock, ms since the epoch (envelope timestamps). */
  now: () => number;
  /** Readiness checks by name; each rejects when its dependency is down. */
  checks: Record<string, () => Promise<void>>;
  metrics: Metrics;
}

/**
 * `GET /healthz` (process up), `GET /readyz` (every check passes, else 503
 * `SERVICE_UNAVAILABLE` naming the failing ones), `GET /metrics` (Prometheus text): SPEC §1.
 *
 * @example
 * app.use(healthRoutes({ now, checks: { database: () => db.query('SELECT 1').then(() => undefined) }, metrics }).routes());
 */
export function healthRoutes<S extends { requestId: string }>(options: HealthRoutesOptions): Router<S> {
  const { now, checks, metrics } = options;
  const router = appRouter<S>();
  const meta = (requestId: string) => ({ requestId, timestamp: new Date(now()).toISOString() });

  router.get('/healthz', (ctx) => {
    ctx.body = renderTrussetSuccess({ status: 'ok' }, meta(ctx.state.requestId));
  });

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
    ctx.body = renderTrussetSuccess({ status: 'ready', checks: status }, meta(ctx.state.requestId));
  });

  router.get('/metrics', (ctx) => {
    ctx.type = 'text/plain; version=0.0.4';
    ctx.body = metrics.render();
  });

  return router;
}
