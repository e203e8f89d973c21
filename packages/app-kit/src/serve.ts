import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface ServeOptions {
  /** Name used in messages, e.g. `instance-api`. */
  name: string;
  host: string;
  port: number;
  logger: Logger;
  /** Runs after the server stopped accepting and in-flight requests finished (flush, close clients). */
  onDrained: () => Promise<void>;
  /** In-flight requests get this long to finish before their connections are cut. Default 10 000 ms. */
  drainTimeoutMs?: number;
  /** Where the start line goes (it is for people, not logs). Default stdout. */
  announce?: (line: string) => void;
}

export interface Serving {
  server: Server;
  /** The base URL actually listened on. */
  url: string;
  /** Stops accepting, drains, runs `onDrained`. Idempotent. */
  stop(reason: string): Promise<void>;
}

/**
 * Listens and drains on SIGTERM/SIGINT (SPEC §8): stop accepting, finish in-flight requests,
 * then `onDrained` (flush batched writes, close Redis and the database), then exit 0. A port that
 * cannot be bound is a one-line message and exit 1, not a stack trace.
 *
 * @example
 * await serve(app.callback(), { name: 'instance-api', host, port, logger, onDrained: () => db.close() });
 */
export async function serve(handler: RequestListener, options: ServeOptions): Promise<Serving> {
  const { name, host, port, logger, onDrained } = options;
  const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));
  const server = createServer(handler);
  await new Promise<void>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(`${name}: cannot listen on ${host}:${port}: ${err.code ?? err.message}\n`);
      process.exit(1);
    });
    server.listen(port, host, () => resolve());
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  announce(`${name} listening on ${url}`);

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, `${name} draining`);
      const force = setTimeout(() => server.closeAllConnections(), options.drainTimeoutMs ?? 10_000);
      force.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(force);
      await onDrained();
      logger.info(`${name} stopped`);
    })();
    return stopping;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void stop(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err: err instanceof Error ? err.message : String(err) }, `${name} shutdown failed`);
          process.exit(1);
        },
      );
    });
  }
  return { server, url, stop };
}
