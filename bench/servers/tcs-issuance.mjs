// A bench server for the issuance rows: the real TCS issuer (compiled) as one node process — of a
// multi-process deployment with `--database-url` and `--redis-url` (Postgres; Redis for c_nonces,
// DPoP jtis and the key cache), else of a single-node one (embedded database in memory, which then
// keeps those) — with a local CA in memory and one approved `es256_x509` tenant. Next to it,
// in the same process, a bare Koa app answering whatever bytes it was last given as
// `application/statuslist+jwt` (the status-list baseline), and a control port that sets those
// bytes, so a baseline round serves exactly the token the app served in the round before.
// Prints one JSON line { port, publicUrl, barePort, controlPort, cpuPort, slug, apiKey } when ready.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { connectRedisPair } from '@portcullis/app-kit';
import { createDatabase, migrate } from '@portcullis/db';
import Koa from 'koa';
import { pino } from 'pino';
import { createApp } from '../../apps/tcs-issuer/dist/app.js';
import { loadOrCreateCa } from '../../apps/tcs-issuer/dist/crypto/ca.js';
import { createSealer } from '../../apps/tcs-issuer/dist/crypto/seal.js';
import { buildDeps } from '../../apps/tcs-issuer/dist/deps.js';
import { serveCpuEndpoint } from './cpu-endpoint.mjs';

const STATUS_LIST_MEDIA_TYPE = 'application/statuslist+jwt';
const adminToken = randomBytes(32).toString('hex');
const keyEncryptionKey = new Uint8Array(randomBytes(32));

// `--database-url` and `--redis-url`: one process of a multi-process deployment (Postgres, and
// Redis for c_nonces, DPoP jtis, the key cache and limits) instead of the single-node default.
const { values } = parseArgs({
  options: { 'database-url': { type: 'string' }, 'redis-url': { type: 'string' } },
});
const db = await createDatabase(
  values['database-url'] ? { url: values['database-url'] } : { dataDir: 'memory://' },
);
const redisUrl = values['redis-url'];
// The Redis clients exactly as the app's server connects them.
const pair = redisUrl ? await connectRedisPair(redisUrl, pino({ level: 'silent' })) : undefined;
const redis = pair?.redis;
const subscriber = pair?.subscriber;
await migrate(db, { directory: new URL('../../apps/tcs-issuer/migrations', import.meta.url).pathname });
const ca = await loadOrCreateCa({
  dataDir: undefined,
  sealer: createSealer(keyEncryptionKey),
  now: Date.now,
});

// Listening first, so PUBLIC_URL is the app's own address: the DPoP `htu` and the key proofs'
// `aud` the bench signs name the URL it really calls.
let handler = (_req, res) => res.writeHead(503).end();
const server = createServer((req, res) => handler(req, res));
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const publicUrl = `http://127.0.0.1:${server.address().port}`;

const deps = buildDeps({
  db,
  redis,
  subscriber,
  redisPrefix: `bench:${randomBytes(4).toString('hex')}`,
  adminToken,
  keyEncryptionKey,
  ca,
  publicUrl,
  logger: pino({ level: 'silent' }),
  limits: { loginFailuresPer15Min: 1e9, adminAuthPer15Min: 1e9 },
});
await deps.keyCache.start();
await deps.tokens.start();
handler = createApp(deps).callback();

const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
const slug = 'bench-x509';
const createdRes = await fetch(`${publicUrl}/admin/tenants`, {
  method: 'POST',
  headers: admin,
  body: JSON.stringify({
    slug,
    organizationName: 'Bench Issuer',
    ownerEmail: 'bench@example.com',
    signingProfile: 'es256_x509',
  }),
});
if (createdRes.status !== 201) throw new Error(`tenant create answered ${createdRes.status}`);
const created = await createdRes.json();
const approved = await fetch(`${publicUrl}/admin/tenants/${slug}/approve`, {
  method: 'POST',
  headers: admin,
});
if (approved.status !== 200) throw new Error(`approve answered ${approved.status}`);

// The status-list baseline: the barest Koa app answering the given bytes with the app's media type.
let bareBody = Buffer.alloc(0);
const bare = new Koa();
bare.use((ctx) => {
  ctx.set('Content-Type', STATUS_LIST_MEDIA_TYPE);
  ctx.body = bareBody;
});
const bareServer = createServer(bare.callback());
bareServer.keepAliveTimeout = 60_000;
await new Promise((resolve) => bareServer.listen(0, '127.0.0.1', resolve));

// PUT / with the bytes the bare app is to answer from now on. Used between rounds only.
const control = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    bareBody = Buffer.concat(chunks);
    res.end(String(bareBody.length));
  });
});
await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));

const cpuPort = await serveCpuEndpoint();

process.stdout.write(
  `${JSON.stringify({
    port: server.address().port,
    publicUrl,
    barePort: bareServer.address().port,
    controlPort: control.address().port,
    cpuPort,
    slug,
    apiKey: created.apiKey,
  })}\n`,
);

process.on('SIGTERM', async () => {
  for (const s of [server, bareServer, control]) {
    s.close();
    s.closeAllConnections();
  }
  await deps.keyCache.close();
  await pair?.close();
  await db.close();
  process.exit(0);
});
