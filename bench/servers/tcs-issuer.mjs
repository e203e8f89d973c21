// A bench server: the real TCS issuer (compiled) with the production argon2id parameters
// (SPEC §3: m = 19 MiB, t = 2, p = 1), on Postgres when given `--database-url` (as a production
// deployment must run) and on an in-memory embedded database otherwise. Creates and approves one
// tenant, then prints one JSON line { port, cpuPort, uuid, password } when ready.
//   node servers/tcs-issuer.mjs [--database-url postgres://…]
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createDatabase, migrate } from '@portcullis/db';
import { pino } from 'pino';
import { createApp } from '../../apps/tcs-issuer/dist/app.js';
import { loadOrCreateCa } from '../../apps/tcs-issuer/dist/crypto/ca.js';
import { createSealer } from '../../apps/tcs-issuer/dist/crypto/seal.js';
import { buildDeps } from '../../apps/tcs-issuer/dist/deps.js';
import { serveCpuEndpoint } from './cpu-endpoint.mjs';

const { values } = parseArgs({ options: { 'database-url': { type: 'string' } } });
const adminToken = randomBytes(32).toString('hex');
const db = await createDatabase(
  values['database-url'] ? { url: values['database-url'] } : { dataDir: 'memory://' },
);
await migrate(db, { directory: new URL('../../apps/tcs-issuer/migrations', import.meta.url).pathname });
const keyEncryptionKey = randomBytes(32);
const deps = buildDeps({
  db,
  adminToken,
  keyEncryptionKey,
  ca: await loadOrCreateCa({ dataDir: undefined, sealer: createSealer(keyEncryptionKey), now: Date.now }),
  publicUrl: 'http://127.0.0.1',
  logger: pino({ level: 'silent' }),
  // The flood is of successful logins (never counted), so the limits play no part; raised anyway
  // so a stray failure cannot turn the flood into cheap 429s.
  limits: { loginFailuresPer15Min: 1e9, adminAuthPer15Min: 1e9 },
});
await deps.keyCache.start();
await deps.tokens.start();
await deps.hasher.warmUp();
const server = createServer(createApp(deps).callback());
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };

const created = await (
  await fetch(`${base}/admin/tenants`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({
      slug: 'bench',
      organizationName: 'Bench',
      ownerEmail: 'bench@example.com',
      signingProfile: 'eddsa_did',
    }),
  })
).json();
const approved = await fetch(`${base}/admin/tenants/bench/approve`, { method: 'POST', headers: admin });
if (approved.status !== 200) throw new Error(`approve answered ${approved.status}`);
const check = await fetch(`${base}/v1/auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ uuid: created.uuid, password: created.initialPassword }),
});
if (check.status !== 200) throw new Error(`login answered ${check.status}`);

const cpuPort = await serveCpuEndpoint();

process.stdout.write(
  `${JSON.stringify({ port: server.address().port, cpuPort, uuid: created.uuid, password: created.initialPassword })}\n`,
);

process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections();
  await deps.keyCache.close();
  await db.close();
  process.exit(0);
});
