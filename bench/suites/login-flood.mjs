// SPEC §9 row 7: the p99 of a cheap route (`/healthz`) during a login flood (argon2id with the
// production parameters) against its p99 without the flood, on the same issuer process. The
// flood is bounded: FLOOD_CONNECTIONS concurrent logins for the length of one measurement.
//
// Method, and why:
// - The probe is a fixed offered load below saturation (PROBE_CONNECTIONS connections, each
//   waiting PROBE_DELAY_MS between requests): its p99 is the time a request takes. A saturating
//   probe would report the length of the server's queue, i.e. its throughput, not its latency.
// - The server's event loop has its core to itself and argon2 runs on libuv's pool on the other
//   core (`separateEventLoop`), as on any deployment with more than one core, where the hasher
//   runs at most (cores − 1) hashes at once precisely so that the event loop keeps a core. Pinning
//   the whole process to one core instead makes every hash compete with the event loop for that
//   core, which measures a machine no one would deploy on.
//
// - The issuer runs on Postgres (DATABASE_URL, a fresh schema), as production requires: on the
//   embedded database every query runs on the event loop's own thread (PGlite is WebAssembly in
//   the process), so each login would stall the event loop for the length of its queries, which
//   no deployment does. Without a reachable Postgres the suite falls back to the embedded
//   database and says so in its result.
//
// CPU: the quiet probe's server CPU µs per request is the cost of the cheap route itself; during
// the flood the process's CPU is mostly argon2, so the flood's server CPU per login is reported.
import { fileURLToPath } from 'node:url';
import { createPostgresSchema } from '@portcullis/testing';
import {
  generator,
  load,
  median,
  round3,
  separateEventLoop,
  spread,
  startServer,
  verdict,
} from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/tcs-issuer.mjs', import.meta.url));
const FLOOD_CONNECTIONS = 16;
// The cheap route's load: a fixed offered load of about 2 500 requests per second (each connection
// waits PROBE_DELAY_MS between its requests), enough samples for a p99, far below saturation.
const PROBE_CONNECTIONS = 4;
const PROBE_DELAY_MS = 1;
const BAR = 3;

/** Runs the login flood for `seconds`; resolves with { logins, rps, cpuUsPerLogin }. */
async function flood({ app, url, body, seconds }) {
  const result = await load({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: FLOOD_CONNECTIONS,
    durationSeconds: seconds,
    server: app,
  });
  return {
    logins: result.requests,
    rps: result.rps,
    p99Ms: result.p99Ms,
    // Includes the probe's requests that ran inside the flood: a few per cent of a login's cost.
    cpuUsPerLogin: result.cpuUsPerRequest,
    coreBusy: result.coreBusy,
  };
}

export async function loginFloodSuite(settings) {
  let schema;
  let database = 'postgres';
  try {
    schema = await createPostgresSchema(settings.databaseUrl, {
      prefix: 'bench_flood',
      connectTimeoutMs: 3_000,
    });
  } catch (error) {
    // Never echo the URL: it may hold a password.
    database = `embedded (no Postgres reachable at DATABASE_URL: ${error.message})`;
    process.stdout.write(`loginFlood: ${database}\n`);
  }
  const app = await startServer(server, schema ? ['--database-url', schema.url] : [], 'tcs-issuer').catch(
    async (error) => {
      await schema?.drop();
      throw error;
    },
  );
  try {
    const healthz = {
      url: `http://127.0.0.1:${app.port}/healthz`,
      connections: PROBE_CONNECTIONS,
      delayMs: PROBE_DELAY_MS,
      server: app,
    };
    const login = {
      app,
      url: `http://127.0.0.1:${app.port}/v1/auth/login`,
      body: JSON.stringify({ uuid: app.uuid, password: app.password }),
    };
    await load({ ...healthz, durationSeconds: settings.warmupSeconds });
    await flood({ ...login, seconds: settings.warmupSeconds });
    // After the warm-up's hashes, so libuv's pool exists and moves too.
    const threads = separateEventLoop(app.pid);

    const quiet = [];
    const flooded = [];
    const floods = [];
    for (let round = 0; round < settings.rounds; round += 1) {
      quiet.push(await load({ ...healthz, durationSeconds: settings.durationSeconds }));
      // The flood starts first and outlasts the probe, so the probe runs wholly inside it.
      const running = flood({ ...login, seconds: settings.durationSeconds + 2 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      flooded.push(await load({ ...healthz, durationSeconds: settings.durationSeconds }));
      floods.push(await running);
    }
    const r = spread(quiet.map((q, i) => flooded[i].p99Ms / q.p99Ms));
    const quietP99Ms = round3(median(quiet.map((s) => s.p99Ms)));
    const floodedP99Ms = round3(median(flooded.map((s) => s.p99Ms)));
    return {
      results: {
        loginFloodHealthzP99: {
          ratio: r,
          bar: BAR,
          lowerIsBetter: true,
          p99Ms: { variant: floodedP99Ms, baseline: quietP99Ms },
          rps: {
            variant: round3(median(flooded.map((s) => s.rps))),
            baseline: round3(median(quiet.map((s) => s.rps))),
          },
          cpuUsPerRequest: { baseline: round3(median(quiet.map((s) => s.cpuUsPerRequest))) },
          cpuUsPerLogin: round3(median(floods.map((f) => f.cpuUsPerLogin))),
          latencyResolutionMs: generator.latencyResolutionMs,
          ...verdict(r.median <= BAR, { latency: true }),
        },
      },
      detail: {
        database,
        floodConnections: FLOOD_CONNECTIONS,
        probeConnections: PROBE_CONNECTIONS,
        probeDelayMsPerConnection: PROBE_DELAY_MS,
        threadPlacement: threads,
        quietP99Ms,
        floodedP99Ms,
        floodLoginsPerSecond: round3(median(floods.map((f) => f.rps))),
        cpuNote:
          'flooded probe rounds’ cpuUsPerRequest includes the flood’s argon2 work; see floods[].cpuUsPerLogin',
        rounds: { quiet, flooded, floods },
      },
    };
  } finally {
    await app.stop();
    await schema?.drop();
  }
}
