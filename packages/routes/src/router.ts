import Router from '@koa/router';
import type { DefaultState } from 'koa';

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
