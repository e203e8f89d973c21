import type Router from '@koa/router';
import { catalogErrors, instanceAuthErrors } from '@portcullis/errors';
import { requireService } from '@portcullis/koa-auth';
import { appRouter, defineRoute, WRITTEN } from '@portcullis/routes';
import type { Middleware } from 'koa';
import type { AppDeps } from '../app.js';
import { SERVICES } from '../domain.js';
import { type AppKit, envelopeJson, errors, KEY_AUTH, KEY_SECURITY, ok } from '../http.js';
import { serviceCheckSchema } from '../schemas.js';
import type { AppState } from '../state.js';

type Service = (typeof SERVICES)[number];

/** `GET /api/v2/services/<service>`: one literal route per service, so routing is the only check. */
function checkServiceRoute(service: Service) {
  return defineRoute({
    method: 'get',
    path: `/api/v2/services/${service}`,
    operationId: `check${service[0]?.toUpperCase()}${service.slice(1)}Service`,
    summary: `Whether the caller's instance may use ${service}`,
    description:
      'Passes the same gate as every route of the service: 403 `SERVICE_NOT_ENABLED` when the instance has it off. Lets integrators check their set-up before they call the service routes. Any other service name is no route: 404 `NOT_FOUND` "Route not found".',
    tags: ['Service checks'],
    security: KEY_SECURITY,
    responses: {
      200: ok(`${service} is enabled for this instance.`, serviceCheckSchema, { instanceId: true }),
      ...errors([...catalogErrors(instanceAuthErrors, 'SERVICE_NOT_ENABLED'), ...KEY_AUTH]),
    },
  });
}

/**
 * `GET /api/v2/services/<service>` (ours), one route per service: tells a caller whether its key
 * may use a service, with the same gate every service route uses (403 `SERVICE_NOT_ENABLED` when
 * the instance has it off). Lets integrators check their set-up before calling the service
 * routes; another name is no route (404). Mounted behind `instanceKeyAuth`. This is the
 * benchmarked authenticated route: literal paths need no parameter check, and its constant data
 * is serialised once (`envelopeJson`).
 */
export function serviceRoutes(kit: AppKit, deps: AppDeps): Router<AppState> {
  const router = appRouter<AppState>({ prefix: '/api/v2/services' });
  for (const service of SERVICES) {
    const data = JSON.stringify({ service, enabled: true });
    kit.mount(
      router,
      checkServiceRoute(service),
      (ctx) => {
        ctx.set('Content-Type', 'application/json; charset=utf-8');
        ctx.body = envelopeJson(ctx, deps.now, data);
        return WRITTEN;
      },
      { before: [requireService(service) as Middleware<AppState>] },
    );
  }
  return router;
}
