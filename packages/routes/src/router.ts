import Router from '@koa/router';
import type { DefaultState, Middleware } from 'koa';

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

/**
 * `router`'s routes (and its 405 answers with `allowedMethods`), entered only by requests whose
 * path it could match: a router tests every one of its layers against every request that reaches
 * it, a cost the requests of other routers would otherwise pay on every call. `where` must cover
 * every path the router matches (routers match case-sensitively and accept one trailing slash);
 * a wider `where` is harmless. The router stays reachable as `router`, as on `@koa/router`'s own
 * dispatch, so listings of an app's routes see it.
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
  const dispatch: Middleware<S> = (ctx, next) => {
    if (!matches(ctx.path)) return next();
    return allowed === undefined ? routes(ctx, next) : routes(ctx, () => allowed(ctx, next));
  };
  return Object.assign(dispatch, { router });
}
