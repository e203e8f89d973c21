import { fileURLToPath } from 'node:url';
import { connectRedisPair, createLogger, openDatabase, runService } from '@portcullis/app-kit';
import { createApp } from './app.js';
import { buildDeps } from './deps.js';
import { readConfig } from './env.js';

// The only place that starts things: reads the environment, connects, migrates, listens, and
// drains on SIGTERM (SPEC §8).
const result = readConfig();
if (!result.ok) {
  for (const problem of result.problems) process.stderr.write(`instance-api: ${problem}\n`);
  process.exit(1);
}
const config = result.config;
const logger = createLogger({ app: 'instance-api', level: config.logLevel });
const db = await openDatabase(config, fileURLToPath(new URL('../migrations', import.meta.url)));
const pair = config.redisUrl ? await connectRedisPair(config.redisUrl, logger) : undefined;

const deps = buildDeps({
  db,
  redis: pair?.redis,
  subscriber: pair?.subscriber,
  adminToken: config.adminToken,
  logger,
  limits: config.limits,
  trustProxy: config.trustProxy,
  trustProxyHops: config.trustProxyHops,
  publicUrl: config.publicUrl,
  tokenFactoryAddress: config.tokenFactoryAddress,
});
// Printed before the "listening" line, so whoever reads this output (`pnpm start`) has the token
// by the time the app is up.
if (config.adminTokenGenerated) {
  process.stdout.write(`instance-api admin token (generated for this run): ${config.adminToken}\n`);
}
await runService({
  name: 'instance-api',
  host: config.host,
  port: config.port,
  logger,
  handler: createApp(deps).callback(),
  db,
  redis: pair,
  parts: [{ start: () => deps.keyCache.start(), stop: () => deps.keyCache.close() }, deps.usage],
});
