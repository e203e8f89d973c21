import { instanceApiErrors } from '@portcullis/errors';
import type { z } from 'zod';

/** One bad field of a request, as listed in `VALIDATION_ERROR.details` (SPEC §4.1). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Validates `input` against `schema`, or throws `toError(details)` naming each bad field
 * (default: the instance API's 400 `VALIDATION_ERROR`). Use strict schemas, so unknown fields
 * are refused and a typo never passes silently.
 *
 * @example
 * const { name } = validate(createKeyBody, ctx.state.body);
 * const query = validate(issuersQuery, ctx.query, (details) => micaDeveloperErrors.error('VALIDATION_ERROR', { details }));
 */
export function validate<T extends z.ZodType>(
  schema: T,
  input: unknown,
  toError: (details: FieldProblem[]) => unknown = (details) =>
    instanceApiErrors.error('VALIDATION_ERROR', { details }),
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.slice(0, 20).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : 'body',
    message: issue.message,
  }));
  throw toError(details);
}
