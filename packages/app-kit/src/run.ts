import type { RequestListener } from 'node:http';
import { join } from 'node:path';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import type { Logger } from 'pino';
import type { RedisPair } from './redis.js';
import { type Serving, serve } from './serve.js';

/**
 * Opens the app's database (Postgres when `databaseUrl` is set, else PGlite in
 * `<dataDir>/pglite`) and applies its migrations (SPEC §1 embedded default).
 *
 * @example
 * const db = await openDatabase(config, fileURLToPath(new URL('../migrations', import.meta.url)));
 */
export async function openDatabase(
  config: { databaseUrl: string | undefined; dataDir: string },
  migrationsDir: string,
): Promise<Database> {
  const db = await createDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pglite') },
  );
  await migrate(db, { directory: migrationsDir });
  return db;
}

/** Something the app starts before serving and stops after draining (cache, batcher…). */
export interface Part {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

export interface RunOptions {
  name: string;
  host: string;
  port: number;
  logger: Logger;
  handler: RequestListener;
  db: Database;
  redis?: RedisPair | undefined;
  /** Started in order before listening, stopped in reverse order after the drain. */
  parts: readonly Part[];
}

/**
 * Starts the parts, serves, and on SIGTERM drains, stops the parts in reverse order (so batched
 * writes reach the database), then closes Redis and the database (SPEC §8).
 *
 * @example
 * await runService({ name: 'instance-api', host, port, logger, handler: app.callback(), db, redis: pair, parts: [cachePart, deps.usage] });
 */
export async function runService(options: RunOptions): Promise<Serving> {
  const { name, logger, db, redis, parts } = options;
  for (const part of parts) await part.start();
  const serving = await serve(options.handler, {
    name,
    host: options.host,
    port: options.port,
    logger,
    onDrained: async () => {
      for (const part of [...parts].reverse()) await part.stop();
      await redis?.close();
      await db.close();
    },
  });
  logger.info({ redis: Boolean(redis), database: db.kind }, `${name} started`);
  return serving;
}
