import { type CodeOf, defineCatalog } from '../catalog.js';

/**
 * TCS API-key outcomes, SPEC §6.1. The three messages are published and byte-exact: do not edit.
 * `ACCOUNT_NOT_APPROVED` is also the login answer for a pending or suspended tenant (SPEC §6.2).
 */
export const tcsApiKeyErrors = defineCatalog({
  API_KEY_REQUIRED: { status: 401, message: 'API Key is required' },
  INVALID_API_KEY: { status: 401, message: 'Invalid API Key' },
  ACCOUNT_NOT_APPROVED: { status: 403, message: 'Account is not approved' },
});
export type TcsApiKeyErrorCode = CodeOf<typeof tcsApiKeyErrors>;

/**
 * The other TCS admin, login and API errors (SPEC §6.2–§6.3), rendered in the same
 * `{ statusCode, message, error }` format. Messages are ours, in the published ones' style.
 */
export const tcsApiErrors = defineCatalog({
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  // Missing `Authorization: Bearer …` on admin (ADMIN_TOKEN) or tenant (login JWT) routes.
  TOKEN_REQUIRED: { status: 401, message: 'Bearer token is required' },
  INVALID_TOKEN: { status: 401, message: 'Invalid or expired token' },
  // SPEC §6.2: wrong uuid or wrong password get this one message.
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid credentials' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  // A known path with a method it does not have (or a method no route has): 405 with `Allow`.
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large' },
  // SPEC §6.2: 15 failed logins per 15 min per IP and per uuid.
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests, please try again later' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable', expose: true },
});
export type TcsApiErrorCode = CodeOf<typeof tcsApiErrors>;
