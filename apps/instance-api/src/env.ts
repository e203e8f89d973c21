import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

/** The instance API's configuration, read and validated once at boot (SPEC §1, §4.6). */
export interface InstanceApiConfig {
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  adminToken: string;
  /** True when ADMIN_TOKEN was unset and one was generated for this run (printed at start). */
  adminTokenGenerated: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  production: boolean;
  trustProxy: boolean;
  limits: { keyPerMin: number; ipPerMin: number; keyMgmtPerMin: number; authPer15Min: number };
}

export type ConfigResult = { ok: true; config: InstanceApiConfig } | { ok: false; problems: string[] };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Reads the environment: the only place in this app that looks at `process.env`. Every bad
 * variable is reported by name, all at once.
 *
 * @example
 * const result = readConfig(process.env);
 * if (!result.ok) { for (const p of result.problems) console.error(p); process.exit(1); }
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const problems: string[] = [];
  const production = env.NODE_ENV === 'production';

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
  const url = (name: string, protocols: string[]): string | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      // Never echo the value: connection strings carry passwords.
      problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      return undefined;
    }
  };

  const host = env.HOST || '127.0.0.1';
  const port = int('PORT', 3001, 0, 65_535);
  const publicUrl = url('PUBLIC_URL', ['http:', 'https:']) ?? `http://${host}:${port}`;
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const logLevel = (env.LOG_LEVEL || 'info') as InstanceApiConfig['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const trustProxyRaw = env.TRUST_PROXY ?? 'false';
  if (trustProxyRaw !== 'true' && trustProxyRaw !== 'false')
    problems.push('TRUST_PROXY must be true or false');

  let adminToken = env.ADMIN_TOKEN ?? '';
  let adminTokenGenerated = false;
  if (adminToken !== '' && adminToken.length < 16)
    problems.push('ADMIN_TOKEN must be at least 16 characters');
  if (production) {
    if (adminToken === '') problems.push('ADMIN_TOKEN is required when NODE_ENV=production');
    if (!env.PUBLIC_URL) problems.push('PUBLIC_URL is required when NODE_ENV=production');
    if (!env.DATABASE_URL) problems.push('DATABASE_URL is required when NODE_ENV=production');
  } else if (adminToken === '') {
    adminToken = randomBytes(32).toString('hex');
    adminTokenGenerated = true;
  }

  const limits = {
    keyPerMin: int('RATE_LIMIT_KEY_PER_MIN', 200, 1, 1_000_000),
    ipPerMin: int('RATE_LIMIT_IP_PER_MIN', 100, 1, 1_000_000),
    keyMgmtPerMin: int('RATE_LIMIT_KEY_MGMT_PER_MIN', 30, 1, 1_000_000),
    authPer15Min: int('RATE_LIMIT_AUTH_PER_15MIN', 15, 1, 1_000_000),
  };

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      host,
      port,
      publicUrl,
      databaseUrl,
      dataDir: resolve(env.DATA_DIR || './.data/instance-api'),
      redisUrl,
      adminToken,
      adminTokenGenerated,
      logLevel,
      production,
      trustProxy: trustProxyRaw === 'true',
      limits,
    },
  };
}
