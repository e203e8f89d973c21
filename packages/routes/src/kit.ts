import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import type { Middleware } from 'koa';
import type { z } from 'zod';
import type { RouteDeclaration, RouteInput, RouteReply, Written } from './route.js';
import { WRITTEN } from './route.js';
import { type FieldProblem, fieldProblems } from './validation.js';

/** The app's own answers to a request its declarations refuse: each app speaks its own format. */
export interface RouteKitOptions {
  /** The app's 400 for request fields that fail their schemas, naming each field. */
  invalid: (details: FieldProblem[]) => unknown;
  /** The app's JSON body reader (`jsonBody()` of `@portcullis/koa-auth` with the app's 413 and 400). */
  jsonBody: Middleware;
  /** The app's form body reader (`formBody()` of `@portcullis/koa-auth`): required by routes that declare `form`. */
  formBody?: Middleware;
}

/** A route's handler: gets the validated input, returns a declared JSON answer or {@link WRITTEN}. */
export type RouteHandler<S, D extends RouteDeclaration> = (
  ctx: RouterContext<S>,
  input: RouteInput<D>,
) => RouteReply<D> | Written | Promise<RouteReply<D> | Written>;

export interface MountOptions<S> {
  /** Middleware that runs before the body is read and the request validated (a guard, a limit). */
  before?: ReadonlyArray<Middleware<S>>;
  /**
   * Middleware that runs once the body is read (`ctx.state.body`), before the request is
   * validated: a guard keyed on a body field, such as a per-account attempt limit, so a spent
   * budget answers before a bad body's 400.
   */
  afterBody?: ReadonlyArray<Middleware<S>>;
  /**
   * Keep the query's parse per raw query string: for read routes whose clients repeat a few
   * queries and whose query parse (normalisation, a cache key) costs more than the answer it
   * leads to. Parsed queries are shared between requests: a handler must not change one.
   */
  queryCache?: QueryCacheOptions;
  /**
   * This route's own 400 for fields that fail their schemas, instead of the kit's: a route that
   * speaks another error dialect than the app's (an OAuth endpoint's `invalid_request`).
   */
  invalid?: (details: FieldProblem[]) => unknown;
  /** This route's own body reader, instead of the kit's `jsonBody` / `formBody` (its errors in the route's dialect). */
  bodyReader?: Middleware<S>;
}

/** Bounds of {@link MountOptions.queryCache}. */
export interface QueryCacheOptions {
  /** Most parses kept; when full the cache is cleared (a hostile stream of new queries only costs clears). Default 1 000. */
  maxEntries?: number;
  /** Query strings longer than this many characters are parsed every time. Default 2 048. */
  maxKeyLength?: number;
}

type Parse = (input: unknown) => z.ZodSafeParseResult<unknown>;

/** `parse`, its answers kept per raw query string (see {@link MountOptions.queryCache}). */
function cachedByQueryString(parse: Parse, options: QueryCacheOptions) {
  const maxEntries = options.maxEntries ?? 1_000;
  const maxKeyLength = options.maxKeyLength ?? 2_048;
  const seen = new Map<string, z.ZodSafeParseResult<unknown>>();
  return (querystring: string, input: unknown) => {
    if (querystring.length > maxKeyLength) return parse(input);
    let answer = seen.get(querystring);
    if (answer === undefined) {
      answer = parse(input);
      if (seen.size >= maxEntries) seen.clear();
      seen.set(querystring, answer);
    }
    return answer;
  };
}

/** Declared routes of one app, mounted on its routers with validation; see {@link createRouteKit}. */
export interface RouteKit<S> {
  /**
   * Mounts `handler` for `declaration` on `router` (whose prefix the declared path must start
   * with). The request's params, query, headers and body are validated against the declaration
   * before the handler runs; what it returns becomes the response.
   */
  mount<const D extends RouteDeclaration>(
    router: Router<S>,
    declaration: D,
    handler: NoInfer<RouteHandler<S, D>>,
    options?: MountOptions<S>,
  ): void;
  /** Every declaration mounted so far, in mount order (for the document and for tests). */
  readonly routes: readonly RouteDeclaration[];
  /** Adds declarations of routes served by other means (a library's router), for the document. */
  declare(...declarations: RouteDeclaration[]): void;
}

/** The part of `@koa/router`'s options the kit reads. */
interface RouterWithPrefix {
  opts: { prefix?: string };
}

function relativePath(router: RouterWithPrefix, path: string): string {
  const prefix = router.opts.prefix ?? '';
  if (!path.startsWith(prefix)) {
    throw new Error(`route ${path} cannot be mounted on a router with prefix ${prefix}`);
  }
  const rest = path.slice(prefix.length);
  return rest === '' ? '/' : rest;
}

/**
 * One kit per app: it mounts declared routes (see `defineRoute`) on the app's routers, validates
 * each request against its declaration before the handler runs, and keeps the declarations for the
 * OpenAPI document (`openApiDocument(kit.routes, …)`). Responses are not validated here, so the hot
 * path pays nothing for them: the app tests check every answer against the document.
 *
 * Validation order: path parameters first (a malformed id is `invalidParams`, usually the
 * resource's 404), then query, headers and body together (one 400 naming every bad field).
 *
 * @example
 * const kit = createRouteKit({
 *   invalid: (details) => instanceApiErrors.error('VALIDATION_ERROR', { details }),
 *   jsonBody: jsonBody({ tooLarge: …, invalid: … }),
 * });
 * kit.mount(router, rotateKeyRoute, async (ctx, { params, body }) => {
 *   const rotated = await rotate(params.keyId, body.overlapSeconds);
 *   return { status: 200, body: envelope(ctx, rotated) };
 * });
 */
export function createRouteKit<S = unknown>(options: RouteKitOptions): RouteKit<S> {
  const routes: RouteDeclaration[] = [];
  const operationIds = new Set<string>();
  const record = (declaration: RouteDeclaration) => {
    if (operationIds.has(declaration.operationId)) {
      throw new Error(`operationId ${declaration.operationId} is declared twice`);
    }
    operationIds.add(declaration.operationId);
    routes.push(declaration);
  };

  return {
    routes,
    declare(...declarations) {
      for (const declaration of declarations) record(declaration);
    },
    mount(router, declaration, handler, mountOptions = {}) {
      record(declaration);
      const request = declaration.request ?? {};
      const { params, query, headers } = request;
      if (request.body !== undefined && request.form !== undefined) {
        throw new Error(`${declaration.operationId} declares both a JSON and a form body`);
      }
      const body = request.body ?? request.form;
      const invalid = mountOptions.invalid ?? options.invalid;
      const reader =
        mountOptions.bodyReader ?? (request.form === undefined ? options.jsonBody : options.formBody);
      if (body !== undefined && reader === undefined) {
        throw new Error(`${declaration.operationId} declares a form body and the kit has no formBody reader`);
      }
      const empty = {};
      const parseQuery =
        query === undefined
          ? undefined
          : mountOptions.queryCache === undefined
            ? (_querystring: string, value: unknown) => query.safeParse(value)
            : cachedByQueryString((value) => query.safeParse(value), mountOptions.queryCache);

      // The kit writes any declared answer alike: typed loosely here, strictly at the handler.
      type Reply = Written | { status: number; body: unknown };
      const answer = (ctx: RouterContext<S>, reply: Reply): void => {
        if (reply === WRITTEN || !('status' in reply)) return;
        ctx.status = reply.status;
        ctx.body = reply.body;
      };
      // What a handler's answer becomes: synchronous answers are written at once, with no promise
      // of the kit's own (most hot routes answer synchronously).
      const respond = (ctx: RouterContext<S>, reply: Reply | Promise<Reply>) =>
        reply instanceof Promise ? reply.then((settled) => answer(ctx, settled)) : answer(ctx, reply);
      const checked =
        params !== undefined || query !== undefined || headers !== undefined || body !== undefined;
      // A route that declares no request part has nothing to check: one shared, empty input.
      const nothing = Object.freeze({ params: empty, query: empty, headers: empty, body: undefined });

      const run: Middleware<S> = (koaContext) => {
        const ctx = koaContext as RouterContext<S>;
        if (!checked)
          return respond(ctx, handler(ctx, nothing as unknown as RouteInput<typeof declaration>) as Reply);
        const input = { params: empty, query: empty, headers: empty, body: undefined } as Record<
          string,
          unknown
        >;
        if (params !== undefined) {
          const parsed = params.safeParse(ctx.params);
          if (!parsed.success) {
            throw declaration.invalidParams === undefined
              ? invalid(fieldProblems(parsed.error))
              : declaration.invalidParams();
          }
          input.params = parsed.data;
        }
        const problems: FieldProblem[] = [];
        const take = (parsed: z.ZodSafeParseResult<unknown>, key: string) => {
          if (parsed.success) input[key] = parsed.data;
          else problems.push(...fieldProblems(parsed.error));
        };
        if (parseQuery !== undefined) take(parseQuery(ctx.querystring, ctx.query), 'query');
        if (headers !== undefined) take(headers.safeParse(ctx.headers), 'headers');
        if (body !== undefined) take(body.safeParse((ctx.state as { body?: unknown }).body), 'body');
        if (problems.length > 0) throw invalid(problems.slice(0, 20));
        return respond(ctx, handler(ctx, input as unknown as RouteInput<typeof declaration>) as Reply);
      };

      const chain: Middleware<S>[] = [...(mountOptions.before ?? [])];
      if (body !== undefined) chain.push(reader as Middleware<S>);
      chain.push(...(mountOptions.afterBody ?? []), run);
      const path = relativePath(router as unknown as RouterWithPrefix, declaration.path);
      // @koa/router's method functions share one signature; the declaration picks which.
      (router[declaration.method] as (path: string, ...middleware: Middleware<S>[]) => Router<S>).call(
        router,
        path,
        ...chain,
      );
    },
  };
}
