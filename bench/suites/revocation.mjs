// SPEC §9 row 6: a key revoked on process A is refused on process B, p99 over ≥ 200 trials.
//
// Two instance-api processes — the compiled app started exactly as in production
// (`apps/instance-api/dist/server.js`, configured by environment) — share one Postgres schema and
// one spawned Redis; rate limits are counted in Redis as in production (limits raised so the
// trials are never refused). Per trial:
//   1. create a key through A (the key cap counts ACTIVE keys; every trial's key ends revoked);
//   2. warm B's L1 with one request with that key (200);
//   3. revoke the key through A;
//   4. poll B with the key, one request after another on one keep-alive connection, until it
//      answers 401.
// The trial's figure is the time from A's revoke response arriving to B's 401 arriving
// (`sinceResponseMs`, the bar's figure: what a caller who has just revoked a key waits for); the
// time from the revoke request being sent is recorded too (`sinceRequestMs`). Both are measured
// here with performance.now(), to the µs. A trial that has no 401 within TRIAL_TIMEOUT_MS is a
// failure, recorded as such, and counts as slower than every other trial in the percentiles.
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createPostgresSchema, getFreePort } from '@portcullis/testing';
import {
  recordServerProcess,
  round3,
  spawnServerProcess,
  startPinnedRedis,
  verdict,
} from '../lib/harness.mjs';

const SERVER = fileURLToPath(new URL('../../apps/instance-api/dist/server.js', import.meta.url));
const BAR_MS = 20;
const TRIAL_TIMEOUT_MS = 2_000;
const REQUEST_TIMEOUT_MS = 5_000;
const WARMUP_TRIALS = 10;
const ADMIN_TOKEN = 'bench-revocation-admin-token-0123456789';
const POLL_ROUTE = '/api/v2/services/custody';

/**
 * One HTTP exchange on a keep-alive agent; resolves with { status, body } (body parsed as JSON
 * when asked). Bounded by REQUEST_TIMEOUT_MS so no trial can hang.
 */
function call(agent, port, { method = 'GET', path, headers = {}, json, readBody = false }) {
  return new Promise((resolve, reject) => {
    const payload = json === undefined ? undefined : JSON.stringify(json);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        if (!readBody) {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode }));
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path} got no answer within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Starts one app process (pinned to the server core) and waits until it answers /readyz.
 * stdout (its access log, at the production level) goes to /dev/null; stderr is kept for errors.
 */
async function startApp(name, env) {
  const port = await getFreePort();
  const child = spawnServerProcess([SERVER], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // A clean environment: nothing from the shell (NODE_ENV, REDIS_URL…) leaks into the app.
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`instance-api ${name} exited with ${child.exitCode}:\n${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`instance-api ${name} was not ready within 30 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    recordServerProcess(`instance-api ${name} (revocation)`, child.pid);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, port, pid: child.pid, stop };
}

/** Nearest-rank percentile of sorted values (Infinity for a failed trial sorts last). */
const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

export async function revocationSuite(settings) {
  let schema;
  try {
    schema = await createPostgresSchema(settings.databaseUrl, {
      prefix: 'bench_rev',
      connectTimeoutMs: 3_000,
    });
  } catch (error) {
    // Never echo the URL: it may hold a password.
    return { skipped: `no Postgres reachable at DATABASE_URL (${error.message})` };
  }
  let redis;
  const apps = [];
  const agentA = new Agent({ keepAlive: true, maxSockets: 1 });
  const agentB = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    redis = await startPinnedRedis('redis (revocation)');
    const env = {
      DATABASE_URL: schema.url,
      REDIS_URL: redis.url,
      ADMIN_TOKEN,
      // Counted in Redis as in production, but never refusing a trial: each trial is a key
      // creation and a revocation (key management), key requests, and one 401 (per address).
      RATE_LIMIT_KEY_PER_MIN: '1000000',
      RATE_LIMIT_IP_PER_MIN: '1000000',
      RATE_LIMIT_KEY_MGMT_PER_MIN: '1000000',
    };
    // A first, so the migrations run once; B then finds them applied.
    const a = await startApp('A', env);
    apps.push(a);
    const b = await startApp('B', env);
    apps.push(b);

    const created = await call(agentA, a.port, {
      method: 'POST',
      path: '/admin/instances',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      json: { name: 'bench revocation' },
      readBody: true,
    });
    if (created.status !== 201) throw new Error(`creating the instance answered ${created.status}`);
    const manager = { 'x-api-key': created.body.data.apiKey };

    const trial = async (i) => {
      const made = await call(agentA, a.port, {
        method: 'POST',
        path: '/api/v2/instance/api-keys',
        headers: manager,
        json: { name: `trial ${i}` },
        readBody: true,
      });
      if (made.status !== 201) throw new Error(`creating trial key ${i} answered ${made.status}`);
      const { id, key } = made.body.data;
      const warm = await call(agentB, b.port, { path: POLL_ROUTE, headers: { 'x-api-key': key } });
      if (warm.status !== 200)
        throw new Error(`B answered ${warm.status} to trial key ${i} before its revocation`);

      const sent = performance.now();
      const revoked = await call(agentA, a.port, {
        method: 'POST',
        path: `/api/v2/instance/api-keys/${id}/revoke`,
        headers: manager,
      });
      const answered = performance.now();
      if (revoked.status !== 200) throw new Error(`revoking trial key ${i} answered ${revoked.status}`);

      let polls = 0;
      for (;;) {
        const { status } = await call(agentB, b.port, { path: POLL_ROUTE, headers: { 'x-api-key': key } });
        const now = performance.now();
        polls += 1;
        if (status === 401) {
          return {
            sinceResponseMs: round3(now - answered),
            sinceRequestMs: round3(now - sent),
            revokeMs: round3(answered - sent),
            polls,
          };
        }
        if (status !== 200) throw new Error(`B answered ${status} while polling trial key ${i}`);
        if (now - answered > TRIAL_TIMEOUT_MS) {
          return {
            failed: `still accepted ${TRIAL_TIMEOUT_MS} ms after the revoke answered`,
            revokeMs: round3(answered - sent),
            polls,
          };
        }
      }
    };

    for (let i = 0; i < WARMUP_TRIALS; i += 1) await trial(`warm-up ${i}`);
    const trials = [];
    for (let i = 0; i < settings.revocationTrials; i += 1) trials.push(await trial(i));

    const failures = trials.filter((t) => t.failed).length;
    const sorted = (field) =>
      trials.map((t) => (t.failed ? Number.POSITIVE_INFINITY : t[field])).sort((x, y) => x - y);
    const stats = (field) => {
      const s = sorted(field);
      return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
    };
    const sinceResponse = stats('sinceResponseMs');
    const sinceRequest = stats('sinceRequestMs');
    return {
      results: {
        revocationP99Ms: {
          value: sinceResponse,
          bar: BAR_MS,
          unit: 'ms',
          trials: trials.length,
          failures,
          ...verdict(failures === 0 && sinceResponse.p99 <= BAR_MS),
        },
      },
      detail: {
        processes: 'two instance-api processes (dist/server.js) on one Postgres schema and one Redis',
        pollRoute: POLL_ROUTE,
        trialTimeoutMs: TRIAL_TIMEOUT_MS,
        warmupTrials: WARMUP_TRIALS,
        sinceResponseMs: sinceResponse,
        sinceRequestMs: sinceRequest,
        trials,
      },
    };
  } finally {
    agentA.destroy();
    agentB.destroy();
    for (const app of apps.reverse()) await app.stop();
    await redis?.stop();
    await schema.drop();
  }
}
