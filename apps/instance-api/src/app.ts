import { healthRoutes, type Metrics, useRequestPipeline } from '@portcullis/app-kit';
import { consoleRoutes, type LoadedConsole } from '@portcullis/console-ui';
import type { Database } from '@portcullis/db';
import { instanceApiErrors, isCodedError, rateLimitErrors, renderTrusset } from '@portcullis/errors';
import type { KeyCache, UsageBatcher } from '@portcullis/key-cache';
import {
  type AuthOutcomeHook,
  adminTokenAuth,
  attempt,
  failedAttemptLimit,
  type InstancePrincipal,
  instanceKeyAuth,
  rateLimit,
  standardRateLimitHeaders,
  type WindowLimiter,
} from '@portcullis/koa-auth';
import { appRouter, guardedRoutes, OPENAPI_PATH, serveOpenApi } from '@portcullis/routes';
import Koa from 'koa';
import type { Logger } from 'pino';
import { CORE_AUTH_PREFIXES, coreServices } from './core/index.js';
import {
  createAppKit,
  documented,
  documentText,
  healthDialect,
  REQUEST_ID_HEADER_SCHEMAS,
  REQUEST_ID_HEADERS,
  SECURITY_SCHEMES,
  UNLIMITED_ROUTE_ERRORS,
  unlimitedErrors,
} from './http.js';
import { keyDecider } from './key-auth.js';
import { adminInstanceRoutes } from './routes/admin-instances.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { serviceRoutes } from './routes/services.js';
import type { AppState } from './state.js';
import type { AuthRow } from './store/api-keys.js';

/** Everything the app needs, created by `server.ts` (or a test) and injected. */
export interface AppDeps {
  db: Database;
  keyCache: KeyCache<AuthRow>;
  /** Batched `lastUsedAt` (SPEC §4.4: no write per request). */
  usage: UsageBatcher;
  limiters: {
    /** SPEC §4.6: 200/min per authenticated key. */
    perKey: WindowLimiter;
    /** SPEC §4.6: 100/min per address, for every request that did not authenticate with a key. */
    perIp: WindowLimiter;
    /** SPEC §4.4: 30/min per instance on key management. */
    keyManagement: WindowLimiter;
    /** SPEC §4.6: 15 failed admin authentications per 15 min per address. */
    adminAuthFailures: WindowLimiter;
  };
  adminToken: string;
  /** Clock, ms since the epoch: key states, timestamps, limit windows. */
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  /** Counts every authentication decision by scheme, reason and code (`countAuthOutcomes`). */
  authOutcomes: AuthOutcomeHook;
  /** Readiness checks by name (database, redis); each rejects when its dependency is down. */
  checks: Record<string, () => Promise<void>>;
  /** Trust `X-Forwarded-For` for the client address (`TRUST_PROXY=true`). */
  trustProxy?: boolean;
  /** How many proxies append to `X-Forwarded-For` (`TRUST_PROXY_HOPS`, default 1). */
  trustProxyHops?: number;
  /** `PUBLIC_URL`: the server of the OpenAPI document. Without it the document's server is `/`. */
  publicUrl?: string;
  /** The built web console, served at `/console/` (see `loadConsole`). */
  console: LoadedConsole;
  /**
   * `TOKEN_FACTORY_ADDRESS`: the factory that tokenization's unsigned deploy transactions call
   * (lower case). Without it they call `DEFAULT_TOKEN_FACTORY_ADDRESS`, a placeholder.
   */
  tokenFactoryAddress?: string;
}

/** Where the web console answers (a trailing slash is the same route). */
const CONSOLE_PAGES = ['/console'] as const;
const CONSOLE_ASSET_NOT_FOUND = 'Console asset not found';

const API_PREFIX = '/api/v2';

/**
 * True for every path the `/api/v2` routers or a core service's router could match (they match
 * case-sensitively, see `appRouter`): a path they route must never skip authentication.
 */
function underApiPrefix(path: string): boolean {
  return underPrefix(path, API_PREFIX) || CORE_AUTH_PREFIXES.some((prefix) => underPrefix(path, prefix));
}

/** `path` is `prefix` or below it (`/stocks/api/x`, not `/stocks/apix`). */
function underPrefix(path: string, prefix: string): boolean {
  return (
    path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f)
  );
}

/**
 * Builds the instance API (SPEC §4) as a Koa app: a pure factory, nothing global, nothing started.
 *
 * @example
 * const app = createApp(deps);
 * http.createServer(app.callback()).listen(3001);
 */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { limiters, logger, metrics, now } = deps;
  const clientAddress = { trustProxy: deps.trustProxy ?? false, hops: deps.trustProxyHops ?? 1 };
  const app = new Koa<AppState>({ proxy: clientAddress.trustProxy, maxIpsCount: clientAddress.hops });
  // Request ids, the access counter and log, and errors in the envelope (SPEC §4.1, §8). A database
  // outage outside authentication is a 503 (inside authentication it is AUTH_ERROR, already coded
  // by instanceKeyAuth).
  useRequestPipeline(app, {
    logger,
    metrics,
    render: (err, ctx) =>
      renderTrusset(err, {
        requestId: ctx.state.requestId,
        timestamp: new Date(now()).toISOString(),
        ...(ctx.state.auth ? { instanceId: ctx.state.auth.instanceId } : {}),
      }),
    unavailable: (cause) => instanceApiErrors.error('SERVICE_UNAVAILABLE', { cause }),
    notFound: () => instanceApiErrors.error('NOT_FOUND', { message: 'Route not found' }),
    methodNotAllowed: () => instanceApiErrors.error('METHOD_NOT_ALLOWED'),
    logFields: (ctx) => ({ instanceId: ctx.state.auth?.instanceId }),
    clientAddress,
  });

  const kit = createAppKit();
  // The routes with rules of their own (health, metrics, the document, the operator API), in one
  // router ahead of the per-address limiter.
  const ownRules = appRouter<AppState>();
  ownRules.use(
    healthRoutes<AppState>({ kit, dialect: healthDialect(now), checks: deps.checks, metrics }).routes(),
  );
  // The document of every route of this app, public; the limits it states are the ones enforced here.
  const documentRouter = appRouter<AppState>();
  const openApi = serveOpenApi(kit, documentRouter, {
    ...documentText({
      keyPerMin: limiters.perKey.limit,
      ipPerMin: limiters.perIp.limit,
      keyMgmtPerMin: limiters.keyManagement.limit,
      authPer15Min: limiters.adminAuthFailures.limit,
    }),
    servers: [{ url: deps.publicUrl ?? '/' }],
    securitySchemes: SECURITY_SCHEMES,
    headers: REQUEST_ID_HEADERS,
    responses: UNLIMITED_ROUTE_ERRORS,
  });
  ownRules.use(documentRouter.routes());

  // SPEC §4.6, §8: failed operator authentications, 15 per 15 min per address, each attempt
  // reserved before the token is compared (a valid token gives its reservation back).
  const admin = appRouter<AppState>();
  admin.use(
    '/admin',
    failedAttemptLimit<AppState>({
      limiter: limiters.adminAuthFailures,
      key: (ctx) => ctx.ip,
      failed: (_ctx, err) =>
        isCodedError(err) && (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_FAILED'),
      headers: standardRateLimitHeaders,
    }),
    adminTokenAuth({ token: deps.adminToken, onOutcome: deps.authOutcomes }),
  );
  const adminRoutes = adminInstanceRoutes(kit, deps);
  admin.use(adminRoutes.routes(), adminRoutes.allowedMethods());
  ownRules.use(admin.routes());
  // Only a path that router can match enters it: matching each of its layers against the
  // authenticated hot path's requests is a cost those requests would pay for nothing (SPEC §9).
  app.use(
    guardedRoutes(ownRules, {
      paths: ['/healthz', '/readyz', '/metrics', OPENAPI_PATH],
      prefixes: ['/admin'],
    }),
  );

  // The web console: static files read into memory at boot, public and not limited, like the
  // document; every secret it handles goes through the guarded API routes, never through these.
  // Mounted ahead of the per-address limiter so loading the page spends none of its budget.
  const pages = consoleRoutes(kit, {
    console: deps.console,
    pages: CONSOLE_PAGES,
    notFound: () => instanceApiErrors.error('NOT_FOUND', { message: CONSOLE_ASSET_NOT_FOUND }),
    assetNotFound: unlimitedErrors([documented(instanceApiErrors, 'NOT_FOUND', CONSOLE_ASSET_NOT_FOUND)]),
    errors: UNLIMITED_ROUTE_ERRORS,
    headers: REQUEST_ID_HEADER_SCHEMAS,
  });
  app.use(guardedRoutes(pages, { paths: CONSOLE_PAGES, prefixes: ['/console'] }, { allowedMethods: true }));

  // SPEC §4.6 global limit: every request that did not authenticate with a key, counted after the
  // fact (no store call on the authenticated hot path). The routes that have rules of their own
  // (health, metrics, the document, operator routes) are mounted above, so a request they answer
  // never reaches this limiter, in whatever spelling their router accepts. Requests under /api/v2
  // that L1 does not admit also check this budget before their key is looked up (`beforeLookup`
  // below), so an address over it costs no Redis or database work.
  app.use(
    rateLimit<AppState>({
      limiter: limiters.perIp,
      key: (ctx) => ctx.ip,
      count: (ctx) => ctx.state.auth === undefined,
      precheck: false,
    }),
  );

  const onAuthenticated = (principal: { keyId: string }) => deps.usage.touch(principal.keyId, now());
  // Every /api/v2 request is authenticated and counted against its key, before routing (an
  // unknown /api/v2 path answers 401 to an unauthenticated caller, as before). Mounted as plain
  // middleware on the path prefix rather than as a router `use` layer: the router would re-run
  // its path captures for that layer on every request, which costs the authenticated hot path
  // more than the authentication itself (SPEC §9).
  //
  // SPEC §4.6: an address over its budget of unauthenticated requests is refused before its key
  // costs Redis or the database; a key admitted from L1 never pays for this check.
  const authenticate = instanceKeyAuth<InstancePrincipal>({
    onOutcome: deps.authOutcomes,
    ...keyDecider(deps.keyCache, now, onAuthenticated),
    beforeLookup: (ctx) =>
      attempt(
        () => limiters.perIp.peek(ctx.ip),
        (result) => {
          if (result.allowed) return;
          standardRateLimitHeaders(ctx, result);
          throw rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: result.retryAfterSeconds });
        },
        () => undefined,
      ),
  });
  const perKey = rateLimit<AppState>({ limiter: limiters.perKey, key: (ctx) => ctx.state.auth?.keyId });
  app.use(function apiAuth(ctx, next) {
    if (!underApiPrefix(ctx.path)) return next();
    return authenticate(ctx, () => perKey(ctx, next));
  });
  // Key management under its per-instance limit (see apiKeyRoutes) and the service checks, each
  // router entered only by the paths it serves.
  app.use(
    guardedRoutes(apiKeyRoutes(kit, deps), { prefixes: ['/api/v2/instance'] }, { allowedMethods: true }),
  );
  app.use(guardedRoutes(serviceRoutes(kit, deps), { prefixes: ['/api/v2/services'] }));
  // The core services (SPEC §4.5), each behind its service gate, each router entered only by the
  // paths under its base.
  for (const { prefix, router } of coreServices(kit, deps)) {
    app.use(guardedRoutes(router, { prefixes: [prefix] }, { allowedMethods: true }));
  }

  // Every route is declared by now: a document that cannot be generated fails here, at boot.
  openApi.document();
  return app;
}
