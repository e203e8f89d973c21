import { isCodedError } from '@portcullis/errors';

/** The credential an authentication decision is about. */
export type AuthScheme = 'instance_key' | 'mica_key' | 'tcs_api_key' | 'admin_token' | 'bearer_jwt';

/**
 * Why a credential was accepted or refused: `ok`, a parse failure of the header (`missing`,
 * `wrong-prefix`, `malformed`), a well-formed credential the lookup or comparison refused
 * (`refused`: unknown, revoked, expired… all alike), an account not approved, a service not
 * enabled, or a lookup or verification that failed (`lookup_failed`: infrastructure).
 */
export type AuthReason =
  | 'ok'
  | 'missing'
  | 'wrong-prefix'
  | 'malformed'
  | 'refused'
  | 'not_approved'
  | 'service_not_enabled'
  | 'lookup_failed';

/**
 * Observes each decision of an authentication middleware (for metrics): the scheme, the reason
 * and the code of the answer (`ok` when accepted, else the refusal's error code). It is never
 * given the credential or anything derived from it. Called synchronously; must not throw.
 */
export type AuthOutcomeHook = (scheme: AuthScheme, reason: AuthReason, code: string) => void;

/** The code of a refusal for the hook: the coded error's code, else `unknown`. */
export function refusalCode(err: unknown): string {
  return isCodedError(err) ? err.code : 'unknown';
}
