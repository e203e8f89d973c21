import { envelope } from './http.js';
import type { AppContext } from './state.js';

/**
 * Writes `data` in the success envelope onto `ctx` (see `envelope` in http.ts), for a handler
 * outside the route kit: the bench's baseline route answers the very body of the app's
 * authenticated route with it. The app's own routes return their answers to the kit instead.
 *
 * @example
 * router.get('/bench/services/custody', (ctx) => send(ctx, now, { service: 'custody', enabled: true }));
 */
export function send(ctx: AppContext, now: () => number, data: unknown, status = 200, total?: number): void {
  ctx.status = status;
  ctx.body = envelope(ctx, now, data, total);
}
