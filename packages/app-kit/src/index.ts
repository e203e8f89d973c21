export type { EnvReader, ServiceEnv } from './env.js';
export { readServiceEnv } from './env.js';
export type { HealthDialect, HealthRoutesOptions, MetricsSource } from './health.js';
export { healthRoutes } from './health.js';
export type { LoggerOptions } from './logger.js';
export { createLogger, errorForLog, REDACTED_PATHS } from './logger.js';
export type {
  Counter,
  CounterSeries,
  Histogram,
  HistogramSeries,
  Metrics,
  MetricsOptions,
} from './metrics.js';
export { createMetrics } from './metrics.js';
export type { RequestPipelineOptions } from './pipeline.js';
export { REQUEST_DURATION_BUCKETS, UNMATCHED_ROUTE, useRequestPipeline } from './pipeline.js';
export type { RedisPair } from './redis.js';
export { connectRedisPair } from './redis.js';
export type { Part, RunOptions } from './run.js';
export { openDatabase, runService } from './run.js';
export type { ServeOptions, Serving } from './serve.js';
export { serve } from './serve.js';
export { createTurnBarrier } from './turn.js';
export type { CacheEvent, KeyCacheStatsSource } from './wiring.js';
export {
  BREAKER_STATES,
  countAuthOutcomes,
  countRateLimitRefusals,
  observeKeyCache,
  readinessChecks,
  reportCacheEvents,
} from './wiring.js';
