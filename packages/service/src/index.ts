export type { AppHeadOptions } from './app-head.js';
export { useAppHead } from './app-head.js';
export type { EnvReader, ServiceEnv } from './env.js';
export { readServiceEnv } from './env.js';
export type { HealthRoutesOptions } from './health.js';
export { healthRoutes } from './health.js';
export type { LoggerOptions } from './logger.js';
export { createLogger, errorForLog, REDACTED_PATHS } from './logger.js';
export type { Counter, Metrics } from './metrics.js';
export { createMetrics } from './metrics.js';
export type {
  DocumentedError,
  ErrorResponsesOptions,
  JsonSchema,
  OpenApiComponents,
  OpenApiDocument,
  OpenApiHeader,
  OpenApiHeaders,
  OpenApiInfo,
  OpenApiMediaType,
  OpenApiMethod,
  OpenApiOperation,
  OpenApiParameter,
  OpenApiPathItem,
  OpenApiReference,
  OpenApiRequestBody,
  OpenApiResponse,
  OpenApiSecurityRequirement,
  OpenApiSecurityScheme,
  OpenApiServer,
  OperationSpec,
  RegisteredOperation,
  StandardRoute,
  StandardRoutePathsOptions,
  TcsErrorSchemaOptions,
  TrussetSuccessSchemaOptions,
} from './openapi.js';
export {
  catalogErrors,
  documentedOperations,
  errorResponses,
  errorSchemaRef,
  headerRef,
  jsonContent,
  OPENAPI_METHODS,
  OPENAPI_PATH,
  openApiOperation,
  openApiProblems,
  openApiRoutes,
  parameterRef,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
  registeredOperations,
  schemaRef,
  standardRoutePaths,
  tcsErrorSchema,
  toOpenApiPath,
  trussetErrorSchema,
  trussetSuccessSchema,
} from './openapi.js';
export type {
  AnswerCheckOptions,
  OpenApiCheck,
  OpenApiCheckOptions,
  OpenApiErrorFormat,
  OperationAnswer,
  ProbeOptions,
} from './openapi-check.js';
export { fetchOpenApiDocument, openApiCheck } from './openapi-check.js';
export type { RedisPair } from './redis.js';
export { connectRedisPair } from './redis.js';
export { appRouter } from './router.js';
export type { Part, RunOptions } from './run.js';
export { openDatabase, runService } from './run.js';
export type { ServeOptions, Serving } from './serve.js';
export { serve } from './serve.js';
export { createTurnBarrier } from './turn.js';
export type { KeyUsage, UsageBatcher, UsageBatcherOptions } from './usage.js';
export { createUsageBatcher } from './usage.js';
export type { FieldProblem, SingleLineTextOptions } from './validation.js';
export { CONTROL_CHARACTER_MESSAGE, singleLineText, validate } from './validation.js';
export type { CacheEvent } from './wiring.js';
export { readinessChecks, reportCacheEvents } from './wiring.js';
