import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, migrate } from '@portcullis/db';
import { Redis } from 'ioredis';
import { createApp } from './app.js';
import { buildDeps } from './deps.js';
import { readConfig } from './env.js';
import { createLogger } from './logger.js';

// The only place that starts things: reads the environment, connects, migrates, listens, and
// drains on SIGTERM (SPEC §8).
const result = readConfig(process.env);
if (!result.ok) {
  for (const problem of result.problems) process.stderr.write(`instance-api: ${problem}\n`);
  process.exit(1);
}
const config = result.config;
const logger = createLogger(config.logLevel);

const db = await createDatabase(
  config.databaseUrl ? { url: config.databaseUrl } : { dataDir: join(config.dataDir, 'pglite') },
);
await migrate(db, { directory: fileURLToPath(new URL('../migrations', import.meta.url)) });

// Fail fast instead of queueing behind a dead Redis: the cache and limiters fall back at once.
const redisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  commandTimeout: 500,
  retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
} as const;
const redis = config.redisUrl
  ? new Redis(config.redisUrl, { ...redisOptions, lazyConnect: true })
  : undefined;
const subscriber = redis?.duplicate({ ...redisOptions, commandTimeout: undefined });
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
deps.lastUsed.start();

const app = createApp(deps);
const server = createServer(app.callback());
server.on('error', (err: NodeJS.ErrnoException) => {
  process.stderr.write(
    `instance-api: cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}\n`,
  );
  process.exit(1);
});
server.listen(config.port, config.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  process.stdout.write(`instance-api listening on http://${config.host}:${port}\n`);
  if (config.adminTokenGenerated) {
    process.stdout.write(`instance-api admin token (generated for this run): ${config.adminToken}\n`);
  }
  logger.info({ port, redis: Boolean(redis), database: db.kind }, 'instance-api started');
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'instance-api draining');
  const force = setTimeout(() => server.closeAllConnections(), 10_000);
  force.unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  clearTimeout(force);
  await deps.lastUsed.stop();
  await deps.keyCache.close();
  await Promise.all([redis?.quit(), subscriber?.quit()].map((p) => p?.catch(() => undefined)));
  await db.close();
  logger.info('instance-api stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
