export type { AdminTokenAuthOptions, AdminTokenAuthState } from './admin-token-auth.js';
export { adminTokenAuth, bearerToken } from './admin-token-auth.js';
export type { AuthDecision, AuthOutcomeHook, AuthReason, AuthScheme } from './auth-outcome.js';
export { refusalCode } from './auth-outcome.js';
export type { BearerJwtAuthOptions, BearerJwtAuthState } from './bearer-jwt-auth.js';
export { bearerJwtAuth } from './bearer-jwt-auth.js';
export type { ClientAddressOptions } from './client-address.js';
export { clientAddress, clientAddressOf } from './client-address.js';
export type {
  AuthorizationCredentials,
  DpopAuthOptions,
  DpopAuthState,
  DpopPolicy,
  DpopProof,
  PresentedAccessToken,
} from './dpop-auth.js';
export { authorizationCredentials, dpopAuth } from './dpop-auth.js';
export type { ErrorHandlerOptions, ErrorRenderer, ErrorResponder } from './error-handler.js';
export { errorHandler, errorResponder } from './error-handler.js';
export type { FormBodyOptions, FormBodyProblem, FormBodyState } from './form-body.js';
export { formBody } from './form-body.js';
export type {
  InstanceKeyAuthOptions,
  InstanceKeyAuthState,
  InstancePrincipal,
} from './instance-key-auth.js';
export { instanceKeyAuth, requireService } from './instance-key-auth.js';
export type { JsonBodyOptions, JsonBodyProblem, JsonBodyState } from './json-body.js';
export { jsonBody, jsonBodyProblemMessage } from './json-body.js';
export type { MaybePromise } from './maybe-async.js';
export { attempt } from './maybe-async.js';
export type { MicaKeyAuthOptions, MicaKeyAuthState, MicaPrincipal } from './mica-key-auth.js';
export { micaKeyAuth } from './mica-key-auth.js';
export type { FailedAttemptLimitOptions, RateLimitOptions } from './rate-limit.js';
export { failedAttemptLimit, rateLimit, standardRateLimitHeaders } from './rate-limit.js';
export type { RequestIdState } from './request-id.js';
export { requestId, requestIdFor } from './request-id.js';
export type { TcsKeyAuthOptions, TcsKeyAuthState } from './tcs-key-auth.js';
export { tcsKeyAuth } from './tcs-key-auth.js';
export type { LimitResult, WindowLimiter, WindowLimiterOptions } from './window-limiter.js';
export { createWindowLimiter } from './window-limiter.js';
