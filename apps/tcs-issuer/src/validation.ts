import { tcsApiErrors } from '@portcullis/errors';
import { jsonBody, jsonBodyProblemMessage } from '@portcullis/koa-auth';
import { validate } from '@portcullis/service';
import type { z } from 'zod';

/**
 * `validate` in the TCS format: a 400 `{ statusCode, message, error }` whose message names each
 * bad field (SPEC §8), e.g. `slug: must be 3 to 32 characters from [a-z0-9-]`.
 *
 * @example
 * const input = validateTcs(loginBody, ctx.state.body);
 */
export function validateTcs<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  return validate(schema, input, (details) =>
    tcsApiErrors.error('BAD_REQUEST', {
      message: details.map((d) => `${d.field}: ${d.message}`).join('; '),
    }),
  );
}

/** `jsonBody()` with TCS-format errors: 413 past 1 MB, 400 naming the problem otherwise. */
export function tcsJsonBody() {
  return jsonBody({
    tooLarge: () => tcsApiErrors.error('PAYLOAD_TOO_LARGE'),
    invalid: (problem) => tcsApiErrors.error('BAD_REQUEST', { message: jsonBodyProblemMessage(problem) }),
  });
}
