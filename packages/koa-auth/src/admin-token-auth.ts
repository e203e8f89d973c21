import { instanceAuthErrors } from '@portcullis/errors';
import { timingSafeEqualString } from '@portcullis/hashing';
import type { Middleware } from 'koa';
import { type AuthOutcomeHook, refusalCode } from './auth-outcome.js';

export interface AdminTokenAuthState {
  /** True once the operator token was accepted. */
  admin?: boolean;
}

export interface AdminTokenAuthOptions {
  /** The operator token (`ADMIN_TOKEN`). */
  token: string;
  /** Error for a missing token. Default 401 `AUTH_REQUIRED` (SPEC §4.3). */
  missing?: () => unknown;
  /** Error for a wrong token. Default 401 `AUTH_FAILED`. */
  invalid?: () => unknown;
  /** Observes each decision (scheme `admin_token`), e.g. to count outcomes; never sees the token. */
  onOutcome?: AuthOutcomeHook;
}

/**
 * Guards operator routes with `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time
 * (SPEC §4.3). Missing → `AUTH_REQUIRED`, wrong → `AUTH_FAILED` (or the errors given).
 *
 * @example
 * admin.use(adminTokenAuth({ token: env.ADMIN_TOKEN }));
 */
export function adminTokenAuth(options: AdminTokenAuthOptions): Middleware<AdminTokenAuthState> {
  const { token, onOutcome } = options;
  if (token.length === 0) throw new TypeError('adminTokenAuth: the admin token must not be empty');
  const missing = options.missing ?? (() => instanceAuthErrors.error('AUTH_REQUIRED'));
  const invalid = options.invalid ?? (() => instanceAuthErrors.error('AUTH_FAILED'));

  const refuse = (reason: 'missing' | 'malformed' | 'refused', err: unknown): unknown => {
    onOutcome?.('admin_token', reason, refusalCode(err));
    return err;
  };

  return async function adminTokenAuth(ctx, next) {
    const presented = bearerToken(ctx.get('authorization'));
    if (presented === undefined) throw refuse('missing', missing());
    if (presented === '') throw refuse('malformed', invalid());
    if (!timingSafeEqualString(presented, token)) throw refuse('refused', invalid());
    onOutcome?.('admin_token', 'ok', 'ok');
    ctx.state.admin = true;
    await next();
  };
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750 §2.1):
 * `undefined` when the header is absent or empty, `''` when it is present but not a usable bearer
 * credential (another scheme, several tokens, over 4096 characters), else the token.
 *
 * @example
 * bearerToken('Bearer abc'); // 'abc'
 * bearerToken('');           // undefined
 * bearerToken('Basic abc');  // ''
 */
export function bearerToken(header: string): string | undefined {
  if (header.length === 0) return undefined;
  // Bounded before any work, like every key parser (SPEC §2).
  if (header.length > 4096) return '';
  return /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? '';
}
