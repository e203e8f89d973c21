import { isIP } from 'node:net';
import type { Middleware } from 'koa';

export interface ClientAddressOptions {
  /**
   * Trust `X-Forwarded-For` (`TRUST_PROXY=true`). When false the client address is the socket's,
   * whatever the headers say.
   */
  trustProxy: boolean;
  /**
   * How many proxies in front of the app append to `X-Forwarded-For` (`TRUST_PROXY_HOPS`,
   * default 1). Only that many right-most entries are used: everything to their left was written
   * by the client and proves nothing.
   */
  hops?: number;
}

/**
 * The client address of a request (SPEC §8): the socket's, or with `trustProxy` the left-most of
 * the right-most `hops` entries of `X-Forwarded-For` (the address the outermost trusted proxy
 * saw), provided every one of those entries is an IP address (with fewer entries than `hops`, the
 * left-most one, as Koa's `maxIpsCount` does). A missing header, or any of those entries that is
 * not an IP (a port suffix, a name, garbage), falls back to the socket address, so a client can
 * neither choose its own rate-limit bucket nor mint a new one per request.
 *
 * @param forwardedFor - the `X-Forwarded-For` header as received (repeated headers joined by `,`)
 * @param socketAddress - the peer address of the TCP connection
 * @example
 * clientAddressOf('203.0.113.7, 198.51.100.2', '10.0.0.5', { trustProxy: true, hops: 1 }); // '198.51.100.2'
 * clientAddressOf('spoofed, 198.51.100.2', '10.0.0.5', { trustProxy: true, hops: 2 });      // '10.0.0.5'
 */
export function clientAddressOf(
  forwardedFor: string | undefined,
  socketAddress: string,
  options: ClientAddressOptions,
): string {
  if (!options.trustProxy || forwardedFor === undefined || forwardedFor.length === 0) return socketAddress;
  const hops = options.hops ?? 1;
  // Bounded work whatever the header's length: only the last `hops` entries are looked at.
  let end = forwardedFor.length;
  let address = socketAddress;
  for (let taken = 0; taken < hops; taken += 1) {
    if (end <= 0) break;
    const comma = forwardedFor.lastIndexOf(',', end - 1);
    const entry = forwardedFor.slice(comma + 1, end).trim();
    if (entry.length > 45 || isIP(entry) === 0) return socketAddress;
    address = entry;
    end = comma;
  }
  return address;
}

/**
 * Sets `ctx.request.ip` (what `ctx.ip` and every per-address limit read) once, at the head of the
 * app, by {@link clientAddressOf}. Replaces Koa's own `proxy` handling of the address, which
 * trusts the left-most entry and does not check that it is an address.
 *
 * @example
 * app.use(clientAddress({ trustProxy: env.trustProxy, hops: env.trustProxyHops }));
 */
export function clientAddress(options: ClientAddressOptions): Middleware {
  const hops = options.hops ?? 1;
  if (!Number.isInteger(hops) || hops < 1) throw new TypeError('clientAddress: hops must be ≥ 1');
  if (!options.trustProxy) {
    // Nothing to decide per request: Koa's default (proxy off) is already the socket address.
    return function clientAddress(_ctx, next) {
      return next();
    };
  }
  return function clientAddress(ctx, next) {
    const header = ctx.req.headers['x-forwarded-for'];
    const joined = Array.isArray(header) ? header.join(',') : header;
    ctx.request.ip = clientAddressOf(joined, ctx.req.socket.remoteAddress ?? '', { trustProxy: true, hops });
    return next();
  };
}
