import { isCodedError, type Result } from '@portcullis/errors';

/** The credential an authentication decision is about. */
export type AuthScheme = 'instance_key' | 'mica_key' | 'tcs_api_key' | 'admin_token' | 'bearer_jwt';

/**
 * An app's decision on a well-formed credential: the principal it grants, or a refusal with the
 * app's own reason (`unknown`, `revoked`, `expired`, `paused`, …: a closed set of code-chosen
 * words). The middleware hands the reason to its `onOutcome` hook, for logs and metrics, and
 * never to the client: every refusal of a scheme gets the same answer (the TCS guard alone answers
 * `not_approved` differently, as it publishes). Reasons should not reuse the middleware's own
 * words for the header (`missing`, `wrong-prefix`, `malformed`) or `ok`.
 *
 * @example
 * ```ts
 * type KeyRefusal = 'unknown' | 'revoked';
 * const UNKNOWN = Object.freeze({ ok: false, reason: 'unknown' } as const);
 * const REVOKED = Object.freeze({ ok: false, reason: 'revoked' } as const);
 * const decide = (row: KeyRow | null): AuthDecision<Principal, KeyRefusal> =>
 *   row === null ? UNKNOWN : row.revoked ? REVOKED : { ok: true, principal: row.principal };
 *
 * app.use(micaKeyAuth({ lookup: (digest) => decide(rows.get(digest)), onOutcome }));
 * // an unknown and a revoked key both answer 401 INVALID_KEY; onOutcome sees 'unknown' / 'revoked'.
 * ```
 */
export type AuthDecision<P, R extends string = string> = Result<{ principal: P }, R>;

/**
 * Why a credential was accepted or refused, as the middleware itself knows it: `ok`, a parse
 * failure of the header (`missing`, `wrong-prefix`, `malformed`), a credential a comparison or
 * verifier refused (`refused`: the admin token and bearer tokens, whose checks give no reason), an
 * account not approved, a service not enabled, or a lookup or verification that failed
 * (`lookup_failed`: infrastructure). A key the app's lookup refused is reported with the app's
 * {@link AuthDecision} reason instead.
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
 * (an {@link AuthReason}, or `R`, the refusal reason of the app's {@link AuthDecision}) and the
 * code of the answer (`ok` when accepted, else the refusal's error code). It is never given the
 * credential or anything derived from it. Called synchronously; must not throw.
 */
export type AuthOutcomeHook<R extends string = string> = (
  scheme: AuthScheme,
  reason: AuthReason | R,
  code: string,
) => void;

/** The code of a refusal for the hook: the coded error's code, else `unknown`. */
export function refusalCode(err: unknown): string {
  return isCodedError(err) ? err.code : 'unknown';
}
