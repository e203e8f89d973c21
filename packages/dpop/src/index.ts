export type { NormalizedHttpUri } from './htu.js';
export { normalizeHttpUri } from './htu.js';
export type { MemoryReplayStore, MemoryReplayStoreOptions } from './memory-replay-store.js';
export { createMemoryReplayStore } from './memory-replay-store.js';
export type { NonceIssuer, NonceIssuerOptions } from './nonce.js';
export { createNonceIssuer } from './nonce.js';
export type {
  PostgresReplayStore,
  PostgresReplayStoreOptions,
  ReplayQueryable,
} from './postgres-replay-store.js';
export {
  createPostgresReplayStore,
  DPOP_REPLAY_TABLE_SQL,
  dpopReplayTableSql,
} from './postgres-replay-store.js';
export type { RedisReplayStoreOptions, RedisSetNx } from './redis-replay-store.js';
export { createRedisReplayStore } from './redis-replay-store.js';
export type { ReplayStore } from './replay-store.js';
export { ReplayStoreFullError } from './replay-store.js';
export { accessTokenHash, jwkThumbprint } from './thumbprint.js';
export type {
  DpopAlgorithm,
  DpopClaims,
  DpopNoncePolicy,
  DpopPublicJwk,
  DpopRejected,
  DpopRule,
  DpopVerification,
  DpopVerified,
  VerifyDpopProofOptions,
} from './verify.js';
export { DPOP_RULES, DpopInfrastructureError, verifyDpopProof } from './verify.js';
