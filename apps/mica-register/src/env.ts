import { resolve } from 'node:path';
import { readServiceEnv, type ServiceEnv } from '@portcullis/app-kit';
import type { Result } from '@portcullis/errors';

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
interface MicaRegisterConfig extends ServiceEnv {
  limits: { perMinute: number; perDay: number; registerPer15Min: number; managementAuthPer15Min: number };
}

/** The configuration, or `invalid` with every problem found, one line each. */
export type ConfigResult = Result<{ config: MicaRegisterConfig }, 'invalid', { problems: string[] }>;

/**
 * Reads the server's environment: every bad variable is reported by name, all at once, and
 * never echoed when it may hold a password.
 *
 * @example
 * const result = readConfig(process.env);
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const { common, reader } = readServiceEnv(env, { app: 'mica-register', defaultPort: 3002 });
  const limits = {
    perMinute: reader.int('MICA_LIMIT_PER_MIN', 60, 1, 1_000_000),
    perDay: reader.int('MICA_LIMIT_PER_DAY', 5000, 1, 100_000_000),
    registerPer15Min: reader.int('RATE_LIMIT_AUTH_PER_15MIN', 15, 1, 1_000_000),
    // SPEC §5.2: failed management-token authentications per address, the same auth budget.
    managementAuthPer15Min: reader.int('RATE_LIMIT_AUTH_PER_15MIN', 15, 1, 1_000_000),
  };
  if (reader.problems.length > 0) return { ok: false, reason: 'invalid', problems: reader.problems };
  return { ok: true, config: { ...common, limits } };
}
