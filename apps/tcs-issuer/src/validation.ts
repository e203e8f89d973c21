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

// Requests whose body was read already: a route whose guard needs the body before validation (the
// per-uuid login limit) reads it in its `before` middleware, and the kit's read then passes.
const read = new WeakSet<object>();

/**
 * The route kit's `jsonBody`: `jsonBody()` with TCS-format errors (413 past 1 MB, 400 naming the
 * problem otherwise). It reads a request's body at most once, so a route can also run it in its
 * own `before` middleware, ahead of a guard that needs the body; the kit's read then passes.
 *
 * @example
 * kit.mount(router, loginRoute, handler, { before: [perIp, tcsJsonBody(), perUuid] });
 */
export function tcsJsonBody(): Middleware {
  const reader = jsonBody({
    tooLarge: () => tcsApiErrors.error('PAYLOAD_TOO_LARGE'),
    invalid: (problem) => tcsApiErrors.error('BAD_REQUEST', { message: jsonBodyProblemMessage(problem) }),
  });
  return function tcsJsonBody(ctx, next) {
    if (read.has(ctx.req)) return next();
    read.add(ctx.req);
    return reader(ctx, next);
  };
}
