// A bench server: the real instance API (compiled), on an in-memory embedded database, with one
// instance and key, plus a bare Koa app on a second port that serves the very body the app
// answers on the authenticated route (the baseline of "the whole app against a bare Koa app").
// Prints one JSON line { port, barePort, bareTurnPort, cpuPort, key } when it is ready.
//   node servers/instance-api.mjs --redis redis://127.0.0.1:PORT [--l1 off]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createDatabase, migrate } from '@portcullis/db';
import { appRouter, guardedRoutes } from '@portcullis/routes';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../../apps/instance-api/dist/app.js';
import { buildDeps } from '../../apps/instance-api/dist/deps.js';
import { envelopeJson } from '../../apps/instance-api/dist/http.js';
import { bareKoaApps } from '../lib/bare-koa.mjs';
import { serveCpuEndpoint } from './cpu-endpoint.mjs';

const { values } = parseArgs({
  options: { redis: { type: 'string' }, l1: { type: 'string', default: 'on' } },
});

const db = await createDatabase({ dataDir: 'memory://' });
await migrate(db, { directory: new URL('../../apps/instance-api/migrations', import.meta.url).pathname });
const redisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true };
const redis = values.redis ? new Redis(values.redis, redisOptions) : undefined;
const subscriber = values.redis ? new Redis(values.redis, redisOptions) : undefined;
await Promise.all([redis?.connect(), subscriber?.connect()]);

const adminToken = 'bench-admin-token-0123456789abcdef';
const deps = buildDeps({
  db,
  redis,
  subscriber,
  adminToken,
  logger: pino({ level: 'silent' }),
  // The SPEC §9 bars are about auth: limits are counted in process memory here, so a limiter's
  // Redis round trip is not charged to auth. Limits high enough never to refuse.
  limitStore: 'memory',
  limits: { keyPerMin: 1e6, ipPerMin: 1e6, keyMgmtPerMin: 1e6, authPer15Min: 1e6 },
  l1: values.l1 === 'off' ? false : {},
  redisPrefix: `bench:${process.pid}`,
});
await deps.keyCache.start();
const app = createApp(deps);
// The baseline: the authenticated route's handler at the same routing depth (after the app's own
// routers), routed as the app routes it (an app router behind `guardedRoutes`), with no auth, no
// per-key limiter and no service gate.
const baseline = appRouter({ prefix: '/bench' });
// The same handler work as the app's service check: constant data serialised once.
const custody = JSON.stringify({ service: 'custody', enabled: true });
baseline.get('/services/custody', (ctx) => {
  ctx.set('Content-Type', 'application/json; charset=utf-8');
  ctx.body = envelopeJson(ctx, deps.now, custody);
});
app.use(guardedRoutes(baseline, { prefixes: ['/bench'] }));
const server = createServer(app.callback());
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const res = await fetch(`http://127.0.0.1:${server.address().port}/admin/instances`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'bench' }),
});
const { data } = await res.json();
const key = data.apiKey;

// The whole-app baseline: the barest Koa app serving, as a JSON string, the body the app answers
// on the authenticated route (captured once; only its request id and timestamp differ per request).
const sample = await fetch(`http://127.0.0.1:${server.address().port}/api/v2/services/custody`, {
  headers: { 'x-api-key': key },
});
if (sample.status !== 200) throw new Error(`/api/v2/services/custody answered ${sample.status}`);
const body = await sample.text();
// Beside it, the same bare app sending its responses at the end of each event-loop turn as the
// app's pipeline sends them: reported beside the bar, so what the barrier saves is not mistaken
// for a pipeline that costs nothing.
const { bare, bareTurn } = bareKoaApps(body);
const bareServer = createServer(bare.callback());
bareServer.keepAliveTimeout = 60_000;
await new Promise((resolve) => bareServer.listen(0, '127.0.0.1', resolve));
const bareTurnServer = createServer(bareTurn.callback());
bareTurnServer.keepAliveTimeout = 60_000;
await new Promise((resolve) => bareTurnServer.listen(0, '127.0.0.1', resolve));
const cpuPort = await serveCpuEndpoint();

process.stdout.write(
  `${JSON.stringify({ port: server.address().port, barePort: bareServer.address().port, bareTurnPort: bareTurnServer.address().port, cpuPort, key })}\n`,
);

process.on('SIGTERM', async () => {
  for (const s of [server, bareServer, bareTurnServer]) {
    s.close();
    s.closeAllConnections();
  }
  await deps.keyCache.close();
  redis?.disconnect();
  subscriber?.disconnect();
  await db.close();
  process.exit(0);
});
