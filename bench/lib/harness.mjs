// Shared benchmark machinery (SPEC §9 method): servers in their own processes pinned to one core,
// the load generator (and Redis) pinned to another, warm-up, interleaved variants over several
// rounds, the median ratio with its spread, and the server's CPU time per request next to every
// req/s figure.
//
// Core placement, each overridable by environment (a core number):
//   BENCH_SERVER_CORE (default 0)   the app processes under test
//   BENCH_LOAD_CORE   (default 1)   this process and the load generator it spawns (wrk inherits it)
//   BENCH_REDIS_CORE  (default: the load core)   the spawned redis-server, all its threads
// With one core everything shares core 0.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startRedis } from '@portcullis/testing';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export const cores = cpus().length;

function coreFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const core = Number(raw);
  if (!Number.isInteger(core) || core < 0 || core >= cores) {
    // A usage error of the command line, not a failure of the bench: one line, no stack.
    process.stderr.write(
      `${name} must be a core number from 0 to ${cores - 1}, got ${JSON.stringify(raw)}\n`,
    );
    process.exit(2);
  }
  return core;
}

const serverCore = coreFromEnv('BENCH_SERVER_CORE', 0);
const loadCore = coreFromEnv('BENCH_LOAD_CORE', cores > 1 ? 1 : 0);
// Redis shares the load generator's core by default: the server's core then does only the
// server's work, so the L2 variant's CPU per request is the server's own cost, and Redis's work
// competes with the generator (which has headroom with wrk) rather than with the server.
const redisCore = coreFromEnv('BENCH_REDIS_CORE', loadCore);

/** Where each kind of process is meant to run (core numbers), as configured. */
export const placement = { server: serverCore, loadGenerator: loadCore, redis: redisCore };

// ---------------------------------------------------------------------------------------------
// CPU time from outside the measured process

const hasProc = existsSync('/proc/self/stat');
const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system, every thread, live or exited) a process has used, in µs, from
 * /proc/<pid>/stat, so the measured process does no work for it. The kernel reports it in clock
 * ticks (usually 10 ms): over a round of seconds of a busy server that is well under 1 % of the
 * figure, but too coarse for a lightly loaded process such as Redis.
 */
function statCpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may contain spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 (utime) and 15 (stime)
  return (ticks * 1e6) / clockTicksPerSecond;
}

/**
 * The same in ns precision: the sum over the process's threads of the time on CPU the scheduler
 * keeps (`/proc/<pid>/task/<tid>/schedstat`, first field). It misses threads that exit between
 * two readings; Node's and Redis's threads live as long as the process, and every round records
 * the tick-based figure too (`cpuUsFromTicks`) as a check. Undefined where schedstat is missing.
 */
function schedCpuUs(pid) {
  let ns = 0;
  let found = false;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      found = true;
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return found ? ns / 1000 : undefined;
}

const hasSchedstat = hasProc && existsSync('/proc/self/schedstat');

/** How CPU time is read in this run (recorded in the JSON). */
export const cpuSource = hasSchedstat
  ? 'sum of /proc/<pid>/task/*/schedstat (ns), checked against /proc/<pid>/stat ticks'
  : hasProc
    ? '/proc/<pid>/stat utime+stime (clock ticks)'
    : 'process.cpuUsage() from the server process (no /proc)';

/** The cores a process may run on, as the kernel has them (`Cpus_allowed_list`), or null. */
export function cpusAllowed(pid) {
  if (!hasProc) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Busy time of each core, from /proc/stat, in clock ticks: `[{ busy, total }]` by core number.
 * Taken before and after a round it says how busy each core was — whether the load generator's
 * core was saturated (then req/s measures the generator, not the server) and whether other work
 * on the machine was competing.
 */
export function coreTicks() {
  if (!hasProc) return null;
  const out = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal …
    const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].split(/\s+/).map(Number);
    const busy = user + nice + system + irq + softirq + steal;
    out[Number(m[1])] = { busy, total: busy + idle + iowait };
  }
  return out;
}

export function coreBusyBetween(before, after) {
  if (!before || !after) return null;
  return Object.fromEntries(
    after.map((a, core) => {
      const b = before[core];
      const total = a.total - b.total;
      return [core, total > 0 ? round3((a.busy - b.busy) / total) : 0];
    }),
  );
}

/** Every process this run started and pinned, with the cores the kernel reports for it. */
export const processLog = [];

function logProcess(role, pid, intendedCore) {
  const entry = { role, pid, intendedCore, cpusAllowed: cpusAllowed(pid) };
  processLog.push(entry);
  return entry;
}

/** Pins this process (and so the load generator it spawns) to the load core, all threads. */
export function pinSelf() {
  if (hasTaskset)
    execFileSync('taskset', ['-a', '-pc', String(loadCore), String(process.pid)], { stdio: 'ignore' });
  return logProcess('bench process and load generator', process.pid, hasTaskset ? loadCore : null);
}

// BENCH_SERVER_NODE_ARGS: node options for every server process (e.g. `--cpu-prof
// --cpu-prof-dir=/tmp/prof` to profile them; node refuses --cpu-prof in NODE_OPTIONS).
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

/**
 * Spawns `node <args>` pinned to the server core. `taskset -c N node …` execs node, so the child's
 * pid is node's own; this is checked, because CPU figures read from the wrong pid would be silent
 * nonsense.
 */
export function spawnServerProcess(args, options = {}) {
  const command = hasTaskset ? 'taskset' : process.execPath;
  const nodeArgs = [...serverNodeArgs, ...args];
  const argv = hasTaskset ? ['-c', String(serverCore), process.execPath, ...nodeArgs] : nodeArgs;
  return spawn(command, argv, options);
}

/**
 * Records a server process started with {@link spawnServerProcess} once it is ready (by then
 * taskset has exec'd node, so the kernel reports the pin), after checking the pid is node's.
 */
export function recordServerProcess(role, pid) {
  if (hasProc) {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    if (exe !== realpathSync(process.execPath)) {
      throw new Error(`pid ${pid} runs ${exe}, not node: CPU figures would not be the server's`);
    }
  }
  logProcess(role, pid, hasTaskset ? serverCore : null);
}

/**
 * Places a server's threads as a deployment on more than one core would run them: its main
 * thread (the event loop) alone on the server core, every other thread (libuv's pool, where
 * argon2 runs, and V8's helpers) on the load core. Threads started later inherit the main
 * thread's core, so call it again after anything that may start threads (the first argon2 hash
 * starts libuv's pool). Returns the placement applied, for the JSON.
 */
export function separateEventLoop(pid) {
  if (!hasTaskset || !hasProc || cores < 2) return null;
  const tids = readdirSync(`/proc/${pid}/task`).map(Number);
  for (const tid of tids) {
    const core = tid === pid ? serverCore : loadCore;
    execFileSync('taskset', ['-pc', String(core), String(tid)], { stdio: 'ignore' });
  }
  return { eventLoopCore: serverCore, otherThreadsCore: loadCore, threads: tids.length };
}

/**
 * A reader of a process's CPU time: resolves `{ us, ticksUs }` — the most precise figure
 * available, and the tick-based one where /proc exists. Without /proc, asks the server's own
 * CPU endpoint (see servers/cpu-endpoint.mjs).
 */
function cpuReader(pid, cpuPort) {
  if (hasProc) {
    return async () => {
      const ticksUs = statCpuUs(pid);
      return { us: (hasSchedstat ? schedCpuUs(pid) : undefined) ?? ticksUs, ticksUs };
    };
  }
  if (!cpuPort) return async () => ({ us: Number.NaN });
  return async () => {
    const { user, system } = await (await fetch(`http://127.0.0.1:${cpuPort}/`)).json();
    return { us: user + system };
  };
}

/**
 * Starts a bench server script pinned to the server core; resolves with the JSON line it prints
 * plus `pid`, `cpuUs()` (its CPU time so far, µs) and `stop()`.
 */
export async function startServer(script, args = [], role = script) {
  const child = spawnServerProcess([script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${script} exited with ${code} before it was ready`);
    }),
  ]);
  clearTimeout(timer);
  const info = JSON.parse(line);
  recordServerProcess(role, child.pid);
  return {
    ...info,
    pid: child.pid,
    cpuUs: cpuReader(child.pid, info.cpuPort),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Starts a private redis-server (never the shared one) and pins it, every thread, to the Redis
 * core. Its pid comes from the server itself (`INFO server`), so the pin and the CPU figures
 * reach redis-server and not the watchdog shell that launched it.
 */
export async function startPinnedRedis(role = 'redis') {
  const redis = await startRedis();
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
    if (!pid) throw new Error('redis-server did not report its pid');
    if (hasTaskset)
      execFileSync('taskset', ['-a', '-pc', String(redisCore), String(pid)], { stdio: 'ignore' });
    logProcess(role, pid, hasTaskset ? redisCore : null);
    return { ...redis, pid, cpuUs: cpuReader(pid, undefined) };
  } catch (error) {
    await redis.stop();
    throw error;
  } finally {
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Load generators

// BENCH_LOAD_GENERATOR=autocannon forces the fallback even where wrk is installed (to check what a
// machine without wrk reports).
const forcedAutocannon = process.env.BENCH_LOAD_GENERATOR === 'autocannon';
export const hasWrk = (() => {
  if (forcedAutocannon) return false;
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its version and exits 1; only a missing binary is ENOENT.
    return error?.code !== 'ENOENT';
  }
})();

/**
 * The load generator this run uses. wrk reports latency percentiles in µs (read from its
 * histogram by a Lua `done` hook below); autocannon's histogram holds whole milliseconds, which
 * cannot judge a 1 ms bar, so latency bars are "not judged" under it.
 */
export const generator = hasWrk
  ? { name: 'wrk', latencyResolutionMs: 0.001, judgesLatency: true }
  : { name: 'autocannon', latencyResolutionMs: 1, judgesLatency: false };

/** The line `pnpm bench` prints when it falls back to autocannon. */
export const wrkMissingLine = `${forcedAutocannon ? 'BENCH_LOAD_GENERATOR=autocannon' : 'wrk not found'}: latency from autocannon is in whole milliseconds and cannot judge the sub-millisecond bars; install it with \`apt-get install wrk\``;

/**
 * One load run. Returns `{ rps, p50Ms, p99Ms, maxMs, requests, seconds }`, and when `server` is
 * given (a handle with `cpuUs()`) also `cpuUs` (the server's CPU over the run) and
 * `cpuUsPerRequest`; `watch` adds the same for other processes (e.g. Redis) under `otherCpu`;
 * `coreBusy` is each core's busy fraction over the run.
 *
 * Uses wrk (C, one thread) when installed: a JavaScript load generator on a 2-core machine costs
 * as much per request as a small server, which blurs the ratios. Falls back to autocannon.
 * Any answer ≥ 400 or a request unanswered after `timeoutSeconds` (default 10) fails the run: a
 * benchmark of error responses is no benchmark.
 */
export async function load({ server, watch = {}, ...options }) {
  const cores0 = coreTicks();
  const cpu0 = server ? await server.cpuUs() : undefined;
  const others0 = await Promise.all(Object.values(watch).map((w) => w.cpuUs()));
  const result = hasWrk ? await loadWithWrk(options) : await loadWithAutocannon(options);
  if (server) {
    const cpu1 = await server.cpuUs();
    result.cpuUs = Math.round(cpu1.us - cpu0.us);
    result.cpuUsPerRequest = round3(result.cpuUs / result.requests);
    if (cpu1.ticksUs !== undefined) result.cpuUsFromTicks = Math.round(cpu1.ticksUs - cpu0.ticksUs);
  }
  const names = Object.keys(watch);
  if (names.length > 0) {
    const others1 = await Promise.all(Object.values(watch).map((w) => w.cpuUs()));
    result.otherCpuUsPerRequest = Object.fromEntries(
      names.map((name, i) => [name, round3((others1[i].us - others0[i].us) / result.requests)]),
    );
  }
  result.coreBusy = coreBusyBetween(cores0, coreTicks());
  return result;
}

async function loadWithAutocannon({
  url,
  headers = {},
  method = 'GET',
  body,
  connections,
  durationSeconds,
  delayMs,
  timeoutSeconds = 10,
}) {
  const result = await autocannon({
    url,
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    connections,
    duration: durationSeconds,
    timeout: timeoutSeconds,
    pipelining: 1,
    // A fixed offered load: each connection sends at most 1000/delayMs requests per second.
    ...(delayMs ? { connectionRate: Math.floor(1000 / delayMs) } : {}),
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) throw new Error(`${url}: ${failed} failed responses during the benchmark`);
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    seconds: result.duration,
  };
}

// wrk's Lua hooks: an optional fixed delay between a connection's requests, an optional method
// and body, and a `done` hook that prints the figures as one JSON line with latency in µs
// straight from wrk's histogram (its text report rounds to two decimals of a switching unit).
function wrkScript({ method, body, delayMs }) {
  const lines = [];
  if (method && method !== 'GET') lines.push(`wrk.method = ${JSON.stringify(method)}`);
  if (body !== undefined) lines.push(`wrk.body = ${JSON.stringify(body)}`);
  // Each connection waits delayMs before its next request; wrk's latency excludes the wait.
  if (delayMs) lines.push(`function delay()\n  return ${Number(delayMs)}\nend`);
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'PCJSON {"requests":%.0f,"durationUs":%.0f,"p50Us":%.1f,"p99Us":%.1f,"maxUs":%.1f,' +
      '"status":%.0f,"timeout":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f}\\n\',',
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,',
    '    e.status, e.timeout, e.connect, e.read, e.write))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

let wrkPlacementLogged = false;

function loadWithWrk({
  url,
  headers = {},
  method,
  body,
  connections,
  durationSeconds,
  delayMs,
  timeoutSeconds = 10,
}) {
  const dir = mkdtempSync(join(tmpdir(), 'pc-wrk-'));
  const script = join(dir, 'bench.lua');
  writeFileSync(script, wrkScript({ method, body, delayMs }));
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${durationSeconds}s`,
    `--timeout`,
    `${timeoutSeconds}s`,
    '-s',
    script,
  ];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    // Spawned from this process, wrk inherits its pin to the load core.
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    if (!wrkPlacementLogged && child.pid) {
      wrkPlacementLogged = true;
      logProcess('wrk (first run; every run inherits the same pin)', child.pid, hasTaskset ? loadCore : null);
    }
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const line = out.split('\n').find((l) => l.startsWith('PCJSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed on ${url}:\n${out}`));
      const r = JSON.parse(line.slice('PCJSON '.length));
      if (r.status > 0) return reject(new Error(`${url}: ${r.status} failed responses during the benchmark`));
      if (r.timeout > 0)
        return reject(new Error(`${url}: ${r.timeout} requests timed out during the benchmark`));
      const seconds = r.durationUs / 1e6;
      resolve({
        rps: round3(r.requests / seconds),
        p50Ms: r.p50Us / 1000,
        p99Ms: r.p99Us / 1000,
        maxMs: r.maxUs / 1000,
        requests: r.requests,
        seconds: round3(seconds),
        ...(r.connect + r.read + r.write > 0
          ? { socketErrors: { connect: r.connect, read: r.read, write: r.write } }
          : {}),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Rounds and statistics

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** `{ median, min, max }` of a list of numbers, rounded to 3 decimals. */
export const spread = (values) => ({
  median: round3(median(values)),
  min: round3(Math.min(...values)),
  max: round3(Math.max(...values)),
});

/**
 * Runs each variant `rounds` times, interleaved (A B C A B C …), after one warm-up pass, and
 * returns the per-round samples of each variant.
 */
export async function interleave(variants, { rounds, connections, durationSeconds, warmupSeconds }) {
  for (const v of variants) await load({ ...v, connections, durationSeconds: warmupSeconds });
  const samples = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const v of variants) samples[v.name].push(await load({ ...v, connections, durationSeconds }));
  }
  return samples;
}

/** Median and spread of the per-round ratio a/b of req/s. */
export function ratio(samples, a, b) {
  return spread(samples[a].map((s, i) => s.rps / samples[b][i].rps));
}

/** Median and spread of the per-round difference a − b of server CPU µs per request. */
export function cpuDelta(samples, a, b) {
  return spread(samples[a].map((s, i) => s.cpuUsPerRequest - samples[b][i].cpuUsPerRequest));
}

export function medianOf(samples, name, field) {
  return round3(median(samples[name].map((s) => s[field])));
}

/** Per variant: median req/s, p99 and server CPU µs per request, and every round. */
export function summarize(samples) {
  return Object.fromEntries(
    Object.keys(samples).map((name) => [
      name,
      {
        medianRps: medianOf(samples, name, 'rps'),
        medianP99Ms: medianOf(samples, name, 'p99Ms'),
        medianCpuUsPerRequest: medianOf(samples, name, 'cpuUsPerRequest'),
        rounds: samples[name],
      },
    ]),
  );
}

/**
 * The verdict of a bar: PASS or MISS, or "not judged" for a latency bar under a generator that
 * cannot resolve it.
 */
export function verdict(pass, { latency = false } = {}) {
  if (latency && !generator.judgesLatency) return { verdict: 'not judged', pass: null };
  return { verdict: pass ? 'PASS' : 'MISS', pass };
}

export const round3 = (x) => Math.round(x * 1000) / 1000;
