import {
  documentedOperations,
  type JsonSchema,
  OPENAPI_PATH,
  type OpenApiDocument,
  type OpenApiHeader,
  type OpenApiOperation,
  type OpenApiReference,
  type OpenApiResponse,
  type OpenApiSecurityRequirement,
  type RegisteredOperation,
  registeredOperations,
} from './openapi.js';

// Checks that hold a served OpenAPI document (SPEC §1 `GET /openapi.json`) against the running app
// it describes: the routes it registers and the answers it really gives. Test support that lives in
// the production package on purpose: it needs only `fetch` and imports no test framework, so every
// check returns readable problems (empty when none) for the caller to assert on.

/** How an app writes its error bodies. */
export type OpenApiErrorFormat =
  /** SPEC §4.1 envelope `{ success: false, data: null, error: { code, message }, metadata }`. */
  | 'trusset'
  /** TCS body `{ statusCode, message, error }` (SPEC §6.1). */
  | 'tcs';

export interface OpenApiCheckOptions {
  /** The document as the app serves it (see {@link fetchOpenApiDocument}). */
  document: OpenApiDocument;
  /** Origin of the running app, without a trailing slash: `http://127.0.0.1:40123`. */
  baseUrl: string;
  /**
   * A value for every path template variable the document uses, by name. Well-formed ids that
   * exist nowhere let the probes reach their handlers and change nothing.
   */
  pathParams: Readonly<Record<string, string>>;
  /**
   * Request headers that satisfy each security scheme, by scheme name. Called on every probe, so a
   * credential rotated by an earlier probe is the one sent.
   */
  credentials: Readonly<Record<string, () => Record<string, string>>>;
  errorFormat: OpenApiErrorFormat;
  /** Headers every answer must carry, e.g. `['x-request-id']` (SPEC §4.1). Default none. */
  answerHeaders?: readonly string[];
  /** The message of the app's unknown-route 404, which no documented operation may answer. */
  routeNotFoundMessage?: string;
}

/** One answer of a probed operation, for the caller's own checks. */
export interface OperationAnswer<B = unknown> {
  route: RegisteredOperation;
  operation: OpenApiOperation;
  /** The raw answer; its body is already read into `body`. */
  res: Response;
  /** The body parsed as JSON, or `undefined` when the answer is not JSON. */
  body: B;
  /** `GET /v1/did → 200`: prefix for problems and assertion messages. */
  label: string;
}

export interface AnswerCheckOptions<B = unknown> {
  /**
   * Called after each probe, before the next, with the answer: for checks of the caller's own
   * (assert inside; a thrown error ends the check) and for state the next probes need, such as a
   * rotated token. Its return value is awaited and ignored.
   */
  onAnswer?: (answer: OperationAnswer<B>) => unknown;
}

export interface ProbeOptions {
  /** Send the credentials the operation's security declares. Default `true`. */
  credentials?: boolean;
  /** Query string to append. */
  query?: URLSearchParams;
}

/** Checks bound to one document and the running app that serves it; see {@link openApiCheck}. */
export interface OpenApiCheck {
  readonly document: OpenApiDocument;
  /** Follows a local `$ref` (RFC 6901 pointer); a non-reference is returned as is. Throws when unresolved. */
  resolve<T>(value: T | OpenApiReference): T;
  /** The documented operation; throws when `route` is not documented. */
  operation(route: RegisteredOperation): OpenApiOperation;
  /** The documented response of `route` for HTTP `status`, `$ref` followed; throws when there is none. */
  response(route: RegisteredOperation, status: number): OpenApiResponse;
  /** The JSON schema of a documented response; throws when it has none. */
  responseSchema(route: RegisteredOperation, status: number): JsonSchema;
  /** `properties` of a schema, `$ref` followed (empty when none). */
  properties(schema: JsonSchema | undefined): Record<string, JsonSchema>;
  /** Required property names of a schema through `$ref` and `allOf`, sorted. */
  requiredKeys(schema: JsonSchema | undefined): string[];
  /** `error.code` values a documented envelope response allows, or `undefined` when it names none. */
  errorCodes(operation: OpenApiOperation, status: number): string[] | undefined;
  /** Documented operations with a security requirement (the operation's own, else the document's). */
  securedOperations(): RegisteredOperation[];
  /** Calls a documented operation with its declared credentials, the sample path values and `{}` as body. */
  probe(route: RegisteredOperation, options?: ProbeOptions): Promise<Response>;
  /** Why `body` is not an error the documented `response` (of HTTP `status`) allows; empty when it is. */
  errorProblems(response: OpenApiResponse | OpenApiReference, status: number, body: unknown): string[];
  /**
   * Fetches `GET /openapi.json` with each header set: it must answer 200 as
   * `application/json` with `Cache-Control: public, max-age=300` and the same document, whatever
   * the credentials, and without `absentHeaders` (e.g. rate-limit headers).
   */
  servedProblems(
    headerSets: ReadonlyArray<Record<string, string>>,
    absentHeaders?: readonly string[],
  ): Promise<string[]>;
  /**
   * The routes `app` registers against `expected` (a written-out guard: an app found to register
   * nothing would otherwise agree with an empty document) and against the documented operations,
   * both ways.
   */
  routeProblems(
    app: { readonly middleware: readonly unknown[] },
    expected?: readonly RegisteredOperation[],
  ): string[];
  /**
   * Probes every documented operation with its credentials: each must answer a documented status
   * other than 401, with the documented required headers (and their `const` values), a documented
   * content type, a documented error body, and never the unknown-route message.
   */
  answerProblems<B = unknown>(options?: AnswerCheckOptions<B>): Promise<string[]>;
  /** Probes every secured operation without credentials: each must answer a documented 401. */
  unauthenticatedProblems<B = unknown>(options?: AnswerCheckOptions<B>): Promise<string[]>;
}

/**
 * Fetches the document the app at `baseUrl` serves at `GET /openapi.json` (SPEC §1), with no
 * credentials. Throws when it does not answer 200 with JSON.
 *
 * @example
 * const document = await fetchOpenApiDocument('http://127.0.0.1:40123');
 */
export async function fetchOpenApiDocument(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<OpenApiDocument> {
  const res = await fetch(`${baseUrl}${OPENAPI_PATH}`, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${OPENAPI_PATH} answered ${res.status}, not 200`);
  try {
    return JSON.parse(text) as OpenApiDocument;
  } catch {
    throw new Error(`GET ${OPENAPI_PATH} answered a body that is not JSON`);
  }
}

const byPathThenMethod = (a: RegisteredOperation, b: RegisteredOperation) =>
  a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path);

const describeRoute = (route: RegisteredOperation) => `${route.method.toUpperCase()} ${route.path}`;

/**
 * Checks a served OpenAPI document against the running app it describes (SPEC §1): the routes it
 * registers, the answers each documented operation gives with and without credentials, the error
 * bodies, and the response schemas' required fields. Each check returns problems as sentences
 * (empty when none), so it asserts with any test framework; lookups that find nothing throw.
 *
 * @example
 * const document = await fetchOpenApiDocument(app.url);
 * const check = openApiCheck({
 *   document,
 *   baseUrl: app.url,
 *   pathParams: { keyId: `key_${'0'.repeat(24)}` },
 *   credentials: { apiKey: () => ({ 'x-api-key': apiKey }) },
 *   errorFormat: 'trusset',
 *   answerHeaders: ['x-request-id'],
 * });
 * expect(check.routeProblems(createApp(deps), EXPECTED_ROUTES)).toEqual([]);
 * expect(await check.answerProblems()).toEqual([]);
 * expect(await check.unauthenticatedProblems()).toEqual([]);
 */
export function openApiCheck(options: OpenApiCheckOptions): OpenApiCheck {
  const { document, baseUrl, errorFormat } = options;
  const notFoundMessage = options.routeNotFoundMessage ?? 'Route not found';

  function resolve<T>(value: T | OpenApiReference): T {
    if (typeof value !== 'object' || value === null || !('$ref' in value)) return value as T;
    const ref = value.$ref;
    let node: unknown = ref.startsWith('#/') ? document : undefined;
    for (const raw of ref.slice(2).split('/')) {
      const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
      if (node === null || typeof node !== 'object' || !Object.hasOwn(node, token)) {
        node = undefined;
        break;
      }
      node = (node as Record<string, unknown>)[token];
    }
    if (node === undefined) throw new Error(`$ref "${ref}" does not resolve`);
    return node as T;
  }

  function operation(route: RegisteredOperation): OpenApiOperation {
    const found = document.paths[route.path]?.[route.method];
    if (found === undefined) throw new Error(`${describeRoute(route)} is not documented`);
    return found;
  }

  function response(route: RegisteredOperation, status: number): OpenApiResponse {
    const found = operation(route).responses[String(status)];
    if (found === undefined) throw new Error(`${describeRoute(route)} documents no ${status}`);
    return resolve(found);
  }

  const jsonSchemaOf = (documented: OpenApiResponse) => documented.content?.['application/json']?.schema;

  function responseSchema(route: RegisteredOperation, status: number): JsonSchema {
    const schema = jsonSchemaOf(response(route, status));
    if (schema === undefined) throw new Error(`${describeRoute(route)} documents no JSON ${status}`);
    return schema;
  }

  const properties = (schema: JsonSchema | undefined) =>
    (resolve<JsonSchema>(schema ?? {}).properties ?? {}) as Record<string, JsonSchema>;

  function requiredKeys(schema: JsonSchema | undefined): string[] {
    const resolved = resolve<JsonSchema>(schema ?? {});
    const own = (resolved.required as string[] | undefined) ?? [];
    const inherited = ((resolved.allOf as JsonSchema[] | undefined) ?? []).flatMap(requiredKeys);
    return [...new Set([...inherited, ...own])].sort();
  }

  function codesOf(documented: OpenApiResponse | OpenApiReference): string[] | undefined {
    const schema = jsonSchemaOf(resolve(documented));
    // The shared envelope narrowed by `allOf` (errorSchemaRef), or a schema of its own.
    for (const part of [schema, ...((schema?.allOf as JsonSchema[] | undefined) ?? [])]) {
      const code = properties(properties(part).error).code;
      if (Array.isArray(code?.enum)) return code.enum as string[];
    }
    return undefined;
  }

  function errorCodes(documented: OpenApiOperation, status: number): string[] | undefined {
    const found = documented.responses[String(status)];
    return found === undefined ? undefined : codesOf(found);
  }

  const securityOf = (documented: OpenApiOperation): OpenApiSecurityRequirement[] =>
    documented.security ?? document.security ?? [];

  function securedOperations(): RegisteredOperation[] {
    return documentedOperations(document).filter((route) => securityOf(operation(route)).length > 0);
  }

  async function probe(route: RegisteredOperation, probeOptions: ProbeOptions = {}): Promise<Response> {
    const documented = operation(route);
    const url = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = options.pathParams[name];
      if (value === undefined) throw new Error(`no sample value for path parameter "${name}"`);
      return encodeURIComponent(value);
    });
    const headers: Record<string, string> = {};
    if (probeOptions.credentials ?? true) {
      for (const scheme of securityOf(documented).flatMap((requirement) => Object.keys(requirement))) {
        const credentials = options.credentials[scheme];
        if (credentials === undefined) throw new Error(`no credentials for security scheme "${scheme}"`);
        Object.assign(headers, credentials());
      }
    }
    const init: RequestInit = { method: route.method.toUpperCase(), headers };
    if (documented.requestBody !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = '{}';
    }
    const query = probeOptions.query?.toString() ?? '';
    return fetch(`${baseUrl}${url}${query === '' ? '' : `?${query}`}`, init);
  }

  function messageAllowed(schema: JsonSchema | undefined, message: string): boolean {
    if (schema === undefined) return false;
    if (Array.isArray(schema.anyOf))
      return (schema.anyOf as JsonSchema[]).some((part) => messageAllowed(part, message));
    if (Array.isArray(schema.enum)) return schema.enum.includes(message);
    if (typeof schema.pattern === 'string') return new RegExp(schema.pattern, 'u').test(message);
    return schema.type === 'string';
  }

  function errorProblems(
    documented: OpenApiResponse | OpenApiReference,
    status: number,
    body: unknown,
  ): string[] {
    if (typeof body !== 'object' || body === null) return ['the error body is not a JSON object'];
    const fields = body as Record<string, unknown>;
    if (errorFormat === 'trusset') {
      const error = fields.error as { code?: unknown } | null | undefined;
      if (typeof error?.code !== 'string') return ['the body has no error.code'];
      const codes = codesOf(documented);
      if (codes === undefined) return [`the ${status} response documents no error codes (got ${error.code})`];
      return codes.includes(error.code) ? [] : [`error code ${error.code} is not among ${codes.join(', ')}`];
    }
    // SPEC §6.1: `{ statusCode, message, error }`, nothing more, `error` the reason phrase.
    const schema = jsonSchemaOf(resolve(documented));
    const props = properties(schema);
    const problems: string[] = [];
    const keys = Object.keys(fields).sort();
    const required = requiredKeys(schema);
    if (keys.join() !== required.join())
      problems.push(`fields [${keys.join(', ')}], documented [${required.join(', ')}]`);
    if (fields.statusCode !== status) problems.push(`statusCode ${String(fields.statusCode)}, not ${status}`);
    if (props.statusCode?.const !== status)
      problems.push(`documented statusCode ${String(props.statusCode?.const)}, not ${status}`);
    if (fields.error !== props.error?.const)
      problems.push(`error "${String(fields.error)}", documented "${String(props.error?.const)}"`);
    if (typeof fields.message !== 'string' || !messageAllowed(props.message, fields.message))
      problems.push(`message "${String(fields.message)}" is not documented`);
    return problems;
  }

  async function servedProblems(
    headerSets: ReadonlyArray<Record<string, string>>,
    absentHeaders: readonly string[] = [],
  ): Promise<string[]> {
    const problems: string[] = [];
    if (!/^3\.1\./.test(document.openapi)) problems.push(`openapi ${document.openapi}, not 3.1.x`);
    for (const headers of headerSets) {
      // Header names only: the values may be credentials.
      const label = `GET ${OPENAPI_PATH} with ${Object.keys(headers).join(', ') || 'no headers'}`;
      const res = await fetch(`${baseUrl}${OPENAPI_PATH}`, { headers });
      const text = await res.text();
      if (res.status !== 200) problems.push(`${label}: status ${res.status}`);
      const type = res.headers.get('content-type') ?? '';
      if (!/^application\/json\b/.test(type)) problems.push(`${label}: content-type "${type}"`);
      const cache = res.headers.get('cache-control');
      if (cache !== 'public, max-age=300') problems.push(`${label}: cache-control "${cache}"`);
      for (const name of absentHeaders) if (res.headers.has(name)) problems.push(`${label}: carries ${name}`);
      if (text !== JSON.stringify(document)) problems.push(`${label}: another document`);
    }
    return problems;
  }

  function routeProblems(
    app: { readonly middleware: readonly unknown[] },
    expected?: readonly RegisteredOperation[],
  ): string[] {
    const key = (route: RegisteredOperation) => describeRoute(route);
    const registered = registeredOperations(app);
    const registeredKeys = new Set(registered.map(key));
    const documentedKeys = new Set(documentedOperations(document).map(key));
    const problems: string[] = [];
    if (registered.length === 0) problems.push('the app registers no routes');
    if (expected !== undefined) {
      const expectedKeys = new Set<string>();
      for (const route of [...expected].sort(byPathThenMethod)) {
        if (expectedKeys.has(key(route))) problems.push(`${key(route)} is expected twice`);
        expectedKeys.add(key(route));
        if (!registeredKeys.has(key(route))) problems.push(`${key(route)} is expected but not registered`);
      }
      for (const name of registeredKeys)
        if (!expectedKeys.has(name)) problems.push(`${name} is registered but not expected`);
    }
    for (const name of registeredKeys)
      if (!documentedKeys.has(name)) problems.push(`${name} is registered but not documented`);
    for (const name of documentedKeys)
      if (!registeredKeys.has(name)) problems.push(`${name} is documented but not registered`);
    return problems;
  }

  /** Reads a probe's answer and lists what in it the document does not allow. */
  async function readAnswer(route: RegisteredOperation, res: Response) {
    const documented = operation(route);
    const label = `${describeRoute(route)} → ${res.status}`;
    const problems: string[] = [];
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    let body: unknown;
    if (type.startsWith('application/json')) {
      try {
        body = JSON.parse(text);
      } catch {
        problems.push(`${label}: the body is not JSON`);
      }
    }
    const answer = { route, operation: documented, res, body, label };
    for (const name of options.answerHeaders ?? [])
      if (!res.headers.has(name)) problems.push(`${label}: no ${name} header`);
    const found = documented.responses[String(res.status)];
    if (found === undefined) {
      problems.push(`${label}: status ${res.status} is not documented`);
      return { answer, problems };
    }
    const documentedResponse = resolve(found);
    for (const [name, declared] of Object.entries(documentedResponse.headers ?? {})) {
      const header = resolve<OpenApiHeader>(declared);
      const value = res.headers.get(name);
      if (header.required && value === null) problems.push(`${label}: no ${name} header`);
      if (header.schema.const !== undefined && value !== String(header.schema.const))
        problems.push(`${label}: ${name} is "${value}", documented "${String(header.schema.const)}"`);
    }
    const types = Object.keys(documentedResponse.content ?? {});
    if (types.length === 0 ? type !== '' : !types.some((documentedType) => type.startsWith(documentedType)))
      problems.push(`${label}: content-type "${type}" is not documented`);
    const fields = (typeof body === 'object' && body !== null ? body : {}) as {
      message?: unknown;
      error?: { message?: unknown } | null;
    };
    if (fields.message === notFoundMessage || fields.error?.message === notFoundMessage)
      problems.push(`${label}: answered "${notFoundMessage}"`);
    const isError = errorFormat === 'tcs' ? res.status >= 400 : fields.error != null;
    if (isError) problems.push(...errorProblems(found, res.status, body).map((p) => `${label}: ${p}`));
    return { answer, problems };
  }

  async function answerProblems<B>(checkOptions: AnswerCheckOptions<B> = {}): Promise<string[]> {
    const problems: string[] = [];
    for (const route of documentedOperations(document)) {
      const read = await readAnswer(route, await probe(route));
      problems.push(...read.problems);
      // The credentials the operation declares were accepted: the route itself answered.
      if (read.answer.res.status === 401) problems.push(`${read.answer.label}: credentials refused`);
      await checkOptions.onAnswer?.(read.answer as OperationAnswer<B>);
    }
    return problems;
  }

  async function unauthenticatedProblems<B>(checkOptions: AnswerCheckOptions<B> = {}): Promise<string[]> {
    const problems: string[] = [];
    for (const route of securedOperations()) {
      const read = await readAnswer(route, await probe(route, { credentials: false }));
      problems.push(...read.problems);
      if (read.answer.res.status !== 401) problems.push(`${read.answer.label}: not 401 without credentials`);
      await checkOptions.onAnswer?.(read.answer as OperationAnswer<B>);
    }
    return problems;
  }

  return {
    document,
    resolve,
    operation,
    response,
    responseSchema,
    properties,
    requiredKeys,
    errorCodes,
    securedOperations,
    probe,
    errorProblems,
    servedProblems,
    routeProblems,
    answerProblems,
    unauthenticatedProblems,
  };
}
