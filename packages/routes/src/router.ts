import Router, { type Layer } from '@koa/router';
import type { DefaultState, Middleware, ParameterizedContext } from 'koa';
import compose from 'koa-compose';

/**
 * A router for an app's routes: `@koa/router` with case-sensitive matching, and nothing else
 * changed. Every router of an app must be one of these (SPEC §4.4: a guard or limit is never
 * skipped because a path was spelt differently).
 *
 * Why: @koa/router matches *routes* case-insensitively by default, but compiles a path-less
 * `router.use(mw)` under a prefix into a case-sensitive RegExp; so `/api/v2/Instance/api-keys`
 * reached the route while skipping the middleware `use`d for `/api/v2/instance`. With
 * `sensitive: true` on every router, routes and their `use` layers agree: a path that differs in
 * case from the declared one matches neither (404). Trailing slashes already agree (both accept
 * one), and percent-encoded literal characters match neither.
 *
 * @example
 * const keys = appRouter<AppState>({ prefix: '/api/v2/instance' });
 * keys.use(keyManagementLimit);         // runs for every route below, in every spelling they match
 * keys.post('/api-keys', createKey);
 */
export function appRouter<S = DefaultState>(options: { prefix?: string } = {}): Router<S> {
  return new Router<S>({ ...options, sensitive: true });
}

/** Which paths a {@link guardedRoutes} router can match. */
export interface RouterPaths {
  /** Exact paths (each also with one trailing slash). */
  paths?: readonly string[];
  /** Prefixes: the prefix itself and everything below it (`/admin`, `/admin/…`), not `/administrator`. */
  prefixes?: readonly string[];
}

/** `true` for a path `router` could match under `paths`; see {@link guardedRoutes}. */
function pathMatcher({ paths = [], prefixes = [] }: RouterPaths): (path: string) => boolean {
  const exact = new Set(paths);
  return (path) => {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    if (exact.has(trimmed)) return true;
    for (const prefix of prefixes) {
      if (
        trimmed.startsWith(prefix) &&
        (trimmed.length === prefix.length || trimmed.charCodeAt(prefix.length) === 0x2f)
      )
        return true;
    }
    return false;
  };
}

/** What `@koa/router` records on the context of a request it routes (see `literalDispatch`). */
interface RoutedContext {
  matched?: Layer[];
  router?: unknown;
  routeMatched?: boolean;
  newRouterPath?: string;
  captures?: string[];
  params?: Record<string, string>;
  request: { params?: Record<string, string> };
  routerPath?: string | RegExp;
  routerName?: string | undefined;
  _matchedRoute?: string | RegExp;
  _matchedRouteName?: string;
}

/** One request path and method a literal route answers, resolved once. */
interface LiteralRoute<S> {
  /** Every layer whose path matched (the router's `ctx.matched`). */
  matched: readonly Layer[];
  /** The matched route's path and name (`ctx._matchedRoute`, `ctx._matchedRouteName`). */
  route: Layer;
  /** The router's chain for this path and method, composed once. */
  chain: compose.ComposedMiddleware<ParameterizedContext<S>>;
}

/**
 * The requests `router` answers with a literal route (no parameters, no wildcard), by exact path
 * then method, each with the chain the router itself would build for it, or `undefined` for a
 * router this cannot speak for (bound to a host, with a fixed `routerPath`, or `exclusive`).
 *
 * Why: for every request `@koa/router` reads `ctx.host`, tests every layer's RegExp, and builds and
 * composes a new middleware chain; the authenticated hot path (SPEC §9) is a literal route, whose
 * layers, captures and chain depend only on its path and method, so they are resolved here once.
 * A pair goes in only when the router's own `match` routes it and every matched layer captures
 * nothing from that path; anything else (a parameter, a trailing slash, another spelling) is left
 * to the router.
 */
function literalRoutes<S>(router: Router<S>, covered: (path: string) => boolean) {
  // An exclusive router runs only one of the matched layers; the table composes them all.
  if (router.opts.host !== undefined || router.opts.routerPath || router.opts.exclusive) return undefined;
  const table = new Map<string, Map<string, LiteralRoute<S>>>();
  for (const layer of router.stack) {
    const path = layer.path;
    if (typeof path !== 'string' || layer.methods.length === 0 || layer.paramNames.length > 0) continue;
    if (!layer.match(path) || !covered(path)) continue;
    for (const method of layer.methods) {
      const result = router.match(path, method);
      const layers = result.pathAndMethod;
      if (!result.route || layers.some((each) => each.captures(path).length > 0)) continue;
      const route = layers.findLast((each) => each.methods.length > 0);
      if (route === undefined) continue;
      const steps: Middleware<S>[] = [];
      for (const each of layers) {
        // What the router's own step before each layer records (its captures are none here).
        steps.push((ctx, next) => {
          const routed = ctx as unknown as RoutedContext;
          routed.captures = [];
          routed.request.params = each.params(path, [], routed.params);
          routed.params = routed.request.params;
          routed.routerPath = each.path;
          routed.routerName = each.name || undefined;
          routed._matchedRoute = each.path;
          if (each.name) routed._matchedRouteName = each.name;
          return next();
        });
        steps.push(...(each.stack as unknown as Middleware<S>[]));
      }
      let methods = table.get(path);
      if (methods === undefined) {
        methods = new Map();
        table.set(path, methods);
      }
      methods.set(method, { matched: result.path, route, chain: compose(steps) });
    }
  }
  return table;
}

/**
 * `router`'s routes (and its 405 answers with `allowedMethods`), entered only by requests whose
 * path it could match: a router tests every one of its layers against every request that reaches
 * it, a cost the requests of other routers would otherwise pay on every call. `where` must cover
 * every path the router matches (routers match case-sensitively and accept one trailing slash);
 * a wider `where` is harmless. The router stays reachable as `router`, as on `@koa/router`'s own
 * dispatch, so listings of an app's routes see it.
 *
 * A request for a literal route's exact path (`GET /healthz`, not `/healthz/` or `/users/:id`)
 * skips the router's per-request matching: its layers and composed chain are resolved once, at
 * the first request and again whenever the router gains a layer, and the context gets what the
 * router would record (`ctx.matched`, `ctx.router`, `ctx.routeMatched`, `ctx.params`,
 * `ctx.captures`, `ctx.routerPath`, `ctx.routerName`, `ctx._matchedRoute`, `_matchedRouteName`).
 * Every other request goes through the router as before.
 *
 * @example
 * app.use(guardedRoutes(adminRouter, { prefixes: ['/admin'] }));
 * app.use(guardedRoutes(healthRouter, { paths: ['/healthz', '/readyz', '/metrics'] }));
 */
export function guardedRoutes<S>(
  router: Router<S>,
  where: RouterPaths,
  options: { allowedMethods?: boolean } = {},
): Middleware<S> & { router: Router<S> } {
  const matches = pathMatcher(where);
  const routes = router.routes() as unknown as Middleware<S>;
  const allowed = options.allowedMethods ? (router.allowedMethods() as unknown as Middleware<S>) : undefined;
  let literal: Map<string, Map<string, LiteralRoute<S>>> | undefined;
  let resolvedLayers = -1;
  const dispatch: Middleware<S> = (ctx, next) => {
    const path = ctx.path;
    if (resolvedLayers !== router.stack.length) {
      literal = literalRoutes(router, matches);
      resolvedLayers = router.stack.length;
    }
    const found = literal?.get(path)?.get(ctx.method);
    const routed = ctx as unknown as RoutedContext;
    if (found !== undefined && !routed.newRouterPath) {
      if (routed.matched) routed.matched.push(...found.matched);
      else routed.matched = [...found.matched];
      routed.router = router;
      routed.routeMatched = true;
      routed._matchedRoute = found.route.path;
      if (found.route.name) routed._matchedRouteName = found.route.name;
      return found.chain(ctx, allowed === undefined ? next : () => allowed(ctx, next));
    }
    if (!matches(path)) return next();
    return allowed === undefined ? routes(ctx, next) : routes(ctx, () => allowed(ctx, next));
  };
  return Object.assign(dispatch, { router });
}
