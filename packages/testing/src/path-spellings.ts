import fc from 'fast-check';

/** How a path can be spelt differently and still look like the same route to a reader. */
export type SpellingChange = 'case' | 'trailing-slash' | 'percent-encoding';

/**
 * Respellings of `path` (which must start with `/`): random letter case, a trailing slash added
 * or removed, and letters, digits, `-` and `_` percent-encoded (upper- or lower-case hex), alone or
 * combined. Every value differs from `path` as a string.
 *
 * @example
 * fc.sample(pathSpellings('/api/v2/instance'), 3); // e.g. ['/api/v2/Instance', '/api/v2/instance/', '/api/v2/%69nstance']
 */
export function pathSpellings(path: string): fc.Arbitrary<{ path: string; changes: SpellingChange[] }> {
  const chars = [...path];
  const perChar = chars.map((char) =>
    fc.record({
      flipCase: fc.boolean(),
      encode: /[A-Za-z0-9_-]/.test(char) ? fc.integer({ min: 0, max: 9 }) : fc.constant(9),
      upperHex: fc.boolean(),
    }),
  );
  return fc
    .record({ each: fc.tuple(...perChar), slash: fc.boolean(), mode: fc.integer({ min: 1, max: 7 }) })
    .map(({ each, slash, mode }) => {
      const changes = new Set<SpellingChange>();
      let out = '';
      chars.forEach((char, i) => {
        const choice = each[i] as { flipCase: boolean; encode: number; upperHex: boolean };
        let spelt = char;
        if (mode & 1 && choice.flipCase && char.toLowerCase() !== char.toUpperCase()) {
          spelt = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
          changes.add('case');
        }
        // One character in ten (of those that may be) is percent-encoded.
        if (mode & 4 && choice.encode === 0) {
          const hex = spelt.charCodeAt(0).toString(16).padStart(2, '0');
          spelt = `%${choice.upperHex ? hex.toUpperCase() : hex}`;
          changes.add('percent-encoding');
        }
        out += spelt;
      });
      if (mode & 2 && slash) {
        out = out.endsWith('/') && out.length > 1 ? out.slice(0, -1) : `${out}/`;
        changes.add('trailing-slash');
      }
      return { path: out, changes: [...changes] };
    })
    .filter((spelling) => spelling.path !== path);
}

/** One operation of an OpenAPI document, with the security scheme it requires (if any). */
export interface DocumentedOperation {
  method: string;
  /** The path template, e.g. `/api/v2/instance/api-keys/{keyId}`. */
  template: string;
  /** The path with every `{param}` filled in. */
  path: string;
  /** Name of the first security scheme the operation requires, `undefined` for a public one. */
  security: string | undefined;
}

interface OpenApiLike {
  paths: Record<string, Record<string, unknown>>;
  security?: Array<Record<string, unknown>>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/**
 * Every operation of an OpenAPI document, its path filled with `params` (a value per parameter
 * name; a template with a parameter that has no value is an error, so no route is left out).
 *
 * @example
 * documentedOperations(await (await fetch(`${url}/openapi.json`)).json(), { keyId: 'key_000…' });
 */
export function documentedOperationsOf(
  document: OpenApiLike,
  params: Record<string, string>,
): DocumentedOperation[] {
  const operations: DocumentedOperation[] = [];
  for (const [template, item] of Object.entries(document.paths)) {
    const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`no value for path parameter {${name}} of ${template}`);
      return value;
    });
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const declared =
        (operation as { security?: Array<Record<string, unknown>> }).security ?? document.security;
      const first = declared?.find((requirement) => Object.keys(requirement).length > 0);
      operations.push({
        method: method.toUpperCase(),
        template,
        path,
        security: first && Object.keys(first)[0],
      });
    }
  }
  return operations;
}

/** What one request did, as far as the spelling check compares it. */
export interface SpellingOutcome {
  status: number;
  /** True when no route matched (the app's "route not found" 404, not a handler's own 404). */
  routeNotFound: boolean;
  /** The guards and limiters the request went through, in order (e.g. `perIp.consume(<ip>)`). */
  trace: readonly string[];
}

export interface PathSpellingCheckOptions {
  operations: readonly DocumentedOperation[];
  /**
   * Sends one request of `operation` to `path` — with the credentials its `security` needs when
   * `withCredentials`, without any otherwise — and reports what happened. Should not change state
   * the next request depends on (use unknown ids, invalid bodies), or report a trace with the ids
   * of fresh principals replaced by placeholders.
   */
  send: (operation: DocumentedOperation, path: string, withCredentials: boolean) => Promise<SpellingOutcome>;
  /** fast-check runs. Default 200. */
  numRuns?: number;
  seed?: number;
}

/**
 * The SPEC §4.4 rule for every documented route: a respelt path (letter case, trailing slash,
 * percent-encoding) either matches no route, or passes through exactly the same guards and
 * limiters as the canonical spelling and gets the same status — with and without credentials.
 * Throws (fast-check's report, with the counterexample) when some spelling does otherwise.
 *
 * @example
 * await checkPathSpellings({ operations: documentedOperationsOf(doc, params), send });
 */
export async function checkPathSpellings(options: PathSpellingCheckOptions): Promise<void> {
  const { operations, send } = options;
  if (operations.length === 0) throw new Error('checkPathSpellings: no operations to check');
  const pick = fc.integer({ min: 0, max: operations.length - 1 }).chain((index) => {
    const operation = operations[index] as DocumentedOperation;
    return fc.record({
      operation: fc.constant(operation),
      spelling: pathSpellings(operation.path),
      withCredentials: operation.security === undefined ? fc.constant(false) : fc.boolean(),
    });
  });
  await fc.assert(
    fc.asyncProperty(pick, async ({ operation, spelling, withCredentials }) => {
      const canonical = await send(operation, operation.path, withCredentials);
      if (canonical.routeNotFound) {
        throw new Error(`${operation.method} ${operation.path}: the canonical spelling matched no route`);
      }
      const respelt = await send(operation, spelling.path, withCredentials);
      if (respelt.routeNotFound) return;
      const same =
        respelt.status === canonical.status &&
        JSON.stringify(respelt.trace) === JSON.stringify(canonical.trace);
      if (!same) {
        throw new Error(
          `${operation.method} ${spelling.path} (${spelling.changes.join(', ') || 'respelt'}) of ${operation.path}` +
            `${withCredentials ? ' with credentials' : ''}: ${respelt.status} through [${respelt.trace.join(' → ')}], ` +
            `canonical ${canonical.status} through [${canonical.trace.join(' → ')}]`,
        );
      }
    }),
    { numRuns: options.numRuns ?? 200, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
}

export interface HttpSpellingSendOptions {
  /** The app's base URL, e.g. `http://127.0.0.1:PORT`. */
  baseUrl: string;
  /** The headers carrying the credentials `operation.security` names (called per request). */
  credentials: (operation: DocumentedOperation) => Record<string, string> | Promise<Record<string, string>>;
  /** True when a response is the app's "no route" 404 (not a handler's own 404). */
  isRouteNotFound: (res: Response) => Promise<boolean>;
  /** The log the app's limiters record into (see {@link recordingLimiters}); cleared per request. */
  log: LimiterCall[];
  /** How a bucket key appears in the trace (e.g. a fresh principal's id as a placeholder). */
  keyLabel?: (key: string) => string;
}

/**
 * A `send` for {@link checkPathSpellings} over HTTP: the operation's method, credentials when
 * asked for, and on POST/PUT/PATCH a JSON body with one unexpected field, which strict schemas
 * refuse after the guards and limiters ran, so no request changes state. The trace is the
 * limiter calls the request made, as `limiter.method(key)`.
 *
 * @example
 * send: httpSpellingSend({ baseUrl: app.url, credentials, isRouteNotFound, log })
 */
export function httpSpellingSend(options: HttpSpellingSendOptions): PathSpellingCheckOptions['send'] {
  const { baseUrl, credentials, isRouteNotFound, log } = options;
  const label = options.keyLabel ?? ((key: string) => key);
  return async (operation, path, withCredentials) => {
    const headers: Record<string, string> = withCredentials ? { ...(await credentials(operation)) } : {};
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(operation.method);
    if (hasBody) headers['content-type'] = 'application/json';
    log.length = 0;
    const res = await fetch(`${baseUrl}${path}`, {
      method: operation.method,
      headers,
      ...(hasBody ? { body: JSON.stringify({ unexpectedField: true }) } : {}),
    });
    const routeNotFound = await isRouteNotFound(res);
    return {
      status: res.status,
      routeNotFound,
      trace: log.map((c) => `${c.limiter}.${c.method}(${label(c.key)})`),
    };
  };
}

/** One call an instrumented limiter saw. */
export interface LimiterCall {
  limiter: string;
  method: string;
  key: string;
}

/**
 * Wraps each limiter of `limiters` (any object with `consume`/`peek`/`refund` methods taking the
 * bucket key first) so that every call is appended to `log` before it runs; other properties
 * (`limit`, `windowMs`) are kept. For tests that check which limits a request went through.
 *
 * @example
 * const log: LimiterCall[] = [];
 * deps.limiters = recordingLimiters(deps.limiters, log);
 */
export function recordingLimiters<L extends Record<string, object>>(limiters: L, log: LimiterCall[]): L {
  const wrapped: Record<string, object> = {};
  for (const [name, limiter] of Object.entries(limiters)) {
    const copy: Record<string, unknown> = { ...limiter };
    for (const method of ['consume', 'peek', 'refund']) {
      const original = (limiter as Record<string, unknown>)[method];
      if (typeof original !== 'function') continue;
      copy[method] = (key: string, ...rest: unknown[]) => {
        log.push({ limiter: name, method, key });
        return (original as (...args: unknown[]) => unknown).call(limiter, key, ...rest);
      };
    }
    wrapped[name] = copy;
  }
  return wrapped as L;
}

/**
 * Wraps each limiter of `limiters` so that every call takes effect at once (the count changes when
 * it is called, as an atomic Redis script would) but its answer arrives `delayMs` later, as over a
 * network. Concurrency tests use it to widen the window in which check-then-act code goes wrong.
 * The methods then answer with promises: for limiters whose methods may (a `WindowLimiter`).
 *
 * @example
 * deps.limiters = delayedLimiters(deps.limiters, 50);
 */
export function delayedLimiters<L extends Record<string, object>>(limiters: L, delayMs: number): L {
  const wrapped: Record<string, object> = {};
  for (const [name, limiter] of Object.entries(limiters)) {
    const copy: Record<string, unknown> = { ...limiter };
    for (const method of ['consume', 'peek', 'refund']) {
      const original = (limiter as Record<string, unknown>)[method];
      if (typeof original !== 'function') continue;
      copy[method] = async (...args: unknown[]) => {
        const answer = await (original as (...a: unknown[]) => unknown).apply(limiter, args);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return answer;
      };
    }
    wrapped[name] = copy;
  }
  return wrapped as L;
}
