import { keyPreview, parseInstanceKey } from './instance-key.js';
import { micaKeyPrefix, parseManagementToken, parseMicaKey } from './mica.js';
import { preflight } from './result.js';
import { parseTcsKey } from './tcs-key.js';

const ELLIPSIS = '…';
/** What {@link redactKey} returns for an absent, empty or blank value. */
export const REDACTED_MISSING = '[missing]';
/** What {@link redactKey} returns for any value that is not a well-formed key of a known kind. */
export const REDACTED_UNKNOWN = '[redacted]';

/**
 * A display form of any value that may hold a key, safe for logs (SPEC §2, §8). Never throws.
 *
 * | input | output |
 * |---|---|
 * | instance key (current or legacy) | first 20 characters + `…` (the published `keyPreview`) |
 * | MiCA key | `trusset_mica_` + 9 characters + `…` (the published `keyPrefix`) |
 * | TCS key | `tcs_{environment}_…` |
 * | management token | `…` |
 * | absent, empty or blank | `[missing]` |
 * | anything else | `[redacted]` |
 *
 * Input that is not a well-formed key is never echoed, not even in part: it may be a secret pasted in
 * the wrong header or a log-injection payload. Every output is either a fixed string or a prefix of a
 * validated key (characters `[A-Za-z0-9_]`) followed by `…`, so it holds no control characters.
 *
 * @param input - any value, typically a raw header.
 * @example
 * ```ts
 * logger.warn({ apiKey: redactKey(ctx.get('x-api-key')) }, 'authentication failed');
 * redactKey('tcs_sandbox_a1b2…'); // 'tcs_sandbox_…' for a well-formed key
 * redactKey('Bearer eyJhbGciOi…'); // '[redacted]'
 * ```
 */
export function redactKey(input: unknown): string {
  const value = preflight(input);
  if (typeof value !== 'string') return value.reason === 'missing' ? REDACTED_MISSING : REDACTED_UNKNOWN;

  // SPEC §2: MiCA before the generic instance pattern.
  if (parseMicaKey(value).ok) return `${micaKeyPrefix(value)}${ELLIPSIS}`;
  if (parseInstanceKey(value, { allowLegacy: true }).ok) return `${keyPreview(value)}${ELLIPSIS}`;
  const tcs = parseTcsKey(value);
  if (tcs.ok) return `tcs_${tcs.environment}_${ELLIPSIS}`;
  if (parseManagementToken(value).ok) return ELLIPSIS;
  return REDACTED_UNKNOWN;
}
