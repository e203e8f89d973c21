import type Router from '@koa/router';
import { type Database, isSerializationFailure, type Queryable } from '@portcullis/db';
import {
  catalogErrors,
  type DocumentedError,
  instanceApiErrors,
  instanceAuthErrors,
} from '@portcullis/errors';
import { requireService } from '@portcullis/koa-auth';
import {
  appRouter,
  defineRoute,
  type MountOptions,
  type RouteDeclaration,
  type RouteHandler,
  singleLineText,
  type ZodObjectSchema,
} from '@portcullis/routes';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Service } from '../domain.js';
import { type AppKit, documented, errors, KEY_AUTH, KEY_SECURITY, ok } from '../http.js';
import type { AppContext, AppState } from '../state.js';
import { DECIMAL_SCALE, formatDecimal, MAX_INTEGER_DIGITS, parseDecimal } from './decimal.js';

// What the five core services (SPEC §4.5) share: their routers behind the service gate, the
// request shapes they all take (amounts, addresses, customer references, paging), the errors every
// one of their routes can answer, and a transaction that retries a lost race.

/**
 * A service's router and a `mount` that puts the service gate (403 `SERVICE_NOT_ENABLED`) before
 * everything else of each route — before its body is read or validated — so a disabled service
 * answers 403 to every request its routes would serve.
 *
 * @example
 * const { router, mount } = serviceRouter(kit, 'custody', '/api/v2/custody/api');
 * mount(listTokensRoute, async (ctx, { query }) => ({ status: 200, body: … }));
 */
export function serviceRouter(kit: AppKit, service: Service, prefix: string) {
  const router: Router<AppState> = appRouter<AppState>({ prefix });
  const gate = requireService(service) as Middleware<AppState>;
  const mount = <const D extends RouteDeclaration>(
    declaration: D,
    handler: NoInfer<RouteHandler<AppState, D>>,
    options: MountOptions<AppState> = {},
  ) => kit.mount(router, declaration, handler, { ...options, before: [gate, ...(options.before ?? [])] });
  return { router, mount };
}

/** The caller's instance (the routes are mounted behind `instanceKeyAuth`). */
export function instanceOf(ctx: AppContext): string {
  const auth = ctx.state.auth;
  // Reaching a core route without a principal is a wiring bug, not a client error.
  if (!auth) throw new Error('core routes mounted without instanceKeyAuth');
  return auth.instanceId;
}

/** Every route of a service: the gate, then what any key-authenticated route can answer. */
export const SERVICE_ROUTE: readonly DocumentedError[] = [
  ...catalogErrors(instanceAuthErrors, 'SERVICE_NOT_ENABLED'),
  ...KEY_AUTH,
];

/** A 400 `VALIDATION_ERROR` naming the request's bad fields, and 413 for a body over 1 MB. */
export const BAD_REQUEST = catalogErrors(instanceApiErrors, 'VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE');

/** A resource's 404: documented, and thrown alike. */
export interface NotFound {
  documented: DocumentedError;
  error: () => unknown;
}

/** `NOT_FOUND` with the resource's own message, documented and thrown alike. */
export function notFound(message: string): NotFound {
  return {
    documented: documented(instanceApiErrors, 'NOT_FOUND', message),
    error: () => instanceApiErrors.error('NOT_FOUND', { message }),
  };
}

/** A customer reference that names no customer of the caller's instance (or an archived one). */
export const customerNotFound = notFound('Customer not found');

/** An unknown, foreign, malformed or (in custody) inactive token: 404 `TOKEN_NOT_FOUND`. */
export const tokenNotFound: NotFound = {
  documented: documented(
    instanceApiErrors,
    'TOKEN_NOT_FOUND',
    instanceApiErrors.spec('TOKEN_NOT_FOUND').message,
  ),
  error: () => instanceApiErrors.error('TOKEN_NOT_FOUND'),
};

/** The core services' tags in the document (see `documentText`). */
export type CoreTag = 'Customers' | 'Custody' | 'Tokenization' | 'Trading' | 'Lending';

/**
 * A core route's tag and security (an instance key), spread into each declaration.
 *
 * @example
 * const common = serviceDeclaration('Custody');
 */
export function serviceDeclaration<const T extends CoreTag>(tag: T) {
  return { tags: [tag], security: KEY_SECURITY } as const;
}

/**
 * The declaration of a list route: a query (with `pageQuery`), a 200 with one page of `item` and
 * `metadata.total`, a 400 naming bad query fields, and `errors` besides.
 *
 * @example
 * const listTokensRoute = listRoute({ tag: 'Custody', path: `${PREFIX}/tokens`, operationId: 'listTokens',
 *   summary: 'Tokens, oldest first', query: listTokensQuery, item: tokenSchema, answer: 'One page of tokens.' });
 */
export function listRoute<
  const Path extends string,
  const Q extends ZodObjectSchema,
  const S extends z.ZodType,
  const P extends ZodObjectSchema = z.ZodObject<Record<string, never>>,
>(spec: {
  tag: CoreTag;
  path: Path;
  operationId: string;
  summary: string;
  description?: string;
  query: Q;
  item: S;
  /** What the 200 holds; "`metadata.total` counts every match." is added. */
  answer: string;
  /** A list under a resource (a book's trades): its path parameters and its 404. */
  of?: { params: P; notFound: NotFound };
  errors?: readonly DocumentedError[];
}) {
  const of = spec.of;
  return defineRoute({
    ...serviceDeclaration(spec.tag),
    method: 'get',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    request: of === undefined ? { query: spec.query } : { params: of.params, query: spec.query },
    ...(of === undefined ? {} : { invalidParams: of.notFound.error }),
    responses: {
      200: ok(`${spec.answer} \`metadata.total\` counts every match.`, z.array(spec.item), {
        instanceId: true,
        total: true,
      }),
      ...errors([
        ...BAD_REQUEST,
        ...(spec.errors ?? []),
        ...(of === undefined ? [] : [of.notFound.documented]),
        ...SERVICE_ROUTE,
      ]),
    },
  });
}

/**
 * The declaration of a read of one resource named in the path: a 200 with `item`, and the
 * resource's 404 (`notFound`) for an unknown, foreign or malformed id, and `errors` besides.
 *
 * @example
 * const getMarketRoute = readRoute({ tag: 'Lending', path: `${PREFIX}/markets/:marketId`, operationId: 'getMarket',
 *   summary: 'A market', params: marketParams, notFound: marketNotFound, item: marketSchema, answer: 'The market.' });
 */
export function readRoute<
  const Path extends string,
  const P extends ZodObjectSchema,
  const S extends z.ZodType,
  const Q extends ZodObjectSchema = z.ZodObject<Record<string, never>>,
>(spec: {
  tag: CoreTag;
  path: Path;
  operationId: string;
  summary: string;
  description?: string;
  params: P;
  query?: Q;
  notFound: NotFound;
  item: S;
  answer: string;
  errors?: readonly DocumentedError[];
}) {
  return defineRoute({
    ...serviceDeclaration(spec.tag),
    method: 'get',
    path: spec.path,
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    request: spec.query === undefined ? { params: spec.params } : { params: spec.params, query: spec.query },
    invalidParams: spec.notFound.error,
    responses: {
      200: ok(spec.answer, spec.item, { instanceId: true }),
      ...errors([...(spec.errors ?? []), spec.notFound.documented, ...SERVICE_ROUTE]),
    },
  });
}

/**
 * Runs `work` in one transaction and runs it again (at most three times in all) when the
 * database aborted it to break a deadlock or a serialization conflict (or it threw {@link LostRace}): the race is decided by the
 * database, and the loser retries from a fresh read instead of answering 500.
 *
 * @example
 * const moved = await retryingTransaction(db, (tx) => transfer(tx, …));
 */
export async function retryingTransaction<T>(db: Database, work: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      const lost = isSerializationFailure(error) || error instanceof LostRace;
      if (!lost || attempt >= 3) throw error;
    }
  }
}

/** Thrown inside a {@link retryingTransaction} that read a state another transaction just changed: run it again. */
export class LostRace extends Error {}

// ---------------------------------------------------------------------------------------------
// Request shapes
// ---------------------------------------------------------------------------------------------

const AMOUNT_MESSAGE = `must be a positive decimal string with at most ${DECIMAL_SCALE} decimal places (e.g. "12.5")`;

/**
 * An amount: a positive decimal string (no sign, exponent or spaces), at most 30 integer and 18
 * fractional digits, read as its canonical text (`"1.50"` is `"1.5"`) so equal amounts are equal
 * strings. Arithmetic goes through `decimal.ts` or SQL numeric, never a float.
 */
export const amountSchema = z
  .string({ message: AMOUNT_MESSAGE })
  .refine((text) => (parseDecimal(text) ?? 0n) > 0n, AMOUNT_MESSAGE)
  .transform((text) => formatDecimal(parseDecimal(text) ?? 0n))
  .meta({
    id: 'Amount',
    description: `A positive decimal string: at most ${MAX_INTEGER_DIGITS} integer and ${DECIMAL_SCALE} fractional digits, no sign or exponent.`,
    example: '12.5',
  });

/** A decimal in a response: canonical text, no trailing fractional zeros. */
export const decimalOut = z
  .string()
  .regex(/^-?\d+(\.\d*[1-9])?$/)
  .meta({
    id: 'Decimal',
    description: 'A decimal string in canonical form (no exponent, no trailing zeros).',
  });

const ADDRESS_MESSAGE = 'must be an address: 0x and 40 hexadecimal digits';
/** An EVM-style address, `0x` + 40 hex in any letter case; read in lower case (one spelling each). */
export const addressSchema = z
  .string({ message: ADDRESS_MESSAGE })
  .regex(/^0x[0-9a-fA-F]{40}$/, ADDRESS_MESSAGE)
  .transform((text) => text.toLowerCase())
  .meta({ id: 'Address', description: '`0x` and 40 hexadecimal digits; answers write it in lower case.' });

/** An address as answers write it. */
export const addressOut = z.string().regex(/^0x[0-9a-f]{40}$/);

/**
 * A customer of the caller's instance, by any of its identifiers (id, wallet address, reference
 * key or external id, tried in that order).
 */
export const customerRefSchema = singleLineText({ min: 1, max: 200 }).meta({
  description:
    "A customer of the caller's instance: its id, wallet address, reference key or external id (tried in that order). An archived or unknown customer is a 404.",
});

/** Optional free text kept with a movement (`reference`). */
export const referenceSchema = singleLineText({ min: 1, max: 200 });

const WHOLE = /^\d{1,9}$/;

/**
 * A whole-number query parameter within `min`…`max`, `fallback` when absent. Query values are
 * strings: only plain digits are read (`1e2`, `+5`, `5.0` are refused, never coerced).
 *
 * @example
 * z.object({ levels: intQuery(1, 100, 20) })
 */
export function intQuery(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string({ message })
    .regex(WHOLE, message)
    .transform(Number)
    .pipe(z.int().min(min, message).max(max, message))
    .optional()
    .transform((value) => value ?? fallback)
    .meta({ description: `${min}–${max}, default ${fallback}.` });
}

/** Most items a list answers with (SPEC §4.5: `limit` default 100, max 200). */
const MAX_PAGE = 200;

/** `limit` and `offset` of every list (SPEC §4.5); `metadata.total` counts all matching items. */
export const pageQuery = {
  limit: intQuery(1, MAX_PAGE, 100),
  offset: intQuery(0, 1_000_000_000, 0),
};

/** `true`/`false` in a query string; absent is `false`. */
export const booleanQuery = z
  .enum(['true', 'false'], { message: 'must be true or false' })
  .optional()
  .transform((value) => value === 'true');
