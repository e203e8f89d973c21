import type Router from '@koa/router';
import { type Catalog, type HttpErrorStatus, httpReasonPhrase } from '@portcullis/errors';
import type { DefaultState } from 'koa';
import { appRouter } from './router.js';

// OpenAPI 3.1.1 (https://spec.openapis.org/oas/v3.1.1): the subset of the document model the
// reference apps write, and the pieces they share (SPEC §1 "GET /openapi.json").

/**
 * A JSON Schema in the 2020-12 dialect, which OpenAPI 3.1 uses as is (OAS 3.1 §4.8.24). Loosely
 * typed on purpose: the keywords are open-ended, and `z.toJSONSchema()` output must fit.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** `{ $ref: '#/components/…' }` (OAS 3.1 §4.8.23). */
export interface OpenApiReference {
  $ref: string;
  summary?: string;
  description?: string;
}

export interface OpenApiInfo {
  title: string;
  version: string;
  summary?: string;
  description?: string;
  license?: { name: string; identifier?: string; url?: string };
}

export interface OpenApiServer {
  url: string;
  description?: string;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  description?: string;
  /** Must be `true` for path parameters (OAS 3.1 §4.8.12.1). */
  required?: boolean;
  deprecated?: boolean;
  /** `form` (query default), `simple` (path and header default)… */
  style?: 'form' | 'simple' | 'label' | 'matrix' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';
  /** `false` with `style: 'form'` means `a=X,Y` (comma-separated). */
  explode?: boolean;
  schema: JsonSchema;
  example?: unknown;
}

export interface OpenApiHeader {
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenApiMediaType {
  schema?: JsonSchema;
  example?: unknown;
}

export interface OpenApiRequestBody {
  description?: string;
  required?: boolean;
  content: Record<string, OpenApiMediaType>;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, OpenApiHeader | OpenApiReference>;
  content?: Record<string, OpenApiMediaType>;
}

/** Security requirement: scheme name → scopes (empty for API keys and bearer tokens). */
export type OpenApiSecurityRequirement = Record<string, string[]>;

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Array<OpenApiParameter | OpenApiReference>;
  requestBody?: OpenApiRequestBody | OpenApiReference;
  /** By status code (`'200'`, `'4XX'`, `'default'`). */
  responses: Record<string, OpenApiResponse | OpenApiReference>;
  /** `[]` declares the operation public, overriding a document-level requirement. */
  security?: OpenApiSecurityRequirement[];
  deprecated?: boolean;
}

/** The HTTP methods a path item can hold (OAS 3.1 §4.8.9). */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type OpenApiMethod = (typeof OPENAPI_METHODS)[number];

export type OpenApiPathItem = {
  summary?: string;
  description?: string;
  parameters?: Array<OpenApiParameter | OpenApiReference>;
} & { [M in OpenApiMethod]?: OpenApiOperation };

export type OpenApiSecurityScheme =
  | { type: 'apiKey'; name: string; in: 'header' | 'query' | 'cookie'; description?: string }
  | { type: 'http'; scheme: string; bearerFormat?: string; description?: string };

export interface OpenApiComponents {
  schemas?: Record<string, JsonSchema>;
  responses?: Record<string, OpenApiResponse>;
  parameters?: Record<string, OpenApiParameter>;
  headers?: Record<string, OpenApiHeader>;
  requestBodies?: Record<string, OpenApiRequestBody>;
  securitySchemes?: Record<string, OpenApiSecurityScheme>;
}

/** An OpenAPI 3.1 document (OAS 3.1 §4.8.1), as served at `GET /openapi.json`. */
export interface OpenApiDocument {
  openapi: `3.1.${number}`;
  info: OpenApiInfo;
  jsonSchemaDialect?: string;
  servers?: OpenApiServer[];
  /** Keys are path templates (`/keys/{keyId}`), never Koa patterns (`/keys/:keyId`). */
  paths: Record<string, OpenApiPathItem>;
  components?: OpenApiComponents;
  security?: OpenApiSecurityRequirement[];
  tags?: Array<{ name: string; description?: string }>;
}

/** Where every app serves its document (SPEC §1). */
export const OPENAPI_PATH = '/openapi.json';

/**
 * `GET /openapi.json` (SPEC §1): serves `document` as `application/json` with
 * `Cache-Control: public, max-age=300`. The document is serialised once, here, so a bad document
 * (a cycle, a BigInt) fails at boot rather than on a request, and serving it costs no work.
 * Mount it before authentication; it has none.
 *
 * @example
 * app.use(openApiRoutes<AppState>(instanceApiDocument({ limits })).routes());
 */
export function openApiRoutes<S = DefaultState>(document: OpenApiDocument): Router<S> {
  const body = JSON.stringify(document);
  const router = appRouter<S>();
  router.get(OPENAPI_PATH, (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'application/json';
    ctx.body = body;
  });
  return router;
}

/**
 * A Koa route pattern as an OpenAPI path template: `/keys/:keyId` → `/keys/{keyId}`.
 *
 * @example
 * toOpenApiPath('/api/v2/instance/api-keys/:keyId/rotate') // '/api/v2/instance/api-keys/{keyId}/rotate'
 */
export function toOpenApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** One route a router registered: lower-case method and OpenAPI path template. */
export interface RegisteredOperation {
  method: OpenApiMethod;
  path: string;
}

interface RouterLike {
  stack: ReadonlyArray<{ path: string | RegExp; methods: readonly string[] }>;
}

/**
 * Every route the `@koa/router` routers mounted directly on `app` registered (nested routers
 * included: they are flattened into their parent's stack with prefixes applied), as OpenAPI
 * operations, sorted by path then method. `HEAD` routes that `@koa/router` adds beside each `GET`
 * are left out; router-level middleware (no methods) is not a route. For tests that hold a
 * document against the app it describes.
 *
 * @example
 * const routes = registeredOperations(createApp(deps));
 * for (const { method, path } of routes) expect(document.paths[path]?.[method]).toBeDefined();
 */
export function registeredOperations(app: {
  readonly middleware: readonly unknown[];
}): RegisteredOperation[] {
  const found = new Map<string, RegisteredOperation>();
  for (const middleware of app.middleware as ReadonlyArray<{ router?: RouterLike }>) {
    for (const layer of middleware.router?.stack ?? []) {
      if (typeof layer.path !== 'string') continue;
      const methods = layer.methods.map((m) => m.toLowerCase());
      for (const method of methods) {
        if (method === 'head' && methods.includes('get')) continue;
        if (!(OPENAPI_METHODS as readonly string[]).includes(method)) continue;
        const path = toOpenApiPath(layer.path);
        found.set(`${path} ${method}`, { method: method as OpenApiMethod, path });
      }
    }
  }
  return [...found.values()].sort((a, b) =>
    a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path),
  );
}

/** The operations a document lists, in the same form as {@link registeredOperations}. */
export function documentedOperations(document: OpenApiDocument): RegisteredOperation[] {
  const out: RegisteredOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of OPENAPI_METHODS) if (item[method] !== undefined) out.push({ method, path });
  }
  return out.sort((a, b) =>
    a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path),
  );
}

/**
 * Structural mistakes in a document that JSON typing cannot catch, as readable sentences (empty
 * when none): a path template variable without a required path parameter or the reverse
 * (OAS 3.1 §4.8.8.2), a `$ref` to a missing component, a security requirement naming an undeclared
 * scheme, a duplicate `operationId`, an operation without responses.
 *
 * @example
 * expect(openApiProblems(document)).toEqual([]);
 */
export function openApiProblems(document: OpenApiDocument): string[] {
  const problems: string[] = [];
  const schemes = new Set(Object.keys(document.components?.securitySchemes ?? {}));
  const operationIds = new Set<string>();
  const checkSecurity = (where: string, requirements: OpenApiSecurityRequirement[] | undefined) => {
    for (const requirement of requirements ?? []) {
      for (const name of Object.keys(requirement)) {
        if (!schemes.has(name)) problems.push(`${where}: security scheme "${name}" is not declared`);
      }
    }
  };
  checkSecurity('document', document.security);

  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith('/')) problems.push(`${path}: a path must start with "/"`);
    if (/:[A-Za-z_]/.test(path)) problems.push(`${path}: Koa ":param" syntax; use "{param}"`);
    const variables = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string));
    for (const method of OPENAPI_METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const declared = new Map<string, OpenApiParameter>();
      for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
        const resolved = '$ref' in parameter ? resolveParameter(document, parameter.$ref) : parameter;
        if (resolved?.in === 'path') declared.set(resolved.name, resolved);
      }
      for (const name of variables) {
        const parameter = declared.get(name);
        if (parameter === undefined) problems.push(`${where}: path parameter "${name}" is not declared`);
        else if (parameter.required !== true)
          problems.push(`${where}: path parameter "${name}" must be required`);
      }
      for (const name of declared.keys()) {
        if (!variables.has(name)) problems.push(`${where}: path parameter "${name}" is not in the path`);
      }
      if (Object.keys(operation.responses).length === 0) problems.push(`${where}: no responses`);
      if (operation.operationId !== undefined) {
        if (operationIds.has(operation.operationId))
          problems.push(`${where}: duplicate operationId "${operation.operationId}"`);
        operationIds.add(operation.operationId);
      }
      checkSecurity(where, operation.security);
    }
  }

  for (const ref of collectRefs(document)) {
    if (resolvePointer(document, ref) === undefined) problems.push(`$ref "${ref}" does not resolve`);
  }
  return problems;
}

function resolveParameter(document: OpenApiDocument, ref: string): OpenApiParameter | undefined {
  return resolvePointer(document, ref) as OpenApiParameter | undefined;
}

/** Resolves a local JSON pointer (`#/components/schemas/Issuer`, RFC 6901); external refs are not. */
function resolvePointer(document: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

function collectRefs(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.add(value);
      else collectRefs(value, out);
    }
  }
  return out;
}

/**
 * `{ 'application/json': { schema } }`: the content map of a JSON request or response.
 *
 * @example
 * const ok: OpenApiResponse = { description: 'The key', content: jsonContent({ $ref: '#/components/schemas/Key' }) };
 */
export function jsonContent(schema: JsonSchema): Record<string, OpenApiMediaType> {
  return { 'application/json': { schema } };
}

/** `{ $ref: '#/components/schemas/<name>' }`. */
export function schemaRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

const REQUEST_ID: JsonSchema = {
  type: 'string',
  description: 'Equals the X-Request-Id response header (SPEC §4.1).',
};
const TIMESTAMP: JsonSchema = { type: 'string', format: 'date-time' };
const INSTANCE_ID: JsonSchema = {
  type: 'string',
  description: 'Present once the caller authenticated with an instance key.',
};

export interface TrussetSuccessSchemaOptions {
  /** List endpoints: `metadata.total`, the number of items (SPEC §4.5). */
  total?: boolean;
  /** Routes behind instance-key authentication always report `metadata.instanceId` (SPEC §4.1). */
  instanceId?: boolean;
}

/**
 * JSON Schema of the SPEC §4.1 success envelope around `data`:
 * `{ success: true, data, error: null, metadata: { requestId, timestamp, instanceId?, total? } }`.
 *
 * @example
 * trussetSuccessSchema({ type: 'array', items: schemaRef('ApiKey') }, { total: true, instanceId: true })
 */
export function trussetSuccessSchema(
  data: JsonSchema,
  options: TrussetSuccessSchemaOptions = {},
): JsonSchema {
  const required = ['requestId', 'timestamp'];
  if (options.instanceId) required.push('instanceId');
  if (options.total) required.push('total');
  return {
    type: 'object',
    required: ['success', 'data', 'error', 'metadata'],
    properties: {
      success: { const: true },
      data,
      error: { type: 'null' },
      metadata: {
        type: 'object',
        required,
        properties: {
          requestId: REQUEST_ID,
          timestamp: TIMESTAMP,
          instanceId: INSTANCE_ID,
          ...(options.total
            ? { total: { type: 'integer', minimum: 0, description: 'Items in the list.' } }
            : {}),
        },
      },
    },
  };
}

/**
 * JSON Schema of the SPEC §4.1 error envelope:
 * `{ success: false, data: null, error: { code, message, details? }, metadata }`, with `error.code`
 * limited to `codes` when given. `metadata.retryAfter` (seconds) is on 429 only (SPEC §4.6).
 *
 * @example
 * trussetErrorSchema(['AUTH_REQUIRED', 'AUTH_FAILED'])
 */
export function trussetErrorSchema(codes?: readonly string[]): JsonSchema {
  return {
    type: 'object',
    required: ['success', 'data', 'error', 'metadata'],
    properties: {
      success: { const: false },
      data: { type: 'null' },
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: codes === undefined ? { type: 'string' } : { type: 'string', enum: [...codes] },
          message: { type: 'string' },
          details: {
            description:
              'VALIDATION_ERROR: one { field, message } per bad field; other codes may carry an object.',
            oneOf: [
              {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['field', 'message'],
                  properties: { field: { type: 'string' }, message: { type: 'string' } },
                },
              },
              { type: 'object' },
            ],
          },
        },
      },
      metadata: {
        type: 'object',
        required: ['requestId', 'timestamp'],
        properties: {
          retryAfter: { type: 'integer', minimum: 0, description: 'Seconds; 429 only.' },
          requestId: REQUEST_ID,
          timestamp: TIMESTAMP,
          instanceId: INSTANCE_ID,
        },
      },
    },
  };
}

export interface TcsErrorSchemaOptions {
  /** Every message of the response, when they are fixed (byte-exact, e.g. `API Key is required`). */
  messages?: readonly string[];
  /**
   * A regular expression (ECMA-262, as JSON Schema `pattern`) that the response's other messages
   * match, for messages built at run time (a validation error naming the field). Beside
   * `messages`, a message matches either.
   */
  messagePattern?: string;
}

/**
 * JSON Schema of the TCS error body (SPEC §6.1) `{ statusCode, message, error }`, as
 * `renderTcs()` of `@portcullis/errors` writes it. With `status`, `statusCode` is that status and
 * `error` its reason phrase; `message` is limited to `options.messages` and/or
 * `options.messagePattern` when given, else any string.
 *
 * @param status - the HTTP status of the response the schema describes (omit for a shared schema)
 * @example
 * tcsErrorSchema(401, { messages: ['API Key is required', 'Invalid API Key'] })
 * // { type: 'object', required: ['statusCode', 'message', 'error'], properties: { statusCode: { type: 'integer', const: 401 }, message: { type: 'string', enum: […] }, error: { type: 'string', const: 'Unauthorized' } } }
 */
export function tcsErrorSchema(status?: HttpErrorStatus, options: TcsErrorSchemaOptions = {}): JsonSchema {
  const fixed: JsonSchema | undefined =
    options.messages === undefined ? undefined : { enum: [...options.messages] };
  const built: JsonSchema | undefined =
    options.messagePattern === undefined ? undefined : { pattern: options.messagePattern };
  const message: JsonSchema =
    fixed !== undefined && built !== undefined
      ? { type: 'string', anyOf: [fixed, built] }
      : { type: 'string', ...fixed, ...built };
  return {
    type: 'object',
    required: ['statusCode', 'message', 'error'],
    properties: {
      statusCode:
        status === undefined
          ? { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status.' }
          : { type: 'integer', const: status },
      message,
      error:
        status === undefined
          ? { type: 'string', description: 'The reason phrase of `statusCode`, e.g. `Unauthorized`.' }
          : { type: 'string', const: httpReasonPhrase(status) },
    },
  };
}

/** `X-RateLimit-*` headers of SPEC §4.6, as `@portcullis/koa-auth` `rateLimit()` sets them by default. */
export const RATE_LIMIT_HEADERS: Readonly<Record<string, OpenApiHeader>> = {
  'X-RateLimit-Limit': {
    description: 'Requests admitted in the current window.',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Reset': {
    description: 'When the current window ends, in Unix seconds.',
    schema: { type: 'integer', minimum: 0 },
  },
};

/** `Retry-After` of a 429 (RFC 9110 §10.2.3), in seconds. */
export const RETRY_AFTER_HEADER: OpenApiHeader = {
  description: 'Seconds until the refusing window ends.',
  required: true,
  schema: { type: 'integer', minimum: 0 },
};

/**
 * A reference to a shared error envelope schema (a component holding {@link trussetErrorSchema}),
 * narrowed to `codes`: the compact form of `trussetErrorSchema(codes)` for documents with many
 * operations. Pass it as `errorResponses(…, { schema: (codes) => errorSchemaRef(codes) })`.
 *
 * @param ref - where the full envelope schema is, default `#/components/schemas/Error`
 * @example
 * errorSchemaRef(['NOT_FOUND']) // { allOf: [{ $ref: '#/components/schemas/Error' }, { …code: { enum: ['NOT_FOUND'] } }] }
 */
export function errorSchemaRef(codes: readonly string[], ref = '#/components/schemas/Error'): JsonSchema {
  return {
    allOf: [
      { $ref: ref },
      {
        type: 'object',
        properties: { error: { type: 'object', properties: { code: { type: 'string', enum: [...codes] } } } },
      },
    ],
  };
}

/** An error code a route can answer, for {@link errorResponses}. */
export interface DocumentedError {
  code: string;
  /** HTTP status. */
  status: number;
  /** The message clients see (the catalog default, or the route's own). */
  message: string;
}

/**
 * `codes` of `catalog` with their catalog status and message, for {@link errorResponses}: the
 * document cannot drift from the statuses the app really sends.
 *
 * @example
 * catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED')
 * // [{ code: 'AUTH_REQUIRED', status: 401, message: 'API key required' }, …]
 */
export function catalogErrors<C extends string>(catalog: Catalog<C>, ...codes: C[]): DocumentedError[] {
  return codes.map((code) => {
    const spec = catalog.spec(code);
    return { code, status: spec.status, message: spec.message };
  });
}

export interface ErrorResponsesOptions {
  /** The body schema for the codes of one status. Default {@link trussetErrorSchema}. */
  schema?: (codes: readonly string[]) => JsonSchema;
  /** Headers of the response of one status (e.g. `Retry-After` on 429). */
  headers?: (status: number) => Record<string, OpenApiHeader | OpenApiReference> | undefined;
}

/**
 * OpenAPI responses for a route's error codes, one per status, each describing its codes and
 * limiting `error.code` to them. A code listed twice with one status counts once (the first message
 * wins), so shared lists can be concatenated freely.
 *
 * @example
 * responses: { '200': ok, ...errorResponses(catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED')) }
 * // { '401': { description: 'AUTH_REQUIRED: API key required. AUTH_FAILED: …', content: … } }
 */
export function errorResponses(
  errors: readonly DocumentedError[],
  options: ErrorResponsesOptions = {},
): Record<string, OpenApiResponse> {
  const schema = options.schema ?? trussetErrorSchema;
  const byStatus = new Map<number, Map<string, string>>();
  for (const error of errors) {
    const codes = byStatus.get(error.status) ?? new Map<string, string>();
    if (!codes.has(error.code)) codes.set(error.code, error.message);
    byStatus.set(error.status, codes);
  }
  const out: Record<string, OpenApiResponse> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const codes = byStatus.get(status) as Map<string, string>;
    const headers = options.headers?.(status);
    out[String(status)] = {
      description: [...codes].map(([code, message]) => `\`${code}\`: ${message}`).join('; '),
      ...(headers === undefined ? {} : { headers }),
      content: jsonContent(schema([...codes.keys()])),
    };
  }
  return out;
}

/**
 * `{ $ref: '#/components/headers/<name>' }`: a header declared once under `components.headers`.
 *
 * @example
 * headerRef('X-Request-Id') // { $ref: '#/components/headers/X-Request-Id' }
 */
export function headerRef(name: string): OpenApiReference {
  return { $ref: `#/components/headers/${name}` };
}

/**
 * `{ $ref: '#/components/parameters/<name>' }`: a parameter declared once under `components.parameters`.
 *
 * @example
 * parameterRef('KeyId') // { $ref: '#/components/parameters/KeyId' }
 */
export function parameterRef(name: string): OpenApiReference {
  return { $ref: `#/components/parameters/${name}` };
}

/** Response headers by name, for {@link OperationSpec}. */
export type OpenApiHeaders = Record<string, OpenApiHeader | OpenApiReference>;

/** The parts of an operation the reference apps vary, for {@link openApiOperation}. */
export interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** The security scheme the operation requires (no scopes), or `null` for a public one (`security: []`). */
  security: string | null;
  parameters?: Array<OpenApiParameter | OpenApiReference>;
  /** A JSON request body, by component schema name; `required: false` when an absent body means `{}`. */
  body?: { schema: string; required: boolean };
  /** The success response. */
  ok: {
    /** HTTP status. */
    status: number;
    description: string;
    schema: JsonSchema;
    /** Headers of this response besides {@link OperationSpec.headers}' (they win on a clash). */
    headers?: OpenApiHeaders;
    /** Media type, default `application/json`. */
    type?: string;
  };
  /** Headers every response of the operation carries, by HTTP status. */
  headers?: (status: number) => OpenApiHeaders;
  /** Error responses by status (e.g. from {@link errorResponses}); none when omitted. */
  errors?: Record<string, OpenApiResponse>;
}

/**
 * An OpenAPI operation (OAS 3.1 §4.8.10) from the parts that vary between routes: one tag, one
 * security scheme or none, a JSON body by component name, a success response and error responses
 * rendered in the app's own error format.
 *
 * @example
 * openApiOperation({
 *   operationId: 'getKey', summary: 'One key', tag: 'keys', security: 'apiKey',
 *   parameters: [parameterRef('KeyId')],
 *   ok: { status: 200, description: 'The key.', schema: trussetSuccessSchema(schemaRef('Key')) },
 *   headers: () => ({ 'X-Request-Id': headerRef('X-Request-Id') }),
 *   errors: errorResponses([{ code: 'NOT_FOUND', status: 404, message: 'Key not found' }]),
 * })
 */
export function openApiOperation(spec: OperationSpec): OpenApiOperation {
  const { body, ok } = spec;
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: [spec.tag],
    security: spec.security === null ? [] : [{ [spec.security]: [] }],
    ...(spec.parameters === undefined ? {} : { parameters: spec.parameters }),
    ...(body === undefined
      ? {}
      : {
          requestBody: {
            required: body.required,
            ...(body.required ? {} : { description: 'May be omitted: an absent body is `{}`.' }),
            content: jsonContent(schemaRef(body.schema)),
          },
        }),
    responses: {
      [String(ok.status)]: {
        description: ok.description,
        headers: { ...spec.headers?.(ok.status), ...ok.headers },
        content: { [ok.type ?? 'application/json']: { schema: ok.schema } },
      },
      ...spec.errors,
    },
  };
}

/** The routes `healthRoutes()` and `openApiRoutes()` serve, for {@link StandardRoutePathsOptions}. */
export type StandardRoute = 'healthz' | 'readyz' | 'metrics' | 'openapi';

export interface StandardRoutePathsOptions {
  /** Tag of the four operations, default `operations`. */
  tag?: string;
  /** Headers every response carries, by HTTP status; default `X-Request-Id` as {@link headerRef}. */
  headers?: (status: number) => OpenApiHeaders;
  /**
   * The 503 of `/readyz` in the app's error format. Default the SPEC §4.1 envelope with
   * `SERVICE_UNAVAILABLE` and `details` naming each check, its body schema from `errorSchema`.
   */
  unavailable?: { description: string; schema: JsonSchema };
  /** Body schema of the default `unavailable`, from its codes; default {@link trussetErrorSchema}. */
  errorSchema?: (codes: readonly string[]) => JsonSchema;
  /** App-specific notes, the `description` of each operation (e.g. `Not rate limited.`). */
  descriptions?: Partial<Record<StandardRoute, string>>;
}

/**
 * The path items of the four routes every app gets from `@portcullis/service` (SPEC §1):
 * `GET /healthz` and `GET /readyz` answering in the SPEC §4.1 success envelope (whatever the app's
 * error format), `GET /metrics` (Prometheus text) and `GET /openapi.json` (`Cache-Control:
 * public, max-age=300`). Public, documented next to the code that serves them so the two agree.
 *
 * @example
 * paths: { ...standardRoutePaths({ errorSchema: (codes) => errorSchemaRef(codes) }), ...appPaths }
 */
export function standardRoutePaths(options: StandardRoutePathsOptions = {}): Record<string, OpenApiPathItem> {
  const headers = options.headers ?? (() => ({ 'X-Request-Id': headerRef('X-Request-Id') }));
  const unavailable = options.unavailable ?? {
    description: '`SERVICE_UNAVAILABLE`: A dependency is down; `details` maps each check to `up` or `down`',
    schema: (options.errorSchema ?? trussetErrorSchema)(['SERVICE_UNAVAILABLE']),
  };
  const route = (
    name: StandardRoute,
    summary: string,
    ok: OperationSpec['ok'],
    errors?: Record<string, OpenApiResponse>,
  ): OpenApiPathItem => {
    const description = options.descriptions?.[name];
    return {
      get: openApiOperation({
        operationId: name,
        summary,
        ...(description === undefined ? {} : { description }),
        tag: options.tag ?? 'operations',
        security: null,
        ok,
        headers,
        ...(errors === undefined ? {} : { errors }),
      }),
    };
  };
  return {
    '/healthz': route('healthz', 'Process up (SPEC §1)', {
      status: 200,
      description: 'The process answers.',
      schema: trussetSuccessSchema({
        type: 'object',
        required: ['status'],
        properties: { status: { const: 'ok' } },
      }),
    }),
    '/readyz': route(
      'readyz',
      'Database and, when configured, Redis reachable (SPEC §1)',
      {
        status: 200,
        description: 'Every dependency answers.',
        schema: trussetSuccessSchema({
          type: 'object',
          required: ['status', 'checks'],
          properties: {
            status: { const: 'ready' },
            checks: { type: 'object', additionalProperties: { enum: ['up', 'down'] } },
          },
        }),
      },
      {
        '503': {
          description: unavailable.description,
          headers: headers(503),
          content: jsonContent(unavailable.schema),
        },
      },
    ),
    '/metrics': route('metrics', 'Prometheus metrics (SPEC §1)', {
      status: 200,
      description: 'Prometheus text exposition format 0.0.4.',
      schema: { type: 'string' },
      type: 'text/plain',
    }),
    [OPENAPI_PATH]: route('openapi', 'This document (SPEC §1)', {
      status: 200,
      description: 'OpenAPI 3.1 document.',
      schema: { type: 'object', required: ['openapi', 'info', 'paths'] },
      headers: {
        'Cache-Control': {
          description: 'Set by `openApiRoutes()`.',
          required: true,
          schema: { type: 'string', const: 'public, max-age=300' },
        },
      },
    }),
  };
}
