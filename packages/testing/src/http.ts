import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server listening on a free loopback port. */
export interface Served {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends idle keep-alive connections, and resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `handler` (e.g. `app.callback()` of a Koa app) on 127.0.0.1 and a free port, for tests
 * that go through real HTTP with `fetch`.
 *
 * @example
 * const served = await listen(createApp(deps).callback());
 * const res = await fetch(`${served.url}/healthz`);
 * await served.close();
 */
export async function listen(handler: RequestListener): Promise<Served> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests of a failed test must not hold the suite open.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}

/**
 * Reads a response body as JSON typed as `T`: a test's statement of the shape it expects (the
 * assertions that follow check it).
 *
 * @example
 * const body = await readJson<{ error: { code: string } }>(res);
 */
export async function readJson<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/**
 * Resolves with the first of `pending` to settle with a value that `matches`, or `undefined` once
 * all have settled without one (so a test never hangs on it). For "send X once Y has been seen"
 * in concurrency tests: e.g. the right password, sent once a 429 shows the budget is spent.
 *
 * @example
 * const guesses = Array.from({ length: 39 }, () => fetch(url, wrong));
 * await firstMatching(guesses, (res) => res.status === 429);
 * const right = await fetch(url, correct);
 */
export function firstMatching<T>(
  pending: readonly Promise<T>[],
  matches: (value: T) => boolean,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    let left = pending.length;
    if (left === 0) resolve(undefined);
    for (const promise of pending) {
      promise.then(
        (value) => {
          if (matches(value)) resolve(value);
          if (--left === 0) resolve(undefined);
        },
        () => {
          if (--left === 0) resolve(undefined);
        },
      );
    }
  });
}
