// Shared benchmark machinery (SPEC §9 method): servers in their own processes pinned to one core,
// the load generator pinned to another, warm-up, interleaved variants over several rounds, and
// the median ratio with its spread.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export const cores = cpus().length;
const serverCore = '0';
const loadCore = cores > 1 ? '1' : '0';

/** Pins this process (the load generator) to its core, all threads. */
export function pinSelf() {
  if (!hasTaskset) return false;
  execFileSync('taskset', ['-a', '-pc', loadCore, String(process.pid)], { stdio: 'ignore' });
  return true;
}

/** Starts a server script pinned to the server core; resolves with the JSON line it prints. */
export async function startServer(script, args = []) {
  const command = hasTaskset ? 'taskset' : process.execPath;
  const argv = hasTaskset ? ['-c', serverCore, process.execPath, script, ...args] : [script, ...args];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
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
  return {
    ...info,
    async stop() {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await once(child, 'exit');
      clearTimeout(killer);
    },
  };
}

export const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk prints its version and exits 1; only a missing binary is ENOENT.
    return error?.code !== 'ENOENT';
  }
})();

/**
 * One load run; returns req/s and latency p99 in ms. Uses wrk (C, one thread) when installed:
 * a JavaScript load generator on a 2-core machine costs as much per request as a small server,
 * which blurs the ratios. Falls back to autocannon.
 */
export async function load({ url, headers = {}, connections, durationSeconds, delayMs }) {
  if (hasWrk) return loadWithWrk({ url, headers, connections, durationSeconds, delayMs });
  const result = await autocannon({
    url,
    headers,
    connections,
    duration: durationSeconds,
    pipelining: 1,
    // A fixed offered load: each connection sends at most 1000/delayMs requests per second.
    ...(delayMs ? { connectionRate: Math.floor(1000 / delayMs) } : {}),
  });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  if (non2xx > 0) throw new Error(`${url}: ${non2xx} failed responses during the benchmark`);
  return { rps: result.requests.average, p99Ms: result.latency.p99, requests: result.requests.total };
}

function loadWithWrk({ url, headers, connections, durationSeconds, delayMs }) {
  const args = ['-t1', `-c${connections}`, `-d${durationSeconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  // A fixed offered load: each connection waits delayMs before its next request (wrk's latency
  // excludes the wait), so the server is measured below saturation, not at its queueing limit.
  let scriptDir;
  if (delayMs) {
    scriptDir = mkdtempSync(join(tmpdir(), 'pc-wrk-'));
    const script = join(scriptDir, 'delay.lua');
    writeFileSync(script, `function delay()\n  return ${Number(delayMs)}\nend\n`);
    args.push('-s', script);
  }
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('exit', () => {
      if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
      const failed = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
      const total = /(\d+) requests in/.exec(out);
      if (code !== 0 || !rps || !p99) return reject(new Error(`wrk failed on ${url}:\n${out}`));
      if (failed) return reject(new Error(`${url}: ${failed[1]} failed responses during the benchmark`));
      const scale = { us: 0.001, ms: 1, s: 1000 }[p99[2]];
      resolve({ rps: Number(rps[1]), p99Ms: Number(p99[1]) * scale, requests: Number(total?.[1] ?? 0) });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs each variant `rounds` times, interleaved (A B C A B C …), after one warm-up pass, and
 * returns per-variant medians and per-round samples.
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
  const values = samples[a].map((s, i) => s.rps / samples[b][i].rps);
  return {
    median: round3(median(values)),
    min: round3(Math.min(...values)),
    max: round3(Math.max(...values)),
  };
}

export function medianOf(samples, name, field) {
  return round3(median(samples[name].map((s) => s[field])));
}

export const round3 = (x) => Math.round(x * 1000) / 1000;
