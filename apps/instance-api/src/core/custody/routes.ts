import { catalogErrors, type DocumentedError, instanceApiErrors } from '@portcullis/errors';
import { defineRoute } from '@portcullis/routes';
import type { AppDeps } from '../../app.js';
import { type AppKit, documented, envelope, errors, ok } from '../../http.js';
import {
  BAD_REQUEST,
  customerNotFound,
  instanceOf,
  listRoute,
  readRoute,
  SERVICE_ROUTE,
  serviceDeclaration,
  serviceRouter,
  tokenNotFound,
} from '../common.js';
import { findCustomer } from '../customers/store.js';
import {
  IDEMPOTENCY_ERRORS,
  idempotencyHeaders,
  idempotent,
  REPLAYED_RESPONSE_HEADERS,
  requestFingerprint,
  sendAnswer,
} from '../idempotency.js';
import { KeyedQueue } from '../keyed-queue.js';
import {
  balanceChangeBody,
  balanceSchema,
  custodyTokenSchema,
  customerBalancesSchema,
  customerRefParams,
  listTokensQuery,
  listTransactionsQuery,
  type Movement,
  movementResultSchema,
  registerTokenBody,
  tokenAddressParams,
  transactionSchema,
  transferBody,
} from './schemas.js';
import {
  customerBalances,
  deactivateToken,
  getToken,
  listTokens,
  listTransactions,
  type MovementFailure,
  moveBalance,
  registerToken,
  tokenBalance,
  transfer,
} from './store.js';

/** SPEC §4.5 (published path). */
export const CUSTODY_PREFIX = '/api/v2/custody/api';

/**
 * How many movements of one token a process runs at once: enough for transfers between different
 * customers to overlap, few enough that a burst leaves the pool (10 connections by default) to
 * everything else.
 */
const MOVEMENTS_PER_TOKEN = 4;

const common = serviceDeclaration('Custody');
const LOCKED_SHORT = 'Insufficient locked balance';
const SAME_CUSTOMER = 'Cannot transfer to the same customer';
const insufficient = documented(
  instanceApiErrors,
  'INSUFFICIENT_BALANCE',
  `The free balance (balance − locked) is below the amount; for an unlock: "${LOCKED_SHORT}"`,
);

const registerTokenRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${CUSTODY_PREFIX}/tokens`,
  operationId: 'registerCustodyToken',
  summary: 'Register a token for custody',
  request: { body: registerTokenBody },
  responses: {
    201: ok('The registered token, with no supply.', custodyTokenSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, ...catalogErrors(instanceApiErrors, 'TOKEN_EXISTS'), ...SERVICE_ROUTE]),
  },
});

const listTokensRoute = listRoute({
  tag: 'Custody',
  path: `${CUSTODY_PREFIX}/tokens`,
  operationId: 'listCustodyTokens',
  summary: "The instance's custody tokens, oldest first",
  query: listTokensQuery,
  item: custodyTokenSchema,
  answer: 'One page of tokens.',
});

const getTokenRoute = readRoute({
  tag: 'Custody',
  path: `${CUSTODY_PREFIX}/tokens/:tokenAddress`,
  operationId: 'getCustodyToken',
  summary: 'A custody token, active or not',
  params: tokenAddressParams,
  notFound: tokenNotFound,
  item: custodyTokenSchema,
  answer: 'The token.',
});

const deactivateTokenRoute = defineRoute({
  ...common,
  method: 'delete',
  path: `${CUSTODY_PREFIX}/tokens/:tokenAddress`,
  operationId: 'deactivateCustodyToken',
  summary:
    'Deactivate a token: its balances stay readable, every movement of it is refused (404 `TOKEN_NOT_FOUND`)',
  request: { params: tokenAddressParams },
  invalidParams: tokenNotFound.error,
  responses: {
    200: ok('The token, `active: false`.', custodyTokenSchema, { instanceId: true }),
    ...errors([tokenNotFound.documented, ...SERVICE_ROUTE]),
  },
});

const MOVEMENT_TEXT: Record<Exclude<Movement, 'TRANSFER'>, string> = {
  CREDIT: 'Credit a customer: adds to its balance and to the token’s supply',
  DEBIT: 'Debit a customer’s free balance: takes from its balance and from the token’s supply',
  LOCK: 'Lock part of a customer’s free balance: it stays in the balance but cannot be debited or sent',
  UNLOCK: 'Unlock part of a customer’s locked balance',
};

const MOVEMENT_ERRORS: readonly DocumentedError[] = [
  ...BAD_REQUEST,
  insufficient,
  tokenNotFound.documented,
  customerNotFound.documented,
  ...IDEMPOTENCY_ERRORS,
  ...SERVICE_ROUTE,
];

const IDEMPOTENCY_TEXT =
  ' With an `Idempotency-Key`, a retry within 24 h replays the first answer and moves nothing again.';

function movementRoute(type: Exclude<Movement, 'TRANSFER'>) {
  const action = type.toLowerCase();
  return defineRoute({
    ...common,
    method: 'post',
    path: `${CUSTODY_PREFIX}/balances/${action}`,
    operationId: `custody${type[0]}${action.slice(1)}`,
    summary: MOVEMENT_TEXT[type],
    description: `An unknown or inactive token is a 404 \`TOKEN_NOT_FOUND\`; an amount with more decimal places than the token has is a 400 naming \`amount\`.${IDEMPOTENCY_TEXT}`,
    request: { headers: idempotencyHeaders, body: balanceChangeBody },
    responses: {
      200: ok('The movement and the balance after it.', movementResultSchema, {
        instanceId: true,
        headers: REPLAYED_RESPONSE_HEADERS,
      }),
      ...errors(MOVEMENT_ERRORS),
    },
  });
}

const transferRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${CUSTODY_PREFIX}/balances/transfer`,
  operationId: 'custodyTransfer',
  summary: 'Transfer from one customer’s free balance to another customer, atomically',
  description: `The token's supply is unchanged. Both references naming one customer is a 400 \`INVALID_INPUT\`.${IDEMPOTENCY_TEXT}`,
  request: { headers: idempotencyHeaders, body: transferBody },
  responses: {
    200: ok('The transfer and both balances after it, the sender first.', movementResultSchema, {
      instanceId: true,
      headers: REPLAYED_RESPONSE_HEADERS,
    }),
    ...errors([...MOVEMENT_ERRORS, documented(instanceApiErrors, 'INVALID_INPUT', SAME_CUSTOMER)]),
  },
});

const customerBalancesRoute = readRoute({
  tag: 'Custody',
  path: `${CUSTODY_PREFIX}/balances/:customerRef`,
  operationId: 'getCustodyBalances',
  summary: 'Every token balance of a customer',
  params: customerRefParams,
  notFound: customerNotFound,
  item: customerBalancesSchema,
  answer: "The customer's balances, by token address.",
});

const tokenBalanceRoute = defineRoute({
  ...common,
  method: 'get',
  path: `${CUSTODY_PREFIX}/balances/:customerRef/:tokenAddress`,
  operationId: 'getCustodyTokenBalance',
  summary: "A customer's balance of one token (zero when nothing was moved)",
  description: 'A malformed customer reference or token address is a 400 naming it.',
  request: { params: customerRefParams.extend(tokenAddressParams.shape) },
  responses: {
    200: ok('The balance.', balanceSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, customerNotFound.documented, tokenNotFound.documented, ...SERVICE_ROUTE]),
  },
});

const listTransactionsRoute = listRoute({
  tag: 'Custody',
  path: `${CUSTODY_PREFIX}/transactions`,
  operationId: 'listCustodyTransactions',
  summary: 'Movements of the ledger, newest first',
  query: listTransactionsQuery,
  item: transactionSchema,
  answer: 'One page of movements.',
  errors: [customerNotFound.documented],
});

function refuse(failure: MovementFailure): never {
  switch (failure.reason) {
    case 'token-not-found':
      throw tokenNotFound.error();
    case 'customer-not-found':
      throw customerNotFound.error();
    case 'too-precise':
      throw instanceApiErrors.error('VALIDATION_ERROR', {
        details: [
          { field: 'amount', message: `has more decimal places than the token's ${failure.decimals}` },
        ],
      });
    case 'insufficient':
      throw instanceApiErrors.error('INSUFFICIENT_BALANCE', failure.locked ? { message: LOCKED_SHORT } : {});
    case 'same-customer':
      throw instanceApiErrors.error('INVALID_INPUT', { message: SAME_CUSTOMER });
  }
}

/**
 * Custody (SPEC §4.5) under `/api/v2/custody/api`, behind the `custody` service gate: tokens,
 * balance movements (idempotent with `Idempotency-Key`), balances and the journal.
 *
 * @example
 * const { router } = { router: custodyRoutes(kit, deps) };
 */
export function custodyRoutes(kit: AppKit, deps: AppDeps) {
  const { db, now } = deps;
  const { router, mount } = serviceRouter(kit, 'custody', CUSTODY_PREFIX);
  const date = () => new Date(now());
  // The movements of one token take at most MOVEMENTS_PER_TOKEN connections of this process at
  // once; the rest wait here, not in the pool (see KeyedQueue): a burst on a busy token cannot
  // starve the pool or time out waiting for its rows' locks.
  const tokens = new KeyedQueue(MOVEMENTS_PER_TOKEN);

  mount(registerTokenRoute, async (ctx, { body }) => {
    const registered = await registerToken(db, instanceOf(ctx), body, date());
    if (!registered.ok) throw instanceApiErrors.error('TOKEN_EXISTS');
    return { status: 201, body: envelope(ctx, now, registered.token) };
  });

  mount(listTokensRoute, async (ctx, { query }) => {
    const { items, total } = await listTokens(db, instanceOf(ctx), query);
    return { status: 200, body: envelope(ctx, now, items, total) };
  });

  mount(getTokenRoute, async (ctx, { params }) => {
    const token = await getToken(db, instanceOf(ctx), params.tokenAddress);
    if (token === undefined) throw tokenNotFound.error();
    return { status: 200, body: envelope(ctx, now, token) };
  });

  mount(deactivateTokenRoute, async (ctx, { params }) => {
    const token = await deactivateToken(db, instanceOf(ctx), params.tokenAddress, date());
    if (token === undefined) throw tokenNotFound.error();
    return { status: 200, body: envelope(ctx, now, token) };
  });

  for (const type of ['CREDIT', 'DEBIT', 'LOCK', 'UNLOCK'] as const) {
    const route = movementRoute(type);
    mount(route, async (ctx, { headers, body }) => {
      const instanceId = instanceOf(ctx);
      const options = {
        instanceId,
        key: headers['idempotency-key'],
        fingerprint: requestFingerprint(route.operationId, null, body),
        nowMs: now(),
      };
      const answer = await tokens.run(`${instanceId}/${body.tokenAddress}`, () =>
        idempotent(db, options, async (tx) => {
          const moved = await moveBalance(tx, instanceId, { type, ...body }, date());
          if (!moved.ok) refuse(moved);
          const data = { transaction: moved.transaction, balances: moved.balances };
          return { status: 200, body: JSON.stringify(envelope(ctx, now, data)) };
        }),
      );
      return sendAnswer(ctx, answer);
    });
  }

  mount(transferRoute, async (ctx, { headers, body }) => {
    const instanceId = instanceOf(ctx);
    const options = {
      instanceId,
      key: headers['idempotency-key'],
      fingerprint: requestFingerprint(transferRoute.operationId, null, body),
      nowMs: now(),
    };
    const answer = await tokens.run(`${instanceId}/${body.tokenAddress}`, () =>
      idempotent(db, options, async (tx) => {
        const moved = await transfer(tx, instanceId, body, date());
        if (!moved.ok) refuse(moved);
        const data = { transaction: moved.transaction, balances: moved.balances };
        return { status: 200, body: JSON.stringify(envelope(ctx, now, data)) };
      }),
    );
    return sendAnswer(ctx, answer);
  });

  mount(customerBalancesRoute, async (ctx, { params }) => {
    const instanceId = instanceOf(ctx);
    const customer = await findCustomer(db, instanceId, params.customerRef);
    if (customer === undefined) throw customerNotFound.error();
    const balances = await customerBalances(db, instanceId, customer.id);
    return { status: 200, body: envelope(ctx, now, { customerId: customer.id, balances }) };
  });

  mount(tokenBalanceRoute, async (ctx, { params }) => {
    const instanceId = instanceOf(ctx);
    const customer = await findCustomer(db, instanceId, params.customerRef);
    if (customer === undefined) throw customerNotFound.error();
    if ((await getToken(db, instanceId, params.tokenAddress)) === undefined) throw tokenNotFound.error();
    const balance = await tokenBalance(db, instanceId, customer.id, params.tokenAddress);
    return { status: 200, body: envelope(ctx, now, balance) };
  });

  mount(listTransactionsRoute, async (ctx, { query }) => {
    const instanceId = instanceOf(ctx);
    let customerId: string | undefined;
    if (query.customerRef !== undefined) {
      customerId = (await findCustomer(db, instanceId, query.customerRef))?.id;
      if (customerId === undefined) throw customerNotFound.error();
    }
    const { items, total } = await listTransactions(db, instanceId, { ...query, customerId });
    return { status: 200, body: envelope(ctx, now, items, total) };
  });

  return router;
}
