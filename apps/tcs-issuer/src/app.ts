import { healthRoutes, type Metrics, useRequestPipeline } from '@portcullis/app-kit';
import type { Database } from '@portcullis/db';
import { DpopInfrastructureError } from '@portcullis/dpop';
import {
  CodedError,
  credentialEndpointErrors,
  isCodedError,
  renderOAuth,
  renderTcs,
  tcsApiErrors,
} from '@portcullis/errors';
import { type PasswordHasher, PasswordHasherBusyError } from '@portcullis/hashing';
import type { KeyCache } from '@portcullis/key-cache';
import {
  type AuthDecision,
  type AuthOutcomeHook,
  adminTokenAuth,
  bearerJwtAuth,
  failedAttemptLimit,
  tcsKeyAuth,
  type WindowLimiter,
} from '@portcullis/koa-auth';
import { appRouter, serveOpenApi } from '@portcullis/routes';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Sealer } from './crypto/seal.js';
import {
  createTcsKit,
  documentOptions,
  errorResponses,
  INTERNAL,
  requestIdHeaders,
  tcsHealth,
} from './http.js';
import { NonceStoreUnavailableError } from './issuance/c-nonces.js';
import type { StatusListService } from './issuance/status-lists.js';
import { adminTenantRoutes } from './routes/admin-tenants.js';
import { authRoutes } from './routes/auth.js';
import { didRoutes } from './routes/dids.js';
import { type IssuerMetadataDeps, issuerMetadataRoutes } from './routes/issuer-metadata.js';
import { type OAuthDeps, oauthRoutes } from './routes/oauth.js';
import { offerRoutes } from './routes/offers.js';
import { credentialStatusRoutes, statusListRoutes } from './routes/status.js';
import { tenantRoutes } from './routes/tenant.js';
import { wellKnownRoutes } from './routes/well-known.js';
import { type AppState, sessionVerifier } from './state.js';
import type { TenantKeyRow } from './store/tenants.js';
import type { TokenService } from './tokens.js';

/**
 * Why a well-formed tenant API key is refused: no key has its digest (`unknown`), it was revoked
 * (`revoked`), or its tenant is pending or suspended (`not_approved`, the published 403
 * `Account is not approved`). The first two answer the same 401 `Invalid API Key`; the reason
 * itself is for logs and metrics only.
 */
type TenantKeyRefusal = 'unknown' | 'revoked' | 'not_approved';

// One frozen refusal per reason: a refusal allocates nothing, and no caller can change one.
const UNKNOWN_KEY = Object.freeze({ ok: false, reason: 'unknown' } as const);
const REVOKED_KEY = Object.freeze({ ok: false, reason: 'revoked' } as const);
const NOT_APPROVED = Object.freeze({ ok: false, reason: 'not_approved' } as const);

function decideKey(row: TenantKeyRow | null): AuthDecision<TenantKeyRow, TenantKeyRefusal> {
  if (row === null) return UNKNOWN_KEY;
  if (row.revoked) return REVOKED_KEY;
  if (row.status !== 'approved') return NOT_APPROVED;
  return { ok: true, principal: row };
}

/**
 * An error met on an OAuth endpoint, in OAuth terms: its own OAuth errors as they are; an outage
 * (the database, the DPoP replay store, the nonce store) or the app's 413 as `temporarily_unavailable` / `invalid_request`; anything else
 * `server_error` (the renderer's default).
 */
function oauthError(err: unknown): unknown {
  // A DPoP replay store or nonce store that cannot answer fails the request closed, as an outage.
  if (err instanceof DpopInfrastructureError || err instanceof NonceStoreUnavailableError) {
    return credentialEndpointErrors.error('temporarily_unavailable', { cause: err });
  }
  if (isCodedError(err) && err.code === 'SERVICE_UNAVAILABLE') {
    return credentialEndpointErrors.error('temporarily_unavailable', { cause: err });
  }
  if (isCodedError(err) && err.code === 'PAYLOAD_TOO_LARGE') {
    return new CodedError({ code: 'invalid_request', status: 413, message: 'Request body is too large' });
  }
  return err;
}

/** Everything the app needs, created by `server.ts` (or a test) and injected. */
export interface AppDeps {
  db: Database;
  /** Tenant API keys by SHA-256 digest (L1 + Redis + database). */
  keyCache: KeyCache<TenantKeyRow>;
  /** Login access tokens and the JWKS. Started (signing key loaded) before serving. */
  tokens: TokenService;
  /** Seals and opens stored private keys. */
  sealer: Sealer;
  /** argon2id with the configured parameters. */
  hasher: PasswordHasher;
  limiters: {
    /** Failed logins per 15 minutes per address (15 by default). */
    loginPerIp: WindowLimiter;
    /** Failed logins per 15 minutes per uuid (15 by default). */
    loginPerUuid: WindowLimiter;
    /** Failed operator authentications per 15 minutes per address. */
    adminAuthFailures: WindowLimiter;
  };
  adminToken: string;
  /** `PUBLIC_URL`: token issuer, domain-linkage origin. */
  publicUrl: string;
  /** Clock, ms since the epoch. */
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  /** Counts every authentication decision by scheme, reason and code (`countAuthOutcomes`). */
  authOutcomes: AuthOutcomeHook;
  /** Issuance: nonces, DPoP, signers, status lists, the credential issuer. */
  issuance: OAuthDeps['issuance'] & IssuerMetadataDeps['issuance'] & { statusLists: StatusListService };
  /** Readiness checks by name; each rejects when its dependency is down. */
  checks: Record<string, () => Promise<void>>;
  trustProxy?: boolean;
  /** How many proxies append to `X-Forwarded-For` (`TRUST_PROXY_HOPS`, default 1). */
  trustProxyHops?: number;
}

/**
 * Builds the TCS issuer's Trust Registry as a Koa app: a pure factory, nothing global, nothing
 * started. A success body is the data itself; every error is `{ statusCode, message, error }`.
 * Every route is declared in the app's route kit, which validates its requests and makes the
 * OpenAPI document served at `/openapi.json` (generated at creation: a bad one fails here).
 *
 * @example
 * const app = createApp(deps);
 * http.createServer(app.callback()).listen(3003);
 */
export function createApp(deps: AppDeps): Koa<AppState> {
  const { db, keyCache, limiters, logger, metrics } = deps;
  const clientAddress = { trustProxy: deps.trustProxy ?? false, hops: deps.trustProxyHops ?? 1 };
  const app = new Koa<AppState>({ proxy: clientAddress.trustProxy, maxIpsCount: clientAddress.hops });
  const shed = metrics.counter(
    'password_work_shed_total',
    'Logins refused because password hashing was saturated',
    [],
  );
  // Request ids, the access counter and log, and errors as `{ statusCode, message, error }`.
  // A database outage is a 503, never a 401 or a bare 500; so is a full password hashing queue
  // (a login flood is shed), with a hint to retry shortly, counted but not logged as a failure.
  useRequestPipeline(app, {
    logger,
    metrics,
    render: (err, ctx) =>
      ctx.state.oauth === true
        ? renderOAuth(oauthError(err))
        : renderTcs(
            err instanceof PasswordHasherBusyError
              ? tcsApiErrors.error('SERVICE_UNAVAILABLE', { cause: err, retryAfterSeconds: 1 })
              : err,
          ),
    unavailable: (cause) => tcsApiErrors.error('SERVICE_UNAVAILABLE', { cause }),
    notFound: () => tcsApiErrors.error('NOT_FOUND', { message: 'Route not found' }),
    methodNotAllowed: () => tcsApiErrors.error('METHOD_NOT_ALLOWED'),
    quiet: (err) => err instanceof PasswordHasherBusyError,
    onError: (err) => {
      if (err instanceof PasswordHasherBusyError) shed.inc();
    },
    clientAddress,
  });

  const kit = createTcsKit();
  app.use(healthRoutes<AppState>({ kit, dialect: tcsHealth, checks: deps.checks, metrics }).routes());
  // The document of these routes, public; the limits it states are the ones enforced here.
  const service = appRouter<AppState>();
  const openApi = serveOpenApi(kit, service, {
    ...documentOptions(deps.publicUrl, {
      loginFailuresPer15Min: limiters.loginPerIp.limit,
      adminAuthPer15Min: limiters.adminAuthFailures.limit,
    }),
    headers: requestIdHeaders,
    responses: errorResponses(INTERNAL),
  });
  app.use(service.routes());
  const wellKnown = wellKnownRoutes(deps, kit);
  app.use(wellKnown.routes()).use(wellKnown.allowedMethods());

  // Operator routes: ADMIN_TOKEN, failed attempts limited per address, each attempt reserved
  // before the token is compared.
  const admin = appRouter<AppState>();
  admin.use(
    '/admin',
    failedAttemptLimit<AppState>({
      limiter: limiters.adminAuthFailures,
      key: (ctx) => ctx.ip,
      failed: (_ctx, err) =>
        isCodedError(err) && (err.code === 'TOKEN_REQUIRED' || err.code === 'INVALID_TOKEN'),
      exceeded: (result) =>
        tcsApiErrors.error('TOO_MANY_REQUESTS', { retryAfterSeconds: result.retryAfterSeconds }),
    }),
    adminTokenAuth({
      onOutcome: deps.authOutcomes,
      token: deps.adminToken,
      missing: () => tcsApiErrors.error('TOKEN_REQUIRED'),
      invalid: () => tcsApiErrors.error('INVALID_TOKEN'),
    }),
  );
  const tenants = adminTenantRoutes(deps, kit);
  admin.use(tenants.routes(), tenants.allowedMethods());
  app.use(admin.routes());

  // Login and password.
  const auth = authRoutes(deps, kit);
  app.use(auth.routes()).use(auth.allowedMethods());

  // Tenant routes with a login access token.
  const session = appRouter<AppState>();
  session.use(
    '/v1/did',
    bearerJwtAuth({ verify: sessionVerifier(deps.tokens, db), onOutcome: deps.authOutcomes }),
  );
  const dids = didRoutes(deps, kit);
  session.use(dids.routes(), dids.allowedMethods());
  app.use(session.routes());

  // Issuer routes with a tenant API key; an L1 hit is decided synchronously.
  const keyAuth = tcsKeyAuth<TenantKeyRow>({
    onOutcome: deps.authOutcomes,
    lookup: (digest) => {
      const row = keyCache.read(digest);
      return row instanceof Promise ? row.then(decideKey) : decideKey(row);
    },
  }) as Middleware<AppState>;
  const keyed = appRouter<AppState>();
  keyed.use('/v1/tenant', keyAuth);
  keyed.use('/v1/credentials', keyAuth);
  const tenant = tenantRoutes(kit);
  keyed.use(tenant.routes(), tenant.allowedMethods());
  const credentials = credentialStatusRoutes(deps, kit);
  keyed.use(credentials.routes(), credentials.allowedMethods());
  app.use(keyed.routes());

  // Issuance: offers (created with the API key, fetched by wallets), discovery, the OAuth
  // endpoints, and the public status lists.
  for (const router of [
    offerRoutes(deps, kit, keyAuth),
    issuerMetadataRoutes(deps, kit),
    oauthRoutes(deps, kit),
    statusListRoutes(deps.issuance, kit),
  ]) {
    app.use(router.routes()).use(router.allowedMethods());
  }

  openApi.document();
  return app;
}
