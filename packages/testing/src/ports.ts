import { createServer } from 'node:net';

/**
 * Finds a TCP port that is free on `host` right now, by listening on port 0 and closing.
 *
 * Another process may take the port before the caller binds it; callers that spawn a
 * server on it must retry on "address in use" (as {@link startRedis} does).
 *
 * @param host - interface to probe; defaults to the IPv4 loopback.
 * @returns a port number in 1–65535.
 * @example
 * ```ts
 * const port = await getFreePort();
 * const url = `postgres://postgres@127.0.0.1:${port}/postgres`; // nothing listens there
 * ```
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => {
        if (err) reject(err);
        else if (port > 0) resolve(port);
        else reject(new Error('getFreePort: the OS did not report a port'));
      });
    });
  });
}
