import type { z } from 'zod';

// One declaration per route: the HTTP contract written once, as data. The same object validates
// the request (see `createRouteKit`), types the handler's input and output, and becomes the
// route's operation in the generated OpenAPI document (see `openApiDocument`).

/** The methods a route can declare. `HEAD` comes with every `GET`. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A zod object schema: path parameters, query and headers are objects of named values. */
export type ZodObjectSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;

/** What a request may carry, each part a zod schema that validates and types it. */
export interface RouteRequest {
  /** Path parameters by name (`:keyId` → `keyId`). Values arrive as strings. */
  params?: ZodObjectSchema;
  /** Query parameters by name. Values arrive as strings (or arrays of strings when repeated). */
  query?: ZodObjectSchema;
  /** Request headers the route reads itself (lower-case names), beyond its security scheme's. */
  headers?: ZodObjectSchema;
  /** The JSON body (`application/json`). Accepting no body at all is part of the schema. */
  body?: z.ZodType;
  /**
   * A form body (`application/x-www-form-urlencoded`, e.g. an OAuth token request) instead of a
   * JSON one: parameters by name, each a string. Read by the kit's `formBody` reader.
   */
  form?: ZodObjectSchema;
}

/** One response the route can give: its description, headers, and body schema by media type. */
export interface RouteResponse {
  description: string;
  /** Response headers by name, as a zod object (`z.object({ 'X-Request-Id': z.string() })`). */
  headers?: ZodObjectSchema;
  /** Body schema by media type (`application/json`, `text/plain; version=0.0.4`…); none for a bodiless answer. */
  content?: Readonly<Record<string, { schema: z.ZodType }>>;
}

/** A security requirement: scheme name → scopes (empty for API keys and bearer tokens). */
export type SecurityRequirement = Readonly<Record<string, readonly string[]>>;

/**
 * A route: method, path, documentation, security, the request schemas and every response.
 * `security: []` declares a public route.
 */
export interface RouteDeclaration {
  method: HttpMethod;
  /** Koa path pattern, absolute (`/api/v2/instance/api-keys/:keyId`); the document writes `{keyId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags?: readonly string[];
  security: readonly SecurityRequirement[];
  request?: RouteRequest;
  /** Every status the route answers with, by code (`200`, `404`, …). */
  responses: Readonly<Record<number, RouteResponse>>;
  /**
   * The error to throw when the path parameters do not match `request.params`: a malformed id is
   * usually the resource's 404, like an unknown one. Default: the kit's `invalid` (a 400).
   */
  invalidParams?: () => unknown;
}

/**
 * Declares a route (identity at run time; keeps the literal types for the handler's input and
 * output).
 *
 * @example
 * export const rotateKeyRoute = defineRoute({
 *   method: 'post', path: '/api/v2/instance/api-keys/:keyId/rotate',
 *   operationId: 'rotateApiKey', summary: 'Rotate a key', tags: ['API keys'],
 *   security: [{ apiKey: [] }],
 *   request: { params: z.object({ keyId: keyIdSchema }), body: rotateKeyBody },
 *   responses: { 200: ok('The new key, shown once', rotation), ...errors(KEY_AUTH) },
 * });
 */
export function defineRoute<const D extends RouteDeclaration>(declaration: D): D {
  return declaration;
}

type Part<D extends RouteDeclaration, K extends keyof RouteRequest, Empty> = D['request'] extends infer R
  ? R extends { [P in K]: infer S extends z.ZodType }
    ? z.output<S>
    : Empty
  : Empty;

/** The validated request of a route, as its handler receives it. */
export interface RouteInput<D extends RouteDeclaration> {
  params: Part<D, 'params', Record<string, never>>;
  query: Part<D, 'query', Record<string, never>>;
  headers: Part<D, 'headers', Record<string, never>>;
  body: Part<D, 'body', Part<D, 'form', undefined>>;
}

type JsonBodyOf<R> = R extends { content: { 'application/json': { schema: infer S extends z.ZodType } } }
  ? z.input<S>
  : // A response typed only as `RouteResponse` (built by a helper): its body is not known statically.
    RouteResponse extends R
    ? unknown
    : never;

/**
 * A JSON answer a handler may return: one of the route's declared 2xx statuses with a body of its
 * declared schema. Errors are thrown (coded errors of the app's catalog), never returned.
 */
export type RouteReply<D extends RouteDeclaration> = {
  [S in keyof D['responses'] & number]: number extends S
    ? // Responses spread from a shared map (`Record<number, …>`): any status, bodies of its schemas.
      { status: number; body: JsonBodyOf<D['responses'][S]> }
    : `${S}` extends `2${string}`
      ? JsonBodyOf<D['responses'][S]> extends never
        ? never
        : { status: S; body: JsonBodyOf<D['responses'][S]> }
      : never;
}[keyof D['responses'] & number];

/**
 * Returned by a handler that wrote its answer itself (prepared bytes, text, a redirect): the kit
 * then leaves the response as the handler set it. Its documented schema still holds it in tests.
 */
export const WRITTEN: Written = Object.freeze({ written: true });
/** The type of {@link WRITTEN} (an object, not a symbol: a symbol widens when returned from `async`). */
export interface Written {
  readonly written: true;
}
