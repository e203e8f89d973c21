import { readServiceEnv, type ServiceEnv } from '@portcullis/app-kit';
import type { Result } from '@portcullis/errors';

/** The instance API's configuration, read and validated once at boot (SPEC §1, §4.6). */
interface InstanceApiConfig extends ServiceEnv {
  adminToken: string;
  /** True when ADMIN_TOKEN was unset and one was generated for this run (printed at start). */
  adminTokenGenerated: boolean;
  limits: { keyPerMin: number; ipPerMin: number; keyMgmtPerMin: number; authPer15Min: number };
  /** `TOKEN_FACTORY_ADDRESS` in lower case; unset → tokenization's documented default. */
  tokenFactoryAddress: string | undefined;
}

/** The configuration, or `invalid` with every problem found, one line each. */
export type ConfigResult = Result<{ config: InstanceApiConfig }, 'invalid', { problems: string[] }>;

/**
 * Reads the environment: the only place in this app that looks at `process.env`. Every bad
 * variable is reported by name, all at once.
 *
 * @example
 * const result = readConfig(process.env);
 * if (!result.ok) { for (const p of result.problems) console.error(p); process.exit(1); }
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const { common, reader } = readServiceEnv(env, { app: 'instance-api', defaultPort: 3001 });
  const { problems } = reader;

  const { token: adminToken, generated: adminTokenGenerated } = reader.adminToken();

  const limits = {
    keyPerMin: reader.int('RATE_LIMIT_KEY_PER_MIN', 200, 1, 1_000_000),
    ipPerMin: reader.int('RATE_LIMIT_IP_PER_MIN', 100, 1, 1_000_000),
    keyMgmtPerMin: reader.int('RATE_LIMIT_KEY_MGMT_PER_MIN', 30, 1, 1_000_000),
    authPer15Min: reader.int('RATE_LIMIT_AUTH_PER_15MIN', 15, 1, 1_000_000),
  };

  const factory = env.TOKEN_FACTORY_ADDRESS || undefined;
  if (factory !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(factory)) {
    problems.push('TOKEN_FACTORY_ADDRESS must be an address: 0x and 40 hexadecimal digits');
  }
  const tokenFactoryAddress = factory?.toLowerCase();

  if (problems.length > 0) return { ok: false, reason: 'invalid', problems };
  return { ok: true, config: { ...common, adminToken, adminTokenGenerated, limits, tokenFactoryAddress } };
}
