import { instanceApiErrors } from '@portcullis/errors';
import { defineRoute } from '@portcullis/routes';
import type { AppDeps } from '../../app.js';
import { type AppKit, documented, envelope, errors, ok } from '../../http.js';
import {
  BAD_REQUEST,
  customerNotFound,
  instanceOf,
  listRoute,
  notFound,
  readRoute,
  SERVICE_ROUTE,
  serviceDeclaration,
  serviceRouter,
} from '../common.js';
import { KeyedQueue } from '../keyed-queue.js';
import {
  cancelOrderBody,
  createOrderBody,
  createOrderBookBody,
  listPageQuery,
  orderBookParams,
  orderBookSchema,
  orderParams,
  orderSchema,
  snapshotQuery,
  snapshotSchema,
  tradeSchema,
} from './schemas.js';
import {
  cancelOrder,
  createOrderBook,
  findOrder,
  findOrderBook,
  listOrderBooks,
  listTrades,
  orderBookOf,
  orderBookSnapshot,
  placeOrder,
} from './store.js';

/** SPEC §4.5 (published path). */
export const TRADING_PREFIX = '/orderbooks/stocks/api/offchain';

const common = serviceDeclaration('Trading');
const bookNotFound = notFound('Order book not found');
const orderNotFound = notFound('Order not found');
const notOwner = documented(instanceApiErrors, 'INVALID_INPUT', 'Order belongs to another customer');
const alreadyFilled = documented(instanceApiErrors, 'INVALID_INPUT', 'Order is already filled');
const alreadyCancelled = documented(instanceApiErrors, 'INVALID_INPUT', 'Order is already cancelled');

const createOrderBookRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${TRADING_PREFIX}/order-books`,
  operationId: 'createOrderBook',
  summary: 'Create an order book',
  request: { body: createOrderBookBody },
  responses: {
    201: ok('The new order book.', orderBookSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, ...SERVICE_ROUTE]),
  },
});

const listOrderBooksRoute = listRoute({
  tag: 'Trading',
  path: `${TRADING_PREFIX}/order-books`,
  operationId: 'listOrderBooks',
  summary: "The instance's order books, oldest first",
  query: listPageQuery,
  item: orderBookSchema,
  answer: 'One page of order books.',
});

const getOrderBookRoute = readRoute({
  tag: 'Trading',
  path: `${TRADING_PREFIX}/order-books/:id`,
  operationId: 'getOrderBook',
  summary: 'An order book',
  params: orderBookParams,
  notFound: bookNotFound,
  item: orderBookSchema,
  answer: 'The order book.',
});

const snapshotRoute = readRoute({
  tag: 'Trading',
  path: `${TRADING_PREFIX}/order-books/:id/snapshot`,
  operationId: 'getOrderBookSnapshot',
  summary: 'The resting orders of a book aggregated by price level',
  params: orderBookParams,
  query: snapshotQuery,
  notFound: bookNotFound,
  item: snapshotSchema,
  answer: 'The best `levels` price levels of each side.',
  errors: BAD_REQUEST,
});

const listTradesRoute = listRoute({
  tag: 'Trading',
  path: `${TRADING_PREFIX}/order-books/:id/trades`,
  operationId: 'listOrderBookTrades',
  summary: "A book's trades, newest first",
  query: listPageQuery,
  item: tradeSchema,
  answer: 'One page of trades.',
  of: { params: orderBookParams, notFound: bookNotFound },
});

const placeOrderRoute = defineRoute({
  ...common,
  method: 'post',
  path: `${TRADING_PREFIX}/orders`,
  operationId: 'placeOrder',
  summary: 'Place an order: matched at once, the remainder of a LIMIT GTC order rests',
  request: { body: createOrderBody },
  responses: {
    201: ok('The order with its fill, status and the trades it made.', orderSchema, { instanceId: true }),
    ...errors([...BAD_REQUEST, bookNotFound.documented, customerNotFound.documented, ...SERVICE_ROUTE]),
  },
});

const getOrderRoute = readRoute({
  tag: 'Trading',
  path: `${TRADING_PREFIX}/orders/:orderId`,
  operationId: 'getOrder',
  summary: 'An order with its trades',
  params: orderParams,
  notFound: orderNotFound,
  item: orderSchema,
  answer: 'The order and every trade it took part in.',
});

const cancelOrderRoute = defineRoute({
  ...common,
  method: 'delete',
  path: `${TRADING_PREFIX}/orders/:orderId`,
  operationId: 'cancelOrder',
  summary: 'Cancel a resting order (its owner only)',
  request: { params: orderParams, body: cancelOrderBody },
  invalidParams: orderNotFound.error,
  responses: {
    200: ok('The cancelled order; what it filled before stays filled.', orderSchema, { instanceId: true }),
    ...errors([
      ...BAD_REQUEST,
      notOwner,
      alreadyFilled,
      alreadyCancelled,
      orderNotFound.documented,
      customerNotFound.documented,
      ...SERVICE_ROUTE,
    ]),
  },
});

const invalid = (message: string) => instanceApiErrors.error('INVALID_INPUT', { message });

/**
 * Trading (SPEC §4.5) under `/orderbooks/stocks/api/offchain`, behind the `trading` service gate:
 * order books, price-time priority matching, trades.
 *
 * @example
 * app.use(guardedRoutes(tradingRoutes(kit, deps), { prefixes: [TRADING_PREFIX] }));
 */
export function tradingRoutes(kit: AppKit, deps: AppDeps) {
  const { db, now } = deps;
  const { router, mount } = serviceRouter(kit, 'trading', TRADING_PREFIX);
  // This process's changes of one book queue here rather than for the book's row lock.
  const queue = new KeyedQueue();

  mount(createOrderBookRoute, async (ctx, { body }) => {
    const book = await createOrderBook(db, instanceOf(ctx), body, new Date(now()));
    return { status: 201, body: envelope(ctx, now, book) };
  });

  mount(listOrderBooksRoute, async (ctx, { query }) => {
    const { items, total } = await listOrderBooks(db, instanceOf(ctx), query);
    return { status: 200, body: envelope(ctx, now, items, total) };
  });

  mount(getOrderBookRoute, async (ctx, { params }) => {
    const book = await findOrderBook(db, instanceOf(ctx), params.id);
    if (book === undefined) throw bookNotFound.error();
    return { status: 200, body: envelope(ctx, now, book) };
  });

  mount(snapshotRoute, async (ctx, { params, query }) => {
    const snapshot = await orderBookSnapshot(db, instanceOf(ctx), params.id, query.levels);
    if (snapshot === undefined) throw bookNotFound.error();
    return { status: 200, body: envelope(ctx, now, snapshot) };
  });

  mount(listTradesRoute, async (ctx, { params, query }) => {
    const page = await listTrades(db, instanceOf(ctx), params.id, query);
    if (page === undefined) throw bookNotFound.error();
    return { status: 200, body: envelope(ctx, now, page.items, page.total) };
  });

  mount(placeOrderRoute, async (ctx, { body }) => {
    const instanceId = instanceOf(ctx);
    const placed = await queue.run(`${instanceId}/${body.orderBookId}`, () =>
      placeOrder(db, instanceId, body, new Date(now())),
    );
    if (!placed.ok)
      throw placed.reason === 'book-not-found' ? bookNotFound.error() : customerNotFound.error();
    return { status: 201, body: envelope(ctx, now, placed.order) };
  });

  mount(getOrderRoute, async (ctx, { params }) => {
    const order = await findOrder(db, instanceOf(ctx), params.orderId);
    if (order === undefined) throw orderNotFound.error();
    return { status: 200, body: envelope(ctx, now, order) };
  });

  mount(cancelOrderRoute, async (ctx, { params, body }) => {
    const instanceId = instanceOf(ctx);
    const orderBookId = await orderBookOf(db, instanceId, params.orderId);
    if (orderBookId === undefined) throw orderNotFound.error();
    const cancelled = await queue.run(`${instanceId}/${orderBookId}`, () =>
      cancelOrder(db, instanceId, orderBookId, params.orderId, body.customerRef, new Date(now())),
    );
    if (!cancelled.ok) {
      switch (cancelled.reason) {
        case 'not-found':
          throw orderNotFound.error();
        case 'customer-not-found':
          throw customerNotFound.error();
        case 'not-owner':
          throw invalid(notOwner.message);
        case 'FILLED':
          throw invalid(alreadyFilled.message);
        case 'CANCELLED':
          throw invalid(alreadyCancelled.message);
      }
    }
    return { status: 200, body: envelope(ctx, now, cancelled.order) };
  });

  return router;
}
