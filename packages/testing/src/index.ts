export type { AppAudit, AppAuditOptions, WatchedApp } from './app-audit.js';
export { auditApps } from './app-audit.js';
export type { AppRedis } from './app-clients.js';
export { connectAppRedis, connectRedisClient, lineSink } from './app-clients.js';
export type {
  AxeViolation,
  BrowserLookup,
  BrowserSession,
  FocusedControl,
  PageProblems,
} from './browser.js';
export {
  browserAvailability,
  clipboardText,
  focusedControl,
  launchBrowser,
  openSession,
  screenshotDir,
  scrollsHorizontally,
  secretsInBrowserStorage,
  seriousAxeViolations,
  sessionFindings,
  watchPage,
} from './browser.js';
export type { FakeClock } from './clock.js';
export { createFakeClock } from './clock.js';
export type {
  AppSuites,
  SharedBackendsFixture,
  SharedBackendsFixtureOptions,
  TwoProcessCluster,
  TwoProcessOptions,
} from './cluster.js';
export { appSuites, describeSharedBackends, describeTwoProcesses } from './cluster.js';
export type { ConsoleSetupProject } from './console-setup.js';
export { consoleGlobalSetup } from './console-setup.js';
export type { ConsoleApp, ConsoleSuite, ConsoleSuiteOptions } from './console-suite.js';
export {
  copyFirstSecretByKeyboard,
  describeConsole,
  expectConsoleServed,
  expectFocusOn,
} from './console-suite.js';
export type { TestEnv } from './env.js';
export { isCi } from './env.js';
export type { Served } from './http.js';
export { firstMatching, listen, readJson } from './http.js';
export type {
  InvalidationOutageOptions,
  InvalidationOutageResult,
  RedisOutage,
} from './invalidation-outage.js';
export { runInvalidationOutage } from './invalidation-outage.js';
export { generateJwkPair } from './keys.js';
export type { LintProblem, LintReport } from './openapi-lint.js';
export { lintOpenApi } from './openapi-lint.js';
export type {
  CheckedDocument,
  RecordedAnswer,
  ResponseCheck,
  ResponseCheckOptions,
} from './openapi-responses.js';
export { documentedOperations, registeredOperations, responseCheck } from './openapi-responses.js';
export type { OutboxDatabase, OutboxProbe, OutboxQueryable } from './outbox.js';
export { outboxDatabase, outboxProbe, waitUntil } from './outbox.js';
export type {
  DocumentedOperation,
  HttpSpellingSendOptions,
  LimiterCall,
  PathSpellingCheckOptions,
  SpellingChange,
  SpellingOutcome,
} from './path-spellings.js';
export {
  checkPathSpellings,
  delayedLimiters,
  documentedOperationsOf,
  httpSpellingSend,
  pathSpellings,
  recordingLimiters,
} from './path-spellings.js';
export type { CreatePgliteDataDirOptions, PgliteDataDir } from './pglite.js';
export { createPgliteDataDir } from './pglite.js';
export { getFreePort } from './ports.js';
export type { CreatePostgresSchemaOptions, PostgresAvailability, PostgresSchema } from './postgres.js';
export { createPostgresSchema, postgresAvailability } from './postgres.js';
export type { RedisServerHandle, RedisServerLookup, StartRedisOptions } from './redis.js';
export { findRedisServer, redisAvailability, startRedis } from './redis.js';
export type {
  Closable,
  SharedBackends,
  SharedBackendsAvailability,
  StartSharedBackendsOptions,
  Tuple,
} from './shared-backends.js';
export { sharedBackendsAvailability, startSharedBackends } from './shared-backends.js';
