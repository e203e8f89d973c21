import { resolve } from 'node:path';

/** What `pnpm --filter mica-register import` needs from the environment. */
export interface RegisterImportEnv {
  /** `DATABASE_URL`: Postgres; when absent, embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** `DATA_DIR`: the PGlite directory. Default `./.data/mica-register`. */
  dataDir: string;
  /**
   * Where relative paths given on the command line are resolved: the directory `pnpm` was run
   * from (`INIT_CWD`; `pnpm --filter` runs the script inside the package), else the process's.
   */
  invocationDir: string;
}

/**
 * Reads the import CLI's configuration: the only place of the CLI that looks at `process.env`.
 *
 * @example
 * const env = readRegisterImportEnv();
 * const db = await createDatabase(env.databaseUrl ? { url: env.databaseUrl } : { dataDir: env.dataDir });
 */
export function readRegisterImportEnv(env: NodeJS.ProcessEnv = process.env): RegisterImportEnv {
  const databaseUrl = env.DATABASE_URL?.trim();
  const dataDir = env.DATA_DIR?.trim() || './.data/mica-register';
  const invocationDir = resolve(env.INIT_CWD?.trim() || process.cwd());
  return databaseUrl ? { databaseUrl, dataDir, invocationDir } : { dataDir, invocationDir };
}

/** The server's configuration, read and validated once at boot (SPEC §1, §5.1). */
export interface MicaRegisterConfig {
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  logLevel: string;
  production: boolean;
  trustProxy: boolean;
  limits: { perMinute: number; perDay: number; registerPer15Min: number };
}

export type ConfigResult = { ok: true; config: MicaRegisterConfig } | { ok: false; problems: string[] };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads the server's environment: every bad variable is reported by name, all at once, and
 * never echoed when it may hold a password.
 *
 * @example
 * const result = readConfig(process.env);
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      if (!protocols.includes(new URL(raw).protocol)) throw new Error('protocol');
      return raw;
    } catch {
      problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      return undefined;
    }
  };
  const host = env.HOST || '127.0.0.1';
  const port = int('PORT', 3002, 0, 65_535);
  const publicUrl = url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${host}:${port}`;
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const trustProxy = env.TRUST_PROXY ?? 'false';
  if (trustProxy !== 'true' && trustProxy !== 'false') problems.push('TRUST_PROXY must be true or false');
  if (production && !env.PUBLIC_URL) problems.push('PUBLIC_URL is required when NODE_ENV=production');
  if (production && !env.DATABASE_URL) problems.push('DATABASE_URL is required when NODE_ENV=production');
  const limits = {
    perMinute: int('MICA_LIMIT_PER_MIN', 60, 1, 1_000_000),
    perDay: int('MICA_LIMIT_PER_DAY', 5000, 1, 100_000_000),
    registerPer15Min: int('RATE_LIMIT_AUTH_PER_15MIN', 15, 1, 1_000_000),
  };
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      host,
      port,
      publicUrl,
      databaseUrl,
      dataDir: resolve(env.DATA_DIR || './.data/mica-register'),
      redisUrl,
      logLevel,
      production,
      trustProxy: trustProxy === 'true',
      limits,
    },
  };
}
