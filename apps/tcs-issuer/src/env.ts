import { readServiceEnv, type ServiceEnv } from '@portcullis/app-kit';
import type { Result } from '@portcullis/errors';
import { parseKeyEncryptionKey } from './crypto/seal.js';

/** The issuer's configuration, read and validated once at boot (SPEC §1, §6.2). */
interface TcsIssuerConfig extends ServiceEnv {
  adminToken: string;
  /** True when ADMIN_TOKEN was unset and one was generated for this run (printed at start). */
  adminTokenGenerated: boolean;
  /**
   * `KEY_ENCRYPTION_KEY` (32 bytes as 64 hex or 43 base64url characters): seals every private key
   * the issuer stores. Unset outside production → generated once into `DATA_DIR` by the server.
   */
  keyEncryptionKey: Uint8Array | undefined;
  /** Lifetime of login access tokens, seconds (SPEC §6.2: 15 minutes). */
  accessTokenTtlSeconds: number;
  limits: {
    /** SPEC §6.2: failed logins per 15 minutes, per address and per uuid. */
    loginFailuresPer15Min: number;
    /** Failed operator authentications per 15 minutes per address. */
    adminAuthPer15Min: number;
  };
}

/** The configuration, or `invalid` with every problem found, one line each. */
export type ConfigResult = Result<{ config: TcsIssuerConfig }, 'invalid', { problems: string[] }>;

/**
 * Reads the environment: the only place in this app that looks at `process.env`. Every bad
 * variable is reported by name, all at once; secrets are never echoed.
 *
 * @example
 * const result = readConfig(process.env);
 * if (!result.ok) { for (const p of result.problems) console.error(p); process.exit(1); }
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const { common, reader } = readServiceEnv(env, { app: 'tcs-issuer', defaultPort: 3003 });
  const { problems } = reader;
  const { token: adminToken, generated: adminTokenGenerated } = reader.adminToken();

  let keyEncryptionKey: Uint8Array | undefined;
  const kek = env.KEY_ENCRYPTION_KEY ?? '';
  if (kek !== '') {
    keyEncryptionKey = parseKeyEncryptionKey(kek);
    if (!keyEncryptionKey)
      problems.push('KEY_ENCRYPTION_KEY must be 32 bytes as 64 hex or 43 base64url characters');
  } else if (common.production) {
    problems.push('KEY_ENCRYPTION_KEY is required when NODE_ENV=production');
  }

  const accessTokenTtlSeconds = reader.int('ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400);
  const limits = {
    loginFailuresPer15Min: reader.int('RATE_LIMIT_LOGIN_FAILURES_PER_15MIN', 15, 1, 1_000_000),
    adminAuthPer15Min: reader.int('RATE_LIMIT_AUTH_PER_15MIN', 15, 1, 1_000_000),
  };

  if (problems.length > 0) return { ok: false, reason: 'invalid', problems };
  return {
    ok: true,
    config: { ...common, adminToken, adminTokenGenerated, keyEncryptionKey, accessTokenTtlSeconds, limits },
  };
}
