import { fileURLToPath } from 'node:url';
import { connectRedisPair, createLogger, openDatabase, runService } from '@portcullis/app-kit';
import { createApp } from './app.js';
import { buildDeps } from './deps.js';
import { readConfig } from './env.js';
import { ensureImported, SHIPPED_SNAPSHOT_DIR } from './store/register.js';

// The only place that starts things: reads the environment, connects, migrates, imports the
// shipped ESMA snapshot on first start, listens, and drains on SIGTERM (SPEC §5, §8).
const result = readConfig();
if (!result.ok) {
  for (const problem of result.problems) process.stderr.write(`mica-register: ${problem}\n`);
  process.exit(1);
}
const config = result.config;
const logger = createLogger({ app: 'mica-register', level: config.logLevel });
const db = await openDatabase(config, fileURLToPath(new URL('../migrations', import.meta.url)));
const imported = await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now: Date.now });
if (imported) {
  logger.info(
    {
      files: imported.files.map((f) => ({
        file: f.file,
        kind: f.kind,
        records: f.records,
        skipped: f.skipped.length,
      })),
    },
    'imported the shipped ESMA register snapshot',
  );
}
const pair = config.redisUrl ? await connectRedisPair(config.redisUrl, logger) : undefined;

const deps = buildDeps({
  db,
  redis: pair?.redis,
  subscriber: pair?.subscriber,
  logger,
  limits: config.limits,
  trustProxy: config.trustProxy,
  trustProxyHops: config.trustProxyHops,
  publicUrl: config.publicUrl,
});
await runService({
  name: 'mica-register',
  host: config.host,
  port: config.port,
  logger,
  handler: createApp(deps).callback(),
  db,
  redis: pair,
  parts: [{ start: () => deps.keyCache.start(), stop: () => deps.keyCache.close() }, deps.usage],
});
