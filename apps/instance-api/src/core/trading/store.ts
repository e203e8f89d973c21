import type { Database, Queryable } from '@portcullis/db';
import type { Result } from '@portcullis/errors';
import type { z } from 'zod';
import { newResourceId } from '../../ids.js';
import { LostRace, retryingTransaction } from '../common.js';
import { resolveCustomer } from '../customers/store.js';
import { canonicalNumeric, formatDecimal, fromNumeric, parseDecimal, type Units } from '../decimal.js';
import { type Fill, matchOrder, type OrderStatus, type RestingOrder, type Side } from './engine.js';
import type {
  createOrderBody,
  createOrderBookBody,
  OrderBookView,
  OrderView,
  SnapshotView,
  TradeView,
} from './schemas.js';

// Order books, orders and trades in SQL (migration 0006). Every statement filters on the caller's
// instance. Everything that changes the orders of a book — placing (matching) and cancelling —
// first takes the book's row lock (SELECT … FOR UPDATE) and keeps it to commit, so the matching of
// one book is serialised across processes: no resting quantity is filled twice, and time priority
// is the order in which orders got the lock.

const RESTING = `('OPEN', 'PARTIALLY_FILLED')`;

interface OrderBookRow {
  id: string;
  token_address: string;
  quote_token_address: string;
  name: string;
  symbol: string;
  created_at: Date;
}

const BOOK_COLUMNS = 'id, token_address, quote_token_address, name, symbol, created_at';

function bookView(row: OrderBookRow): OrderBookView {
  return {
    id: row.id,
    tokenAddress: row.token_address,
    quoteTokenAddress: row.quote_token_address,
    name: row.name,
    symbol: row.symbol,
    createdAt: row.created_at.toISOString(),
  };
}

interface OrderRow {
  id: string;
  order_book_id: string;
  customer_id: string;
  side: OrderView['side'];
  order_type: OrderView['orderType'];
  price: string | null;
  quantity: string;
  filled_quantity: string;
  time_in_force: OrderView['timeInForce'];
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
}

const ORDER_COLUMNS =
  'id, order_book_id, customer_id, side, order_type, price, quantity, filled_quantity, time_in_force, status, created_at, updated_at';

function orderView(row: OrderRow, trades: TradeView[]): OrderView {
  return {
    id: row.id,
    orderBookId: row.order_book_id,
    customerId: row.customer_id,
    side: row.side,
    orderType: row.order_type,
    price: row.price === null ? null : canonicalNumeric(row.price),
    quantity: canonicalNumeric(row.quantity),
    filledQuantity: canonicalNumeric(row.filled_quantity),
    timeInForce: row.time_in_force,
    status: row.status,
    trades,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

interface TradeRow {
  id: string;
  order_book_id: string;
  buy_order_id: string;
  sell_order_id: string;
  taker_side: Side;
  price: string;
  quantity: string;
  created_at: Date;
}

const TRADE_COLUMNS =
  'id, order_book_id, buy_order_id, sell_order_id, taker_side, price, quantity, created_at';

function tradeView(row: TradeRow): TradeView {
  return {
    id: row.id,
    orderBookId: row.order_book_id,
    buyOrderId: row.buy_order_id,
    sellOrderId: row.sell_order_id,
    takerSide: row.taker_side,
    price: canonicalNumeric(row.price),
    quantity: canonicalNumeric(row.quantity),
    createdAt: row.created_at.toISOString(),
  };
}

/** A page of rows with `count(*) OVER ()` as `total`, and the count alone for a page past the end. */
async function paged<R extends { total: string }>(
  db: Queryable,
  select: string,
  from: string,
  order: string,
  params: unknown[],
  page: { limit: number; offset: number },
): Promise<{ rows: R[]; total: number }> {
  const n = params.length;
  const { rows } = await db.query<R>(
    `SELECT ${select}, count(*) OVER () AS total FROM ${from} ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...params, page.limit, page.offset],
  );
  if (rows[0] !== undefined) return { rows, total: Number(rows[0].total) };
  if (page.offset === 0) return { rows, total: 0 };
  const count = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${from}`, params);
  return { rows, total: Number(count.rows[0]?.n ?? 0) };
}

// ---------------------------------------------------------------------------------------------
// Order books
// ---------------------------------------------------------------------------------------------

/**
 * Creates an order book of the instance.
 *
 * @example
 * const book = await createOrderBook(db, instanceId, { tokenAddress, quoteTokenAddress, name: 'ACME/EURT', symbol: 'ACME-EURT' }, new Date());
 */
export async function createOrderBook(
  db: Queryable,
  instanceId: string,
  input: z.output<typeof createOrderBookBody>,
  now: Date,
): Promise<OrderBookView> {
  const { rows } = await db.query<OrderBookRow>(
    `INSERT INTO order_books (id, instance_id, token_address, quote_token_address, name, symbol, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${BOOK_COLUMNS}`,
    [
      newResourceId('ob'),
      instanceId,
      input.tokenAddress,
      input.quoteTokenAddress,
      input.name,
      input.symbol,
      now,
    ],
  );
  return bookView(rows[0] as OrderBookRow);
}

/**
 * One page of the instance's order books, oldest first, and how many there are.
 *
 * @example
 * const { items, total } = await listOrderBooks(db, instanceId, { limit: 100, offset: 0 });
 */
export async function listOrderBooks(
  db: Queryable,
  instanceId: string,
  page: { limit: number; offset: number },
): Promise<{ items: OrderBookView[]; total: number }> {
  const { rows, total } = await paged<OrderBookRow & { total: string }>(
    db,
    BOOK_COLUMNS,
    'order_books WHERE instance_id = $1',
    'created_at, id',
    [instanceId],
    page,
  );
  return { items: rows.map(bookView), total };
}

/**
 * The instance's order book `id`, or `undefined`.
 *
 * @example
 * const book = await findOrderBook(db, instanceId, 'ob_…');
 */
export async function findOrderBook(
  db: Queryable,
  instanceId: string,
  id: string,
): Promise<OrderBookView | undefined> {
  const { rows } = await db.query<OrderBookRow>(
    `SELECT ${BOOK_COLUMNS} FROM order_books WHERE instance_id = $1 AND id = $2`,
    [instanceId, id],
  );
  return rows[0] === undefined ? undefined : bookView(rows[0]);
}

/**
 * The book's resting orders aggregated by price: the best `levels` bids (highest first) and asks
 * (lowest first), read by one statement so both sides show the same moment. `undefined` when the
 * instance has no such book.
 *
 * @example
 * const snapshot = await orderBookSnapshot(db, instanceId, 'ob_…', 20);
 */
export async function orderBookSnapshot(
  db: Queryable,
  instanceId: string,
  id: string,
  levels: number,
): Promise<SnapshotView | undefined> {
  if ((await findOrderBook(db, instanceId, id)) === undefined) return undefined;
  const level = (side: Side, direction: 'ASC' | 'DESC') =>
    `(SELECT '${side}' AS side, price, sum(quantity - filled_quantity) AS quantity, count(*) AS orders
        FROM orders WHERE instance_id = $1 AND order_book_id = $2 AND side = '${side}' AND status IN ${RESTING}
       GROUP BY price ORDER BY price ${direction} LIMIT $3)`;
  const { rows } = await db.query<{ side: Side; price: string; quantity: string; orders: string }>(
    `${level('BUY', 'DESC')} UNION ALL ${level('SELL', 'ASC')}`,
    [instanceId, id, levels],
  );
  const view = (row: (typeof rows)[number]) => ({
    price: canonicalNumeric(row.price),
    quantity: canonicalNumeric(row.quantity),
    orders: Number(row.orders),
  });
  // UNION ALL keeps neither branch's order: sort each side here, exactly (bigint units).
  const side = (which: Side) =>
    rows
      .filter((row) => row.side === which)
      .sort((a, b) => {
        const diff = fromNumeric(a.price) - fromNumeric(b.price);
        const ascending = diff < 0n ? -1 : diff > 0n ? 1 : 0;
        return which === 'BUY' ? -ascending : ascending;
      })
      .map(view);
  return { orderBookId: id, bids: side('BUY'), asks: side('SELL') };
}

/**
 * One page of the book's trades, newest first, and how many there are; `undefined` when the
 * instance has no such book.
 *
 * @example
 * const page = await listTrades(db, instanceId, 'ob_…', { limit: 100, offset: 0 });
 */
export async function listTrades(
  db: Queryable,
  instanceId: string,
  orderBookId: string,
  page: { limit: number; offset: number },
): Promise<{ items: TradeView[]; total: number } | undefined> {
  if ((await findOrderBook(db, instanceId, orderBookId)) === undefined) return undefined;
  const { rows, total } = await paged<TradeRow & { total: string }>(
    db,
    TRADE_COLUMNS,
    'trades WHERE instance_id = $1 AND order_book_id = $2',
    'seq DESC',
    [instanceId, orderBookId],
    page,
  );
  return { items: rows.map(tradeView), total };
}

// ---------------------------------------------------------------------------------------------
// Orders
// ---------------------------------------------------------------------------------------------

async function tradesOfOrder(db: Queryable, instanceId: string, orderId: string): Promise<TradeView[]> {
  const { rows } = await db.query<TradeRow>(
    `SELECT ${TRADE_COLUMNS} FROM trades
      WHERE instance_id = $1 AND (buy_order_id = $2 OR sell_order_id = $2) ORDER BY seq`,
    [instanceId, orderId],
  );
  return rows.map(tradeView);
}

/**
 * The instance's order `orderId` with every trade it took part in, or `undefined`.
 *
 * @example
 * const order = await findOrder(db, instanceId, 'ord_…');
 */
export async function findOrder(
  db: Queryable,
  instanceId: string,
  orderId: string,
): Promise<OrderView | undefined> {
  const { rows } = await db.query<OrderRow>(
    `SELECT ${ORDER_COLUMNS} FROM orders WHERE instance_id = $1 AND id = $2`,
    [instanceId, orderId],
  );
  if (rows[0] === undefined) return undefined;
  return orderView(rows[0], await tradesOfOrder(db, instanceId, orderId));
}

/** Locks the instance's book for the rest of the transaction; `false` when there is none. */
async function lockBook(tx: Queryable, instanceId: string, orderBookId: string): Promise<boolean> {
  const { rows } = await tx.query('SELECT 1 FROM order_books WHERE instance_id = $1 AND id = $2 FOR UPDATE', [
    instanceId,
    orderBookId,
  ]);
  return rows.length === 1;
}

/**
 * The resting orders of `side` that an order of `quantity` (limit `price`, none for MARKET) can
 * reach, in price-time priority: those that cross the limit, up to the first whose predecessors
 * already hold `quantity` (the rest of the side cannot trade, so it is not read).
 */
async function reachableResting(
  tx: Queryable,
  instanceId: string,
  orderBookId: string,
  side: Side,
  price: string | undefined,
  quantity: string,
): Promise<RestingOrder[]> {
  const priority = side === 'SELL' ? 'price ASC, seq ASC' : 'price DESC, seq ASC';
  const params: unknown[] = [instanceId, orderBookId, side, quantity];
  let limit = '';
  if (price !== undefined) {
    params.push(price);
    limit = `AND price ${side === 'SELL' ? '<=' : '>='} $5::numeric`;
  }
  const { rows } = await tx.query<{ id: string; price: string; quantity: string; filled_quantity: string }>(
    `SELECT id, price, quantity, filled_quantity FROM (
       SELECT id, price, quantity, filled_quantity, seq,
              coalesce(sum(quantity - filled_quantity) OVER (ORDER BY ${priority}
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ahead
         FROM orders
        WHERE instance_id = $1 AND order_book_id = $2 AND side = $3 AND status IN ${RESTING} ${limit}
     ) reachable
     WHERE ahead < $4::numeric ORDER BY ${priority}`,
    params,
  );
  return rows.map((row) => ({
    id: row.id,
    price: fromNumeric(row.price),
    quantity: fromNumeric(row.quantity),
    filled: fromNumeric(row.filled_quantity),
  }));
}

type PlaceOutcome = Result<{ order: OrderView }, 'book-not-found' | 'customer-not-found'>;

/**
 * Places an order: under the book's row lock, reads the reachable resting orders of the other
 * side, matches with the pure engine (`matchOrder`), and writes the order, the resting orders'
 * new fills and the trades in the same transaction. Answers the order with the trades it made.
 *
 * The book is locked as late and held as briefly as possible — the customer is resolved before,
 * and the three writes are one statement — since every order of the book waits for it.
 *
 * @example
 * const placed = await placeOrder(db, instanceId, { orderBookId, customerRef: 'cus_…', side: 'BUY', orderType: 'LIMIT', price: '10', quantity: '5', timeInForce: 'GTC' }, new Date());
 */
export async function placeOrder(
  db: Database,
  instanceId: string,
  input: z.output<typeof createOrderBody>,
  now: Date,
): Promise<PlaceOutcome> {
  return retryingTransaction(db, async (tx): Promise<PlaceOutcome> => {
    // Lock order everywhere: the customer (FOR SHARE), then the book (FOR UPDATE).
    const customerId = await resolveCustomer(tx, instanceId, input.customerRef);
    if (!(await lockBook(tx, instanceId, input.orderBookId))) return { ok: false, reason: 'book-not-found' };
    if (customerId === undefined) return { ok: false, reason: 'customer-not-found' };

    const opposite: Side = input.side === 'BUY' ? 'SELL' : 'BUY';
    const resting = await reachableResting(
      tx,
      instanceId,
      input.orderBookId,
      opposite,
      input.price,
      input.quantity,
    );
    const match = matchOrder(
      {
        side: input.side,
        orderType: input.orderType,
        price: input.price === undefined ? undefined : units(input.price),
        quantity: units(input.quantity),
        timeInForce: input.timeInForce,
      },
      resting,
    );

    const orderId = newResourceId('ord');
    const trades = match.fills.map((fill) => tradeOf(input.orderBookId, input.side, orderId, fill, now));
    const { makers } = match;
    // One statement writes the order, the makers' fills and the trades (in execution order, so
    // their `seq` follows it). Each maker's update is conditional on its filled quantity as read:
    // under the book lock nothing else can have changed it, and if anything ever did, the
    // transaction starts over instead of filling a quantity twice.
    const { rows } = await tx.query<OrderRow & { makers_updated: number }>(
      `WITH placed AS (
         INSERT INTO orders (id, instance_id, order_book_id, customer_id, side, order_type, price, quantity,
           filled_quantity, time_in_force, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::numeric, $8::numeric, $9::numeric, $10, $11, $12, $12)
         RETURNING ${ORDER_COLUMNS}
       ), makers AS (
         UPDATE orders o SET filled_quantity = u.filled, status = u.status, updated_at = $12
           FROM unnest($13::text[], $14::numeric[], $15::numeric[], $16::text[]) AS u (id, previous, filled, status)
          WHERE o.instance_id = $2 AND o.order_book_id = $3 AND o.id = u.id
            AND o.filled_quantity = u.previous AND o.status IN ${RESTING}
         RETURNING o.id
       ), made AS (
         INSERT INTO trades (id, instance_id, order_book_id, buy_order_id, sell_order_id, taker_side, price, quantity, created_at)
         SELECT t.id, $2, $3, t.buy, t.sell, $5, t.price, t.quantity, $12
           FROM unnest($17::text[], $18::text[], $19::text[], $20::numeric[], $21::numeric[])
                WITH ORDINALITY AS t (id, buy, sell, price, quantity, n)
          ORDER BY t.n
         RETURNING id
       )
       SELECT placed.*, (SELECT count(*) FROM makers)::int AS makers_updated FROM placed`,
      [
        orderId,
        instanceId,
        input.orderBookId,
        customerId,
        input.side,
        input.orderType,
        input.price ?? null,
        input.quantity,
        formatDecimal(match.filled),
        input.timeInForce,
        match.status,
        now,
        makers.map((maker) => maker.id),
        makers.map((maker) => formatDecimal(maker.previousFilled)),
        makers.map((maker) => formatDecimal(maker.filled)),
        makers.map((maker) => maker.status),
        trades.map((trade) => trade.id),
        trades.map((trade) => trade.buyOrderId),
        trades.map((trade) => trade.sellOrderId),
        trades.map((trade) => trade.price),
        trades.map((trade) => trade.quantity),
      ],
    );
    const row = rows[0] as OrderRow & { makers_updated: number };
    if (row.makers_updated !== makers.length)
      throw new LostRace('a resting order changed under the book lock');
    return { ok: true, order: orderView(row, trades) };
  });
}

function units(amount: string): Units {
  const parsed = parseDecimal(amount);
  // The request schema admitted only amounts parseDecimal reads.
  if (parsed === undefined) throw new TypeError('placeOrder: amount is not a decimal');
  return parsed;
}

/** The trade a fill of the taker `takerId` makes. */
function tradeOf(orderBookId: string, takerSide: Side, takerId: string, fill: Fill, now: Date): TradeView {
  return {
    id: newResourceId('trd'),
    orderBookId,
    buyOrderId: takerSide === 'BUY' ? takerId : fill.makerId,
    sellOrderId: takerSide === 'SELL' ? takerId : fill.makerId,
    takerSide,
    price: formatDecimal(fill.price),
    quantity: formatDecimal(fill.quantity),
    createdAt: now.toISOString(),
  };
}

/**
 * The book of the instance's order `orderId`, or `undefined`: what a cancellation queues and
 * locks on. (An order never moves to another book.)
 *
 * @example
 * const bookId = await orderBookOf(db, instanceId, 'ord_…');
 */
export async function orderBookOf(
  db: Queryable,
  instanceId: string,
  orderId: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ order_book_id: string }>(
    'SELECT order_book_id FROM orders WHERE instance_id = $1 AND id = $2',
    [instanceId, orderId],
  );
  return rows[0]?.order_book_id;
}

type CancelRefusal = 'not-found' | 'customer-not-found' | 'not-owner' | 'FILLED' | 'CANCELLED';
type CancelOutcome = Result<{ order: OrderView }, CancelRefusal>;

/**
 * Cancels the instance's resting order `orderId` of book `orderBookId` (see {@link orderBookOf})
 * on behalf of `customerRef`, who must be the customer who placed it. Takes the book's row lock,
 * as matching does, so an order is never cancelled and filled at once. A FILLED or CANCELLED
 * order is refused with its status.
 *
 * @example
 * const cancelled = await cancelOrder(db, instanceId, 'ob_…', 'ord_…', 'cus_…', new Date());
 */
export async function cancelOrder(
  db: Database,
  instanceId: string,
  orderBookId: string,
  orderId: string,
  customerRef: string,
  now: Date,
): Promise<CancelOutcome> {
  const outcome = await retryingTransaction(
    db,
    async (tx): Promise<Result<{ row: OrderRow }, CancelRefusal>> => {
      // Cancelling only takes away: an archived customer's resting orders can still be cancelled.
      const customerId = await resolveCustomer(tx, instanceId, customerRef, { windDown: true });
      if (!(await lockBook(tx, instanceId, orderBookId))) return { ok: false, reason: 'not-found' };
      if (customerId === undefined) return { ok: false, reason: 'customer-not-found' };
      const { rows: cancelled } = await tx.query<OrderRow>(
        `UPDATE orders SET status = 'CANCELLED', updated_at = $4
          WHERE instance_id = $1 AND order_book_id = $2 AND id = $3 AND customer_id = $5 AND status IN ${RESTING}
          RETURNING ${ORDER_COLUMNS}`,
        [instanceId, orderBookId, orderId, now, customerId],
      );
      if (cancelled[0] !== undefined) return { ok: true, row: cancelled[0] };
      // Refused: say why, from the state under the lock.
      const { rows } = await tx.query<{ customer_id: string; status: OrderStatus }>(
        'SELECT customer_id, status FROM orders WHERE instance_id = $1 AND order_book_id = $2 AND id = $3',
        [instanceId, orderBookId, orderId],
      );
      const current = rows[0];
      if (current === undefined) return { ok: false, reason: 'not-found' };
      if (current.customer_id !== customerId) return { ok: false, reason: 'not-owner' };
      if (current.status === 'FILLED' || current.status === 'CANCELLED')
        return { ok: false, reason: current.status };
      throw new LostRace('a resting order of the customer was not cancelled under the book lock');
    },
  );
  if (!outcome.ok) return outcome;
  // A cancelled order takes no more trades: reading them after the commit reads them all.
  return { ok: true, order: orderView(outcome.row, await tradesOfOrder(db, instanceId, orderId)) };
}
