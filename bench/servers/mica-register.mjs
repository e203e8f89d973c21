// A bench server: the real MiCA Register API (compiled) on an in-memory embedded database with
// the shipped ESMA snapshot, plus a bare Koa app on a second port that serves the very same
// issuers JSON (and a third serving the same bytes). Prints one JSON line
// { port, barePort, bareBytesPort, cpuPort, key, bytes } when ready.
import { createServer } from 'node:http';
import { createDatabase, migrate } from '@portcullis/db';
import Koa from 'koa';
import { pino } from 'pino';
import { createApp } from '../../apps/mica-register/dist/app.js';
import { buildDeps } from '../../apps/mica-register/dist/deps.js';
import { ensureImported, SHIPPED_SNAPSHOT_DIR } from '../../apps/mica-register/dist/store/register.js';
import { serveCpuEndpoint } from './cpu-endpoint.mjs';

const db = await createDatabase({ dataDir: 'memory://' });
await migrate(db, { directory: new URL('../../apps/mica-register/migrations', import.meta.url).pathname });
await ensureImported(db, SHIPPED_SNAPSHOT_DIR, { now: Date.now });
const deps = buildDeps({
  db,
  logger: pino({ level: 'silent' }),
  // Limits high enough never to refuse during the run; they are still counted per request.
  limits: { perMinute: 1e9, perDay: 1e9, registerPer15Min: 1e9 },
});
await deps.keyCache.start();
const server = createServer(createApp(deps).callback());
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const registered = await (
  await fetch(`${base}/api/mica/developer/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench', email: 'bench@example.com' }),
  })
).json();
const key = registered.apiKey;

// The same payload, captured once from the app, served by the barest Koa app.
const sample = await fetch(`${base}/api/mica/v1/issuers`, { headers: { 'x-api-key': key } });
const payload = await sample.text();
if (sample.status !== 200) throw new Error(`issuers answered ${sample.status}`);
// Two bare Koa apps answer the same JSON: the SPEC §9 baseline serves it as a JSON string (what a
// bare Koa app does with a prepared payload), the stricter one serves the bytes encoded once
// (no encoding or length scan per request either), reported alongside for transparency.
const payloadBytes = Buffer.from(payload, 'utf8');
const bareServer = await serveBare(payload);
const bareBytesServer = await serveBare(payloadBytes);

async function serveBare(body) {
  const bare = new Koa();
  bare.use((ctx) => {
    ctx.type = 'application/json';
    ctx.body = body;
  });
  const listening = createServer(bare.callback());
  listening.keepAliveTimeout = 60_000;
  await new Promise((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return listening;
}

const cpuPort = await serveCpuEndpoint();

process.stdout.write(
  `${JSON.stringify({ port: server.address().port, barePort: bareServer.address().port, bareBytesPort: bareBytesServer.address().port, cpuPort, key, bytes: payloadBytes.length })}\n`,
);

process.on('SIGTERM', async () => {
  for (const s of [server, bareServer, bareBytesServer]) {
    s.close();
    s.closeAllConnections();
  }
  await deps.keyCache.close();
  await db.close();
  process.exit(0);
});
