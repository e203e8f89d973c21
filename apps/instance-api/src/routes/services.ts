import type Router from '@koa/router';
import { catalogErrors, instanceApiErrors, instanceAuthErrors } from '@portcullis/errors';
import { requireService } from '@portcullis/koa-auth';
import { appRouter, defineRoute } from '@portcullis/routes';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { SERVICES } from '../domain.js';
import { type AppKit, documented, envelope, errors, KEY_AUTH, KEY_SECURITY, ok } from '../http.js';
import { serviceCheckSchema } from '../schemas.js';
import type { AppState } from '../state.js';

const ROUTE_NOT_FOUND = 'Route not found';

const checkServiceRoute = defineRoute({
  method: 'get',
  path: '/api/v2/services/:service',
  operationId: 'checkService',
  summary: "Whether the caller's instance may use a service",
  description:
    'Passes the same gate as every route of the service: 403 `SERVICE_NOT_ENABLED` when the instance has it off. Lets integrators check their set-up before they call the service routes.',
  tags: ['Service checks'],
  security: KEY_SECURITY,
  request: {
    // The benchmarked authenticated route: an enum check, nothing more.
    params: z.object({
      service: z.enum(SERVICES).meta({
        param: { description: 'A service. Any other value is no route: 404 `NOT_FOUND` "Route not found".' },
      }),
    }),
  },
  // An unknown service is an unknown route, as it was when each service had a route of its own.
  invalidParams: () => instanceApiErrors.error('NOT_FOUND', { message: ROUTE_NOT_FOUND }),
  responses: {
    200: ok('The service is enabled for this instance.', serviceCheckSchema, { instanceId: true }),
    ...errors([
      ...catalogErrors(instanceAuthErrors, 'SERVICE_NOT_ENABLED'),
      documented(instanceApiErrors, 'NOT_FOUND', ROUTE_NOT_FOUND),
      ...KEY_AUTH,
    ]),
  },
});

/**
 * `GET /api/v2/services/:service` (ours): tells a caller whether its key may use a service, with
 * the same gate every service route uses (403 `SERVICE_NOT_ENABLED` when the instance has it off).
 * Lets integrators check their set-up before calling the service routes. Mounted behind
 * `instanceKeyAuth`.
 */
export function serviceRoutes(kit: AppKit, deps: AppDeps): Router<AppState> {
  const router = appRouter<AppState>({ prefix: '/api/v2/services' });
  // One gate per service, made once; an unknown service passes on to the params check (a 404).
  const gates = new Map<string, Middleware<AppState>>(
    SERVICES.map((service) => [service, requireService(service) as Middleware<AppState>]),
  );
  const gate: Middleware<AppState> = (ctx, next) => {
    const service = (ctx as { params?: Record<string, string> }).params?.service;
    const check = service === undefined ? undefined : gates.get(service);
    return check === undefined ? next() : check(ctx, next);
  };
  kit.mount(
    router,
    checkServiceRoute,
    (ctx, { params }) => ({
      status: 200,
      body: envelope(ctx, deps.now, { service: params.service, enabled: true as const }),
    }),
    { before: [gate] },
  );
  return router;
}
