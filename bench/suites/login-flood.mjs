// SPEC §9 row 7: the p99 of a cheap route (`/healthz`) during a login flood (argon2id with the
// production parameters) against its p99 without the flood, on the same issuer process. The
// flood is bounded: FLOOD_CONNECTIONS concurrent logins for the length of one measurement.
//
// CPU: the quiet probe's server CPU µs per request is the cost of the cheap route itself; during
// the flood the process's CPU is mostly argon2 (on libuv threads pinned to the same core), so the
// flooded probe's figure is reported as the flood's server CPU per login instead.
import { fileURLToPath } from 'node:url';
import { generator, load, median, round3, spread, startServer, verdict } from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/tcs-issuer.mjs', import.meta.url));
const FLOOD_CONNECTIONS = 16;
// The cheap route's load: enough to measure a p99, light enough that it is not itself a flood.
const PROBE_CONNECTIONS = 10;
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
  const app = await startServer(server, [], 'tcs-issuer');
  try {
    const healthz = {
      url: `http://127.0.0.1:${app.port}/healthz`,
      connections: PROBE_CONNECTIONS,
      server: app,
    };
    const login = {
      app,
      url: `http://127.0.0.1:${app.port}/v1/auth/login`,
      body: JSON.stringify({ uuid: app.uuid, password: app.password }),
    };
    await load({ ...healthz, durationSeconds: settings.warmupSeconds });
    await flood({ ...login, seconds: settings.warmupSeconds });

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
        floodConnections: FLOOD_CONNECTIONS,
        probeConnections: PROBE_CONNECTIONS,
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
  }
}
