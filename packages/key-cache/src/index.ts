export type { BreakerState, CircuitBreaker, CircuitBreakerOptions } from './breaker.js';
export { BreakerOpenError, CallTimeoutError, createCircuitBreaker } from './breaker.js';
export type { KeyCache, KeyCacheCodec, KeyCacheEvent, KeyCacheOptions, KeyCacheStats } from './key-cache.js';
export { createKeyCache } from './key-cache.js';
export type { InvalidationOutbox, OutboxDatabase, OutboxQueryable, SqlOutboxOptions } from './outbox.js';
export { createSqlOutbox } from './outbox.js';
export type { KeyUsage, UsageBatcher, UsageBatcherOptions } from './usage.js';
export { createUsageBatcher } from './usage.js';
