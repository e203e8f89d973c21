import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// Holds every answer an app gives in its tests against the OpenAPI document it serves: a response
// that drifts from its documentation (an undocumented status, a missing header, a body of another
// shape) is a problem the test file reports, whatever the test itself asserted.

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The parts of an OpenAPI 3.1 document the checker reads. */
export interface CheckedDocument {
  /** Path templates to path items (typed loosely: any OpenAPI 3.1 document model fits). */
  paths?: object;
  components?: object;
}

interface Operation {
  template: string;
  method: string;
  pattern: RegExp;
  responses: Record<string, ResponseSpec>;
}

interface HeaderSpec {
  required?: boolean;
  $ref?: string;
}

interface ResponseSpec {
  headers?: Record<string, HeaderSpec>;
  content?: Record<string, { schema?: unknown }>;
}

/** One answer as the server wrote it. */
export interface RecordedAnswer {
  method: string;
  /** The request path, without the query string. */
  path: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: Buffer;
}

export interface ResponseCheckOptions {
  /**
   * Statuses an undocumented request (no operation has its path and method) may get: the app's
   * unknown-route and wrong-method answers. Default 404 and 405.
   */
  undocumentedStatuses?: readonly number[];
  /** Called with every answer the wrapped handler wrote, after it is checked (e.g. to scan its body). */
  onAnswer?: (answer: RecordedAnswer) => void;
}

/** See {@link responseCheck}. */
export interface ResponseCheck {
  /** Wraps the app's request handler so that every response it writes is recorded and checked. */
  wrap(handler: RequestListener): RequestListener;
  /** Sets the document to check against (fetched from the running app's `/openapi.json`). */
  use(document: CheckedDocument): void;
  /** Readable problems found so far: `POST /x → 418: status not documented`. */
  readonly problems: readonly string[];
  /** How many answers were checked against a documented operation. */
  readonly checked: number;
  /** Checks one recorded answer now (what {@link ResponseCheck.wrap} does for each response). */
  check(answer: RecordedAnswer): void;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

function templatePattern(template: string): RegExp {
  const escaped = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  // @koa/router answers a path with or without one trailing slash.
  return new RegExp(`^${escaped}/?$`);
}

function operationsOf(document: CheckedDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(
    (document.paths ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    for (const method of METHODS) {
      const operation = item?.[method] as { responses?: Record<string, ResponseSpec> } | undefined;
      if (operation === undefined) continue;
      operations.push({
        template,
        method,
        pattern: templatePattern(template),
        responses: operation.responses ?? {},
      });
    }
  }
  // Literal segments before parameters: `/dids/import` wins over `/dids/{id}`, as routers match.
  return operations.sort((a, b) => a.template.split('{').length - b.template.split('{').length);
}

function pointer(...segments: string[]): string {
  return segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

function mediaType(header: unknown): string {
  return String(header ?? '')
    .split(';', 1)[0]
    ?.trim()
    .toLowerCase() as string;
}

/**
 * A checker of every answer an app gives against the OpenAPI 3.1 document it serves: each response
 * must have a documented status of its operation (or `default`), carry the headers the document
 * marks required, have a documented media type, and a JSON body valid against its schema (JSON
 * Schema 2020-12 with formats, by ajv; `$ref`s resolve inside the document). A request no operation
 * describes may only get a 404 or 405. Install it around the app's handler in a test harness and
 * assert `problems` is empty after the file's tests, so no answer escapes it.
 *
 * @example
 * const responses = responseCheck();
 * const served = await listen(responses.wrap(createApp(deps).callback()));
 * responses.use(await readJson(await fetch(`${served.url}/openapi.json`)));
 * afterAll(() => expect(responses.problems).toEqual([]));
 */
export function responseCheck(options: ResponseCheckOptions = {}): ResponseCheck {
  const undocumented = new Set(options.undocumentedStatuses ?? [404, 405]);
  const problems: string[] = [];
  const validators = new Map<string, ValidateFunction>();
  let operations: Operation[] = [];
  let current: CheckedDocument = {};
  let ajv: Ajv2020 | undefined;
  // A local `$ref` (`#/components/headers/X-Request-Id`) resolved in the document, else as is.
  const resolved = (header: HeaderSpec): HeaderSpec => {
    if (header.$ref === undefined || !header.$ref.startsWith('#/')) return header;
    let node: unknown = current;
    for (const segment of header.$ref.slice(2).split('/')) {
      node = (node as Record<string, unknown> | undefined)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    return (node as HeaderSpec | undefined) ?? header;
  };
  let checked = 0;

  const validator = (ref: string): ValidateFunction => {
    let found = validators.get(ref);
    if (found === undefined) {
      if (ajv === undefined) throw new Error('responseCheck: use(document) before checking');
      found = ajv.getSchema(ref);
      if (found === undefined) throw new Error(`responseCheck: no schema at ${ref}`);
      validators.set(ref, found);
    }
    return found;
  };

  const check = (answer: RecordedAnswer): void => {
    if (ajv === undefined) return;
    const label = `${answer.method} ${answer.path} → ${answer.status}`;
    const method = answer.method.toLowerCase() === 'head' ? 'get' : answer.method.toLowerCase();
    const candidates = operations.filter((op) => op.pattern.test(answer.path));
    const operation = candidates.find((op) => op.method === method);
    if (operation === undefined) {
      // The router's own answer to OPTIONS on a path it serves: the methods in `Allow`, no body.
      const discovery =
        method === 'options' &&
        candidates.length > 0 &&
        (answer.status === 200 || answer.status === 204) &&
        answer.headers.allow !== undefined &&
        answer.body.length === 0;
      if (!discovery && !undocumented.has(answer.status)) {
        problems.push(`${label}: no documented operation answers this`);
      }
      return;
    }
    checked += 1;
    const status = String(answer.status);
    const key =
      status in operation.responses
        ? status
        : `${status[0]}XX` in operation.responses
          ? `${status[0]}XX`
          : 'default';
    const response = operation.responses[key];
    if (response === undefined) {
      problems.push(`${label}: status not documented for ${method.toUpperCase()} ${operation.template}`);
      return;
    }
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (resolved(header).required && answer.headers[name.toLowerCase()] === undefined) {
        problems.push(`${label}: required header ${name} missing`);
      }
    }
    if (answer.method.toUpperCase() === 'HEAD' || answer.body.length === 0) {
      if (response.content !== undefined && answer.method.toUpperCase() !== 'HEAD') {
        problems.push(`${label}: documented with a body, answered without one`);
      }
      return;
    }
    const type = mediaType(answer.headers['content-type']);
    const documented = Object.keys(response.content ?? {});
    const media = documented.find((name) => mediaType(name) === type);
    if (media === undefined) {
      problems.push(
        `${label}: content type ${type || '(none)'} not documented (${documented.join(', ') || 'no body'})`,
      );
      return;
    }
    if (type !== 'application/json' && !type.endsWith('+json')) return;
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch {
      problems.push(`${label}: body is not JSON`);
      return;
    }
    const ref = `openapi.json#/${pointer('paths', operation.template, operation.method, 'responses', key, 'content', media, 'schema')}`;
    const validate = validator(ref);
    if (!validate(body)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)
        .join('; ');
      problems.push(`${label}: body does not match its schema: ${errors}`);
    }
  };

  return {
    get problems() {
      return problems;
    },
    get checked() {
      return checked;
    },
    check,
    use(document) {
      ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
      addFormats(ajv);
      ajv.addSchema(document as object, 'openapi.json');
      validators.clear();
      current = document;
      operations = operationsOf(document);
    },
    wrap(handler) {
      return (req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        const write = res.write.bind(res) as (...args: unknown[]) => boolean;
        const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
        const keep = (chunk: unknown) => {
          if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
          else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
        };
        res.write = ((chunk: unknown, ...rest: unknown[]) => {
          keep(chunk);
          return write(chunk, ...rest);
        }) as ServerResponse['write'];
        res.end = ((chunk?: unknown, ...rest: unknown[]) => {
          if (typeof chunk !== 'function') keep(chunk);
          return end(chunk, ...rest);
        }) as ServerResponse['end'];
        res.once('finish', () => {
          const answer = {
            method: req.method ?? 'GET',
            path: (req.url ?? '/').split('?', 1)[0] as string,
            status: res.statusCode,
            headers: res.getHeaders(),
            body: Buffer.concat(chunks),
          };
          check(answer);
          options.onAnswer?.(answer);
        });
        handler(req, res);
      };
    },
  };
}

/** One route: lower-case method and OpenAPI path template (`/keys/{keyId}`). */
export interface RouteOperation {
  method: string;
  path: string;
}

interface RouterLike {
  stack: ReadonlyArray<{ path: string | RegExp; methods: readonly string[] }>;
}

const byPathThenMethod = (a: RouteOperation, b: RouteOperation) =>
  a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path);

/**
 * Every route the `@koa/router` routers mounted directly on a Koa `app` registered (prefixes
 * applied), as OpenAPI operations sorted by path then method. The `HEAD` that `@koa/router` adds
 * beside each `GET` is left out; router-level middleware (no methods) is not a route. With
 * {@link documentedOperations}, a test proves the document lists every route and no other.
 *
 * @example
 * expect(registeredOperations(createApp(deps))).toEqual(documentedOperations(document));
 */
export function registeredOperations(app: { readonly middleware: readonly unknown[] }): RouteOperation[] {
  const found = new Map<string, RouteOperation>();
  for (const middleware of app.middleware as ReadonlyArray<{ router?: RouterLike }>) {
    for (const layer of middleware.router?.stack ?? []) {
      if (typeof layer.path !== 'string') continue;
      const methods = layer.methods.map((m) => m.toLowerCase());
      for (const method of methods) {
        if (method === 'head' && methods.includes('get')) continue;
        if (!METHODS.includes(method)) continue;
        const path = layer.path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
        found.set(`${path} ${method}`, { method, path });
      }
    }
  }
  return [...found.values()].sort(byPathThenMethod);
}

/**
 * The operations a document lists, in the form of {@link registeredOperations}.
 *
 * @example
 * documentedOperations(document) // [{ method: 'get', path: '/healthz' }, …]
 */
export function documentedOperations(document: CheckedDocument): RouteOperation[] {
  const out: RouteOperation[] = [];
  for (const [path, item] of Object.entries(
    (document.paths ?? {}) as Record<string, Record<string, unknown>>,
  )) {
    for (const method of METHODS) if (item?.[method] !== undefined) out.push({ method, path });
  }
  return out.sort(byPathThenMethod);
}
