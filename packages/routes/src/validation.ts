import { z } from 'zod';

/** One bad field of a request, as listed in `VALIDATION_ERROR.details` (SPEC §4.1). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The problems of a failed parse, one per issue (at most 20: a hostile body with thousands of bad
 * fields gets a bounded answer). A problem at the root is named `body`.
 *
 * @example
 * fieldProblems(z.strictObject({ a: z.string() }).safeParse({ a: 1 }).error!) // [{ field: 'a', message: '…' }]
 */
export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : 'body',
    message: issue.message,
  }));
}

/**
 * Validates `input` against `schema`, or throws `toError(details)` naming each bad field: the
 * app's own 400 (its catalog and wire format), which it must always pass. Use strict schemas, so
 * unknown fields are refused and a typo never passes silently. Routes declared with
 * `createRouteKit` are validated by the kit; this is for the few inputs that are no route's.
 *
 * @example
 * const query = validate(issuersQuery, ctx.query, (details) => micaDeveloperErrors.error('VALIDATION_ERROR', { details }));
 */
export function validate<T extends z.ZodType>(
  schema: T,
  input: unknown,
  toError: (details: FieldProblem[]) => unknown,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw toError(fieldProblems(result.error));
}

/** C0 control characters (U+0000–U+001F) and DEL (U+007F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** The message of a single-line field that holds a control character. */
export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters (U+0000 to U+001F, U+007F)';

export interface SingleLineTextOptions {
  /** Fewest characters after trimming (UTF-16 code units, as `String.length` counts). */
  min: number;
  /** Most characters after trimming (UTF-16 code units, as `String.length` counts). */
  max: number;
  /** Message for a value that is no string or has the wrong length; default `must be MIN to MAX characters`. */
  message?: string;
}

/**
 * The schema of every single-line text field (names, emails, labels; SPEC §8): a string, trimmed
 * of surrounding whitespace, of `min` to `max` characters, that contains no C0 control character
 * (U+0000–U+001F) and no DEL (U+007F). Trimming comes first, so a value such as `"Acme\n"` or
 * `"\tAcme"` is accepted as `"Acme"`; a control character left inside (`"Ac\nme"`, `"Acme\u0000"`,
 * `"\u001fAcme"`, which `trim()` does not remove) is refused, naming the field. Without this a NUL
 * reaches Postgres, which refuses it in text (a 500), and other control characters are stored to
 * break logs, CSV exports and terminals later. Compose formats on top (`.pipe(z.email())`).
 *
 * @example
 * const createKeyBody = z.strictObject({ name: singleLineText({ min: 1, max: 100 }) });
 * createKeyBody.parse({ name: 'ci\n' }); // { name: 'ci' }
 * createKeyBody.safeParse({ name: 'c\u0000i' }).success; // false: the issue names `name`
 */
export function singleLineText(options: SingleLineTextOptions) {
  const { min, max } = options;
  const message = options.message ?? `must be ${min} to ${max} characters`;
  return z
    .string({ message })
    .trim()
    .min(min, message)
    .max(max, message)
    .refine((value) => !CONTROL_CHARACTER.test(value), CONTROL_CHARACTER_MESSAGE);
}
