import type Router from '@koa/router';
import { requireService } from '@portcullis/koa-auth';
import { appRouter } from '@portcullis/service';
import type { AppDeps } from '../app.js';
import { SERVICES } from '../domain.js';
import { send } from '../respond.js';
import type { AppState } from '../state.js';

/**
 * `GET /api/v2/services/:service` (ours): tells a caller whether its key may use a service, with
 * the same gate every service route uses (403 `SERVICE_NOT_ENABLED` when the instance has it off).
 * Lets integrators check their set-up before calling the service routes of SPEC §4.5.
 * Mounted behind `instanceKeyAuth`.
 */
export function serviceRoutes(deps: AppDeps): Router<AppState> {
  const router = appRouter<AppState>({ prefix: '/services' });
  for (const service of SERVICES) {
    router.get(`/${service}`, requireService(service), (ctx) =>
      send(ctx, deps.now, { service, enabled: true }),
    );
  }
  return router;
}
