import type { HealthDialect } from '@portcullis/app-kit';
import {
  type Catalog,
  catalogErrors,
  type DocumentedError,
  describeErrors,
  errorsByStatus,
  type HttpErrorStatus,
  instanceApiErrors,
  instanceAuthErrors,
  rateLimitErrors,
  renderTrussetSuccess,
  type TrussetSuccessMeta,
  trussetErrorSchema,
  trussetSuccessSchema,
} from '@portcullis/errors';
import { jsonBody, jsonBodyProblemMessage } from '@portcullis/koa-auth';
import { createRouteKit, type DocumentOptions, type RouteKit, type RouteResponse } from '@portcullis/routes';
import { z } from 'zod';
import type { AppContext, AppState } from './state.js';

// How the instance API speaks HTTP, in one place: its route kit (validation answers in its own
// errors), the Trusset envelope its routes answer with and the schemas that document it, the
// headers its answers carry, its security schemes, and the error lists routes share.

/** The instance API's route kit: request problems are its 400 `VALIDATION_ERROR`, big bodies its 413. */
export type AppKit = RouteKit<AppState>;

/**
 * A route kit for one app instance (it collects the app's declarations for its document).
 *
 * @example
 * const kit = createAppKit();
 * kit.mount(router, createKeyRoute, handler);
 */
export function createAppKit(): AppKit {
  return createRouteKit<AppState>({
    invalid: (details) => instanceApiErrors.error('VALIDATION_ERROR', { details }),
    jsonBody: jsonBody({
      tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
      invalid: (problem) =>
        instanceApiErrors.error('VALIDATION_ERROR', {
          details: [{ field: 'body', message: jsonBodyProblemMessage(problem) }],
        }),
    }),
  });
}

let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, the last answer kept: the requests of one millisecond format their
 * timestamp once.
 *
 * @example
 * isoTimestamp(0) // '1970-01-01T00:00:00.000Z'
 */
export function isoTimestamp(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

// Characters that JSON writes as themselves: a string made only of them is its JSON text in quotes.
// Request ids (SPEC §4.1) and the app's own ids are made only of them, so the answer on the hot
// path skips `JSON.stringify` (about 0.1 µs per string); any other string still goes through it.
const JSON_PLAIN = /^[A-Za-z0-9._:-]*$/;
const jsonString = (text: string): string => (JSON_PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

/**
 * The JSON text of `envelope(ctx, now, data)` for data its caller serialised once
 * (`dataJson = JSON.stringify(data)`): a route with constant data answers without building and
 * serialising an object per request. The same text as `JSON.stringify(envelope(ctx, now, data))`
 * (tested).
 *
 * @example
 * const data = JSON.stringify({ service: 'custody', enabled: true });
 * ctx.body = envelopeJson(ctx, now, data);
 */
export function envelopeJson(ctx: AppContext, now: () => number, dataJson: string): string {
  const auth = ctx.state.auth;
  const instance = auth === undefined ? '' : `,"instanceId":${jsonString(auth.instanceId)}`;
  return `{"success":true,"data":${dataJson},"error":null,"metadata":{"requestId":${jsonString(
    ctx.state.requestId,
  )},"timestamp":"${isoTimestamp(now())}"${instance}}}`;
}

/**
 * The success envelope `{ success: true, data, error: null, metadata }` of this request: its
 * request id, the time at `now` (ms since the epoch), the caller's instance once a key
 * authenticated it, and `total` for lists.
 *
 * @example
 * return { status: 200, body: envelope(ctx, now, keys, keys.length) };
 */
export function envelope<T>(ctx: AppContext, now: () => number, data: T, total?: number) {
  const meta: TrussetSuccessMeta = {
    requestId: ctx.state.requestId,
    timestamp: isoTimestamp(now()),
    ...(ctx.state.auth ? { instanceId: ctx.state.auth.instanceId } : {}),
    ...(total === undefined ? {} : { total }),
  };
  return renderTrussetSuccess(data, meta);
}

// ---------------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------------

const requestIdHeader = z
  .string()
  .min(8)
  .max(128)
  .meta({
    description:
      'The request id, equal to `metadata.requestId`: the incoming `X-Request-Id` when it is 8–128 characters of `[A-Za-z0-9._:-]`, else a new UUID v4.',
    header: { id: 'X-Request-Id' },
  });

const windowHeader = (id: string, description: string) =>
  z.int().min(0).meta({ description, header: { id } });

const rateLimitHeaders = {
  'X-RateLimit-Limit': windowHeader('X-RateLimit-Limit', 'Requests admitted in the current window.'),
  'X-RateLimit-Remaining': windowHeader('X-RateLimit-Remaining', 'Requests left in the current window.'),
  'X-RateLimit-Reset': windowHeader('X-RateLimit-Reset', 'When the current window ends, in Unix seconds.'),
};

const retryAfterHeader = windowHeader('Retry-After', 'Seconds until the refusing window ends.');

/** `X-Request-Id`: every answer of the app carries it. */
export const REQUEST_ID_HEADERS = z.object({ 'X-Request-Id': requestIdHeader });
/** The same, by name: for declarations that add headers of their own (the web console's). */
export const REQUEST_ID_HEADER_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  'X-Request-Id': requestIdHeader,
};

/**
 * Every answer of a rate-limited route (the operator routes and every `/api/v2` route) carries
 * `X-Request-Id` and the `X-RateLimit-*` headers of its window; a 429 also `Retry-After`.
 */
const limitedHeaders = (status: number) =>
  z.object({
    'X-Request-Id': requestIdHeader,
    ...rateLimitHeaders,
    ...(status === 429 ? { 'Retry-After': retryAfterHeader } : {}),
  });

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const json = <S extends z.ZodType>(schema: S) => ({ 'application/json': { schema } });

/**
 * The documented success answer of a rate-limited route: `data` in the envelope. `instanceId`:
 * behind key authentication (`metadata.instanceId` is always set); `total`: a list.
 *
 * @example
 * responses: { 200: ok('Keys; `metadata.total` is their number.', z.array(apiKeySchema), { instanceId: true, total: true }) }
 *
 * `headers`: further response headers of the route (e.g. `Idempotent-Replayed`).
 */
export function ok<D extends z.ZodType>(
  description: string,
  data: D,
  options: { instanceId: boolean; total?: boolean; headers?: Record<string, z.ZodType> },
) {
  const { headers, ...envelopeOptions } = options;
  return {
    description,
    headers: headers === undefined ? limitedHeaders(200) : limitedHeaders(200).extend(headers),
    content: json(trussetSuccessSchema(data, envelopeOptions)),
  };
}

/** Error answers by status; a route's reply type ignores them (errors are thrown, never returned). */
export type ErrorResponses = Partial<Record<HttpErrorStatus, RouteResponse>>;

/**
 * The documented error answers of a rate-limited route, one per status, each limiting
 * `error.code` to the codes of that status (`metadata.retryAfter` and `Retry-After` on 429).
 *
 * @example
 * responses: { 200: ok(…), ...errors([...JSON_BODY, keyNotFound, ...KEY_AUTH]) }
 */
export function errors(list: readonly DocumentedError[]): ErrorResponses {
  const out: ErrorResponses = {};
  for (const [status, codes] of errorsByStatus(list)) {
    out[status] = {
      description: describeErrors(codes),
      headers: limitedHeaders(status),
      content: json(
        trussetErrorSchema(
          codes.map((error) => error.code),
          { retryAfter: status === 429 },
        ),
      ),
    };
  }
  return out;
}

/** `code` of `catalog` with the message a route gives it (`NOT_FOUND` "API key not found"). */
export function documented<C extends string>(catalog: Catalog<C>, code: C, message: string): DocumentedError {
  return { code, status: catalog.spec(code).status, message };
}

/** A malformed or unknown JSON body: 400 `VALIDATION_ERROR`, 413 `PAYLOAD_TOO_LARGE`. */
export const JSON_BODY = catalogErrors(instanceApiErrors, 'VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE');

/** What any route can answer when something breaks: a masked 500, or 503 for a database outage. */
const SERVER = catalogErrors(instanceApiErrors, 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE');

const RATE_LIMITED = catalogErrors(rateLimitErrors, 'RATE_LIMIT_EXCEEDED');

/** Every `/api/v2` route: its key refused or unverifiable, its address or key over its budget. */
export const KEY_AUTH = [
  ...catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED', 'AUTH_ERROR'),
  ...RATE_LIMITED,
  ...SERVER,
];

/** Every operator route: the token missing or wrong, the address over its failed-attempt budget. */
export const ADMIN_AUTH = [
  ...catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED'),
  ...RATE_LIMITED,
  ...SERVER,
];

/**
 * The documented error answers of a route that is not rate limited (the web console's): like
 * {@link errors}, with `X-Request-Id` as their only header.
 *
 * @example
 * assetNotFound: unlimitedErrors([documented(instanceApiErrors, 'NOT_FOUND', 'Console asset not found')])
 */
export function unlimitedErrors(list: readonly DocumentedError[]): ErrorResponses {
  const out: ErrorResponses = {};
  for (const [status, codes] of errorsByStatus(list)) {
    out[status] = {
      description: describeErrors(codes),
      headers: REQUEST_ID_HEADERS,
      content: json(trussetErrorSchema(codes.map((error) => error.code))),
    };
  }
  return out;
}

/**
 * Further answers of the routes that are not rate limited (health, metrics, the document): a
 * masked 500, should one fail.
 */
export const UNLIMITED_ROUTE_ERRORS: Record<number, RouteResponse> = {
  500: {
    description: describeErrors(catalogErrors(instanceApiErrors, 'INTERNAL_ERROR')),
    headers: REQUEST_ID_HEADERS,
    content: json(trussetErrorSchema(['INTERNAL_ERROR'])),
  },
};

// ---------------------------------------------------------------------------------------------
// Security
// ---------------------------------------------------------------------------------------------

/** The `/api/v2` routes: an instance key in `X-API-Key`. */
export const KEY_SECURITY = [{ apiKey: [] }] as const;
/** The operator routes: `Authorization: Bearer ADMIN_TOKEN`. */
export const ADMIN_SECURITY = [{ adminToken: [] }] as const;

export const SECURITY_SCHEMES: NonNullable<DocumentOptions['securitySchemes']> = {
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description:
      'An instance key `trusset_{instanceRef}_{64 hex}`. Absent or empty → 401 `AUTH_REQUIRED`; malformed, unknown, revoked, expired, paused, or of an archived instance → 401 `AUTH_FAILED` (one message for all).',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The operator token (`ADMIN_TOKEN`), compared in constant time. Missing → 401 `AUTH_REQUIRED`, wrong → 401 `AUTH_FAILED`.',
  },
};

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

/** The core services' tags (SPEC §4.5) and what each holds. */
const CORE_TAGS = [
  [
    'Customers',
    'Customers of the instance: individuals and companies, by id, wallet, reference key or external id.',
  ],
  [
    'Custody',
    'A custody ledger: registered tokens, balances per customer (free and locked), and every movement.',
  ],
  [
    'Tokenization',
    'Tokenized securities: deploy payloads (nothing is submitted on your behalf) and an off-chain holder ledger.',
  ],
  ['Trading', 'Off-chain order books: LIMIT and MARKET orders matched by price-time priority.'],
  ['Lending', 'Lending markets: liquidity positions and loans collateralised by stock tokens.'],
] as const;

/** The rate limits in force, requests per window (each is configurable by environment). */
export interface StatedLimits {
  keyPerMin: number;
  ipPerMin: number;
  keyMgmtPerMin: number;
  authPer15Min: number;
}

/**
 * What the document says beside its routes: the API, and per tag who may call it and under which
 * limits (the ones the app enforces).
 *
 * @example
 * serveOpenApi(kit, router, { ...documentText({ keyPerMin: 200, ipPerMin: 100, keyMgmtPerMin: 30, authPer15Min: 15 }), securitySchemes });
 */
export function documentText(limits: StatedLimits): Pick<DocumentOptions, 'info' | 'tags'> {
  const unauthenticated = `Requests that do not authenticate with a key count against ${limits.ipPerMin} per minute per client address.`;
  return {
    info: {
      title: 'Portcullis instance API',
      version: '0.1.0',
      description:
        'Instances with managed API keys. Every JSON response is the envelope `{ success, data, error, metadata }`; `metadata.requestId` equals the `X-Request-Id` response header. No stack trace or internal message reaches a client: an unexpected failure is a 500 `INTERNAL_ERROR` (`AUTH_ERROR` inside authentication), a database outage a 503 `SERVICE_UNAVAILABLE`. An unknown route is a 404 `NOT_FOUND` "Route not found".',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      {
        name: 'Service',
        description: 'Health, metrics and this document: no authentication, not rate limited.',
      },
      {
        name: 'Instances',
        description: `The operator API, \`Authorization: Bearer ADMIN_TOKEN\`. Failed operator authentications count against ${limits.authPer15Min} per 15 minutes per client address; an address past it is refused (429) even with the right token. Valid requests are not limited.`,
      },
      {
        name: 'API keys',
        description: `Key management of the caller's own instance, \`X-API-Key\`. Rate limit: ${limits.keyMgmtPerMin} per minute per instance on \`/api/v2/instance*\` (the headers report this window), within ${limits.keyPerMin} per minute per key. ${unauthenticated}`,
      },
      {
        name: 'Service checks',
        description: `Service gates (\`SERVICE_NOT_ENABLED\`), \`X-API-Key\`. Rate limit: ${limits.keyPerMin} per minute per key. ${unauthenticated}`,
      },
      ...CORE_TAGS.map(([name, what]) => ({
        name,
        description: `${what} Scoped to the caller's instance (another instance's resource is a 404); 403 \`SERVICE_NOT_ENABLED\` while the instance has the service off. \`X-API-Key\`. Rate limit: ${limits.keyPerMin} per minute per key. ${unauthenticated}`,
      })),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

/**
 * `/healthz`, `/readyz` and `/metrics` in the instance API's own format: the envelope, and a 503
 * `SERVICE_UNAVAILABLE` whose `details` map each check to `up` or `down`.
 *
 * @example
 * app.use(healthRoutes({ kit, dialect: healthDialect(now), checks, metrics }).routes());
 */
export function healthDialect(now: () => number): HealthDialect<AppState> {
  return {
    headers: REQUEST_ID_HEADERS,
    success: (ctx, data) => envelope(ctx, now, data),
    successSchema: (data) => trussetSuccessSchema(data),
    unavailable: (checks) => instanceApiErrors.error('SERVICE_UNAVAILABLE', { details: checks }),
    unavailableResponse: {
      description:
        '`SERVICE_UNAVAILABLE`: a dependency is down; `details` maps each check to `up` or `down`.',
      headers: REQUEST_ID_HEADERS,
      content: json(trussetErrorSchema(['SERVICE_UNAVAILABLE'])),
    },
    responses: UNLIMITED_ROUTE_ERRORS,
  };
}
