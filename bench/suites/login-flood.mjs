// SPEC §9 row 5: the p99 of a cheap route (`/healthz`) during a login flood (argon2id with the
// production parameters) against its p99 without the flood, on the same issuer process. The
// flood is bounded: FLOOD_CONNECTIONS concurrent logins for the length of one measurement.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { hasTaskset, hasWrk, load, round3, startServer } from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/tcs-issuer.mjs', import.meta.url));
const FLOOD_CONNECTIONS = 16;
// The cheap route's load: enough to measure a p99, light enough that it is not itself a flood.
const PROBE_CONNECTIONS = 10;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Starts the login flood for `seconds`; resolves with { logins, rps } when it ends. */
function startFlood({ url, body, seconds }) {
  if (hasWrk) {
    const dir = mkdtempSync(join(tmpdir(), 'pc-flood-'));
    const script = join(dir, 'login.lua');
    writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
    );
    const argv = ['-t1', `-c${FLOOD_CONNECTIONS}`, `-d${seconds}s`, '-s', script, url];
    const command = hasTaskset ? 'taskset' : 'wrk';
    const child = spawn(command, hasTaskset ? ['-c', '1', 'wrk', ...argv] : argv, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    return once(child, 'exit').then(([code]) => {
      rmSync(dir, { recursive: true, force: true });
      const total = /(\d+) requests in/.exec(out);
      const failed = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      if (code !== 0 || !total) throw new Error(`login flood failed:\n${out}`);
      if (failed) throw new Error(`login flood: ${failed[1]} failed logins`);
      return { logins: Number(total[1]), rps: round3(Number(total[1]) / seconds) };
    });
  }
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: FLOOD_CONNECTIONS,
    duration: seconds,
  }).then((result) => {
    if (result.non2xx + result.errors > 0) throw new Error('login flood: failed logins');
    return { logins: result.requests.total, rps: result.requests.average };
  });
}

export async function loginFloodSuite(settings) {
  const app = await startServer(server);
  try {
    const healthz = { url: `http://127.0.0.1:${app.port}/healthz`, connections: PROBE_CONNECTIONS };
    const flood = {
      url: `http://127.0.0.1:${app.port}/v1/auth/login`,
      body: JSON.stringify({ uuid: app.uuid, password: app.password }),
    };
    await load({ ...healthz, durationSeconds: settings.warmupSeconds });
    await startFlood({ ...flood, seconds: settings.warmupSeconds });

    const quiet = [];
    const flooded = [];
    const floods = [];
    for (let round = 0; round < settings.rounds; round += 1) {
      quiet.push(await load({ ...healthz, durationSeconds: settings.durationSeconds }));
      // The flood starts first and outlasts the probe, so the probe runs wholly inside it.
      const running = startFlood({ ...flood, seconds: settings.durationSeconds + 2 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      flooded.push(await load({ ...healthz, durationSeconds: settings.durationSeconds }));
      floods.push(await running);
    }
    const ratios = quiet.map((q, i) => flooded[i].p99Ms / q.p99Ms);
    const r = {
      median: round3(median(ratios)),
      min: round3(Math.min(...ratios)),
      max: round3(Math.max(...ratios)),
    };
    return {
      results: { loginFloodHealthzP99: { ratio: r, bar: 3, pass: r.median <= 3, lowerIsBetter: true } },
      detail: {
        floodConnections: FLOOD_CONNECTIONS,
        probeConnections: PROBE_CONNECTIONS,
        quietP99Ms: round3(median(quiet.map((s) => s.p99Ms))),
        floodedP99Ms: round3(median(flooded.map((s) => s.p99Ms))),
        floodLoginsPerSecond: round3(median(floods.map((f) => f.rps))),
        rounds: { quiet, flooded, floods },
      },
    };
  } finally {
    await app.stop();
  }
}
