import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, migrate } from '@portcullis/db';
import { connectRedisPair, createLogger, serve } from '@portcullis/service';
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

const pair = config.redisUrl ? await connectRedisPair(config.redisUrl, logger) : undefined;
const redis = pair?.redis;
const subscriber = pair?.subscriber;

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
    await pair?.close();
    await db.close();
  },
});
if (config.adminTokenGenerated) {
  process.stdout.write(`instance-api admin token (generated for this run): ${config.adminToken}\n`);
}
logger.info({ redis: Boolean(redis), database: db.kind }, 'instance-api started');
