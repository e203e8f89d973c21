import { type CodeOf, defineCatalog } from '../catalog.js';

/**
 * Instance API authentication outcomes, SPEC §4.2 (published). Every `AUTH_FAILED` case shares one
 * message so the response cannot tell a revoked key from an unknown one.
 */
export const instanceAuthErrors = defineCatalog({
  AUTH_REQUIRED: { status: 401, message: 'API key required' },
  AUTH_FAILED: { status: 401, message: 'Invalid or expired API key' },
  SERVICE_NOT_ENABLED: { status: 403, message: 'Service not enabled for this instance' },
  AUTH_ERROR: { status: 500, message: 'Authentication failed' },
});
export type InstanceAuthErrorCode = CodeOf<typeof instanceAuthErrors>;

/** Instance API request errors, SPEC §4.1, §4.3–§4.5 and §8 (413). */
export const instanceApiErrors = defineCatalog({
  // SPEC §4.1: `details` lists each bad field.
  VALIDATION_ERROR: { status: 400, message: 'Request validation failed' },
  // SPEC §4.4: well formed, but not allowed in the resource's current state.
  INVALID_INPUT: { status: 400, message: 'Invalid input' },
  // SPEC §4.4: callers pass the resource, e.g. { message: 'API key not found' }.
  NOT_FOUND: { status: 404, message: 'Not found' },
  // A known path with a method it does not have (or a method no route has): 405 with `Allow`.
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  // SPEC §4.5 core resources: the state a request needs is not there (free balance, collateral,
  // market liquidity), or the resource it names already exists.
  INSUFFICIENT_BALANCE: { status: 400, message: 'Insufficient balance' },
  INSUFFICIENT_COLLATERAL: { status: 400, message: 'Insufficient collateral' },
  INSUFFICIENT_LIQUIDITY: { status: 400, message: 'Insufficient liquidity' },
  TOKEN_NOT_FOUND: { status: 404, message: 'Token not found' },
  LIMIT_EXCEEDED: { status: 409, message: 'Maximum 10 active API keys per instance' },
  CUSTOMER_EXISTS: {
    status: 409,
    message: 'A customer with this wallet address or external id already exists',
  },
  TOKEN_EXISTS: { status: 409, message: 'A token with this address already exists' },
  // An `Idempotency-Key` reused with another request within its 24 h.
  IDEMPOTENCY_MISMATCH: {
    status: 409,
    message: 'This Idempotency-Key was used with a different request',
  },
  // SPEC §8: body limit 1 MB.
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  // SPEC §8 "database down → 503 with the envelope": the message is ours and safe, so expose it.
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable', expose: true },
});
export type InstanceApiErrorCode = CodeOf<typeof instanceApiErrors>;
