import type Router from '@koa/router';
import type { Queryable } from '@portcullis/db';
import {
  catalogErrors,
  type DocumentedError,
  micaDeveloperErrors,
  trussetSuccessSchema,
} from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit, WRITTEN } from '@portcullis/routes';
import type { Middleware } from 'koa';
import { z } from 'zod';
import {
  type AppState,
  constantHeader,
  errorResponses,
  KEY_AUTH,
  ok,
  PER_KEY_HEADERS,
  withMessage,
} from '../http.js';
import { type BoundedCache, createBoundedCache } from '../register/cache.js';
import { utcDay } from '../register/importer.js';
import {
  DATA_SOURCE,
  type Issuer,
  type IssuerField,
  issuerIdSchema,
  issuerSchema,
} from '../register/model.js';
import { issuersQuery, searchQuery } from '../register/query-params.js';
import {
  countrySummariesSchema,
  licenseTypeSummariesSchema,
  registerHealthSchema,
  registerStatisticsSchema,
} from '../register/summaries.js';
import {
  listSchema,
  type PreparedData,
  type PreparedList,
  pagination,
  prepareData,
  prepareList,
  sendData,
  sendList,
} from '../respond.js';
import {
  countrySummaries,
  getIssuer,
  licenseTypeSummaries,
  listIssuers,
  registerHealth,
  registerStatistics,
  searchIssuers,
} from '../store/register-queries.js';

/** A cached response part: a prepared list, prepared data, or a known-absent issuer. */
type CachedResponse =
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
 * app.use(registerRoutes(kit, { db, now: Date.now, cache }).routes());
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

// Cache-Control max-age of register data, seconds.
const MAX_AGE = { list: 300, detail: 300, reference: 600, search: 120 } as const;

const ISSUER_NOT_FOUND = withMessage(micaDeveloperErrors, 'NOT_FOUND', 'Issuer not found');
const issuerNotFound = () => micaDeveloperErrors.error('NOT_FOUND', { message: ISSUER_NOT_FOUND.message });
// A bad query parameter; `details` names each one.
const QUERY_PROBLEM = catalogErrors(micaDeveloperErrors, 'VALIDATION_ERROR');

const TAGS = ['Register'];
const KEY = [{ micaApiKey: [] }];
/**
 * The error answers of a data route: its own `errors`, then the key's, the limits' and the
 * server's. Every answer past key authentication carries the four per-key headers: all but a 401
 * and a 500 of the key lookup.
 */
const dataErrors = (...errors: DocumentedError[]) =>
  errorResponses([...errors, ...KEY_AUTH], { limited: PER_KEY_HEADERS, never: [401], sometimes: [500] });
/** The headers of register data: its cache policy and source, and the per-key headers. */
const dataHeaders = (maxAgeSeconds: number) => ({
  'Cache-Control': constantHeader(
    `public, max-age=${maxAgeSeconds}`,
    'Register data changes only on import.',
  ),
  'X-Data-Source': constantHeader(DATA_SOURCE, 'Where the data comes from.'),
  ...PER_KEY_HEADERS,
});
const listHeaders = (maxAgeSeconds: number) => ({
  ...dataHeaders(maxAgeSeconds),
  'X-Total-Count': z.int().min(0).meta({ description: 'Items matching the query, over every page.' }),
});

const issuerProjectionSchema = issuerSchema.partial().required({ id: true }).meta({
  id: 'IssuerProjection',
  description: 'An issuer: every field, or with `fields` only those named (and `id`), in published order.',
});

const listIssuersRoute = defineRoute({
  method: 'get',
  path: '/api/mica/v1/issuers',
  operationId: 'listIssuers',
  summary: 'Register records, filtered, sorted and paged',
  tags: TAGS,
  security: KEY,
  request: { query: issuersQuery },
  responses: {
    200: ok('A page of issuers.', listSchema(issuerProjectionSchema), listHeaders(MAX_AGE.list)),
    ...dataErrors(...QUERY_PROBLEM),
  },
});

const getIssuerRoute = defineRoute({
  method: 'get',
  path: '/api/mica/v1/issuers/:id',
  operationId: 'getIssuer',
  summary: 'One register record',
  tags: TAGS,
  security: KEY,
  request: {
    params: z.object({
      id: issuerIdSchema.meta({
        description: 'Issuer id. An id of the wrong shape is a 404, like an unknown one.',
      }),
    }),
  },
  invalidParams: issuerNotFound,
  responses: {
    200: ok(
      'The issuer, in the success envelope.',
      trussetSuccessSchema(issuerSchema),
      dataHeaders(MAX_AGE.detail),
    ),
    ...dataErrors(ISSUER_NOT_FOUND),
  },
});

const searchIssuersRoute = defineRoute({
  method: 'get',
  path: '/api/mica/v1/search',
  operationId: 'searchIssuers',
  summary: 'Free-text search over name, LEI, national authority and commercial name',
  tags: TAGS,
  security: KEY,
  request: { query: searchQuery },
  responses: {
    200: ok(
      'A page of matching issuers, best matches first.',
      listSchema(issuerSchema),
      listHeaders(MAX_AGE.search),
    ),
    ...dataErrors(...QUERY_PROBLEM),
  },
});

/** A reference route: prepared data in the success envelope, cached for ten minutes. */
const referenceRoute = <const P extends string, const I extends string>(
  path: P,
  operationId: I,
  summary: string,
  data: z.ZodType,
) =>
  defineRoute({
    method: 'get',
    path,
    operationId,
    summary,
    tags: TAGS,
    security: KEY,
    responses: {
      200: ok('In the success envelope.', trussetSuccessSchema(data), dataHeaders(MAX_AGE.reference)),
      ...dataErrors(),
    },
  });

const statisticsRoute = referenceRoute(
  '/api/mica/v1/statistics',
  'registerStatistics',
  'Record counts by license type, country and status, and the latest authorisations',
  registerStatisticsSchema,
);
const licenseTypesRoute = referenceRoute(
  '/api/mica/v1/license-types',
  'licenseTypes',
  'Every license type with its record count, most first',
  licenseTypeSummariesSchema,
);
const countriesRoute = referenceRoute(
  '/api/mica/v1/countries',
  'countries',
  'Home member states with records, with their counts, most first',
  countrySummariesSchema,
);

const registerHealthRoute = defineRoute({
  method: 'get',
  path: '/api/mica/v1/health',
  operationId: 'registerHealth',
  summary: 'Register status, record count and last import',
  description:
    'The published health body (no envelope); never cached: it reports what the database holds now.',
  tags: TAGS,
  security: KEY,
  responses: {
    200: ok('The register.', registerHealthSchema, {
      'Cache-Control': constantHeader('no-store', 'Never cached.'),
      ...PER_KEY_HEADERS,
    }),
    ...dataErrors(),
  },
});

export interface RegisterRoutesDeps {
  db: Queryable;
  /** Clock, ms since the epoch: statuses, timestamps, cache expiry. */
  now: () => number;
  /** Lifetime of cached responses in ms when no `cache` is given. Default 60 000. */
  cacheTtlMs?: number;
  /** A shared cache (to clear it on import); by default the router makes its own. */
  cache?: RegisterCache;
  /** What runs before each route: the app's key authentication and per-key limits. */
  before?: ReadonlyArray<Middleware<AppState>>;
}

function project(issuer: Issuer, fields: readonly IssuerField[]): Partial<Issuer> {
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = issuer[field];
  return out as Partial<Issuer>;
}

/**
 * The read-only register API under `/api/mica/v1`, declared in `kit`: `issuers`, `issuers/:id`,
 * `search`, `statistics`, `license-types`, `countries`, `health`. Authentication and limits are
 * the app's, passed as `before`. Query problems are 400 `VALIDATION_ERROR` naming each
 * parameter (the kit validates them against the declared schemas), an unknown issuer 404
 * `NOT_FOUND`.
 *
 * Answers are cached in process memory as UTF-8 bytes, by normalised query and UTC day (statuses
 * change at midnight), for `cacheTtlMs`; pass a shared `cache` and clear it when this process
 * imports. Handlers write those bytes themselves.
 *
 * @example
 * const register = registerRoutes(kit, { db, now: Date.now, before: [keyAuth, perKeyLimits] });
 * app.use(register.routes()).use(register.allowedMethods());
 */
export function registerRoutes(kit: RouteKit<AppState>, deps: RegisterRoutesDeps): Router<AppState> {
  const { db, now } = deps;
  const cache = deps.cache ?? createRegisterCache({ now, ttlMs: deps.cacheTtlMs ?? 60_000 });
  const router = appRouter<AppState>({ prefix: '/api/mica/v1' });
  const options = { before: deps.before ?? [] };
  // Clients repeat the same few list and search queries, and a parse (validation, normalisation,
  // the cache key) costs more than the cached answer it leads to: keep it per raw query string.
  const queried = { ...options, queryCache: { maxEntries: 1_000, maxKeyLength: 2_048 } };
  const headers = (maxAgeSeconds: number) => ({ maxAgeSeconds, source: DATA_SOURCE });
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

  kit.mount(
    router,
    listIssuersRoute,
    async (ctx, { query }) => {
      const at = now();
      const list = await cachedList(`issuers\n${dayOf(at)}\n${query.key}`, async () => {
        const page = await listIssuers(db, query, at);
        const { fields } = query;
        const data = fields === null ? page.issuers : page.issuers.map((issuer) => project(issuer, fields));
        return prepareList(data, pagination(page.total, data.length, query.limit, query.offset), DATA_SOURCE);
      });
      sendList(ctx, list, at, headers(MAX_AGE.list));
      return WRITTEN;
    },
    queried,
  );

  kit.mount(
    router,
    getIssuerRoute,
    async (ctx, { params }) => {
      const at = now();
      const entry = await cache.getOrLoad(`issuer\n${dayOf(at)}\n${params.id}`, async () => {
        const issuer = await getIssuer(db, params.id, at);
        return issuer === null ? { type: 'missing' } : { type: 'data', ...prepareData(issuer) };
      });
      if (entry.type !== 'data') throw issuerNotFound();
      sendData(ctx, entry, meta(ctx.state.requestId, at), headers(MAX_AGE.detail));
      return WRITTEN;
    },
    options,
  );

  kit.mount(
    router,
    searchIssuersRoute,
    async (ctx, { query }) => {
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
      return WRITTEN;
    },
    queried,
  );

  const reference =
    (key: (at: number) => string, load: (at: number) => Promise<unknown>) =>
    async (ctx: { state: AppState } & Parameters<typeof sendData>[0]) => {
      const at = now();
      const data = await cachedData(key(at), () => load(at));
      sendData(ctx, data, meta(ctx.state.requestId, at), headers(MAX_AGE.reference));
      return WRITTEN;
    };
  kit.mount(
    router,
    statisticsRoute,
    reference(
      (at) => `statistics\n${dayOf(at)}`,
      (at) => registerStatistics(db, at),
    ),
    options,
  );
  kit.mount(
    router,
    licenseTypesRoute,
    reference(
      () => 'license-types',
      () => licenseTypeSummaries(db),
    ),
    options,
  );
  kit.mount(
    router,
    countriesRoute,
    reference(
      () => 'countries',
      () => countrySummaries(db),
    ),
    options,
  );

  // Not cached: it reports what the database holds now.
  kit.mount(
    router,
    registerHealthRoute,
    async (ctx) => {
      const health = await registerHealth(db);
      ctx.set('Cache-Control', 'no-store');
      return {
        status: 200,
        body: {
          status: 'operational',
          totalIssuers: health.totalIssuers,
          lastSync: health.lastSync,
          apiVersion: 'v1',
        },
      };
    },
    options,
  );

  return router;
}

function meta(requestId: string, at: number) {
  return { requestId, timestamp: new Date(at).toISOString() };
}
