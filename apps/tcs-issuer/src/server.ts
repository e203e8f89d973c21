import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectRedisPair, createLogger, openDatabase, runService } from '@portcullis/app-kit';
import { createApp } from './app.js';
import { loadOrCreateCa } from './crypto/ca.js';
import { createSealer } from './crypto/seal.js';
import { buildDeps } from './deps.js';
import { readConfig } from './env.js';
import { loadOrCreateKeyFile } from './key-file.js';

// The only place that starts things: reads the environment, connects, migrates, loads the
// signing key, listens, and drains on SIGTERM (SPEC §8).
const result = readConfig();
if (!result.ok) {
  for (const problem of result.problems) process.stderr.write(`tcs-issuer: ${problem}\n`);
  process.exit(1);
}
const config = result.config;
const logger = createLogger({ app: 'tcs-issuer', level: config.logLevel });
const keyEncryptionKey =
  config.keyEncryptionKey ?? (await loadOrCreateKeyFile(join(config.dataDir, 'key-encryption-key')));
// The local CA of es256_x509 leaf certificates, created in DATA_DIR on first start.
const ca = await loadOrCreateCa({
  dataDir: config.dataDir,
  sealer: createSealer(keyEncryptionKey),
  now: Date.now,
});
const db = await openDatabase(config, fileURLToPath(new URL('../migrations', import.meta.url)));
const pair = config.redisUrl ? await connectRedisPair(config.redisUrl, logger) : undefined;

const deps = buildDeps({
  db,
  redis: pair?.redis,
  subscriber: pair?.subscriber,
  adminToken: config.adminToken,
  keyEncryptionKey,
  ca,
  publicUrl: config.publicUrl,
  accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  logger,
  limits: config.limits,
  trustProxy: config.trustProxy,
  trustProxyHops: config.trustProxyHops,
});
// Printed before the "listening" line, so whoever reads this output (`pnpm start`) has the token
// by the time the app is up.
if (config.adminTokenGenerated) {
  process.stdout.write(`tcs-issuer admin token (generated for this run): ${config.adminToken}\n`);
}
await runService({
  name: 'tcs-issuer',
  host: config.host,
  port: config.port,
  logger,
  handler: createApp(deps).callback(),
  db,
  redis: pair,
  parts: [
    { start: () => deps.keyCache.start(), stop: () => deps.keyCache.close() },
    { start: () => deps.tokens.start(), stop: async () => undefined },
    // The first unknown-uuid login is as slow as the others (the dummy hash is made at boot).
    { start: () => deps.hasher.warmUp(), stop: async () => undefined },
  ],
});
