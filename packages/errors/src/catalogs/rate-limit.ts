import { type CodeOf, defineCatalog } from '../catalog.js';

/**
 * SPEC §4.6 (published message). Pass `retryAfterSeconds` when creating it: renderers turn it into
 * the `retry-after` header and the Trusset `metadata.retryAfter`.
 */
export const rateLimitErrors = defineCatalog({
  RATE_LIMIT_EXCEEDED: { status: 429, message: 'Too many requests, please try again later' },
});
export type RateLimitErrorCode = CodeOf<typeof rateLimitErrors>;
