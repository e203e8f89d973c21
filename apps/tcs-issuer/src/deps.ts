import { hkdfSync } from 'node:crypto';
import {
  countAuthOutcomes,
  countRateLimitRefusals,
  createMetrics,
  observeKeyCache,
  readinessChecks,
  reportCacheEvents,
} from '@portcullis/app-kit';
import type { Database } from '@portcullis/db';
import { createNonceIssuer, createPostgresReplayStore, createRedisReplayStore } from '@portcullis/dpop';
import { createPasswordHasher, type PasswordHasher } from '@portcullis/hashing';
import { createKeyCache, createSqlOutbox } from '@portcullis/key-cache';
import { createWindowLimiter } from '@portcullis/koa-auth';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppDeps } from './app.js';
import type { LocalCa } from './crypto/ca.js';
import { createSealer } from './crypto/seal.js';
import { createRedisCredentialNonces, createSqlCredentialNonces } from './issuance/c-nonces.js';
import { C_NONCE_TTL_SECONDS, endpointsOf, ISSUANCE_TOKEN_TTL_SECONDS } from './issuance/configurations.js';
import { createCredentialIssuer } from './issuance/issue.js';
import { createTenantSigners } from './issuance/signer.js';
import { createStatusListService } from './issuance/status-lists.js';
import { findTenantKey, type TenantKeyRow } from './store/tenants.js';
import { createTokenService } from './tokens.js';

export interface BuildDepsOptions {
  db: Database;
  /** Command connection; omit for single-node mode (in-process cache and limits). */
  redis?: Redis | undefined;
  /** Subscriber connection for cache invalidations; required with `redis`. */
  subscriber?: Redis | undefined;
  adminToken: string;
  /** Seals every stored private key (32 bytes); the issuance secrets are derived from it. */
  keyEncryptionKey: Uint8Array;
  /** The local CA of `es256_x509` leaf certificates (`loadOrCreateCa`). */
  ca: LocalCa;
  publicUrl: string;
  logger: Logger;
  now?: () => number;
  /** Login token lifetime, seconds. Default 900. */
  accessTokenTtlSeconds?: number;
  limits?: Partial<{ loginFailuresPer15Min: number; adminAuthPer15Min: number }>;
  /** The password hasher (tests pass cheaper argon2 parameters or an observed backend). */
  hasher?: PasswordHasher;
  trustProxy?: boolean;
  /** `TRUST_PROXY_HOPS`: how many proxies append to `X-Forwarded-For` (default 1). */
  trustProxyHops?: number;
  /** Namespace of Redis keys, so several deployments (or test files) can share one Redis. */
  redisPrefix?: string;
  /** L1 settings of the key cache (TTL in ms); `false` turns L1 off. */
  l1?: { ttlMs?: number; maxEntries?: number } | false;
}

/**
 * Wires the app's collaborators from injected clients. Starts nothing: `server.ts` calls
 * `keyCache.start()` and `tokens.start()` before serving.
 *
 * @example
 * const deps = buildDeps({ db, adminToken, keyEncryptionKey, publicUrl, logger });
 * await deps.keyCache.start(); await deps.tokens.start();
 */
export function buildDeps(options: BuildDepsOptions): AppDeps {
  const { db, redis, subscriber, logger, publicUrl } = options;
  const now = options.now ?? Date.now;
  const prefix = options.redisPrefix ?? 'pc:tcs';
  const metrics = createMetrics();
  const sealer = createSealer(options.keyEncryptionKey);
  const keyCache = createKeyCache<TenantKeyRow>({
    load: (digest) => findTenantKey(db, digest),
    redis,
    subscriber,
    namespace: `${prefix}:key`,
    // Filled by triggers (migration 0002) in the same transaction as every tenant key or tenant
    // status change: every process relays it to Redis, so no invalidation is lost (SPEC §8).
    outbox: createSqlOutbox(db),
    ...(options.l1 === undefined ? {} : { l1: options.l1 }),
    onEvent: reportCacheEvents(logger, metrics),
  });
  observeKeyCache(metrics, keyCache);

  // Secrets every process of a deployment shares, derived from the one key-encryption key (each
  // under its own label, so none can stand for another): transaction-code HMACs, DPoP nonces.
  const derive = (label: string) =>
    new Uint8Array(
      hkdfSync('sha256', options.keyEncryptionKey, new Uint8Array(0), `portcullis tcs ${label}`, 32),
    );
  const signers = createTenantSigners({ db, sealer, ca: options.ca, publicUrl, now });
  const issuance = {
    nonces: redis
      ? createRedisCredentialNonces({ redis, prefix: `${prefix}:cnonce:`, ttlMs: C_NONCE_TTL_SECONDS * 1000 })
      : createSqlCredentialNonces({ db, ttlMs: C_NONCE_TTL_SECONDS * 1000, now }),
    dpopNonces: createNonceIssuer({ secrets: [derive('dpop-nonce')], now }),
    replay: redis
      ? createRedisReplayStore({ redis, prefix: `${prefix}:dpop:jti:` })
      : createPostgresReplayStore({
          db,
          now,
          onCleanupError: (error) =>
            logger.warn({ err: (error as Error).message }, 'DPoP replay cleanup failed'),
        }),
    txCodeKey: derive('tx-code'),
    signers,
    caCertificatePem: options.ca.certificatePem,
    statusLists: createStatusListService({ db, signers, publicUrl, now }),
    issue: createCredentialIssuer({ db, signers, publicUrl }),
  };

  const limits = { loginFailuresPer15Min: 15, adminAuthPer15Min: 15, ...options.limits };
  const onStoreError = (error: Error) => logger.warn({ err: error.message }, 'rate limiter store failed');
  const refusals = countRateLimitRefusals(metrics);
  const limiter = (name: string, limit: number) =>
    createWindowLimiter({
      limit,
      windowMs: 900_000,
      prefix: `${prefix}:rl:${name}`,
      redis,
      now,
      onStoreError,
      onRefused: refusals(name),
    });

  return {
    db,
    keyCache,
    tokens: createTokenService({
      db,
      sealer,
      issuer: publicUrl,
      ttlSeconds: options.accessTokenTtlSeconds ?? 900,
      now,
      credentialEndpoint: endpointsOf(publicUrl).credential,
      issuanceTtlSeconds: ISSUANCE_TOKEN_TTL_SECONDS,
    }),
    issuance,
    sealer,
    hasher: options.hasher ?? createPasswordHasher(),
    limiters: {
      loginPerIp: limiter('login-ip', limits.loginFailuresPer15Min),
      loginPerUuid: limiter('login-uuid', limits.loginFailuresPer15Min),
      adminAuthFailures: limiter('admin', limits.adminAuthPer15Min),
    },
    adminToken: options.adminToken,
    publicUrl,
    now,
    logger,
    metrics,
    authOutcomes: countAuthOutcomes(metrics),
    checks: readinessChecks(db, redis),
    trustProxy: options.trustProxy ?? false,
    trustProxyHops: options.trustProxyHops ?? 1,
  };
}
