import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, migrate } from '@portcullis/db';
import { createLogger, serve } from '@portcullis/service';
import { Redis } from 'ioredis';
import { createApp } from './app.js';
import { buildDeps } from './deps.js';
import { readConfig } from './env.js';

// The only place that starts things: reads the environment, connects, migrates, listens, and
// drains on SIGTERM (SPEC §8).
const result = readConfig(process.env);
if (!result.ok) {
  for (const problem of result.problems) process.stderr.write(`instance-api: ${problem}\n`);
  process.exit(1);
}
const config = result.config;
const logger = createLogger({ app: 'instance-api', level: config.logLevel });

const db = await createDatabase(
  config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pglite') },
);
await migrate(db, { directory: fileURLToPath(new URL('../migrations', import.meta.url)) });

// Fail fast instead of queueing behind a dead Redis: the cache and limiters fall back at once.
const redisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
  lazyConnect: true,
} as const;
const redis = config.redisUrl
  ? new Redis(config.redisUrl, { ...redisOptions, commandTimeout: 500 })
  : undefined;
const subscriber = config.redisUrl ? new Redis(config.redisUrl, redisOptions) : undefined;
for (const client of [redis, subscriber]) {
  client?.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
}
await Promise.all([redis?.connect(), subscriber?.connect()].map((p) => p?.catch(() => undefined)));

const deps = buildDeps({
  db,
  redis,
  subscriber,
  adminToken: config.adminToken,
  logger,
  limits: config.limits,
  trustProxy: config.trustProxy,
});
await deps.keyCache.start();
deps.usage.start();

await serve(createApp(deps).callback(), {
  name: 'instance-api',
  host: config.host,
  port: config.port,
  logger,
  onDrained: async () => {
    await deps.usage.stop();
    await deps.keyCache.close();
    await Promise.all([redis?.quit(), subscriber?.quit()].map((p) => p?.catch(() => undefined)));
    await db.close();
  },
});
if (config.adminTokenGenerated) {
  process.stdout.write(`instance-api admin token (generated for this run): ${config.adminToken}\n`);
}
logger.info({ redis: Boolean(redis), database: db.kind }, 'instance-api started');
