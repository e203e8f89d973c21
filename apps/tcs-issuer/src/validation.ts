import { tcsApiErrors } from '@portcullis/errors';
import { jsonBody, jsonBodyProblemMessage } from '@portcullis/koa-auth';
import type { FieldProblem } from '@portcullis/routes';
import type { Middleware } from 'koa';

/**
 * The route kit's `invalid`: a 400 `{ statusCode, message, error }` whose message names each bad
 * field, `field: problem` joined by `; ` (field `body` for the body as a whole).
 *
 * @example
 * invalidFields([{ field: 'slug', message: 'must be 3 to 32 characters from [a-z0-9-]' }]).message
 * // 'slug: must be 3 to 32 characters from [a-z0-9-]'
 */
export function invalidFields(details: readonly FieldProblem[]) {
  return tcsApiErrors.error('BAD_REQUEST', {
    message: details.map((d) => `${d.field}: ${d.message}`).join('; '),
  });
}

/**
 * The route kit's `jsonBody`: `jsonBody()` with TCS-format errors (413 past 1 MB, 400 naming the
 * problem otherwise).
 *
 * @example
 * createRouteKit({ invalid: invalidFields, jsonBody: tcsJsonBody() });
 */
export function tcsJsonBody(): Middleware {
  return jsonBody({
    tooLarge: () => tcsApiErrors.error('PAYLOAD_TOO_LARGE'),
    invalid: (problem) => tcsApiErrors.error('BAD_REQUEST', { message: jsonBodyProblemMessage(problem) }),
  }) as Middleware;
}
