import type { HealthDialect } from '@portcullis/app-kit';
import {
  type Catalog,
  catalogErrors,
  type DocumentedError,
  describeErrors,
  errorsByStatus,
  instanceApiErrors,
  micaAuthErrors,
  micaDeveloperErrors,
  rateLimitErrors,
  renderTrussetSuccess,
  type TrussetErrorBody,
  trussetErrorSchema,
  trussetSuccessSchema,
} from '@portcullis/errors';
import { jsonBody, jsonBodyProblemMessage, type MicaPrincipal } from '@portcullis/koa-auth';
import {
  createRouteKit,
  type DocumentOptions,
  type FieldProblem,
  type RouteKit,
  type RouteResponse,
  type ZodObjectSchema,
} from '@portcullis/routes';
import { z } from 'zod';
import type { DeveloperRow } from './store/developers.js';

// How the MiCA Register speaks HTTP, for its route declarations: every error is the Trusset
// envelope `{ success: false, data: null, error: { code, message, details? }, metadata }`, every
// answer carries `X-Request-Id`; register data and health answers are Trusset success envelopes,
// the developer routes answer bodies of their own (`{ success: true, … }`).

/** The state every route of this app can read (the request id, set first). */
export interface RequestIdState {
  requestId: string;
}

/** Everything middleware puts on `ctx.state` in this app. */
export interface AppState extends RequestIdState {
  /** The key of a register data request, once authenticated. */
  mica?: MicaPrincipal;
  /** The developer of an account request, once the management token is checked. */
  developer?: DeveloperRow;
  /** The JSON body, once read. */
  body?: unknown;
}

/** Request fields that fail their schemas: 400 `VALIDATION_ERROR` naming each of them. */
const invalidFields = (details: FieldProblem[]) => micaDeveloperErrors.error('VALIDATION_ERROR', { details });

/**
 * The app's route kit: request fields that fail their schemas are 400 `VALIDATION_ERROR` naming
 * each field; JSON bodies over 1 MB are 413 `PAYLOAD_TOO_LARGE`, and a body that is not JSON (or
 * not `application/json`) is 400 `VALIDATION_ERROR` naming `body`.
 *
 * @example
 * const kit = createMicaKit<AppState>();
 * kit.mount(router, listKeysRoute, handler, { before: [managementTokenAuth(db)] });
 */
export function createMicaKit<S>(): RouteKit<S> {
  return createRouteKit<S>({
    invalid: invalidFields,
    jsonBody: jsonBody({
      tooLarge: () => instanceApiErrors.error('PAYLOAD_TOO_LARGE'),
      invalid: (problem) => invalidFields([{ field: 'body', message: jsonBodyProblemMessage(problem) }]),
    }),
  });
}

// Response headers, written out in each answer (not as shared components), so the tests' check of
// every answer sees which are required.
const requestIdHeader = z.string().min(8).max(128).meta({
  description:
    'The request id (also `metadata.requestId` of envelope bodies): the incoming `X-Request-Id` when it is 8–128 characters of `[A-Za-z0-9._:-]`, else a new UUID v4.',
});
const retryAfterHeader = z.int().min(0).meta({ description: 'Seconds until the refusing window ends.' });
const headerCount = (description: string) => z.int().min(0).meta({ description });

/** The four headers of every answer past key authentication, per key. */
export const PER_KEY_HEADERS = {
  'X-RateLimit-Limit-Minute': headerCount('Requests admitted per minute for this key.'),
  'X-RateLimit-Remaining-Minute': headerCount('Requests left this minute.'),
  'X-RateLimit-Limit-Day': headerCount('Requests admitted per UTC day for this key.'),
  'X-RateLimit-Remaining-Day': headerCount('Requests left today (UTC).'),
} as const;

/** The headers of a limit per client address: the window's limit, what is left, when it ends. */
export const ADDRESS_LIMIT_HEADERS = {
  'X-RateLimit-Limit': headerCount('Requests admitted in the current window.'),
  'X-RateLimit-Remaining': headerCount('Requests left in the current window.'),
  'X-RateLimit-Reset': headerCount('When the current window ends, in Unix seconds.'),
} as const;

/** A header the route sets itself, always to `value`. */
export const constantHeader = (value: string, description: string) => z.literal(value).meta({ description });

/** Headers of one answer by name, beside `X-Request-Id`. */
export type HeaderSchemas = Readonly<Record<string, z.ZodType>>;

/** Every header of `headers`, optional: sent on some answers of a status only. */
const optional = (headers: HeaderSchemas): HeaderSchemas =>
  Object.fromEntries(Object.entries(headers).map(([name, schema]) => [name, schema.optional()]));

function headersOf(headers: HeaderSchemas): ZodObjectSchema {
  return z.object({ 'X-Request-Id': requestIdHeader, ...headers });
}

/** The headers every answer carries. */
export const REQUEST_ID_HEADERS = headersOf({});
/** The same, by name: for declarations that add headers of their own (the console's). */
export const REQUEST_ID_HEADER_SCHEMAS: HeaderSchemas = { 'X-Request-Id': requestIdHeader };

/**
 * A JSON success answer: its description, body schema and headers (`X-Request-Id` always, plus
 * `headers`).
 *
 * @example
 * responses: { 200: ok('The developer, keys and limits.', keyListingSchema), ...errorResponses(TOKEN_AUTH) }
 */
export function ok<S extends z.ZodType>(description: string, schema: S, headers: HeaderSchemas = {}) {
  return {
    description,
    headers: headersOf(headers),
    content: { 'application/json': { schema } },
  } as const satisfies RouteResponse;
}

/** Which headers the errors of a route carry, by status. */
export interface ErrorHeaders {
  /** Headers the limits of the route set: on every error answer but those of `never` and `sometimes`. */
  limited?: HeaderSchemas;
  /** Statuses whose answers carry `limited` only sometimes (a 500 before or after the limit). */
  sometimes?: readonly number[];
  /** Statuses whose answers never carry `limited` (refused before the limit counted). */
  never?: readonly number[];
}

/**
 * The error answers of a route, one per status: its documented codes and messages (from the
 * catalogs the app throws from), the Trusset error envelope limited to those codes, and its headers:
 * `X-Request-Id`, `limited` where they are sent, `Retry-After` on 429.
 *
 * @example
 * responses: { 200: …, ...errorResponses([...KEY_AUTH, ISSUER_NOT_FOUND], { limited: PER_KEY_HEADERS, never: [401], sometimes: [500] }) }
 */
export function errorResponses(
  errors: readonly DocumentedError[],
  headers: ErrorHeaders = {},
): Record<number, RouteResponse> {
  const { limited = {}, sometimes = [], never = [] } = headers;
  const responses: Record<number, RouteResponse> = {};
  for (const [status, documented] of errorsByStatus(errors)) {
    const extra = never.includes(status) ? {} : sometimes.includes(status) ? optional(limited) : limited;
    responses[status] = {
      description: describeErrors(documented),
      headers: headersOf(status === 429 ? { ...extra, 'Retry-After': retryAfterHeader } : extra),
      content: {
        'application/json': {
          schema: trussetErrorSchema(
            documented.map((error) => error.code),
            { retryAfter: status === 429 },
          ),
        },
      },
    };
  }
  return responses;
}

/**
 * The error of `code` with the message a route sends instead of the catalog's.
 *
 * @example
 * withMessage(micaDeveloperErrors, 'NOT_FOUND', 'API key not found')
 */
export function withMessage<C extends string>(
  catalog: Catalog<C>,
  code: C,
  message: string,
): DocumentedError {
  return { code, status: catalog.spec(code).status, message };
}

/** Every route: an unexpected failure, and a database outage. */
export const SERVER = catalogErrors(instanceApiErrors, 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE');
/** A limit of the route refused the request. */
export const RATE_LIMITED = catalogErrors(rateLimitErrors, 'RATE_LIMIT_EXCEEDED');
/** A route that reads a JSON body: a bad field or body, a body over 1 MB. */
export const JSON_BODY = [
  ...catalogErrors(micaDeveloperErrors, 'VALIDATION_ERROR'),
  ...catalogErrors(instanceApiErrors, 'PAYLOAD_TOO_LARGE'),
];
/** Register data: the key (absent, refused, its lookup failed), the per-key limits, the server. */
export const KEY_AUTH = [
  ...catalogErrors(micaAuthErrors, 'UNAUTHORIZED', 'INVALID_KEY', 'AUTH_ERROR'),
  ...RATE_LIMITED,
  ...SERVER,
];
/** Account routes: the management token (absent, refused), the failed-attempt limit, the server. */
export const TOKEN_AUTH = [
  ...catalogErrors(micaDeveloperErrors, 'UNAUTHORIZED', 'INVALID_TOKEN'),
  ...RATE_LIMITED,
  ...SERVER,
];

/** The limits the document states: the ones the app enforces. */
export interface DocumentedLimits {
  perMinute: number;
  perDay: number;
  registerPer15Min: number;
  managementAuthPer15Min: number;
}

/**
 * What the document says beside its routes: title, licence, server, tags, and the two security
 * schemes with the limits in force.
 *
 * @param publicUrl - `PUBLIC_URL`; without it the server is `/` (wherever the document was fetched)
 * @example
 * serveOpenApi(kit, router, { ...documentOptions(limits, deps.publicUrl), responses: errorResponses(SERVER) });
 */
export function documentOptions(limits: DocumentedLimits, publicUrl?: string): DocumentOptions {
  return {
    info: {
      title: 'Portcullis MiCA Register API',
      version: '0.1.0',
      description:
        'ESMA\'s interim MiCA register as a read-only data API, with self-service developer keys. Every error is the envelope `{ success: false, data: null, error: { code, message, details? }, metadata }`; an unknown route is a 404 `NOT_FOUND` "Route not found".',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: publicUrl ?? '/' }],
    tags: [
      { name: 'Service', description: 'Health, metrics and this document: no authentication.' },
      { name: 'Developer', description: 'Developer accounts and their keys.' },
      { name: 'Register', description: 'Register data, with `X-API-Key: trusset_mica_…`.' },
    ],
    securitySchemes: {
      micaApiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: `A MiCA key \`trusset_mica_{48 hex}\`. No key or another prefix → 401 \`UNAUTHORIZED\`; right prefix but malformed, revoked or unknown → 401 \`INVALID_KEY\`. ${limits.perMinute} requests per minute and ${limits.perDay} per day per key; the day resets at 00:00 UTC.`,
      },
      managementToken: {
        type: 'http',
        scheme: 'bearer',
        description: `The developer management token (64 hex), shown once at registration. Missing → 401 \`UNAUTHORIZED\`, wrong → 401 \`INVALID_TOKEN\`. ${limits.managementAuthPer15Min} failed attempts per 15 minutes per client address, each counted before the token is checked; past them every request from that address is 429 with \`Retry-After\` until the window ends, the right token included.`,
      },
    },
  };
}

/**
 * The health routes in this app's format: bodies in the Trusset success envelope, a dependency
 * down 503 `SERVICE_UNAVAILABLE` with `details` mapping each check to `up` or `down`.
 *
 * @param now - clock, ms since the epoch (envelope timestamps)
 * @example
 * app.use(healthRoutes({ kit, dialect: healthDialect(now), checks, metrics }).routes());
 */
export function healthDialect<S extends RequestIdState>(now: () => number): HealthDialect<S> {
  const unavailable = errorResponses(catalogErrors(instanceApiErrors, 'SERVICE_UNAVAILABLE'));
  return {
    success: (ctx, data) =>
      renderTrussetSuccess(data, {
        requestId: ctx.state.requestId,
        timestamp: new Date(now()).toISOString(),
      }),
    successSchema: (data) => trussetSuccessSchema(data),
    unavailable: (checks) => instanceApiErrors.error('SERVICE_UNAVAILABLE', { details: checks }),
    unavailableResponse: {
      ...(unavailable[503] as RouteResponse),
      description: 'A dependency is down: `details` maps each check to `up` or `down`.',
    },
    responses: errorResponses(catalogErrors(instanceApiErrors, 'INTERNAL_ERROR')),
    headers: REQUEST_ID_HEADERS,
  };
}

/**
 * An error answer of this app as clients read it: the Trusset error envelope, whose `details` list
 * the bad fields of a `VALIDATION_ERROR`.
 */
export type ErrorBody = TrussetErrorBody & { error: { details?: FieldProblem[] } };
