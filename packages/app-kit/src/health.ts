import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { appRouter, type RouteKit, type RouteResponse, WRITTEN } from '@portcullis/routes';
import { z } from 'zod';

/** What `/metrics` serves: Prometheus text and its content type. */
export interface MetricsSource {
  /** The exposition text of every metric. */
  render(): string | Promise<string>;
  /** Its `Content-Type`, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
}

/** How one app writes its answers: the health routes speak the app's own format, never another's. */
export interface HealthDialect<S> {
  /** The app's success body around `data` (its envelope, or `data` itself). */
  success(ctx: RouterContext<S>, data: unknown): unknown;
  /** The schema of {@link HealthDialect.success}'s body around a `data` schema, for the document. */
  successSchema(data: z.ZodType): z.ZodType;
  /** The app's 503 naming each check's state; thrown, so the app renders it like any error. */
  unavailable(checks: Record<string, 'up' | 'down'>): unknown;
  /** The documented 503 (its description and body schema). */
  unavailableResponse: RouteResponse;
  /** Other answers every route can give (a 500), documented on each health route. */
  responses?: Readonly<Record<number, RouteResponse>>;
  /** Headers every answer carries (e.g. `X-Request-Id`), documented on the health routes' 200s. */
  headers?: RouteResponse['headers'];
}

export interface HealthRoutesOptions<S> {
  /** The app's route kit: the health routes are declared there, so its document lists them. */
  kit: RouteKit<S>;
  dialect: HealthDialect<S>;
  /** Readiness checks by name; each rejects when its dependency is down. */
  checks: Record<string, () => Promise<void>>;
  metrics: MetricsSource;
}

const HEALTH_TAGS = ['Service'];
const checkState = z.enum(['up', 'down']);

/**
 * `GET /healthz` (process up), `GET /readyz` (every check passes, else the app's 503 naming the
 * failing ones), `GET /metrics` (Prometheus text), declared in the app's kit and answered in the
 * app's own format (`dialect`): no app's health check speaks another app's dialect. Public, no
 * authentication; mount before any limiter.
 *
 * @example
 * app.use(healthRoutes({ kit, dialect, checks: { database: () => db.query('SELECT 1').then(() => undefined) }, metrics }).routes());
 */
export function healthRoutes<S>(options: HealthRoutesOptions<S>): Router<S> {
  const { kit, dialect, checks, metrics } = options;
  const router = appRouter<S>();
  const extra = dialect.responses ?? {};
  const headers = dialect.headers === undefined ? {} : { headers: dialect.headers };
  const json = (description: string, data: z.ZodType): RouteResponse => ({
    description,
    ...headers,
    content: { 'application/json': { schema: dialect.successSchema(data) } },
  });
  const checksSchema = z.record(z.string(), checkState);

  kit.mount(
    router,
    {
      method: 'get',
      path: '/healthz',
      operationId: 'getHealth',
      summary: 'Liveness: the process is up',
      tags: HEALTH_TAGS,
      security: [],
      responses: { 200: json('The process is up.', z.object({ status: z.literal('ok') })), ...extra },
    },
    (ctx) => ({ status: 200, body: dialect.success(ctx, { status: 'ok' }) }),
  );

  kit.mount(
    router,
    {
      method: 'get',
      path: '/readyz',
      operationId: 'getReadiness',
      summary: 'Readiness: every dependency is reachable',
      tags: HEALTH_TAGS,
      security: [],
      responses: {
        200: json(
          'Every dependency answered.',
          z.object({ status: z.literal('ready'), checks: checksSchema }),
        ),
        503: dialect.unavailableResponse,
        ...extra,
      },
    },
    async (ctx) => {
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
      if (results.some(([, state]) => state === 'down')) throw dialect.unavailable(status);
      return { status: 200, body: dialect.success(ctx, { status: 'ready', checks: status }) };
    },
  );

  kit.mount(
    router,
    {
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Metrics in the Prometheus text format',
      tags: HEALTH_TAGS,
      security: [],
      responses: {
        200: {
          description:
            'Every metric of this process. Labels are route templates and codes, never request data.',
          content: { 'text/plain': { schema: z.string() } },
        },
        ...extra,
      },
    },
    async (ctx) => {
      const text = await metrics.render();
      ctx.type = metrics.contentType;
      ctx.body = text;
      return WRITTEN;
    },
  );

  return router;
}
