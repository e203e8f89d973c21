// Response bodies of the MiCA register (SPEC §4.1, §5.3). Register data changes only on import,
// so the data part of a body is serialised and UTF-8 encoded once, cached as bytes, and copied
// next to the per-request fields (timestamp, request id): serving a cached list costs one memory
// copy, with no JSON serialisation, string flattening, UTF-8 encoding or length scan (SPEC §9).
// The schemas of these bodies sit beside their writers; the route declarations use them.
import { z } from 'zod';
import { DATA_SOURCE } from './register/model.js';

/** `pagination` of a list response. */
const paginationSchema = z
  .object({
    total: z.int().min(0).meta({ description: 'Items matching the query, over every page.' }),
    returned: z.int().min(0).meta({ description: 'Items in this response.' }),
    limit: z.int().min(0),
    offset: z.int().min(0),
    hasMore: z
      .boolean()
      .meta({ description: 'True when items follow this page: `offset + returned < total`.' }),
  })
  .meta({ id: 'Pagination' });
export type Pagination = z.infer<typeof paginationSchema>;

/**
 * The list body {@link sendList} writes, around items of `item`:
 * `{ success: true, data, pagination, metadata: { source, timestamp } }`.
 *
 * @example
 * listSchema(issuerSchema)
 */
export function listSchema<T extends z.ZodType>(item: T) {
  return z.object({
    success: z.literal(true),
    data: z.array(item),
    pagination: paginationSchema,
    metadata: z.object({
      source: z.literal(DATA_SOURCE),
      timestamp: z.iso.datetime().meta({ description: 'When this body was made (ISO-8601, UTC).' }),
    }),
  });
}

/** A list body serialised and UTF-8 encoded up to its timestamp: `head + timestamp + LIST_TAIL`. */
export interface PreparedList {
  head: Buffer;
  total: number;
  /** The last whole body sent and when it was made (ms), reused for {@link LIST_BODY_REUSE_MS}. */
  last?: { body: Buffer; atMs: number };
}

/**
 * How long one complete list body is served again, in ms. Its `metadata.timestamp` says when it
 * was made, which stays true; lists are `Cache-Control: public, max-age=300` (SPEC §5.3), so any
 * HTTP cache on the way reuses them far longer. Within this time a request copies nothing at all.
 */
const LIST_BODY_REUSE_MS = 1000;

/** The serialised, UTF-8 encoded `data` of a §4.1 envelope. */
export interface PreparedData {
  json: Buffer;
}

/** What the senders set on a response (a Koa context satisfies it). */
export interface ResponseTarget {
  status: number;
  body: unknown;
  type: string;
  set(field: string, value: string): void;
}

/** Response headers of register data (SPEC §5.3). */
export interface DataHeaders {
  /** `Cache-Control: public, max-age=<seconds>`. */
  maxAgeSeconds: number;
  /** `X-Data-Source`. */
  source: string;
}

const LIST_TAIL = '"}}';

/** `parts` as one buffer: strings are encoded as UTF-8, buffers copied as they are. */
function bytes(parts: ReadonlyArray<Buffer | string>): Buffer {
  const buffers = parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part));
  return Buffer.concat(buffers);
}

/**
 * The pagination of a page of `returned` items (SPEC §5.3).
 *
 * @example
 * pagination(1014, 100, 100, 0) // { total: 1014, returned: 100, limit: 100, offset: 0, hasMore: true }
 */
export function pagination(total: number, returned: number, limit: number, offset: number): Pagination {
  return { total, returned, limit, offset, hasMore: offset + returned < total };
}

/**
 * Serialises a list body `{ success, data, pagination, metadata: { source, timestamp } }` up to
 * the timestamp, for {@link sendList}.
 *
 * @example
 * const prepared = prepareList(issuers, pagination(total, issuers.length, limit, offset), DATA_SOURCE);
 */
export function prepareList(data: readonly unknown[], page: Pagination, source: string): PreparedList {
  const head =
    `{"success":true,"data":${JSON.stringify(data)},"pagination":${JSON.stringify(page)},` +
    `"metadata":{"source":${JSON.stringify(source)},"timestamp":"`;
  return { head: Buffer.from(head, 'utf8'), total: page.total };
}

/**
 * Sends a prepared list (SPEC §5.3) with `X-Total-Count`, `X-Data-Source` and `Cache-Control`.
 * The complete body is made once and served again for {@link LIST_BODY_REUSE_MS}.
 *
 * @param nowMs - the request's time, ms since the epoch (the `metadata.timestamp` of a new body)
 * @example
 * sendList(ctx, prepared, now(), { maxAgeSeconds: 300, source: DATA_SOURCE });
 */
export function sendList(ctx: ResponseTarget, list: PreparedList, nowMs: number, headers: DataHeaders): void {
  ctx.status = 200;
  ctx.set('Cache-Control', `public, max-age=${headers.maxAgeSeconds}`);
  ctx.set('X-Data-Source', headers.source);
  ctx.set('X-Total-Count', String(list.total));
  ctx.type = 'application/json';
  let last = list.last;
  // A clock that went backwards also makes a new body: a timestamp never lies about the future.
  if (last === undefined || nowMs < last.atMs || nowMs - last.atMs >= LIST_BODY_REUSE_MS) {
    last = { body: bytes([list.head, new Date(nowMs).toISOString(), LIST_TAIL]), atMs: nowMs };
    list.last = last;
  }
  ctx.body = last.body;
}

/**
 * Serialises `data` once, for {@link sendData}.
 *
 * @example
 * const prepared = prepareData(await registerStatistics(db, now()));
 */
export function prepareData(data: unknown): PreparedData {
  return { json: Buffer.from(JSON.stringify(data), 'utf8') };
}

/**
 * Sends prepared data in the SPEC §4.1 success envelope
 * `{ success: true, data, error: null, metadata: { requestId, timestamp } }`, with `X-Data-Source`
 * and `Cache-Control`. The same body `renderTrussetSuccess(data, meta)` gives, without
 * re-serialising `data`.
 *
 * @param timestamp - ISO-8601 (from `Date#toISOString`)
 * @example
 * sendData(ctx, prepared, { requestId: ctx.state.requestId, timestamp }, { maxAgeSeconds: 600, source: DATA_SOURCE });
 */
export function sendData(
  ctx: ResponseTarget,
  data: PreparedData,
  meta: { requestId: string; timestamp: string },
  headers: DataHeaders,
): void {
  ctx.status = 200;
  ctx.set('Cache-Control', `public, max-age=${headers.maxAgeSeconds}`);
  ctx.set('X-Data-Source', headers.source);
  ctx.type = 'application/json';
  ctx.body = bytes([
    '{"success":true,"data":',
    data.json,
    `,"error":null,"metadata":{"requestId":${JSON.stringify(meta.requestId)},"timestamp":"${meta.timestamp}"}}`,
  ]);
}
