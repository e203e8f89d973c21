import type { HealthDialect } from '@portcullis/app-kit';
import {
  type Catalog,
  catalogErrors,
  type HttpErrorStatus,
  oauthErrorSchema,
  tcsApiErrors,
  tcsApiKeyErrors,
  tcsErrorSchema,
} from '@portcullis/errors';
import { type JsonBodyProblem, jsonBodyProblemMessage } from '@portcullis/koa-auth';
import {
  createRouteKit,
  type DocumentOptions,
  type RouteKit,
  type RouteResponse,
  type ZodObjectSchema,
} from '@portcullis/routes';
import { z } from 'zod';
import type { AppState } from './state.js';
import { invalidFields, tcsJsonBody } from './validation.js';

// How the TCS issuer speaks HTTP, for its route declarations: no envelope (a success body is the
// data itself), every error `{ statusCode, message, error }` with `error` the reason phrase of
// `statusCode`. A TCS error carries no code on the wire, only its message: each route documents
// the messages it can send, taken from the catalogs it throws from.

/**
 * The app's route kit: request fields that fail their schemas are a 400 naming each of them, and
 * JSON bodies are read by {@link tcsJsonBody}.
 *
 * @example
 * const kit = createTcsKit();
 * kit.mount(router, listDidsRoute, handler);
 */
export function createTcsKit(): RouteKit<AppState> {
  return createRouteKit<AppState>({ invalid: invalidFields, jsonBody: tcsJsonBody() });
}

const requestIdHeader = z
  .string()
  .min(8)
  .max(128)
  .meta({
    header: { id: 'X-Request-Id' },
    description:
      'The request id: the incoming `X-Request-Id` when it is 8–128 characters of `[A-Za-z0-9._:-]`, else a new UUID v4.',
  });
const retryAfterHeader = z
  .int()
  .min(0)
  .meta({ header: { id: 'Retry-After' }, description: 'Seconds until the refusing window ends.' });
const shedRetryAfterHeader = z
  .literal(1)
  .optional()
  .meta({
    header: { id: 'Retry-After-Shed' },
    description:
      'Present (`1`) when the password hashing queue was full and the request was shed; absent when a dependency is down.',
  });

/** The headers of every answer. */
export const requestIdHeaders = z.object({ 'X-Request-Id': requestIdHeader });

/** A `Cache-Control` header the route sets itself, always to `value`. */
export const cacheControl = (value: string) =>
  z.literal(value).meta({ description: 'The cache policy of this answer.' });

/**
 * A JSON success answer: its description, body schema and headers (`X-Request-Id` always, plus
 * `headers`).
 *
 * @example
 * responses: { 200: ok('The tenant.', tenantResponseSchema), ...errorResponses(ADMIN) }
 */
export function ok<S extends z.ZodType>(
  description: string,
  schema: S,
  headers: Record<string, z.ZodType> = {},
): { description: string; headers: ZodObjectSchema; content: { 'application/json': { schema: S } } } {
  return {
    description,
    headers: z.object({ 'X-Request-Id': requestIdHeader, ...headers }),
    content: { 'application/json': { schema } },
  };
}

/** One error answer of a route: its status and the message it sends. */
export interface TcsError {
  status: HttpErrorStatus;
  /** The message, byte for byte; with `pattern`, what the messages built at run time say. */
  message: string;
  /** Set for messages built at run time: each matches it. */
  pattern?: RegExp;
}

/**
 * The error of `code` with the message a route sends instead of the catalog's.
 *
 * @example
 * withMessage(tcsApiErrors, 'NOT_FOUND', 'Tenant not found') // { code: 'NOT_FOUND', status: 404, message: 'Tenant not found' }
 */
export function withMessage<C extends string>(catalog: Catalog<C>, code: C, message: string): TcsError {
  return { ...catalog.spec(code), message };
}

/** The keys of a record over a whole union: a member missing (or extra) fails to compile. */
const membersOf = <K extends string>(record: Record<K, true>): K[] => Object.keys(record) as K[];
const JSON_BODY_PROBLEMS = membersOf<JsonBodyProblem>({
  'content-type': true,
  encoding: true,
  syntax: true,
  depth: true,
});

/**
 * A 400 naming the bad fields: `invalidFields` joins one `field: problem` per field with `; `
 * (field `body` for the body as a whole); a DID import's own checks and a refused new password
 * read the same way.
 */
const FIELD_PROBLEMS: TcsError = {
  status: 400,
  message:
    'one `field: problem` per bad field, joined by `; ` (e.g. `slug: must be 3 to 32 characters from [a-z0-9-]`)',
  pattern: /^[A-Za-z][A-Za-z0-9_.]*: \S/,
};
/** A route with a JSON body: the body problems, bad fields, a body over 1 MB. */
export const JSON_BODY: readonly TcsError[] = [
  ...JSON_BODY_PROBLEMS.map((problem) =>
    withMessage(tcsApiErrors, 'BAD_REQUEST', jsonBodyProblemMessage(problem)),
  ),
  FIELD_PROBLEMS,
  ...catalogErrors(tcsApiErrors, 'PAYLOAD_TOO_LARGE'),
];
/** Every route: an unexpected failure. */
export const INTERNAL: readonly TcsError[] = catalogErrors(tcsApiErrors, 'INTERNAL_ERROR');
/** Every route that reads the database: an unexpected failure, and an outage. */
export const SERVER: readonly TcsError[] = [
  ...INTERNAL,
  ...catalogErrors(tcsApiErrors, 'SERVICE_UNAVAILABLE'),
];
/** `Authorization: Bearer …` refused: absent, or not a valid token. */
export const BEARER: readonly TcsError[] = catalogErrors(tcsApiErrors, 'TOKEN_REQUIRED', 'INVALID_TOKEN');
/** Operator routes: the token, the failed-attempt limit, the database. */
export const ADMIN: readonly TcsError[] = [
  ...BEARER,
  ...catalogErrors(tcsApiErrors, 'TOO_MANY_REQUESTS'),
  ...SERVER,
];
/** Routes of a logged-in tenant: its login access token, the database. */
export const SESSION: readonly TcsError[] = [...BEARER, ...SERVER];
/** Routes behind a tenant API key: the three published messages, the key store. */
export const API_KEY: readonly TcsError[] = [
  ...catalogErrors(tcsApiKeyErrors, 'API_KEY_REQUIRED', 'INVALID_API_KEY', 'ACCOUNT_NOT_APPROVED'),
  ...SERVER,
];
export const TENANT_NOT_FOUND = withMessage(tcsApiErrors, 'NOT_FOUND', 'Tenant not found');
/** The 404 of an unknown tenant, and of a path slug that cannot be one (no query for garbage). */
export const tenantNotFound = () => tcsApiErrors.error('NOT_FOUND', { message: TENANT_NOT_FOUND.message });

export interface ErrorResponseOptions {
  /** The route hashes a password: a full hashing queue sheds it with 503 and `Retry-After: 1`. */
  hashes?: boolean;
}

/**
 * The documented error answers of a route, one per status, each its TCS body with the messages
 * that status can carry (fixed ones byte for byte, built ones by pattern), `X-Request-Id`, and
 * `Retry-After` on 429 (and on a shed 503 of a route that hashes a password).
 *
 * @example
 * responses: { 200: ok('The tenant.', tenantResponseSchema), ...errorResponses([TENANT_NOT_FOUND, ...ADMIN]) }
 */
export function errorResponses(
  errors: readonly TcsError[],
  options: ErrorResponseOptions = {},
): { [S in HttpErrorStatus]?: RouteResponse } {
  const byStatus = new Map<HttpErrorStatus, TcsError[]>();
  for (const error of errors) {
    const list = byStatus.get(error.status) ?? [];
    if (!list.some((known) => known.message === error.message)) list.push(error);
    byStatus.set(error.status, list);
  }
  const out: { [S in HttpErrorStatus]?: RouteResponse } = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const list = byStatus.get(status) ?? [];
    const messages = list.filter((e) => e.pattern === undefined).map((e) => e.message);
    const patterns = list.flatMap((e) => (e.pattern === undefined ? [] : [e.pattern]));
    out[status] = {
      description: list.map((e) => (e.pattern === undefined ? `\`${e.message}\`` : e.message)).join('; '),
      headers: z.object({
        'X-Request-Id': requestIdHeader,
        ...(status === 429 ? { 'Retry-After': retryAfterHeader } : {}),
        ...(status === 503 && options.hashes ? { 'Retry-After': shedRetryAfterHeader } : {}),
      }),
      content: {
        'application/json': {
          schema: tcsErrorSchema(status, {
            ...(messages.length > 0 ? { messages } : {}),
            ...(patterns.length > 0
              ? { messagePattern: new RegExp(patterns.map((p) => `(?:${p.source})`).join('|')) }
              : {}),
          }),
        },
      },
    };
  }
  return out;
}

const UNAVAILABLE = tcsApiErrors.spec('SERVICE_UNAVAILABLE').message;

/**
 * `/healthz`, `/readyz` and `/metrics` in the TCS dialect: `{ "status": "ok" }`,
 * `{ "status": "ready", "checks": { … } }`, and a 503 TCS error whose message names the checks
 * that failed (`Service temporarily unavailable: database`).
 */
export const tcsHealth: HealthDialect<AppState> = {
  headers: requestIdHeaders,
  success: (_ctx, data) => data,
  successSchema: (data) => data,
  unavailable: (checks) =>
    tcsApiErrors.error('SERVICE_UNAVAILABLE', {
      message: `${UNAVAILABLE}: ${Object.keys(checks)
        .filter((name) => checks[name] === 'down')
        .join(', ')}`,
    }),
  unavailableResponse: {
    description: `\`${UNAVAILABLE}: \` and the checks that failed, e.g. \`${UNAVAILABLE}: database\`.`,
    headers: requestIdHeaders,
    content: {
      'application/json': {
        schema: tcsErrorSchema(503, { messagePattern: new RegExp(`^${UNAVAILABLE}: [a-z]+(, [a-z]+)*$`) }),
      },
    },
  },
  responses: errorResponses(INTERNAL),
};

/** Limits in force, failures per 15 minutes (configurable by environment), for the document. */
export interface DocumentedLimits {
  loginFailuresPer15Min: number;
  adminAuthPer15Min: number;
}

/**
 * What the document says beside its routes: the title, `PUBLIC_URL` as its server, the security
 * schemes with the limits in force, and the tags.
 *
 * @example
 * serveOpenApi(kit, router, { ...documentOptions('https://tcs.example', limits), responses });
 */
export function documentOptions(publicUrl: string, limits: DocumentedLimits): DocumentOptions {
  return {
    info: {
      title: 'Portcullis TCS issuer',
      version: '0.1.0',
      description:
        'Tenant onboarding, login, DIDs, the API-key guard and OpenID4VCI issuance of the TCS credential issuer. Outside the OAuth endpoints (`/v1/token`, `/v1/nonce`, `/v1/credential`, which answer in the OAuth format), a success body is the data itself. Every error is `{ statusCode, message, error }` with `error` the reason phrase of `statusCode`; the three API-key messages are published and byte-exact. No stack trace or internal message reaches a client: an unexpected failure is a 500 `Internal server error`, a database outage a 503 `Service temporarily unavailable`. An unknown route is a 404 `Route not found`; a documented path called with another method a 405 `Method not allowed` with `Allow`. Every response carries `X-Request-Id`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: publicUrl }],
    securitySchemes: {
      adminToken: {
        type: 'http',
        scheme: 'bearer',
        description: `The operator token (\`ADMIN_TOKEN\`), compared in constant time. Missing → 401 \`Bearer token is required\`, wrong → 401 \`Invalid or expired token\`. ${limits.adminAuthPer15Min} failed attempts per 15 minutes per client address; past them the address is refused (429, \`Retry-After\`) even with the right token.`,
      },
      loginToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A login access token from `POST /v1/auth/login`: an ES256 JWT checked against the account on every request. Missing → 401 `Bearer token is required`; malformed, expired, of a suspended tenant, or older than the last password change → 401 `Invalid or expired token`.',
      },
      issuanceToken: {
        type: 'http',
        scheme: 'DPoP',
        bearerFormat: 'JWT',
        description:
          'An issuance access token from `POST /v1/token` (ES256 `at+jwt`, 300 s), as `Authorization: DPoP <token>` with a `DPoP` proof (RFC 9449), or `Authorization: Bearer <token>` for an unbound token of an `eddsa_did` tenant. Never in the query or body. Refused → 401 `invalid_token` with `WWW-Authenticate: DPoP …`.',
      },
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description:
          'A tenant API key `tcs_{environment}_{48 hex}`, with the published messages: absent or blank → 401 `API Key is required`; not a TCS key, malformed, unknown or revoked → 401 `Invalid API Key`; tenant pending or suspended → 403 `Account is not approved`.',
      },
    },
    tags: [
      { name: 'Service', description: 'Health, metrics and this document: no authentication.' },
      { name: 'Discovery', description: 'Public well-known documents.' },
      { name: 'Tenants', description: 'Operator onboarding, `Authorization: Bearer ADMIN_TOKEN`.' },
      {
        name: 'Auth',
        description: `Tenant login and password. ${limits.loginFailuresPer15Min} wrong-credential answers per 15 minutes per client address and per uuid; past either the request is refused (429, \`Retry-After\`) before any password work, even with the right password. Only wrong credentials count.`,
      },
      { name: 'DIDs', description: "The logged-in tenant's DIDs, `Authorization: Bearer <JWT>`." },
      { name: 'Tenant', description: 'Issuer routes with a tenant API key, `X-API-Key`.' },
      {
        name: 'Offers',
        description: 'Credential offers: created with the tenant API key, fetched by wallets.',
      },
      {
        name: 'Issuance',
        description:
          'OpenID4VCI 1.0 (pre-authorized code flow) with DPoP (RFC 9449). OAuth format: every answer has `Cache-Control: no-store`; an error is exactly `{ error, error_description }`.',
      },
    ],
  };
}

// OAuth endpoints (`/v1/token`, `/v1/nonce`, `/v1/credential`) speak OAuth: every answer has
// `Cache-Control: no-store`; an error is exactly `{ error, error_description }`; a 401 carries a
// `WWW-Authenticate: DPoP …` challenge; DPoP answers carry a fresh `DPoP-Nonce`.

const noStore = z.literal('no-store').meta({ description: 'OAuth answers are never cached.' });
const dpopNonceHeader = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,256}$/)
  .meta({ header: { id: 'DPoP-Nonce' }, description: 'A fresh server nonce for the next DPoP proof.' });
const wwwAuthenticateHeader = z
  .string()
  .regex(/^DPoP error="[a-z_]+"/)
  .meta({
    description: 'The challenge: `DPoP error="…", error_description="…", algs="ES256 EdDSA"`.',
  });

/** Headers of an OAuth answer: the request id and `Cache-Control: no-store`, plus `headers`. */
function oauthHeaders(headers: Record<string, z.ZodType>): ZodObjectSchema {
  return z.object({ 'X-Request-Id': requestIdHeader, 'Cache-Control': noStore, ...headers });
}

/** An OAuth success answer (`Cache-Control: no-store`). `dpopNonce`: `required` or `optional` header. */
export function oauthOk<S extends z.ZodType>(
  description: string,
  schema: S,
  dpopNonce?: 'required' | 'optional',
): { description: string; headers: ZodObjectSchema; content: { 'application/json': { schema: S } } } {
  return {
    description,
    headers: oauthHeaders(
      dpopNonce === undefined
        ? {}
        : { 'DPoP-Nonce': dpopNonce === 'required' ? dpopNonceHeader : dpopNonceHeader.optional() },
    ),
    content: { 'application/json': { schema } },
  };
}

/** One OAuth error a route can answer: its status and code. */
export interface OAuthError {
  status: HttpErrorStatus;
  code: string;
  /** What provokes it, for the document. */
  when: string;
}

/** The OAuth errors of a catalog's codes, each with what provokes it. */
export function oauthErrorsOf<C extends string>(
  catalog: Catalog<C>,
  codes: Partial<Record<C, string>>,
): OAuthError[] {
  return (Object.entries(codes) as Array<[C, string]>).map(([code, when]) => ({
    status: catalog.spec(code).status,
    code,
    when,
  }));
}

/**
 * The documented error answers of an OAuth route, one per status: `{ error, error_description }`
 * with the codes of that status, `Cache-Control: no-store`, `WWW-Authenticate` on a 401, and an
 * optional `DPoP-Nonce` (present whenever the route issued one before failing).
 */
export function oauthErrorResponses(errors: readonly OAuthError[]): {
  [S in HttpErrorStatus]?: RouteResponse;
} {
  const byStatus = new Map<HttpErrorStatus, OAuthError[]>();
  for (const error of errors) byStatus.set(error.status, [...(byStatus.get(error.status) ?? []), error]);
  const out: { [S in HttpErrorStatus]?: RouteResponse } = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const list = byStatus.get(status) ?? [];
    const codes = [...new Set(list.map((e) => e.code))];
    out[status] = {
      description: list.map((e) => `\`${e.code}\`: ${e.when}`).join('; '),
      headers: oauthHeaders({
        'DPoP-Nonce': dpopNonceHeader.optional(),
        ...(status === 401 ? { 'WWW-Authenticate': wwwAuthenticateHeader } : {}),
      }),
      content: { 'application/json': { schema: oauthErrorSchema(codes) } },
    };
  }
  return out;
}
