import type Router from '@koa/router';
import type { Queryable } from '@portcullis/db';
import { micaDeveloperErrors } from '@portcullis/errors';
import type { RequestIdState } from '@portcullis/koa-auth';
import { appRouter } from '@portcullis/service';
import { type BoundedCache, createBoundedCache } from '../register/cache.js';
import { utcDay } from '../register/importer.js';
import { DATA_SOURCE, type Issuer, type IssuerField } from '../register/model.js';
import {
  countrySummaries,
  getIssuer,
  licenseTypeSummaries,
  listIssuers,
  registerHealth,
  registerStatistics,
  searchIssuers,
} from '../store/register-queries.js';
import {
  type FieldProblem,
  parseIssuersQuery,
  parseSearchQuery,
  type QueryInput,
} from '../register/query-params.js';
import {
  type PreparedData,
  type PreparedList,
  pagination,
  prepareData,
  prepareList,
  sendData,
  sendList,
} from '../respond.js';

/** A cached response part: a prepared list, prepared data, or a known-absent issuer. */
export type CachedResponse =
  | ({ type: 'list' } & PreparedList)
  | ({ type: 'data' } & PreparedData)
  | { type: 'missing' };

/** The response cache of the register routes; `clear()` it after an import in this process. */
export type RegisterCache = BoundedCache<CachedResponse>;

export interface RegisterCacheOptions {
  /** Clock, ms since the epoch. */
  now: () => number;
  /** How long a response is reused, in ms: a CLI import shows within this time. Default 60 000. */
  ttlMs?: number;
  /** Most responses kept. Default 1 000. */
  maxEntries?: number;
  /** Most bytes kept (the cached UTF-8 bodies). Default 32 MiB. */
  maxBytes?: number;
}

/**
 * Creates the response cache for {@link registerRoutes}: LRU, bounded by entries and bytes,
 * expiring after `ttlMs`.
 *
 * @example
 * const cache = createRegisterCache({ now: Date.now });
 * app.use(registerRoutes({ db, now: Date.now, cache }).routes());
 * await importFiles(db, paths, { now: Date.now, onImported: () => cache.clear() });
 */
export function createRegisterCache(options: RegisterCacheOptions): RegisterCache {
  return createBoundedCache<CachedResponse>({
    now: options.now,
    ttlMs: options.ttlMs ?? 60_000,
    maxEntries: options.maxEntries ?? 1_000,
    maxWeight: options.maxBytes ?? 32 * 1024 * 1024,
    weigh: (entry) =>
      64 + (entry.type === 'list' ? entry.head.length : entry.type === 'data' ? entry.json.length : 0),
  });
}

export interface RegisterRoutesDeps {
  db: Queryable;
  /** Clock, ms since the epoch: statuses, timestamps, cache expiry. */
  now: () => number;
  /** Lifetime of cached responses in ms when no `cache` is given. Default 60 000. */
  cacheTtlMs?: number;
  /** A shared cache (to clear it on import); by default the router makes its own. */
  cache?: RegisterCache;
}

// SPEC §5.3 Cache-Control max-age, seconds.
const MAX_AGE = { list: 300, detail: 300, reference: 600, search: 120 } as const;
const ISSUER_ID = /^mica_[0-9a-f]{20}$/;

const invalid = (details: FieldProblem[]) => micaDeveloperErrors.error('VALIDATION_ERROR', { details });
const issuerNotFound = () => micaDeveloperErrors.error('NOT_FOUND', { message: 'Issuer not found' });

function project(issuer: Issuer, fields: readonly IssuerField[]): Partial<Issuer> {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = issuer[field];
  return out as Partial<Issuer>;
}

// Parsed query strings kept per raw string: clients repeat the same few queries, and a parse
// (validation, normalisation, the cache key) costs more than the cached answer it leads to.
const MEMO_ENTRIES = 1_000;
const MEMO_MAX_QUERY_LENGTH = 2_048;

function memoByQueryString<T>(parse: (input: QueryInput) => T): (raw: string, query: QueryInput) => T {
  const seen = new Map<string, T>();
  return (raw, query) => {
    const known = seen.get(raw);
    if (known !== undefined) return known;
    const parsed = parse(query);
    if (raw.length <= MEMO_MAX_QUERY_LENGTH) {
      // Bounded: hostile clients sending ever new query strings only ever cost a clear.
      if (seen.size >= MEMO_ENTRIES) seen.clear();
      seen.set(raw, parsed);
    }
    return parsed;
  };
}

/**
 * The read-only register API (SPEC §5.3) under `/api/mica/v1`: `issuers`, `issuers/:id`,
 * `search`, `statistics`, `license-types`, `countries`, `health`. No authentication or rate
 * limits here: mount it behind them. Query problems are 400 `VALIDATION_ERROR` naming the
 * parameter, an unknown issuer 404 `NOT_FOUND` (thrown, for the app's Trusset error renderer).
 *
 * Responses are cached in process memory by normalised query and UTC day (statuses change at
 * midnight), for `cacheTtlMs`; pass a shared `cache` and clear it when this process imports.
 *
 * @example
 * const register = registerRoutes<AppState>({ db, now: Date.now });
 * app.use(register.routes()).use(register.allowedMethods());
 */
export function registerRoutes<S extends RequestIdState = RequestIdState>(
  deps: RegisterRoutesDeps,
): Router<S> {
  const { db, now } = deps;
  const cache = deps.cache ?? createRegisterCache({ now, ttlMs: deps.cacheTtlMs ?? 60_000 });
  const router = appRouter<S>({ prefix: '/api/mica/v1' });
  const headers = (maxAgeSeconds: number) => ({ maxAgeSeconds, source: DATA_SOURCE });
  const parseIssuers = memoByQueryString(parseIssuersQuery);
  const parseSearch = memoByQueryString(parseSearchQuery);
  // The UTC day of a request, recomputed only when the day changes.
  let dayNumber = Number.NaN;
  let dayText = '';
  const dayOf = (at: number): string => {
    const day = Math.floor(at / 86_400_000);
    if (day !== dayNumber) {
      dayNumber = day;
      dayText = utcDay(at);
    }
    return dayText;
  };

  const cachedList = async (key: string, load: () => Promise<PreparedList>): Promise<PreparedList> => {
    const entry = await cache.getOrLoad(key, async () => ({ type: 'list', ...(await load()) }));
    // Keys are namespaced per entry type, so this cannot happen; it guards the cast below.
    if (entry.type !== 'list') throw new Error(`register cache: ${key} holds a ${entry.type}`);
    return entry;
  };
  const cachedData = async (key: string, load: () => Promise<unknown>): Promise<PreparedData> => {
    const entry = await cache.getOrLoad(key, async () => ({ type: 'data', ...prepareData(await load()) }));
    if (entry.type !== 'data') throw new Error(`register cache: ${key} holds a ${entry.type}`);
    return entry;
  };

  router.get('/issuers', async (ctx) => {
    const parsed = parseIssuers(ctx.querystring, ctx.query);
    if (!parsed.ok) throw invalid(parsed.problems);
    const query = parsed.value;
    const at = now();
    const list = await cachedList(`issuers\n${dayOf(at)}\n${query.key}`, async () => {
      const page = await listIssuers(db, query, at);
      const { fields } = query;
      const data = fields === null ? page.issuers : page.issuers.map((issuer) => project(issuer, fields));
      return prepareList(data, pagination(page.total, data.length, query.limit, query.offset), DATA_SOURCE);
    });
    sendList(ctx, list, at, headers(MAX_AGE.list));
  });

  router.get('/issuers/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    if (!ISSUER_ID.test(id)) throw issuerNotFound();
    const at = now();
    const entry = await cache.getOrLoad(`issuer\n${dayOf(at)}\n${id}`, async () => {
      const issuer = await getIssuer(db, id, at);
      return issuer === null ? { type: 'missing' } : { type: 'data', ...prepareData(issuer) };
    });
    if (entry.type !== 'data') throw issuerNotFound();
    sendData(ctx, entry, meta(ctx.state.requestId, at), headers(MAX_AGE.detail));
  });

  router.get('/search', async (ctx) => {
    const parsed = parseSearch(ctx.querystring, ctx.query);
    if (!parsed.ok) throw invalid(parsed.problems);
    const query = parsed.value;
    const at = now();
    const list = await cachedList(`search\n${dayOf(at)}\n${query.key}`, async () => {
      const page = await searchIssuers(db, query, at);
      return prepareList(
        page.issuers,
        pagination(page.total, page.issuers.length, query.limit, query.offset),
        DATA_SOURCE,
      );
    });
    sendList(ctx, list, at, headers(MAX_AGE.search));
  });

  router.get('/statistics', async (ctx) => {
    const at = now();
    const data = await cachedData(`statistics\n${dayOf(at)}`, () => registerStatistics(db, at));
    sendData(ctx, data, meta(ctx.state.requestId, at), headers(MAX_AGE.reference));
  });

  router.get('/license-types', async (ctx) => {
    const at = now();
    const data = await cachedData('license-types', () => licenseTypeSummaries(db));
    sendData(ctx, data, meta(ctx.state.requestId, at), headers(MAX_AGE.reference));
  });

  router.get('/countries', async (ctx) => {
    const at = now();
    const data = await cachedData('countries', () => countrySummaries(db));
    sendData(ctx, data, meta(ctx.state.requestId, at), headers(MAX_AGE.reference));
  });

  // SPEC §5.3 gives health its whole body. Not cached: it reports what the database holds now.
  router.get('/health', async (ctx) => {
    const health = await registerHealth(db);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      status: 'operational',
      totalIssuers: health.totalIssuers,
      lastSync: health.lastSync,
      apiVersion: 'v1',
    };
  });

  return router;
}

function meta(requestId: string, at: number) {
  return { requestId, timestamp: new Date(at).toISOString() };
}
