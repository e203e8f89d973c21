import { type CodeOf, defineCatalog } from '../catalog.js';

/** MiCA Register API-key authentication, SPEC §5.1 (published codes). */
export const micaAuthErrors = defineCatalog({
  // No key, or a key without the `trusset_mica_` prefix.
  UNAUTHORIZED: { status: 401, message: 'MiCA Register API key required' },
  // Right prefix, but malformed, revoked or unknown: one message for all (no oracle).
  INVALID_KEY: { status: 401, message: 'Invalid or revoked API key' },
  AUTH_ERROR: { status: 500, message: 'Authentication failed' },
});
export type MicaAuthErrorCode = CodeOf<typeof micaAuthErrors>;

/** MiCA developer accounts and register data, SPEC §5.2–§5.3. */
export const micaDeveloperErrors = defineCatalog({
  // SPEC §5.2: "A missing or wrong management token → 401 UNAUTHORIZED / INVALID_TOKEN".
  UNAUTHORIZED: { status: 401, message: 'Management token required' },
  INVALID_TOKEN: { status: 401, message: 'Invalid management token' },
  EMAIL_EXISTS: { status: 409, message: 'A developer account with this email already exists' },
  KEY_LIMIT_REACHED: { status: 409, message: 'Maximum 3 active API keys per developer' },
  ALREADY_REVOKED: { status: 409, message: 'API key already revoked' },
  VALIDATION_ERROR: { status: 400, message: 'Request validation failed' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  // A known path with a method it does not have (or a method no route has): 405 with `Allow`.
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
});
export type MicaDeveloperErrorCode = CodeOf<typeof micaDeveloperErrors>;
