import { healthRoutes, type Metrics, useRequestPipeline } from '@portcullis/app-kit';
import { consoleRoutes, type LoadedConsole } from '@portcullis/console-ui';
import type { Database } from '@portcullis/db';
import {
  catalogErrors,
  instanceApiErrors,
  micaDeveloperErrors,
  rateLimitErrors,
  renderTrusset,
} from '@portcullis/errors';
import type { KeyCache, UsageBatcher } from '@portcullis/key-cache';
import { type AuthOutcomeHook, micaKeyAuth, type WindowLimiter } from '@portcullis/koa-auth';
import { appRouter, guardedRoutes, serveOpenApi } from '@portcullis/routes';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import {
  type AppState,
  createMicaKit,
  documentOptions,
  errorResponses,
  healthDialect,
  REQUEST_ID_HEADER_SCHEMAS,
  REQUEST_ID_HEADERS,
  withMessage,
} from './http.js';
import { micaKeyLookup } from './key-auth.js';
import { developerRoutes } from './routes/developer.js';
import { registerRoutes } from './routes/register.js';
import type { MicaAuthRow } from './store/developers.js';

/** Everything the app needs, created by `server.ts` (or a test) and injected. */
export interface AppDeps {
  db: Database;
  keyCache: KeyCache<MicaAuthRow>;
  usage: UsageBatcher;
  limiters: {
    /** SPEC §5.1: 60 per minute per key. */
    perMinute: WindowLimiter;
    /** SPEC §5.1: 5 000 per day per key, the day resetting at 00:00 UTC. */
    perDay: WindowLimiter;
    /** SPEC §5.2: 15 registrations per 15 minutes per address. */
    register: WindowLimiter;
    /** SPEC §5.2, §8: 15 failed management-token authentications per 15 minutes per address. */
    managementAuthFailures: WindowLimiter;
  };
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  /** Counts every authentication decision by scheme, reason and code (`countAuthOutcomes`). */
  authOutcomes: AuthOutcomeHook;
  checks: Record<string, () => Promise<void>>;
  /** How long cached register answers live, ms (a CLI import shows up within it). */
  registerCacheTtlMs?: number;
  trustProxy?: boolean;
  /** How many proxies append to `X-Forwarded-For` (`TRUST_PROXY_HOPS`, default 1). */
  trustProxyHops?: number;
  /** `PUBLIC_URL`: the server of the OpenAPI document. Without it the document's server is `/`. */
  publicUrl?: string;
  /** The built web console, served at `/` and `/mica-register` (see `loadConsole`). */
  console: LoadedConsole;
}

/** Where the web console answers: the root, and the path the published platform sends people to. */
const CONSOLE_PAGES = ['/', '/mica-register'] as const;
const CONSOLE_ASSET_NOT_FOUND = withMessage(micaDeveloperErrors, 'NOT_FOUND', 'Console asset not found');

/**
 * SPEC §5.1 per-key limits: 60 per minute and 5 000 per day (the day window resets at 00:00 UTC),
 * with the four `X-RateLimit-*-Minute/-Day` headers on every authenticated response and a 429
 * with `Retry-After` past either. A request refused by the minute window is not counted against
 * the day.
 */
function perKeyLimits(perMinute: WindowLimiter, perDay: WindowLimiter): Middleware<AppState> {
  return async function perKeyLimits(ctx, next) {
    const keyId = ctx.state.mica?.keyId;
    // Mounted behind micaKeyAuth: no principal here is a wiring bug.
    if (keyId === undefined) throw new Error('perKeyLimits mounted without micaKeyAuth');
    const minute = await perMinute.consume(keyId);
    const day = minute.allowed ? await perDay.consume(keyId) : await perDay.peek(keyId);
    ctx.set('X-RateLimit-Limit-Minute', String(minute.limit));
    ctx.set('X-RateLimit-Remaining-Minute', String(minute.remaining));
    ctx.set('X-RateLimit-Limit-Day', String(day.limit));
    ctx.set('X-RateLimit-Remaining-Day', String(day.remaining));
    const refused = !minute.allowed ? minute : !day.allowed ? day : undefined;
    if (refused)
      throw rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: refused.retryAfterSeconds });
    await next();
  };
}

/**
 * Builds the MiCA Register API as a Koa app: a pure factory, nothing started. Every route is
 * declared once (`src/routes/*.ts`), and the OpenAPI document served at `/openapi.json` is
 * generated from those declarations; a bad document fails here, at boot.
 *
 * @example
 * const app = createApp(deps);
 * http.createServer(app.callback()).listen(3002);
 */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { db, keyCache, limiters, logger, metrics, now, usage } = deps;
  const clientAddress = { trustProxy: deps.trustProxy ?? false, hops: deps.trustProxyHops ?? 1 };
  const app = new Koa<AppState>({ proxy: clientAddress.trustProxy, maxIpsCount: clientAddress.hops });
  // Request ids, the access counter and log, and errors in the envelope.
  useRequestPipeline(app, {
    logger,
    metrics,
    render: (err, ctx) =>
      renderTrusset(err, { requestId: ctx.state.requestId, timestamp: new Date(now()).toISOString() }),
    unavailable: (cause) => instanceApiErrors.error('SERVICE_UNAVAILABLE', { cause }),
    notFound: () => micaDeveloperErrors.error('NOT_FOUND', { message: 'Route not found' }),
    methodNotAllowed: () => micaDeveloperErrors.error('METHOD_NOT_ALLOWED'),
    clientAddress,
  });

  const kit = createMicaKit<AppState>();
  app.use(
    healthRoutes({ kit, dialect: healthDialect<AppState>(now), checks: deps.checks, metrics }).routes(),
  );
  // The document of these routes, public; the limits it states are the ones enforced here.
  const service = appRouter<AppState>();
  const openApi = serveOpenApi(kit, service, {
    ...documentOptions(
      {
        perMinute: limiters.perMinute.limit,
        perDay: limiters.perDay.limit,
        registerPer15Min: limiters.register.limit,
        managementAuthPer15Min: limiters.managementAuthFailures.limit,
      },
      deps.publicUrl,
    ),
    headers: REQUEST_ID_HEADERS,
    responses: errorResponses(catalogErrors(instanceApiErrors, 'INTERNAL_ERROR')),
  });
  app.use(service.routes());

  const developer = developerRoutes(kit, {
    db,
    keyCache,
    usage,
    now,
    limits: { perMinute: limiters.perMinute.limit, perDay: limiters.perDay.limit },
    registerLimiter: limiters.register,
    managementAuthLimiter: limiters.managementAuthFailures,
  });
  app.use(developer.routes());
  app.use(developer.allowedMethods());

  const lookup = micaKeyLookup(keyCache, (principal) => usage.touch(principal.keyId, now()));
  const data = registerRoutes(kit, {
    db,
    now,
    ...(deps.registerCacheTtlMs === undefined ? {} : { cacheTtlMs: deps.registerCacheTtlMs }),
    before: [
      micaKeyAuth({ lookup, onOutcome: deps.authOutcomes }),
      perKeyLimits(limiters.perMinute, limiters.perDay),
    ],
  });
  app.use(data.routes());
  app.use(data.allowedMethods());

  // The web console: static files only, public like the page of any web site; every secret it
  // handles goes through the guarded API routes above, never through these.
  const pages = consoleRoutes(kit, {
    console: deps.console,
    pages: CONSOLE_PAGES,
    notFound: () => micaDeveloperErrors.error('NOT_FOUND', { message: CONSOLE_ASSET_NOT_FOUND.message }),
    assetNotFound: errorResponses([CONSOLE_ASSET_NOT_FOUND]),
    errors: errorResponses(catalogErrors(instanceApiErrors, 'INTERNAL_ERROR')),
    headers: REQUEST_ID_HEADER_SCHEMAS,
  });
  app.use(
    guardedRoutes(pages, { paths: CONSOLE_PAGES, prefixes: ['/console/assets'] }, { allowedMethods: true }),
  );

  openApi.document();
  return app;
}
