// The matching engine (src/core/trading/engine.ts) as a pure function: a few worked examples, and a
// property test that drives a book through random order sequences with it and with a separately
// written reference model (rescans the whole book for the best order before every single fill) —
// the trades, every order's fill and status, and the final book must be identical.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimal, type Units } from '../src/core/decimal.js';
import {
  crosses,
  type IncomingOrder,
  matchOrder,
  type OrderStatus,
  type RestingOrder,
  type Side,
} from '../src/core/trading/engine.js';

const ONE = 10n ** 18n;
const d = (text: string): Units => {
  const units = parseDecimal(text);
  if (units === undefined) throw new Error(`not a decimal: ${text}`);
  return units;
};

describe('matchOrder examples', () => {
  it('fills at the maker price and rests a GTC remainder', () => {
    const result = matchOrder(
      { side: 'BUY', orderType: 'LIMIT', price: d('10'), quantity: d('5'), timeInForce: 'GTC' },
      [
        { id: 'a', price: d('9'), quantity: d('3'), filled: d('1') },
        { id: 'b', price: d('10'), quantity: d('1'), filled: 0n },
        { id: 'c', price: d('11'), quantity: d('9'), filled: 0n },
      ],
    );
    expect(result).toEqual({
      fills: [
        { makerId: 'a', price: d('9'), quantity: d('2') },
        { makerId: 'b', price: d('10'), quantity: d('1') },
      ],
      filled: d('3'),
      status: 'PARTIALLY_FILLED',
      rests: true,
      makers: [
        { id: 'a', previousFilled: d('1'), filled: d('3'), status: 'FILLED' },
        { id: 'b', previousFilled: 0n, filled: d('1'), status: 'FILLED' },
      ],
    });
  });

  it('cancels the remainder of IOC and MARKET orders; a MARKET order crosses every price', () => {
    const bids: RestingOrder[] = [{ id: 'x', price: d('0.5'), quantity: d('1'), filled: 0n }];
    const market = matchOrder(
      { side: 'SELL', orderType: 'MARKET', price: undefined, quantity: d('2'), timeInForce: 'GTC' },
      bids,
    );
    expect([market.status, market.rests, market.filled]).toEqual(['CANCELLED', false, d('1')]);
    const empty = matchOrder(
      { side: 'SELL', orderType: 'MARKET', price: undefined, quantity: d('2'), timeInForce: 'IOC' },
      [],
    );
    expect([empty.status, empty.fills, empty.filled]).toEqual(['CANCELLED', [], 0n]);
    const ioc = matchOrder(
      { side: 'SELL', orderType: 'LIMIT', price: d('0.6'), quantity: d('2'), timeInForce: 'IOC' },
      bids,
    );
    expect([ioc.status, ioc.fills]).toEqual(['CANCELLED', []]);
    const open = matchOrder(
      { side: 'SELL', orderType: 'LIMIT', price: d('0.6'), quantity: d('2'), timeInForce: 'GTC' },
      bids,
    );
    expect([open.status, open.rests]).toEqual(['OPEN', true]);
  });

  it('refuses an order without quantity, a LIMIT without price and a MARKET with one', () => {
    expect(() =>
      matchOrder({ side: 'BUY', orderType: 'LIMIT', price: 1n, quantity: 0n, timeInForce: 'GTC' }, []),
    ).toThrow(RangeError);
    expect(() =>
      matchOrder({ side: 'BUY', orderType: 'LIMIT', price: undefined, quantity: 1n, timeInForce: 'GTC' }, []),
    ).toThrow(RangeError);
    expect(() =>
      matchOrder({ side: 'BUY', orderType: 'MARKET', price: 1n, quantity: 1n, timeInForce: 'IOC' }, []),
    ).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// The property: engine-driven book versus a reference model
// ---------------------------------------------------------------------------------------------

interface GeneratedOrder extends IncomingOrder {
  id: string;
}

interface Trade {
  makerId: string;
  takerId: string;
  price: Units;
  quantity: Units;
}

interface Outcome {
  trades: Trade[];
  /** Every order's filled quantity and status once the sequence ran. */
  orders: Map<string, { filled: Units; status: OrderStatus }>;
  /** The resting orders at the end: id → what is left of it. */
  book: Map<string, Units>;
}

/**
 * The reference: a flat list of resting orders; before every single fill it scans the whole list
 * for the best order of the other side (best price, then lowest sequence number) and stops when
 * that one does not satisfy the limit. Written without the engine's walk over a sorted list.
 */
function referenceModel(sequence: readonly GeneratedOrder[]): Outcome {
  const resting: { id: string; side: Side; price: Units; left: Units; seq: number }[] = [];
  const trades: Trade[] = [];
  const orders = new Map<string, { filled: Units; status: OrderStatus }>();
  sequence.forEach((order, seq) => {
    let left = order.quantity;
    while (left > 0n) {
      let best: (typeof resting)[number] | undefined;
      for (const candidate of resting) {
        if (candidate.side === order.side || candidate.left === 0n) continue;
        const better =
          best === undefined ||
          (order.side === 'BUY' ? candidate.price < best.price : candidate.price > best.price) ||
          (candidate.price === best.price && candidate.seq < best.seq);
        if (better) best = candidate;
      }
      if (best === undefined) break;
      if (order.price !== undefined) {
        const acceptable = order.side === 'BUY' ? best.price <= order.price : best.price >= order.price;
        if (!acceptable) break;
      }
      let quantity = left;
      if (best.left < quantity) quantity = best.left;
      best.left -= quantity;
      left -= quantity;
      trades.push({ makerId: best.id, takerId: order.id, price: best.price, quantity });
      const maker = orders.get(best.id);
      if (maker === undefined) throw new Error('a resting order the model never saw');
      maker.filled += quantity;
      maker.status = best.left === 0n ? 'FILLED' : 'PARTIALLY_FILLED';
      if (best.left === 0n) resting.splice(resting.indexOf(best), 1);
    }
    const filled = order.quantity - left;
    let status: OrderStatus;
    if (left === 0n) status = 'FILLED';
    else if (order.orderType === 'MARKET' || order.timeInForce === 'IOC') status = 'CANCELLED';
    else {
      status = filled === 0n ? 'OPEN' : 'PARTIALLY_FILLED';
      resting.push({ id: order.id, side: order.side, price: order.price as Units, left, seq });
    }
    orders.set(order.id, { filled, status });
  });
  return { trades, orders, book: new Map(resting.map((r) => [r.id, r.left])) };
}

/** The same sequence through `matchOrder`, with the book kept as the store keeps it. */
function engineModel(sequence: readonly GeneratedOrder[]): Outcome {
  const book: (RestingOrder & { side: Side; seq: number })[] = [];
  const trades: Trade[] = [];
  const orders = new Map<string, { filled: Units; status: OrderStatus }>();
  sequence.forEach((order, seq) => {
    const other = book
      .filter((resting) => resting.side !== order.side)
      .sort((a, b) => {
        if (a.price !== b.price) return a.price < b.price === (order.side === 'BUY') ? -1 : 1;
        return a.seq - b.seq;
      });
    const result = matchOrder(order, other);
    for (const fill of result.fills) trades.push({ ...fill, takerId: order.id });
    for (const maker of result.makers) {
      const resting = book.find((entry) => entry.id === maker.id);
      if (resting === undefined || resting.filled !== maker.previousFilled)
        throw new Error('stale maker update');
      resting.filled = maker.filled;
      orders.set(maker.id, { filled: maker.filled, status: maker.status });
      if (maker.status === 'FILLED') book.splice(book.indexOf(resting), 1);
    }
    orders.set(order.id, { filled: result.filled, status: result.status });
    if (result.rests) {
      book.push({
        id: order.id,
        side: order.side,
        price: order.price as Units,
        quantity: order.quantity,
        filled: result.filled,
        seq,
      });
    }
  });
  return { trades, orders, book: new Map(book.map((r) => [r.id, r.quantity - r.filled])) };
}

// Prices on a coarse grid (many ties, many crossings); quantities both whole and arbitrary units.
const price = fc.integer({ min: 1, max: 12 }).map((n) => (BigInt(n) * ONE) / 4n);
const quantity = fc.oneof(
  fc.integer({ min: 1, max: 5 }).map((n) => BigInt(n) * ONE),
  fc.bigInt({ min: 1n, max: 5n * ONE }),
);
// One order in six is a MARKET order (no price); one LIMIT order in four is IOC.
const order = fc
  .record({
    side: fc.constantFrom<Side>('BUY', 'SELL'),
    roll: fc.integer({ min: 0, max: 5 }),
    price,
    quantity,
    timeInForce: fc.constantFrom<'GTC' | 'IOC'>('GTC', 'GTC', 'GTC', 'IOC'),
  })
  .map(
    ({ side, roll, price, quantity, timeInForce }): IncomingOrder => ({
      side,
      orderType: roll === 0 ? 'MARKET' : 'LIMIT',
      price: roll === 0 ? undefined : price,
      quantity,
      timeInForce,
    }),
  );
const sequence = fc
  .array(order, { minLength: 1, maxLength: 40 })
  .map((orders) => orders.map((o, i): GeneratedOrder => ({ ...o, id: `o${i}` })));

describe('matchOrder against the reference model', () => {
  it('makes the same trades, fills, statuses and final book for any order sequence', () => {
    fc.assert(
      fc.property(sequence, (orders) => {
        const engine = engineModel(orders);
        const reference = referenceModel(orders);
        expect(engine.trades).toEqual(reference.trades);
        expect(engine.orders).toEqual(reference.orders);
        expect(engine.book).toEqual(reference.book);
      }),
      { numRuns: 400 },
    );
  });

  it('never trades through the taker limit, never overfills, and balances every fill', () => {
    fc.assert(
      fc.property(sequence, (orders) => {
        const byId = new Map(orders.map((o) => [o.id, o]));
        const { trades, orders: outcome } = engineModel(orders);
        const traded = new Map<string, Units>();
        for (const trade of trades) {
          const taker = byId.get(trade.takerId) as GeneratedOrder;
          const maker = byId.get(trade.makerId) as GeneratedOrder;
          expect(trade.price).toBe(maker.price);
          expect(crosses(taker, trade.price)).toBe(true);
          expect(maker.side).not.toBe(taker.side);
          for (const id of [trade.makerId, trade.takerId])
            traded.set(id, (traded.get(id) ?? 0n) + trade.quantity);
        }
        for (const o of orders) {
          const { filled, status } = outcome.get(o.id) as { filled: Units; status: OrderStatus };
          expect(filled).toBe(traded.get(o.id) ?? 0n);
          expect(filled <= o.quantity).toBe(true);
          expect(status === 'FILLED').toBe(filled === o.quantity);
        }
      }),
      { numRuns: 200 },
    );
  });
});
