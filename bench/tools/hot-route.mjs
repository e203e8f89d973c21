// The instance API's authenticated hot route measured in process, without sockets: every request
// is an IncomingMessage / ServerResponse pair on a socket that discards what it is written, 50
// requests per event-loop turn, so neither the kernel's loopback nor the client's wake-ups nor a
// load generator sharing the machine is part of the figure. It prints the process CPU µs per
// request of the app's `GET /api/v2/services/custody` (an L1-cached key, limits in memory, logger
// silent), of a bare Koa app answering the same body, of that bare app with the app's turn
// barrier, and of that with the five response headers the app adds, as medians over interleaved
// rounds. No bar: a steady figure to compare two builds of
// the pipeline with (build first; pin it to one core for steadier figures).
//
//   pnpm build && taskset -c 0 node bench/tools/hot-route.mjs     # HOT_ROUTE_REQUESTS, HOT_ROUTE_ROUNDS
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { createDatabase, migrate } from '@portcullis/db';
import { pino } from 'pino';
import { createApp } from '../../apps/instance-api/dist/app.js';
import { buildDeps } from '../../apps/instance-api/dist/deps.js';
import { bareKoaApps } from '../lib/bare-koa.mjs';

const REQUESTS = Number(process.env.HOT_ROUTE_REQUESTS ?? 40_000);
const ROUNDS = Number(process.env.HOT_ROUTE_ROUNDS ?? 5);
const PER_TURN = 50;

const db = await createDatabase({ dataDir: 'memory://' });
await migrate(db, { directory: new URL('../../apps/instance-api/migrations', import.meta.url).pathname });
const adminToken = 'bench-admin-token-0123456789abcdef';
const deps = buildDeps({
  db,
  adminToken,
  logger: pino({ level: 'silent' }),
  limitStore: 'memory',
  limits: { keyPerMin: 1e9, ipPerMin: 1e9, keyMgmtPerMin: 1e9, authPer15Min: 1e9 },
  l1: {},
  redisPrefix: 'hot-route',
});
await deps.keyCache.start();
const app = createApp(deps).callback();

// The key comes from the operator API over a real socket, once.
const server = createServer(app);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const made = await fetch(`http://127.0.0.1:${server.address().port}/admin/instances`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'hot-route' }),
});
const key = (await made.json()).data.apiKey;
server.close();

/** A socket that accepts and drops every write. */
class Sink extends Duplex {
  _read() {}
  _write(_chunk, _encoding, done) {
    done();
  }
  _writev(_chunks, done) {
    done();
  }
}
const headers = { host: '127.0.0.1', 'x-api-key': key, 'user-agent': 'hot-route', accept: '*/*' };

function call(handler, url) {
  return new Promise((resolve) => {
    const socket = new Sink();
    socket.remoteAddress = '127.0.0.1';
    const req = new IncomingMessage(socket);
    Object.assign(req, {
      method: 'GET',
      url,
      headers,
      httpVersion: '1.1',
      httpVersionMajor: 1,
      httpVersionMinor: 1,
    });
    req.push(null);
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => resolve(res.statusCode));
    handler(req, res);
  });
}

const body = JSON.stringify({ success: true, data: { service: 'custody', enabled: true } });
const { bare, bareTurn, bareTurnHeaders } = bareKoaApps(body);
const variants = {
  app: [app, '/api/v2/services/custody'],
  bareKoa: [bare.callback(), '/'],
  bareKoaTurn: [bareTurn.callback(), '/'],
  bareKoaTurnHeaders: [bareTurnHeaders.callback(), '/'],
};

async function round([handler, url]) {
  const cpu0 = process.cpuUsage();
  for (let sent = 0; sent < REQUESTS; sent += PER_TURN) {
    const statuses = await Promise.all(Array.from({ length: PER_TURN }, () => call(handler, url)));
    if (statuses.some((status) => status !== 200)) throw new Error(`${url} answered ${statuses}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / REQUESTS;
}

for (const variant of Object.values(variants)) await round(variant); // warm-up
const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let r = 0; r < ROUNDS; r += 1) {
  for (const [name, variant] of Object.entries(variants)) samples[name].push(await round(variant));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [name, values] of Object.entries(samples)) {
  const spread = `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  process.stdout.write(`${name.padEnd(19)} ${median(values).toFixed(2)} µs/request (spread ${spread})\n`);
}
const added = (base) => (median(samples.app) - median(samples[base])).toFixed(2);
process.stdout.write(
  `app adds ${added('bareKoa')} µs to bare Koa, ${added('bareKoaTurn')} µs to it with the barrier, ${added('bareKoaTurnHeaders')} µs to that with the five headers\n`,
);
await deps.keyCache.close();
await db.close();
