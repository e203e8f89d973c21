// SPEC §4.5 trading under concurrency, on two app processes sharing Postgres (and Redis): the book's
// row lock serialises matching, so concurrent crossing orders over both processes never fill a
// quantity twice, every fill is a balanced trade within both limits, and the stored result is
// exactly what the orders make when replayed one by one in the order they got the lock.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { canonicalNumeric, fromNumeric, type Units } from '../src/core/decimal.js';
import { matchOrder, type RestingOrder, type Side } from '../src/core/trading/engine.js';
import type { OrderBookView, OrderView } from '../src/core/trading/schemas.js';
import {
  createCustomerIds,
  createInstance,
  describeCluster,
  envelope,
  keyClient,
  type RunningApp,
} from './harness.js';

const BASE = '/orderbooks/stocks/api/offchain';

interface StoredOrder {
  id: string;
  side: Side;
  order_type: 'LIMIT' | 'MARKET';
  price: string | null;
  quantity: string;
  filled_quantity: string;
  time_in_force: 'GTC' | 'IOC';
  status: string;
}

interface StoredTrade {
  id: string;
  buy_order_id: string;
  sell_order_id: string;
  taker_side: Side;
  price: string;
  quantity: string;
}

describeCluster('trading on two app processes sharing Postgres', {}, (cluster) => {
  /** A new instance's book and `customers` customers; `on(app)` calls its trading routes on `app`. */
  async function setupBook(customers: number) {
    const inst = await createInstance(cluster.a);
    const on = (app: RunningApp) => keyClient(app, inst.apiKey, BASE);
    const ids = await createCustomerIds(cluster.a, inst.apiKey, customers);
    const res = await on(cluster.b).post('/order-books', {
      tokenAddress: `0x${'1'.repeat(40)}`,
      quoteTokenAddress: `0x${'2'.repeat(40)}`,
      name: 'Concurrent',
      symbol: 'CC',
    });
    expect(res.status).toBe(201);
    const bookId = (await envelope<OrderBookView>(res)).data.id;
    return { on, ids, bookId };
  }

  async function stored(bookId: string) {
    const orders = await cluster.dbA.query<StoredOrder>(
      `SELECT id, side, order_type, price, quantity, filled_quantity, time_in_force, status
         FROM orders WHERE order_book_id = $1 ORDER BY seq`,
      [bookId],
    );
    const trades = await cluster.dbA.query<StoredTrade>(
      `SELECT id, buy_order_id, sell_order_id, taker_side, price, quantity FROM trades WHERE order_book_id = $1 ORDER BY seq`,
      [bookId],
    );
    return { orders: orders.rows, trades: trades.rows };
  }

  it('keeps every fill whole under 200 concurrent crossing orders from several customers on both processes', async () => {
    const { on, ids, bookId } = await setupBook(5);
    // Deterministic random orders: LIMIT prices on a grid around 100 so that most of them cross.
    const orders = fc.sample(
      fc.record({
        customer: fc.integer({ min: 0, max: ids.length - 1 }),
        side: fc.constantFrom<Side>('BUY', 'SELL'),
        tick: fc.integer({ min: -4, max: 4 }),
        quantity: fc.integer({ min: 1, max: 10_000 }),
        ioc: fc.integer({ min: 0, max: 4 }),
      }),
      { numRuns: 200, seed: 4242 },
    );
    const responses = await Promise.all(
      orders.map((o, i) =>
        on(i % 2 === 0 ? cluster.a : cluster.b).post('/orders', {
          orderBookId: bookId,
          customerRef: ids[o.customer],
          side: o.side,
          orderType: 'LIMIT',
          price: (100 + o.tick * 0.25).toFixed(2),
          quantity: (o.quantity / 1000).toFixed(3),
          timeInForce: o.ioc === 0 ? 'IOC' : 'GTC',
        }),
      ),
    );
    expect(responses.map((res) => res.status)).toEqual(orders.map(() => 201));
    const answered = await Promise.all(responses.map(async (res) => (await envelope<OrderView>(res)).data));

    const { orders: rows, trades } = await stored(bookId);
    expect(rows).toHaveLength(200);
    expect(trades.length).toBeGreaterThan(20);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const tradedOf = new Map<string, Units>();
    let bought = 0n;
    let sold = 0n;
    for (const trade of trades) {
      const buy = byId.get(trade.buy_order_id) as StoredOrder;
      const sell = byId.get(trade.sell_order_id) as StoredOrder;
      expect([buy.side, sell.side]).toEqual(['BUY', 'SELL']);
      const price = fromNumeric(trade.price);
      const quantity = fromNumeric(trade.quantity);
      // Within both limits, at the maker's price.
      expect(price <= fromNumeric(buy.price as string)).toBe(true);
      expect(price >= fromNumeric(sell.price as string)).toBe(true);
      const maker = trade.taker_side === 'BUY' ? sell : buy;
      expect(trade.price).toBe(maker.price);
      for (const id of [trade.buy_order_id, trade.sell_order_id]) {
        tradedOf.set(id, (tradedOf.get(id) ?? 0n) + quantity);
      }
    }
    for (const row of rows) {
      const filled = fromNumeric(row.filled_quantity);
      expect(filled <= fromNumeric(row.quantity)).toBe(true);
      expect(filled).toBe(tradedOf.get(row.id) ?? 0n);
      if (row.side === 'BUY') bought += filled;
      else sold += filled;
    }
    expect(bought).toBe(sold);

    // The book is not crossed at the end.
    const resting = rows.filter((row) => row.status === 'OPEN' || row.status === 'PARTIALLY_FILLED');
    const restingPrices = (side: Side) =>
      resting.filter((r) => r.side === side).map((r) => fromNumeric(r.price as string));
    const bids = restingPrices('BUY');
    const asks = restingPrices('SELL');
    for (const bid of bids) for (const ask of asks) expect(bid < ask).toBe(true);

    // Each trade is in the answer of the order that made it (the taker), exactly as stored.
    const answeredTrades = answered
      .flatMap((order) => order.trades)
      .map((t) => `${t.id} ${t.buyOrderId} ${t.sellOrderId} ${t.price} ${t.quantity}`);
    const storedTrades = trades.map(
      (t) =>
        `${t.id} ${t.buy_order_id} ${t.sell_order_id} ${canonicalNumeric(t.price)} ${canonicalNumeric(t.quantity)}`,
    );
    expect(answeredTrades.sort()).toEqual([...storedTrades].sort());

    // Replayed one by one in lock order (seq) through the engine: the same trades and states.
    const book: (RestingOrder & { side: Side; seq: number })[] = [];
    const replayed: string[] = [];
    const states = new Map<string, string>();
    rows.forEach((row, seq) => {
      const incoming = {
        side: row.side,
        orderType: row.order_type,
        price: row.price === null ? undefined : fromNumeric(row.price),
        quantity: fromNumeric(row.quantity),
        timeInForce: row.time_in_force,
      };
      const other = book
        .filter((r) => r.side !== row.side)
        .sort((x, y) =>
          x.price === y.price ? x.seq - y.seq : x.price < y.price === (row.side === 'BUY') ? -1 : 1,
        );
      const match = matchOrder(incoming, other);
      for (const fill of match.fills) {
        const [buy, sell] = row.side === 'BUY' ? [row.id, fill.makerId] : [fill.makerId, row.id];
        replayed.push(`${buy}/${sell}/${fill.price}/${fill.quantity}`);
      }
      for (const maker of match.makers) {
        const entry = book.find((r) => r.id === maker.id) as (typeof book)[number];
        entry.filled = maker.filled;
        states.set(maker.id, `${maker.status}/${maker.filled}`);
        if (maker.status === 'FILLED') book.splice(book.indexOf(entry), 1);
      }
      states.set(row.id, `${match.status}/${match.filled}`);
      if (match.rests)
        book.push({
          id: row.id,
          side: row.side,
          price: incoming.price as Units,
          quantity: incoming.quantity,
          filled: match.filled,
          seq,
        });
    });
    expect(
      trades.map(
        (t) => `${t.buy_order_id}/${t.sell_order_id}/${fromNumeric(t.price)}/${fromNumeric(t.quantity)}`,
      ),
    ).toEqual(replayed);
    for (const row of rows)
      expect(`${row.status}/${fromNumeric(row.filled_quantity)}`).toBe(states.get(row.id));
  });

  it('never both fills and cancels an order when cancels race market orders over both processes', async () => {
    const { on, ids, bookId } = await setupBook(2);
    const [seller, buyer] = ids as [string, string];
    const asks: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await on(cluster.a).post('/orders', {
        orderBookId: bookId,
        customerRef: seller,
        side: 'SELL',
        orderType: 'LIMIT',
        price: '10',
        quantity: '1',
      });
      asks.push((await envelope<OrderView>(res)).data.id);
    }
    const [cancels, buys] = await Promise.all([
      Promise.all(
        asks.map((id, i) =>
          on(i % 2 === 0 ? cluster.b : cluster.a).call(`/orders/${id}`, {
            method: 'DELETE',
            json: { customerRef: seller },
          }),
        ),
      ),
      Promise.all(
        asks.map((_, i) =>
          on(i % 2 === 0 ? cluster.a : cluster.b).post('/orders', {
            orderBookId: bookId,
            customerRef: buyer,
            side: 'BUY',
            orderType: 'MARKET',
            quantity: '1',
          }),
        ),
      ),
    ]);
    expect(buys.map((res) => res.status)).toEqual(asks.map(() => 201));
    const bought = (await Promise.all(buys.map(async (res) => (await envelope<OrderView>(res)).data))).reduce(
      (sum, order) => sum + fromNumeric(order.filledQuantity),
      0n,
    );
    const { orders: rows, trades } = await stored(bookId);
    for (const [i, id] of asks.entries()) {
      const row = rows.find((r) => r.id === id) as StoredOrder;
      const status = (cancels[i] as Response).status;
      // A cancel that won finds the order unfilled; one that lost finds it filled.
      expect([status, row.status]).toEqual(status === 200 ? [200, 'CANCELLED'] : [400, 'FILLED']);
      expect(fromNumeric(row.filled_quantity)).toBe(row.status === 'FILLED' ? fromNumeric('1') : 0n);
    }
    const filledAsks = rows.filter((r) => r.side === 'SELL' && r.status === 'FILLED').length;
    expect(trades).toHaveLength(filledAsks);
    expect(bought).toBe(BigInt(filledAsks) * fromNumeric('1'));
  });
});
