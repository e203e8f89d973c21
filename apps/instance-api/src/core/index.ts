import type Router from '@koa/router';
import type { AppDeps } from '../app.js';
import type { AppKit } from '../http.js';
import type { AppState } from '../state.js';
import { CUSTODY_PREFIX, custodyRoutes } from './custody/routes.js';
import { CUSTOMERS_PREFIX, customerRoutes } from './customers/routes.js';
import { LENDING_PREFIX, lendingRoutes } from './lending/routes.js';
import { TOKENIZATION_PREFIX, tokenizationRoutes } from './tokenization/routes.js';
import { TRADING_PREFIX, tradingRoutes } from './trading/routes.js';

/** One core service's routes (SPEC §4.5) and the base path they all live under. */
export interface CoreService {
  prefix: string;
  router: Router<AppState>;
}

/**
 * The core services' routers, each behind its service gate, for `createApp` to mount behind
 * instance-key authentication and the per-key limit.
 *
 * @example
 * for (const { prefix, router } of coreServices(kit, deps)) app.use(guardedRoutes(router, { prefixes: [prefix] }));
 */
export function coreServices(kit: AppKit, deps: AppDeps): CoreService[] {
  return [
    { prefix: CUSTOMERS_PREFIX, router: customerRoutes(kit, deps) },
    { prefix: TOKENIZATION_PREFIX, router: tokenizationRoutes(kit, deps) },
    { prefix: TRADING_PREFIX, router: tradingRoutes(kit, deps) },
    { prefix: CUSTODY_PREFIX, router: custodyRoutes(kit, deps) },
    { prefix: LENDING_PREFIX, router: lendingRoutes(kit, deps) },
  ];
}

/**
 * Base paths of the core services outside `/api/v2` (custody's is under it): every request under
 * them is authenticated like an `/api/v2` request, before routing.
 */
export const CORE_AUTH_PREFIXES = [
  CUSTOMERS_PREFIX,
  '/stocks/api',
  '/orderbooks/stocks/api/offchain',
  '/lending-stocks/api',
] as const;
