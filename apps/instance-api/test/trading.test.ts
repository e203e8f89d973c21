// SPEC §4.5 trading, through HTTP: order books, orders matched in price-time priority (partial
// fills, the maker's price, never through a limit, IOC and MARKET never resting), cancellation by
// the owner, snapshots, trades, every documented error, and isolation between instances.
import { describe, expect, it } from 'vitest';
import type { CustomerView } from '../src/core/customers/schemas.js';
import type { OrderBookView, OrderView, SnapshotView, TradeView } from '../src/core/trading/schemas.js';
import {
  createCustomer,
  createInstance,
  envelope,
  expectError,
  expectFields,
  itemAt,
  keyClient,
  useApp,
} from './harness.js';

const app = useApp();

const BASE = '/orderbooks/stocks/api/offchain';
const STOCK = '0x00000000000000000000000000000000000000Aa';
const EURT = '0x00000000000000000000000000000000000000bb';
const UNKNOWN_BOOK = `ob_${'f'.repeat(24)}`;
const UNKNOWN_ORDER = `ord_${'f'.repeat(24)}`;

async function setup(body?: Record<string, unknown>) {
  const inst = await createInstance(app, body);
  const { call, post } = keyClient(app, inst.apiKey, BASE);
  const customer = (name: string, extra: Record<string, unknown> = {}) =>
    createCustomer(app, inst.apiKey, { name, ...extra });
  const book = async (name = 'ACME / EURT') => {
    const res = await post('/order-books', {
      tokenAddress: STOCK,
      quoteTokenAddress: EURT,
      name,
      symbol: 'ACME-EURT',
    });
    expect(res.status).toBe(201);
    return (await envelope<OrderBookView>(res)).data;
  };
  const order = async (json: Record<string, unknown>) => {
    const res = await post('/orders', json);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await envelope<OrderView>(res)).data;
  };
  const snapshot = async (bookId: string, query = '') => {
    const res = await call(`/order-books/${bookId}/snapshot${query}`);
    expect(res.status).toBe(200);
    return (await envelope<SnapshotView>(res)).data;
  };
  const getOrder = async (orderId: string) => {
    const res = await call(`/orders/${orderId}`);
    expect(res.status).toBe(200);
    return (await envelope<OrderView>(res)).data;
  };
  return { inst, call, post, customer, book, order, snapshot, getOrder };
}

/** A book with two customers and an order helper bound to it. */
async function market() {
  const ctx = await setup();
  const book = await ctx.book();
  const alice = await ctx.customer('Alice', { externalId: 'alice-1' });
  const bob = await ctx.customer('Bob');
  const limit = (who: CustomerView, side: 'BUY' | 'SELL', price: string, quantity: string, extra = {}) =>
    ctx.order({
      orderBookId: book.id,
      customerRef: who.id,
      side,
      orderType: 'LIMIT',
      price,
      quantity,
      ...extra,
    });
  return { ...ctx, bookId: book.id, alice, bob, limit };
}

describe('order books', () => {
  it('creates a book (201) with its addresses in lower case, and reads it back', async () => {
    const { call, book } = await setup();
    const created = await book();
    expect(created).toMatchObject({
      tokenAddress: STOCK.toLowerCase(),
      quoteTokenAddress: EURT,
      name: 'ACME / EURT',
      symbol: 'ACME-EURT',
    });
    expect(created.id).toMatch(/^ob_[0-9a-f]{24}$/);
    const res = await call(`/order-books/${created.id}`);
    expect(res.status).toBe(200);
    expect((await envelope<OrderBookView>(res)).data).toEqual(created);
  });

  it('names each bad field, and refuses a quote token equal to the traded token', async () => {
    const { post } = await setup();
    await expectFields(
      await post('/order-books', { tokenAddress: '0x12', quoteTokenAddress: EURT, name: '', extra: true }),
      ['tokenAddress', 'name', 'symbol'],
    );
    const same = await expectError(
      await post('/order-books', {
        tokenAddress: EURT.toUpperCase().replace('0X', '0x'),
        quoteTokenAddress: EURT,
        name: 'x',
        symbol: 'x',
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(same.error.details?.map((problem) => problem.field)).toEqual(['quoteTokenAddress']);
  });

  it('lists oldest first in pages with metadata.total', async () => {
    const { call, book } = await setup();
    const created = [await book('one'), await book('two'), await book('three')];
    const first = await envelope<OrderBookView[]>(await call('/order-books?limit=2'));
    expect(first.data.map((b) => b.name)).toEqual(['one', 'two']);
    expect(first.metadata.total).toBe(3);
    const rest = await envelope<OrderBookView[]>(await call('/order-books?limit=2&offset=2'));
    expect(rest.data.map((b) => b.id)).toEqual([itemAt(created, 2).id]);
    const past = await envelope<OrderBookView[]>(await call('/order-books?offset=10'));
    expect([past.data, past.metadata.total]).toEqual([[], 3]);
    for (const query of ['limit=0', 'limit=201', 'offset=-1', 'limit=1e2']) {
      const body = await expectError(await call(`/order-books?${query}`), 400, 'VALIDATION_ERROR');
      expect(body.error.details?.[0]?.field).toBe(query.split('=')[0]);
    }
  });

  it('answers 404 "Order book not found" for an unknown or malformed id, on every book route', async () => {
    const { call } = await setup();
    for (const id of [UNKNOWN_BOOK, 'not-a-book']) {
      for (const path of [`/order-books/${id}`, `/order-books/${id}/snapshot`, `/order-books/${id}/trades`]) {
        await expectError(await call(path), 404, 'NOT_FOUND', 'Order book not found');
      }
    }
  });

  it('answers 403 SERVICE_NOT_ENABLED when the instance has trading off', async () => {
    const { call, post } = await setup({ name: 'No trading', services: ['customers'] });
    await expectError(await call('/order-books'), 403, 'SERVICE_NOT_ENABLED');
    await expectError(await post('/orders', { not: 'validated first' }), 403, 'SERVICE_NOT_ENABLED');
  });
});

describe('placing orders', () => {
  it('rests a LIMIT GTC order that does not cross (OPEN, no trades)', async () => {
    const { limit, alice, snapshot, bookId } = await market();
    const bid = await limit(alice, 'BUY', '100', '10');
    expect(bid).toMatchObject({
      orderBookId: bookId,
      customerId: alice.id,
      side: 'BUY',
      orderType: 'LIMIT',
      price: '100',
      quantity: '10',
      filledQuantity: '0',
      timeInForce: 'GTC',
      status: 'OPEN',
      trades: [],
    });
    expect(bid.id).toMatch(/^ord_[0-9a-f]{24}$/);
    expect(await snapshot(bookId)).toEqual({
      orderBookId: bookId,
      bids: [{ price: '100', quantity: '10', orders: 1 }],
      asks: [],
    });
  });

  it("trades at the resting order's price, with partial fills on both sides", async () => {
    const { limit, alice, bob, getOrder, snapshot, bookId } = await market();
    const bid = await limit(alice, 'BUY', '100', '10');
    const sell = await limit(bob, 'SELL', '99', '4');
    expect(sell).toMatchObject({ status: 'FILLED', filledQuantity: '4' });
    expect(sell.trades).toHaveLength(1);
    expect(itemAt(sell.trades, 0)).toMatchObject({
      orderBookId: bookId,
      buyOrderId: bid.id,
      sellOrderId: sell.id,
      takerSide: 'SELL',
      price: '100',
      quantity: '4',
    });
    const maker = await getOrder(bid.id);
    expect(maker).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: '4', trades: sell.trades });
    // A bigger sell takes the rest of the bid and rests its own remainder at its limit.
    const big = await limit(bob, 'SELL', '98', '10');
    expect(big).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: '6' });
    expect(big.trades.map((t) => [t.price, t.quantity])).toEqual([['100', '6']]);
    expect((await getOrder(bid.id)).status).toBe('FILLED');
    expect(await snapshot(bookId)).toMatchObject({
      bids: [],
      asks: [{ price: '98', quantity: '4', orders: 1 }],
    });
  });

  it('fills the best price first, then the earlier order at one price, and never beyond the limit', async () => {
    const { limit, alice, bob, snapshot, bookId } = await market();
    const late = await limit(alice, 'SELL', '10', '1');
    const best = await limit(alice, 'SELL', '9.5', '1');
    const early = await limit(bob, 'SELL', '10', '1');
    await limit(bob, 'SELL', '10.01', '5');
    // `early` was placed after `late`, so at 10 `late` comes first.
    const buy = await limit(bob, 'BUY', '10', '5');
    expect(buy.trades.map((t) => [t.sellOrderId, t.price, t.quantity])).toEqual([
      [best.id, '9.5', '1'],
      [late.id, '10', '1'],
      [early.id, '10', '1'],
    ]);
    expect(buy).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: '3' });
    expect(await snapshot(bookId)).toMatchObject({
      bids: [{ price: '10', quantity: '2', orders: 1 }],
      asks: [{ price: '10.01', quantity: '5', orders: 1 }],
    });
  });

  it('adds exactly in decimals (0.1 + 0.2 is 0.3)', async () => {
    const { limit, alice, bob } = await market();
    await limit(alice, 'SELL', '1.1', '0.1');
    await limit(alice, 'SELL', '1.1', '0.2');
    const buy = await limit(bob, 'BUY', '1.1', '0.3');
    expect(buy).toMatchObject({ status: 'FILLED', filledQuantity: '0.3' });
    const tiny = await limit(
      bob,
      'BUY',
      '0.000000000000000001',
      '123456789012345678901234567890.000000000000000001',
    );
    expect(tiny).toMatchObject({
      status: 'OPEN',
      quantity: '123456789012345678901234567890.000000000000000001',
    });
  });

  it('cancels the remainder of an IOC order instead of resting it', async () => {
    const { limit, alice, bob, snapshot, bookId } = await market();
    await limit(alice, 'SELL', '10', '2');
    await limit(alice, 'SELL', '11', '2');
    const ioc = await limit(bob, 'BUY', '10', '5', { timeInForce: 'IOC' });
    expect(ioc).toMatchObject({ timeInForce: 'IOC', status: 'CANCELLED', filledQuantity: '2' });
    expect(ioc.trades.map((t) => [t.price, t.quantity])).toEqual([['10', '2']]);
    const none = await limit(bob, 'BUY', '9', '5', { timeInForce: 'IOC' });
    expect(none).toMatchObject({ status: 'CANCELLED', filledQuantity: '0', trades: [] });
    const all = await limit(bob, 'BUY', '11', '1', { timeInForce: 'IOC' });
    expect(all).toMatchObject({ status: 'FILLED', filledQuantity: '1' });
    expect(await snapshot(bookId)).toMatchObject({
      bids: [],
      asks: [{ price: '11', quantity: '1', orders: 1 }],
    });
  });

  it('matches a MARKET order at the resting prices and never rests it; an empty side cancels it', async () => {
    const { post, order, alice, bob, limit, snapshot, bookId } = await market();
    const market_ = (side: 'BUY' | 'SELL', quantity: string, extra = {}) =>
      order({ orderBookId: bookId, customerRef: bob.id, side, orderType: 'MARKET', quantity, ...extra });
    const empty = await market_('BUY', '3');
    expect(empty).toMatchObject({ price: null, status: 'CANCELLED', filledQuantity: '0', trades: [] });
    await limit(alice, 'BUY', '100', '1');
    await limit(alice, 'BUY', '90', '1');
    await limit(alice, 'BUY', '1', '1');
    const sell = await market_('SELL', '2.5', { timeInForce: 'GTC' });
    expect(sell.trades.map((t) => [t.price, t.quantity])).toEqual([
      ['100', '1'],
      ['90', '1'],
      ['1', '0.5'],
    ]);
    expect(sell).toMatchObject({ status: 'FILLED', filledQuantity: '2.5' });
    const rest = await market_('SELL', '7');
    expect(rest).toMatchObject({ status: 'CANCELLED', filledQuantity: '0.5' });
    expect(await snapshot(bookId)).toMatchObject({ bids: [], asks: [] });
    await expectError(
      await post('/orders', {
        orderBookId: bookId,
        customerRef: bob.id,
        side: 'BUY',
        orderType: 'MARKET',
        price: '1',
        quantity: '1',
      }),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('lets one customer trade with itself', async () => {
    const { limit, alice } = await market();
    const bid = await limit(alice, 'BUY', '5', '1');
    const ask = await limit(alice, 'SELL', '5', '1');
    expect(ask.trades.map((t) => [t.buyOrderId, t.sellOrderId])).toEqual([[bid.id, ask.id]]);
  });

  it('takes any identifier of the customer', async () => {
    const { order, alice, bookId } = await market();
    const byExternal = await order({
      orderBookId: bookId,
      customerRef: 'alice-1',
      side: 'BUY',
      orderType: 'LIMIT',
      price: '1',
      quantity: '1',
    });
    expect(byExternal.customerId).toBe(alice.id);
  });

  it('names each bad field: price with LIMIT and MARKET, amounts, enums', async () => {
    const { post, bookId, alice } = await market();
    const fieldsOf = async (json: Record<string, unknown>) => {
      const body = await expectError(await post('/orders', json), 400, 'VALIDATION_ERROR');
      return (body.error.details ?? []).map((problem) => problem.field).sort();
    };
    const base = {
      orderBookId: bookId,
      customerRef: alice.id,
      side: 'BUY',
      orderType: 'LIMIT',
      quantity: '1',
    };
    expect(await fieldsOf(base)).toEqual(['price']);
    expect(await fieldsOf({ ...base, orderType: 'MARKET', price: '2' })).toEqual(['price']);
    for (const amount of ['0', '-1', '1e3', '1.0000000000000000001', '1234567890123456789012345678901', 1]) {
      expect(await fieldsOf({ ...base, price: '1', quantity: amount })).toEqual(['quantity']);
      expect(await fieldsOf({ ...base, price: amount })).toEqual(['price']);
    }
    expect(
      await fieldsOf({ ...base, price: '1', side: 'buy', orderType: 'STOP', timeInForce: 'FOK' }),
    ).toEqual(['orderType', 'side', 'timeInForce']);
    expect(await fieldsOf({ orderBookId: bookId })).toEqual(['customerRef', 'orderType', 'quantity', 'side']);
  });

  it('answers 404 for an unknown book or customer, and for an archived customer, who can still cancel', async () => {
    const { call, post, bookId, alice, inst } = await market();
    const base = { side: 'BUY', orderType: 'LIMIT', price: '1', quantity: '1' };
    const resting = await post('/orders', {
      ...base,
      orderBookId: bookId,
      customerRef: alice.id,
      timeInForce: 'GTC',
    });
    expect(resting.status).toBe(201);
    const restingId = (await envelope<{ id: string }>(resting)).data.id;
    await expectError(
      await post('/orders', { ...base, orderBookId: UNKNOWN_BOOK, customerRef: alice.id }),
      404,
      'NOT_FOUND',
      'Order book not found',
    );
    await expectError(
      await post('/orders', { ...base, orderBookId: 'anything', customerRef: alice.id }),
      404,
      'NOT_FOUND',
      'Order book not found',
    );
    await expectError(
      await post('/orders', { ...base, orderBookId: bookId, customerRef: 'nobody' }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    const archived = await app.withKey(inst.apiKey, `/customers/api/manage/${alice.id}`, {
      method: 'DELETE',
    });
    expect(archived.status).toBe(200);
    await expectError(
      await post('/orders', { ...base, orderBookId: bookId, customerRef: alice.id }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    // Leaving takes nothing away from what it may withdraw: its resting order can be cancelled.
    const cancelled = await call(`/orders/${restingId}`, {
      method: 'DELETE',
      json: { customerRef: alice.id },
    });
    expect(cancelled.status).toBe(200);
    expect((await envelope<{ status: string }>(cancelled)).data.status).toBe('CANCELLED');
  });
});

describe('reading and cancelling orders', () => {
  it('reads an order with every trade it took part in, as maker and taker, oldest first', async () => {
    const { limit, alice, bob, getOrder, call } = await market();
    const ask = await limit(alice, 'SELL', '10', '3');
    const t1 = await limit(bob, 'BUY', '10', '1');
    const t2 = await limit(bob, 'BUY', '11', '1');
    const read = await getOrder(ask.id);
    expect(read).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: '2' });
    expect(read.trades.map((t) => t.buyOrderId)).toEqual([t1.id, t2.id]);
    for (const id of [UNKNOWN_ORDER, 'ord_x']) {
      await expectError(await call(`/orders/${id}`), 404, 'NOT_FOUND', 'Order not found');
    }
  });

  it('lets the owner cancel a resting order; it leaves the book and keeps its fills', async () => {
    const { limit, alice, bob, call, snapshot, bookId } = await market();
    const ask = await limit(alice, 'SELL', '10', '3');
    await limit(bob, 'BUY', '10', '1');
    const res = await call(`/orders/${ask.id}`, { method: 'DELETE', json: { customerRef: 'alice-1' } });
    expect(res.status).toBe(200);
    const cancelled = (await envelope<OrderView>(res)).data;
    expect(cancelled).toMatchObject({ id: ask.id, status: 'CANCELLED', filledQuantity: '1' });
    expect(cancelled.trades).toHaveLength(1);
    expect(await snapshot(bookId)).toMatchObject({ bids: [], asks: [] });
    // Nothing trades with it anymore.
    expect((await limit(bob, 'BUY', '10', '1')).status).toBe('OPEN');
    await expectError(
      await call(`/orders/${ask.id}`, { method: 'DELETE', json: { customerRef: alice.id } }),
      400,
      'INVALID_INPUT',
      'Order is already cancelled',
    );
  });

  it('refuses a filled order, another customer, an unknown customer or order, and a missing body', async () => {
    const { limit, alice, bob, call } = await market();
    const ask = await limit(alice, 'SELL', '10', '1');
    const rest = await limit(alice, 'SELL', '12', '1');
    await limit(bob, 'BUY', '10', '1');
    await expectError(
      await call(`/orders/${ask.id}`, { method: 'DELETE', json: { customerRef: alice.id } }),
      400,
      'INVALID_INPUT',
      'Order is already filled',
    );
    await expectError(
      await call(`/orders/${rest.id}`, { method: 'DELETE', json: { customerRef: bob.id } }),
      400,
      'INVALID_INPUT',
      'Order belongs to another customer',
    );
    await expectError(
      await call(`/orders/${rest.id}`, { method: 'DELETE', json: { customerRef: 'nobody' } }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    for (const id of [UNKNOWN_ORDER, 'nope']) {
      await expectError(
        await call(`/orders/${id}`, { method: 'DELETE', json: { customerRef: alice.id } }),
        404,
        'NOT_FOUND',
        'Order not found',
      );
    }
    const missing = await expectError(
      await call(`/orders/${rest.id}`, { method: 'DELETE' }),
      400,
      'VALIDATION_ERROR',
    );
    expect(missing.error.details?.map((problem) => problem.field)).toEqual(['body']);
    // Still resting after all the refusals.
    expect((await envelope<OrderView>(await call(`/orders/${rest.id}`))).data.status).toBe('OPEN');
  });
});

describe('snapshot and trades', () => {
  it('aggregates price levels (bids descending, asks ascending) and bounds them by levels', async () => {
    const { limit, alice, bob, snapshot, call, bookId } = await market();
    for (let i = 1; i <= 22; i++) await limit(alice, 'BUY', String(i), '1');
    await limit(bob, 'BUY', '22', '0.5');
    await limit(bob, 'SELL', '30', '2');
    await limit(alice, 'SELL', '25.5', '1');
    const full = await snapshot(bookId);
    expect(full.bids).toHaveLength(20);
    expect(itemAt(full.bids, 0)).toEqual({ price: '22', quantity: '1.5', orders: 2 });
    expect(full.bids.map((level) => Number(level.price))).toEqual(
      Array.from({ length: 20 }, (_, i) => 22 - i),
    );
    expect(full.asks).toEqual([
      { price: '25.5', quantity: '1', orders: 1 },
      { price: '30', quantity: '2', orders: 1 },
    ]);
    const one = await snapshot(bookId, '?levels=1');
    expect([one.bids.length, one.asks.length]).toEqual([1, 1]);
    expect((await snapshot(bookId, '?levels=100')).bids).toHaveLength(22);
    for (const levels of ['0', '101', 'x', '1.5']) {
      const body = await expectError(
        await call(`/order-books/${bookId}/snapshot?levels=${levels}`),
        400,
        'VALIDATION_ERROR',
      );
      expect(body.error.details?.[0]?.field).toBe('levels');
    }
  });

  it("lists a book's trades newest first, in pages with metadata.total", async () => {
    const { limit, alice, bob, call, bookId } = await market();
    await limit(alice, 'SELL', '1', '1');
    await limit(alice, 'SELL', '2', '1');
    await limit(alice, 'SELL', '3', '1');
    const sweep = await limit(bob, 'BUY', '3', '3');
    const later = await limit(alice, 'BUY', '0.5', '1');
    await limit(bob, 'SELL', '0.5', '1');
    const all = await envelope<TradeView[]>(await call(`/order-books/${bookId}/trades`));
    expect(all.metadata.total).toBe(4);
    expect(all.data.map((t) => t.price)).toEqual(['0.5', '3', '2', '1']);
    expect(itemAt(all.data, 0).buyOrderId).toBe(later.id);
    expect(all.data.slice(1).map((t) => t.id)).toEqual(sweep.trades.map((t) => t.id).reverse());
    const page = await envelope<TradeView[]>(await call(`/order-books/${bookId}/trades?limit=2&offset=1`));
    expect([page.data.map((t) => t.price), page.metadata.total]).toEqual([['3', '2'], 4]);
    const past = await envelope<TradeView[]>(await call(`/order-books/${bookId}/trades?offset=9`));
    expect([past.data, past.metadata.total]).toEqual([[], 4]);
    await expectError(await call(`/order-books/${bookId}/trades?limit=500`), 400, 'VALIDATION_ERROR');
  });
});

describe('isolation between instances', () => {
  it("answers 404 for every route on another instance's book, order or customer, and never lists them", async () => {
    const a = await market();
    const b = await setup();
    const bobOfB = await b.customer('Bob of B');
    const ask = await a.limit(a.alice, 'SELL', '10', '2');
    await a.limit(a.bob, 'BUY', '10', '1');
    for (const path of [
      `/order-books/${a.bookId}`,
      `/order-books/${a.bookId}/snapshot`,
      `/order-books/${a.bookId}/trades`,
    ]) {
      await expectError(await b.call(path), 404, 'NOT_FOUND', 'Order book not found');
    }
    await expectError(await b.call(`/orders/${ask.id}`), 404, 'NOT_FOUND', 'Order not found');
    await expectError(
      await b.call(`/orders/${ask.id}`, { method: 'DELETE', json: { customerRef: bobOfB.id } }),
      404,
      'NOT_FOUND',
      'Order not found',
    );
    const base = { side: 'BUY', orderType: 'LIMIT', price: '10', quantity: '1' };
    await expectError(
      await b.post('/orders', { ...base, orderBookId: a.bookId, customerRef: bobOfB.id }),
      404,
      'NOT_FOUND',
      'Order book not found',
    );
    const ownBook = await b.book();
    await expectError(
      await b.post('/orders', { ...base, orderBookId: ownBook.id, customerRef: a.alice.id }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    const list = await envelope<OrderBookView[]>(await b.call('/order-books'));
    expect([list.data.map((book) => book.id), list.metadata.total]).toEqual([[ownBook.id], 1]);
    const trades = await envelope<TradeView[]>(await b.call(`/order-books/${ownBook.id}/trades`));
    expect([trades.data, trades.metadata.total]).toEqual([[], 0]);
    expect(await b.snapshot(ownBook.id)).toEqual({ orderBookId: ownBook.id, bids: [], asks: [] });
    expect(await a.getOrder(ask.id)).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: '1' });
  });
});
