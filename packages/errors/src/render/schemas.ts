import { z } from 'zod';
import type { Catalog } from '../catalog.js';
import { type HttpErrorStatus, httpReasonPhrase } from '../status.js';

// zod schemas of the bodies the renderers of this package write, next to them: route declarations
// use them for their responses, so the generated OpenAPI document and the wire cannot drift.

/** An error code a route can answer, with its status and catalog message. */
export interface DocumentedError {
  code: string;
  status: HttpErrorStatus;
  message: string;
}

/**
 * `codes` of `catalog` with their catalog status and message: a route's documented errors come
 * from the catalog it throws from, never from a copy.
 *
 * @example
 * catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED')
 * // [{ code: 'AUTH_REQUIRED', status: 401, message: 'API key required' }, …]
 */
export function catalogErrors<C extends string>(catalog: Catalog<C>, ...codes: C[]): DocumentedError[] {
  return codes.map((code) => {
    const spec = catalog.spec(code);
    return { code, status: spec.status, message: spec.message };
  });
}

/**
 * `errors` grouped by status, a code listed twice with one status counted once (the first message
 * wins), statuses ascending: shared lists of a route's errors can be concatenated freely.
 *
 * @example
 * errorsByStatus([...KEY_AUTH, notFound]) // Map { 401 => [AUTH_REQUIRED, AUTH_FAILED], 404 => [NOT_FOUND], … }
 */
export function errorsByStatus(errors: readonly DocumentedError[]): Map<HttpErrorStatus, DocumentedError[]> {
  const byStatus = new Map<HttpErrorStatus, DocumentedError[]>();
  for (const error of [...errors].sort((a, b) => a.status - b.status)) {
    const list = byStatus.get(error.status) ?? [];
    if (!list.some((known) => known.code === error.code)) list.push(error);
    byStatus.set(error.status, list);
  }
  return byStatus;
}

/** `CODE: message. CODE: message.`: the description of a response from its documented errors. */
export function describeErrors(errors: readonly DocumentedError[]): string {
  return errors.map((error) => `\`${error.code}\`: ${error.message}.`).join(' ');
}

const nonEmpty = (values: readonly string[]): [string, ...string[]] => {
  const [first, ...rest] = values;
  if (first === undefined) throw new Error('a documented enum needs at least one value');
  return [first, ...rest];
};

// Shared parts carry component ids, so a document refers to them instead of repeating them in
// every response (one generated document would otherwise inline the timestamp pattern hundreds of
// times). A schema with an id must be one object: the variants are built once, here.
const requestIdSchema = z
  .string()
  .meta({ id: 'RequestId', description: 'Equals the `X-Request-Id` response header.' });
const timestampSchema = z.iso
  .datetime()
  .meta({ id: 'ResponseTimestamp', description: 'When the response was made (ISO-8601, UTC).' });
const instanceIdSchema = z
  .string()
  .meta({ id: 'CallerInstanceId', description: 'The instance of the key that authenticated the call.' });
const totalSchema = z.number().int().min(0).meta({ description: 'Items in the list.' });

const successMetadata = {
  plain: z.object({ requestId: requestIdSchema, timestamp: timestampSchema }).meta({ id: 'SuccessMetadata' }),
  instance: z
    .object({ requestId: requestIdSchema, timestamp: timestampSchema, instanceId: instanceIdSchema })
    .meta({ id: 'InstanceSuccessMetadata' }),
  list: z
    .object({ requestId: requestIdSchema, timestamp: timestampSchema, total: totalSchema })
    .meta({ id: 'ListMetadata' }),
  instanceList: z
    .object({
      requestId: requestIdSchema,
      timestamp: timestampSchema,
      instanceId: instanceIdSchema,
      total: totalSchema,
    })
    .meta({ id: 'InstanceListMetadata' }),
};

const errorMetadata = {
  plain: z
    .object({
      requestId: requestIdSchema,
      timestamp: timestampSchema,
      instanceId: instanceIdSchema.optional(),
    })
    .meta({ id: 'ErrorMetadata' }),
  retryAfter: z
    .object({
      retryAfter: z.number().int().min(0).meta({ description: 'Seconds until the window resets.' }),
      requestId: requestIdSchema,
      timestamp: timestampSchema,
      instanceId: instanceIdSchema.optional(),
    })
    .meta({ id: 'RateLimitErrorMetadata' }),
};

export interface TrussetSuccessSchemaOptions {
  /** Routes behind instance-key authentication always report `metadata.instanceId`. */
  instanceId?: boolean;
  /** List endpoints: `metadata.total`, the number of items. */
  total?: boolean;
}

/**
 * The Trusset success envelope around `data`, as `renderTrussetSuccess` writes it:
 * `{ success: true, data, error: null, metadata: { requestId, timestamp, instanceId?, total? } }`.
 *
 * @example
 * trussetSuccessSchema(z.array(apiKeySchema), { instanceId: true, total: true })
 */
export function trussetSuccessSchema<D extends z.ZodType>(
  data: D,
  options: TrussetSuccessSchemaOptions = {},
) {
  const metadata = options.instanceId
    ? options.total
      ? successMetadata.instanceList
      : successMetadata.instance
    : options.total
      ? successMetadata.list
      : successMetadata.plain;
  return z.object({ success: z.literal(true), data, error: z.null(), metadata });
}

/** One bad field of a `VALIDATION_ERROR`. */
export const fieldProblemSchema = z.object({ field: z.string(), message: z.string() }).meta({
  id: 'FieldProblem',
  description: 'One bad field of the request: its name (dotted path) and what is wrong.',
});

const errorDetailsSchema = z
  .union([z.array(fieldProblemSchema), z.record(z.string(), z.unknown())])
  .optional()
  .meta({
    id: 'ErrorDetails',
    description: '`VALIDATION_ERROR`: one entry per bad field; other codes may carry an object.',
  });

/**
 * The Trusset error envelope, as `renderTrusset` writes it:
 * `{ success: false, data: null, error: { code, message, details? }, metadata }`, `error.code` one
 * of `codes`. `metadata.retryAfter` (seconds) is documented on 429 only.
 *
 * @example
 * trussetErrorSchema(['AUTH_REQUIRED', 'AUTH_FAILED'])
 */
export function trussetErrorSchema(codes: readonly string[], options: { retryAfter?: boolean } = {}) {
  return z.object({
    success: z.literal(false),
    data: z.null(),
    error: z.object({
      code: z.enum(nonEmpty(codes)),
      message: z.string(),
      details: errorDetailsSchema,
    }),
    metadata: options.retryAfter ? errorMetadata.retryAfter : errorMetadata.plain,
  });
}

export interface TcsErrorSchemaOptions {
  /** Every message of the response, when they are fixed (byte-exact, e.g. `API Key is required`). */
  messages?: readonly string[];
  /** A regular expression the response's other messages match (messages built at run time). */
  messagePattern?: RegExp;
}

/**
 * The TCS error body `{ statusCode, message, error }` of `status`, as `renderTcs` writes it:
 * `statusCode` is the status, `error` its reason phrase, `message` one of `options.messages` or
 * matching `options.messagePattern` when given, else any string.
 *
 * @example
 * tcsErrorSchema(401, { messages: ['API Key is required', 'Invalid API Key'] })
 */
export function tcsErrorSchema(status: HttpErrorStatus, options: TcsErrorSchemaOptions = {}) {
  const { messages, messagePattern } = options;
  const fixed = messages === undefined ? undefined : z.enum(nonEmpty(messages));
  const built = messagePattern === undefined ? undefined : z.string().regex(messagePattern);
  const message =
    fixed !== undefined && built !== undefined ? z.union([fixed, built]) : (fixed ?? built ?? z.string());
  return z.object({
    statusCode: z.literal(status),
    message,
    error: z.literal(httpReasonPhrase(status)),
  });
}

/**
 * The OAuth 2.0 error body (RFC 6749 §5.2) `{ error, error_description }`, as `renderOAuth` writes
 * it, `error` one of `codes`.
 *
 * @example
 * oauthErrorSchema(['invalid_grant'])
 */
export function oauthErrorSchema(codes: readonly string[]) {
  return z.object({ error: z.enum(nonEmpty(codes)), error_description: z.string() });
}
