export type { Catalog, CodeOf, ErrorSpec, ResolvedErrorSpec } from './catalog.js';
export { defineCatalog } from './catalog.js';
export type { InstanceApiErrorCode, InstanceAuthErrorCode } from './catalogs/instance.js';
export { instanceApiErrors, instanceAuthErrors } from './catalogs/instance.js';
export type { MicaAuthErrorCode, MicaDeveloperErrorCode } from './catalogs/mica.js';
export { micaAuthErrors, micaDeveloperErrors } from './catalogs/mica.js';
export type { CredentialEndpointErrorCode, TokenEndpointErrorCode } from './catalogs/oauth.js';
export { credentialEndpointErrors, tokenEndpointErrors } from './catalogs/oauth.js';
export type { RateLimitErrorCode } from './catalogs/rate-limit.js';
export { rateLimitErrors } from './catalogs/rate-limit.js';
export type { TcsApiErrorCode, TcsApiKeyErrorCode } from './catalogs/tcs.js';
export { tcsApiErrors, tcsApiKeyErrors } from './catalogs/tcs.js';
export type { CodedErrorInit, CodedErrorOptions } from './coded-error.js';
export { CodedError, isCodedError } from './coded-error.js';
export type { RenderedError } from './render/common.js';
export type { OAuthErrorBody, OAuthRenderOptions } from './render/oauth.js';
export { quotedString, renderOAuth, wwwAuthenticate } from './render/oauth.js';
export type {
  DocumentedError,
  TcsErrorSchemaOptions,
  TrussetSuccessSchemaOptions,
} from './render/schemas.js';
export {
  catalogErrors,
  describeErrors,
  errorsByStatus,
  fieldProblemSchema,
  oauthErrorSchema,
  tcsErrorSchema,
  trussetErrorSchema,
  trussetSuccessSchema,
} from './render/schemas.js';
export type { TcsErrorBody } from './render/tcs.js';
export { renderTcs } from './render/tcs.js';
export type {
  TrussetErrorBody,
  TrussetErrorMetadata,
  TrussetMeta,
  TrussetRenderOptions,
  TrussetSuccessBody,
  TrussetSuccessMeta,
} from './render/trusset.js';
export { renderTrusset, renderTrussetSuccess } from './render/trusset.js';
export type { Result } from './result.js';
export type { HttpErrorStatus } from './status.js';
export { assertNever, HTTP_ERROR_STATUSES, httpReasonPhrase, isHttpErrorStatus } from './status.js';
