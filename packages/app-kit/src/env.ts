import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

/** The settings every app reads the same way (SPEC §1 environment table). */
export interface ServiceEnv {
  host: string;
  port: number;
  /** `PUBLIC_URL`, else `http://HOST:PORT`. */
  publicUrl: string;
  databaseUrl: string | undefined;
  /** Absolute; `DATA_DIR`, else `./.data/<app>`. */
  dataDir: string;
  redisUrl: string | undefined;
  logLevel: string;
  production: boolean;
  /** `TRUST_PROXY=true`: take the client address from `X-Forwarded-For` (SPEC §4.6, §8). */
  trustProxy: boolean;
  /**
   * `TRUST_PROXY_HOPS` (default 1): how many proxies append to `X-Forwarded-For`; only that many
   * right-most entries are used.
   */
  trustProxyHops: number;
}

/** Reads app-specific variables into the same problem list. */
export interface EnvReader {
  /** A whole number in `[min, max]`, or `fallback` when unset; a bad value is a problem. */
  int(name: string, fallback: number, min: number, max: number): number;
  /**
   * `ADMIN_TOKEN` (SPEC §1): at least 16 characters; required in production; outside production a
   * random 64-hex token is generated for this run when unset (`generated: true`, so the server
   * prints it once at start).
   */
  adminToken(): { token: string; generated: boolean };
  /** Every problem found so far, one sentence per bad variable. */
  readonly problems: string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads and validates the SPEC §1 variables shared by every app, collecting one problem per bad
 * variable instead of stopping at the first. Values that may hold passwords (URLs) are never
 * echoed in problems. `NODE_ENV=production` requires `PUBLIC_URL` and `DATABASE_URL`.
 *
 * @param env - the environment (the app's `env.ts` passes `process.env`)
 * @example
 * const { common, reader } = readServiceEnv(process.env, { app: 'instance-api', defaultPort: 3001 });
 * const perKey = reader.int('RATE_LIMIT_KEY_PER_MIN', 200, 1, 1_000_000);
 * if (reader.problems.length > 0) …
 */
export function readServiceEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: { app: string; defaultPort: number },
): { common: ServiceEnv; reader: EnvReader } {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw.slice(0, 40)}")`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      if (!protocols.includes(new URL(raw).protocol)) throw new Error('protocol');
      return raw;
    } catch {
      // Never echo the value: connection strings carry passwords.
      problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      return undefined;
    }
  };

  const production = env.NODE_ENV === 'production';
  const host = env.HOST || '127.0.0.1';
  const port = int('PORT', options.defaultPort, 0, 65_535);
  const publicUrl = url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${host}:${port}`;
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const trustProxy = env.TRUST_PROXY ?? 'false';
  if (trustProxy !== 'true' && trustProxy !== 'false') problems.push('TRUST_PROXY must be true or false');
  const trustProxyHops = int('TRUST_PROXY_HOPS', 1, 1, 10);
  if (production && !env.PUBLIC_URL) problems.push('PUBLIC_URL is required when NODE_ENV=production');
  if (production && !env.DATABASE_URL) problems.push('DATABASE_URL is required when NODE_ENV=production');

  const adminToken = (): { token: string; generated: boolean } => {
    const token = env.ADMIN_TOKEN ?? '';
    if (token !== '' && token.length < 16) problems.push('ADMIN_TOKEN must be at least 16 characters');
    if (token === '' && production) problems.push('ADMIN_TOKEN is required when NODE_ENV=production');
    if (token === '' && !production) return { token: randomBytes(32).toString('hex'), generated: true };
    return { token, generated: false };
  };

  return {
    common: {
      host,
      port,
      publicUrl,
      databaseUrl,
      dataDir: resolve(env.DATA_DIR || `./.data/${options.app}`),
      redisUrl,
      logLevel,
      production,
      trustProxy: trustProxy === 'true',
      trustProxyHops,
    },
    reader: { int, adminToken, problems },
  };
}
