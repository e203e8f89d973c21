// A bench server: the real instance API (compiled), on an in-memory embedded database, with one
// instance and key. Prints one JSON line { port, key } when it is ready.
//   node servers/instance-api.mjs --redis redis://127.0.0.1:PORT [--l1 off]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Router from '@koa/router';
import { createDatabase, migrate } from '@portcullis/db';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../../apps/instance-api/dist/app.js';
import { buildDeps } from '../../apps/instance-api/dist/deps.js';
import { send } from '../../apps/instance-api/dist/respond.js';

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
// routers), with no auth, no per-key limiter and no service gate.
const baseline = new Router({ prefix: '/bench' });
baseline.get('/services/custody', (ctx) => send(ctx, deps.now, { service: 'custody', enabled: true }));
// CPU time of this process, for cost-per-request figures next to req/s.
baseline.get('/cpu', (ctx) => {
  ctx.body = process.cpuUsage();
});
app.use(baseline.routes());
const server = createServer(app.callback());
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

const res = await fetch(`http://127.0.0.1:${server.address().port}/admin/instances`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'bench' }),
});
const { data } = await res.json();
process.stdout.write(`${JSON.stringify({ port: server.address().port, key: data.apiKey })}\n`);

process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections();
  await deps.keyCache.close();
  redis?.disconnect();
  subscriber?.disconnect();
  await db.close();
  process.exit(0);
});
