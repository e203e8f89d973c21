import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { isCi, type TestEnv } from './env.js';
import { getFreePort } from './ports.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';

// The shape of `Result` in @portcullis/errors, spelled out: test helpers do not depend on it.
/** Where a `redis-server` binary was found, or why none could be used. */
export type RedisServerLookup = { ok: true; bin: string } | { ok: false; reason: string };

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Path or name of the `redis-server` binary. Default: `redis-server` (resolved through PATH). */
  bin?: string;
  /** Upper bound for starting (spawn → answers PING), in ms, including port retries. Default 10 000. */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before {@link RedisServerHandle.stop} falls back to SIGKILL, in ms. Default 5 000. */
  stopTimeoutMs?: number;
}

/** A private `redis-server` bound to 127.0.0.1 on its own port, for fault-injection tests. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>`. Stays the same across {@link RedisServerHandle.restart}. */
  readonly url: string;
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** TCP port of this server. */
  readonly port: number;
  /** Freezes the server with SIGSTOP: connections stay open, commands get no answer. */
  pause(): void;
  /** Thaws a paused server with SIGCONT. */
  resume(): void;
  /** Kills the server with SIGKILL (a crash) and resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port (stopping the current one first, if running). */
  restart(): Promise<void>;
  /** Graceful shutdown (SIGTERM, then SIGKILL after `stopTimeoutMs`); removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_STOP_TIMEOUT_MS = 5_000;
const HARD_KILL_TIMEOUT_MS = 5_000;
const PROBE_TIMEOUT_MS = 500;
const OUTPUT_TAIL_CHARS = 4_096;

/**
 * Runs redis-server under a tiny shell watchdog so the server can never outlive this process:
 * the watchdog holds our stdin pipe and SIGKILLs redis-server when the pipe reaches EOF, which
 * the kernel guarantees however Node exits (normal exit, crash, SIGKILL of the test worker).
 * redis-server's own pid is reported on fd 3 so signals (SIGSTOP, SIGTERM) go to it directly.
 */
const WATCHDOG_SCRIPT = [
  'exec 4<&0',
  '"$@" 0</dev/null 3>&- 4<&- &',
  'child=$!',
  'printf "%s\\n" "$child" >&3',
  'exec 3>&-',
  '( read -r _ <&4; kill -9 "$child" 2>/dev/null ) 0</dev/null &',
  'watcher=$!',
  'exec 4<&-',
  'wait "$child"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a `redis-server` binary: `REDIS_SERVER_BIN` when set, otherwise the first one on `PATH`.
 * Never throws.
 *
 * @param env - the environment to read; default `process.env`.
 * @example
 * ```ts
 * const found = findRedisServer();
 * if (found.ok) await startRedis({ bin: found.bin });
 * ```
 */
export function findRedisServer(env: TestEnv = process.env): RedisServerLookup {
  const explicit = env.REDIS_SERVER_BIN?.trim();
  if (explicit) {
    return isExecutableFile(explicit)
      ? { ok: true, bin: explicit }
      : { ok: false, reason: `REDIS_SERVER_BIN (${explicit}) is not an executable file` };
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'redis-server');
    if (isExecutableFile(candidate)) return { ok: true, bin: candidate };
  }
  return {
    ok: false,
    reason: 'no redis-server on PATH (install redis-server or set REDIS_SERVER_BIN)',
  };
}

/**
 * Like {@link findRedisServer}, but under `CI=true` a missing binary throws, so the suite
 * fails instead of silently skipping (DESIGN §8: under CI the Redis suites must run).
 *
 * @param env - the environment to read; default `process.env`.
 * @throws Error under CI when no usable `redis-server` exists.
 * @example
 * ```ts
 * const redis = redisAvailability();
 * if (!redis.ok) console.warn(`skipping Redis suite: ${redis.reason}`);
 * describe.runIf(redis.ok)('with a real Redis', () => {  });
 * ```
 */
export function redisAvailability(env: TestEnv = process.env): RedisServerLookup {
  const found = findRedisServer(env);
  if (!found.ok && isCi(env)) {
    throw new Error(`CI=true requires the Redis suites to run, but ${found.reason}`);
  }
  return found;
}

/** Keeps the last few KiB of a child's output for error messages. */
class OutputTail {
  #text = '';
  push(chunk: Buffer | string): void {
    this.#text = (this.#text + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  }
  get text(): string {
    return this.#text.trim();
  }
}

interface ExitState {
  hasExited: boolean;
  description: string;
}

interface Incarnation {
  readonly wrapper: ChildProcess;
  /** redis-server's own pid (the wrapper is its parent). */
  readonly pid: number;
  readonly exited: Promise<void>;
  readonly state: ExitState;
}

// `address_in_use` is worth another port (or, on restart, another moment); `not_started` is not.
type LaunchResult =
  | { ok: true; incarnation: Incarnation }
  | { ok: false; reason: 'address_in_use' | 'not_started'; message: string };

/** Resolves true if `promise` settles within `ms`, false otherwise; never leaves a timer behind. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to signal.
  }
}

/** Reads the redis-server pid the watchdog prints on fd 3. */
function readPid(stream: Readable | null | undefined, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    if (!stream) {
      resolve(undefined);
      return;
    }
    let buffered = '';
    const finish = (pid: number | undefined) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      stream.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => finish(undefined), Math.max(0, timeoutMs));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        const pid = Number.parseInt(buffered.slice(0, newline), 10);
        finish(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
      }
    });
    stream.once('end', () => finish(undefined));
    stream.once('error', () => finish(undefined));
  });
}

/**
 * One PING + INFO round trip. Succeeds only when the answer comes from *our* process
 * (`process_id` matches), so a foreign server that grabbed the port is never mistaken for ours.
 */
function probe(port: number, pid: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let received = '';
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), Math.max(1, timeoutMs));
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.startsWith('+PONG\r\n') && received.includes(`\r\nprocess_id:${pid}\r\n`)) done(true);
      else if (received.length > 65_536 || received.startsWith('-')) done(false);
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

const liveIncarnations = new Set<Incarnation>();
let exitHookInstalled = false;

/** Beside the watchdog: kill what is still running when Node exits normally. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const incarnation of liveIncarnations) signal(incarnation.pid, 'SIGKILL');
  });
}

async function hardKill(incarnation: Incarnation): Promise<void> {
  if (!incarnation.state.hasExited) {
    signal(incarnation.pid, 'SIGKILL');
    incarnation.wrapper.stdin?.end();
    if (!(await settlesWithin(incarnation.exited, HARD_KILL_TIMEOUT_MS))) {
      incarnation.wrapper.kill('SIGKILL');
      await settlesWithin(incarnation.exited, HARD_KILL_TIMEOUT_MS);
    }
  }
  incarnation.wrapper.stdin?.destroy();
}

async function gracefulStop(incarnation: Incarnation, stopTimeoutMs: number): Promise<void> {
  if (!incarnation.state.hasExited) {
    // A stopped process cannot handle SIGTERM; thaw it first.
    signal(incarnation.pid, 'SIGCONT');
    signal(incarnation.pid, 'SIGTERM');
    await settlesWithin(incarnation.exited, stopTimeoutMs);
  }
  await hardKill(incarnation);
}

async function launch(bin: string, port: number, dir: string, deadline: number): Promise<LaunchResult> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--dir',
    dir,
    '--loglevel',
    'warning',
  ];
  const wrapper = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'portcullis-redis-watchdog', bin, ...args], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const output = new OutputTail();
  wrapper.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  wrapper.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
  // An EPIPE on stdin after the watchdog exits is expected; never let it crash the test process.
  wrapper.stdin?.on('error', () => {});

  let markExited: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    markExited = resolve;
  });
  const state: ExitState = { hasExited: false, description: '' };
  wrapper.once('exit', (code, sig) => {
    state.hasExited = true;
    state.description = sig ? `was killed by ${sig}` : `exited with code ${code}`;
    markExited();
  });
  wrapper.once('error', (err) => {
    state.hasExited = true;
    state.description = `could not be spawned (${err.message})`;
    markExited();
  });

  const pid = await readPid(wrapper.stdio[3] as Readable | null, deadline - Date.now());
  if (pid === undefined) {
    wrapper.stdin?.end();
    wrapper.kill('SIGKILL');
    await settlesWithin(exited, HARD_KILL_TIMEOUT_MS);
    return {
      ok: false,
      reason: 'not_started',
      message: `redis-server watchdog did not start (${state.description || 'no pid reported'})`,
    };
  }

  const incarnation: Incarnation = { wrapper, pid, exited, state };
  liveIncarnations.add(incarnation);
  void exited.then(() => liveIncarnations.delete(incarnation));

  while (!incarnation.state.hasExited && Date.now() < deadline) {
    if (await probe(port, pid, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()))) {
      return { ok: true, incarnation };
    }
    if (!incarnation.state.hasExited) await sleep(25);
  }

  const timedOut = !incarnation.state.hasExited;
  await hardKill(incarnation);
  const tail = output.text;
  const reason = timedOut ? 'did not answer PING before the start timeout' : incarnation.state.description;
  return {
    ok: false,
    reason: /address already in use/i.test(tail) ? 'address_in_use' : 'not_started',
    message: `redis-server (${bin}) on 127.0.0.1:${port} ${reason}${tail ? `:\n${tail}` : ''}`,
  };
}

/**
 * Spawns a private `redis-server` on a free loopback port, with no persistence and a temp
 * `--dir`, and resolves once it answers PING. Tests may pause, kill and restart it freely —
 * it is never the shared Redis.
 *
 * Every step is bounded in time. The server dies with this process however it exits (a
 * shell watchdog holds a pipe to us), but tests should still call `stop()` in `afterAll`.
 *
 * @param options - binary and timeouts (ms).
 * @returns a handle; its `url` is `redis://127.0.0.1:<port>`.
 * @throws Error when the server cannot be started within `startTimeoutMs`.
 * @example
 * ```ts
 * const redis = await startRedis({ bin: found.bin });
 * afterAll(() => redis.stop());
 * const client = new Redis(redis.url);
 * redis.pause();   // commands now time out
 * redis.resume();
 * await redis.kill();
 * await redis.restart(); // same port; clients reconnect
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServerHandle> {
  const bin = options.bin ?? 'redis-server';
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  installExitHook();
  const dir = await makeTempDir('redis');
  const removeDir = () => removeTempDir(dir);

  const deadline = Date.now() + startTimeoutMs;
  let first: { incarnation: Incarnation; port: number } | undefined;
  for (let attempt = 1; first === undefined; attempt++) {
    const port = await getFreePort();
    const result = await launch(bin, port, dir, deadline);
    if (result.ok) {
      first = { incarnation: result.incarnation, port };
    } else if (result.reason !== 'address_in_use' || attempt >= 5 || Date.now() >= deadline) {
      await removeDir();
      throw new Error(result.message);
    }
  }

  const port = first.port;
  let current: Incarnation = first.incarnation;
  let stopped: Promise<void> | undefined;
  // Serialise kill/restart/stop so they never act on a half-started incarnation.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(operation: () => Promise<T>): Promise<T> => {
    const next = queue.then(operation, operation);
    queue = next.catch(() => {});
    return next;
  };
  const requireRunning = (operation: string): Incarnation => {
    if (stopped !== undefined || current.state.hasExited) {
      throw new Error(`redis-server on port ${port} is not running; cannot ${operation}`);
    }
    return current;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    pause() {
      signal(requireRunning('pause').pid, 'SIGSTOP');
    },
    resume() {
      signal(requireRunning('resume').pid, 'SIGCONT');
    },
    kill() {
      return serialised(() => hardKill(current));
    },
    restart() {
      return serialised(async () => {
        if (stopped !== undefined) throw new Error('redis-server handle was stopped; cannot restart');
        await gracefulStop(current, stopTimeoutMs);
        const restartDeadline = Date.now() + startTimeoutMs;
        for (;;) {
          const result = await launch(bin, port, dir, restartDeadline);
          if (result.ok) {
            current = result.incarnation;
            return;
          }
          // The old socket may linger for a moment; anything else is a real failure.
          if (result.reason !== 'address_in_use' || Date.now() >= restartDeadline)
            throw new Error(result.message);
          await sleep(100);
        }
      });
    },
    stop() {
      stopped ??= serialised(async () => {
        await gracefulStop(current, stopTimeoutMs);
        await removeDir();
      });
      return stopped;
    },
  };
}
