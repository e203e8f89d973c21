// SPEC §4.5 lending, through HTTP: markets, metrics, liquidity positions and loans, every
// documented error, the exact collateral bound, and isolation between instances.
import { describe, expect, it } from 'vitest';
import type { LoanView, MarketMetricsView, MarketView, PositionView } from '../src/core/lending/schemas.js';
import {
  createCustomer,
  createInstance,
  envelope,
  expectError,
  expectFields,
  keyClient,
  useApp,
} from './harness.js';

const app = useApp();

const BASE = '/lending-stocks/api';
const TOKEN = '0xAbCdEf0123456789abcdef0123456789ABCDEF01';
const UNKNOWN_MARKET = `mkt_${'0'.repeat(24)}`;
const UNKNOWN_LOAN = `loan_${'0'.repeat(24)}`;

type Json = Record<string, unknown>;

/** An instance with a lender and a borrower, and helpers that call its lending routes. */
async function setup(services?: string[]) {
  const inst = await createInstance(
    app,
    services === undefined ? { name: 'Lender' } : { name: 'Lender', services },
  );
  const { call, post } = keyClient(app, inst.apiKey, BASE);
  const customer = (json: Json = { name: 'C' }) => createCustomer(app, inst.apiKey, json);
  const newMarket = async (json: Json = {}) => {
    const res = await post('/markets', {
      stockTokenAddress: TOKEN,
      collateralFactor: '0.75',
      price: '100',
      ...json,
    });
    expect(res.status).toBe(201);
    return (await envelope<MarketView>(res)).data;
  };
  const position = async (marketId: string, action: string, json: Json) => {
    const res = await post(`/positions/${marketId}/${action}`, json);
    expect(res.status).toBe(200);
    return (await envelope<PositionView>(res)).data;
  };
  const loan = async (marketId: string, action: string, json: Json, status = 200) => {
    const res = await post(`/positions/${marketId}/${action}`, json);
    expect(res.status).toBe(status);
    return (await envelope<LoanView>(res)).data;
  };
  const metrics = async (marketId: string) => {
    const res = await call(`/markets/${marketId}/metrics`);
    expect(res.status).toBe(200);
    return (await envelope<MarketMetricsView>(res)).data;
  };
  const getMarket = async (marketId: string) => {
    const res = await call(`/markets/${marketId}`);
    expect(res.status).toBe(200);
    return (await envelope<MarketView>(res)).data;
  };
  return { inst, call, post, customer, newMarket, position, loan, metrics, getMarket };
}

/** A market with `deposit` added by a lender, and a borrower. */
async function funded(deposit: string, marketFields: Json = {}) {
  const s = await setup();
  const lender = await s.customer({ name: 'Lender' });
  const borrower = await s.customer({ name: 'Borrower' });
  const market = await s.newMarket(marketFields);
  await s.position(market.id, 'add-liquidity', { customerRef: lender.id, amount: deposit });
  /** POSTs `action` on this market's positions; the answer is the test's to check. */
  const act = (action: string, json: Json) => s.post(`/positions/${market.id}/${action}`, json);
  return { ...s, lender, borrower, market, act };
}

describe('markets', () => {
  it('creates a market with canonical decimals, a lower-case address and nothing deposited', async () => {
    const { post, inst } = await setup();
    const res = await post('/markets', {
      stockTokenAddress: TOKEN,
      collateralFactor: '0.750',
      price: '0100.50',
    });
    expect(res.status).toBe(201);
    const body = await envelope<MarketView>(res);
    expect(body.metadata.instanceId).toBe(inst.id);
    expect(body.data).toMatchObject({
      stockTokenAddress: TOKEN.toLowerCase(),
      collateralFactor: '0.75',
      price: '100.5',
      totalDeposits: '0',
      totalBorrows: '0',
      availableLiquidity: '0',
    });
    expect(body.data.id).toMatch(/^mkt_[0-9a-f]{24}$/);
  });

  it('accepts a collateral factor of exactly 0 and of exactly 0.9', async () => {
    const { newMarket: market } = await setup();
    expect((await market({ collateralFactor: '0' })).collateralFactor).toBe('0');
    expect((await market({ collateralFactor: '0.900000000000000000' })).collateralFactor).toBe('0.9');
  });

  it('refuses a collateral factor outside 0–0.9, and a price that is not positive, naming the field', async () => {
    const { post } = await setup();
    for (const collateralFactor of ['0.900000000000000001', '1', '-0.1', '0.5e0', '', 0.5, null]) {
      await expectFields(await post('/markets', { stockTokenAddress: TOKEN, collateralFactor, price: '1' }), [
        'collateralFactor',
      ]);
    }
    for (const price of ['0', '-1', '1e2', '0.0000000000000000001', 5]) {
      await expectFields(
        await post('/markets', { stockTokenAddress: TOKEN, collateralFactor: '0.5', price }),
        ['price'],
      );
    }
  });

  it('names every missing or bad field, and an unknown one', async () => {
    const { post } = await setup();
    const body = await expectFields(await post('/markets', { stockTokenAddress: '0x12', extra: true }), [
      'stockTokenAddress',
      'collateralFactor',
      'price',
    ]);
    expect(JSON.stringify(body.error.details)).toContain('extra');
  });

  it('lists markets oldest first, a page at a time, with metadata.total', async () => {
    const { call, newMarket: market } = await setup();
    const made = [await market(), await market({ price: '2' }), await market({ price: '3' })];
    const all = await envelope<MarketView[]>(await call('/markets'));
    expect(all.data.map((m) => m.id)).toEqual(made.map((m) => m.id));
    expect(all.metadata.total).toBe(3);
    const page = await envelope<MarketView[]>(await call('/markets?limit=1&offset=1'));
    expect(page.data.map((m) => m.id)).toEqual([made[1]?.id]);
    expect(page.metadata.total).toBe(3);
    const past = await envelope<MarketView[]>(await call('/markets?offset=10'));
    expect([past.data, past.metadata.total]).toEqual([[], 3]);
    await expectFields(await call('/markets?limit=201'), ['limit']);
    await expectFields(await call('/markets?offset=-1'), ['offset']);
  });

  it('gets a market by id; an unknown or malformed id is 404 "Market not found"', async () => {
    const { call, newMarket: market } = await setup();
    const made = await market();
    expect((await envelope<MarketView>(await call(`/markets/${made.id}`))).data).toEqual(made);
    for (const id of [UNKNOWN_MARKET, 'nope', made.id.toUpperCase()]) {
      await expectError(await call(`/markets/${id}`), 404, 'NOT_FOUND', 'Market not found');
      await expectError(await call(`/markets/${id}/metrics`), 404, 'NOT_FOUND', 'Market not found');
    }
  });
});

describe('metrics', () => {
  it('reports an empty market as all zeros', async () => {
    const { newMarket: market, metrics } = await setup();
    const made = await market();
    expect(await metrics(made.id)).toEqual({
      marketId: made.id,
      totalDeposits: '0',
      totalBorrows: '0',
      availableLiquidity: '0',
      utilization: '0',
      openLoans: 0,
      closedLoans: 0,
      collateralLocked: '0',
      liquidityProviders: 0,
    });
  });

  it('follows deposits, loans, repayments and closes; utilization rounds toward zero to 18 places', async () => {
    const s = await funded('3');
    const other = await s.customer({ name: 'Second lender' });
    await s.position(s.market.id, 'add-liquidity', { customerRef: other.id, amount: '0.000000000000000001' });
    await s.position(s.market.id, 'remove-liquidity', {
      customerRef: other.id,
      amount: '0.000000000000000001',
    });
    const first = await s.loan(
      s.market.id,
      'open-loan',
      { customerRef: s.borrower.id, collateralAmount: '1', borrowAmount: '1' },
      201,
    );
    await s.loan(
      s.market.id,
      'open-loan',
      { customerRef: s.borrower.id, collateralAmount: '2.5', borrowAmount: '0.5' },
      201,
    );
    await s.loan(s.market.id, 'repay', { customerRef: s.borrower.id, loanId: first.loanId, amount: '0.5' });
    // Borrows 1 of deposits 3: one third, truncated.
    expect(await s.metrics(s.market.id)).toEqual({
      marketId: s.market.id,
      totalDeposits: '3',
      totalBorrows: '1',
      availableLiquidity: '2',
      utilization: '0.333333333333333333',
      openLoans: 2,
      closedLoans: 0,
      collateralLocked: '3.5',
      // The second lender's position went back to zero.
      liquidityProviders: 1,
    });
    await s.loan(s.market.id, 'repay', { customerRef: s.borrower.id, loanId: first.loanId, amount: '0.5' });
    await s.loan(s.market.id, 'close-loan', { customerRef: s.borrower.id, loanId: first.loanId });
    expect(await s.metrics(s.market.id)).toMatchObject({
      totalBorrows: '0.5',
      utilization: '0.166666666666666666',
      openLoans: 1,
      closedLoans: 1,
      collateralLocked: '2.5',
    });
  });
});

describe('liquidity', () => {
  it('adds to one position per customer whichever identifier names it, and to the market total', async () => {
    const s = await setup();
    const wallet = '0x00000000000000000000000000000000000000aa';
    const lender = await s.customer({ name: 'L', walletAddress: wallet, externalId: 'crm-1' });
    const m = await s.newMarket();
    const first = await s.position(m.id, 'add-liquidity', { customerRef: lender.id, amount: '100.25' });
    expect(first).toMatchObject({ marketId: m.id, customerId: lender.id, deposited: '100.25' });
    expect(first.market).toMatchObject({ totalDeposits: '100.25', availableLiquidity: '100.25' });
    await s.position(m.id, 'add-liquidity', {
      customerRef: wallet.toUpperCase().replace('0X', '0x'),
      amount: '0.75',
    });
    const third = await s.position(m.id, 'add-liquidity', { customerRef: 'crm-1', amount: '1' });
    expect(third.deposited).toBe('102');
    expect(third.market.totalDeposits).toBe('102');
    expect((await s.getMarket(m.id)).totalDeposits).toBe('102');
  });

  it('removes liquidity up to the position; more is 400 INSUFFICIENT_BALANCE', async () => {
    const s = await funded('10');
    const removed = await s.position(s.market.id, 'remove-liquidity', {
      customerRef: s.lender.id,
      amount: '4',
    });
    expect(removed).toMatchObject({ deposited: '6', market: { totalDeposits: '6' } });
    await expectError(
      await s.act('remove-liquidity', { customerRef: s.lender.id, amount: '6.000000000000000001' }),
      400,
      'INSUFFICIENT_BALANCE',
    );
    // A customer without a position has nothing to remove.
    await expectError(
      await s.act('remove-liquidity', { customerRef: s.borrower.id, amount: '1' }),
      400,
      'INSUFFICIENT_BALANCE',
    );
    const all = await s.position(s.market.id, 'remove-liquidity', { customerRef: s.lender.id, amount: '6' });
    expect(all).toMatchObject({ deposited: '0', market: { totalDeposits: '0' } });
  });

  it('refuses to remove liquidity that is lent out (400 INSUFFICIENT_LIQUIDITY) and changes nothing', async () => {
    const s = await funded('100');
    await s.loan(
      s.market.id,
      'open-loan',
      { customerRef: s.borrower.id, collateralAmount: '10', borrowAmount: '60' },
      201,
    );
    await expectError(
      await s.act('remove-liquidity', { customerRef: s.lender.id, amount: '40.000000000000000001' }),
      400,
      'INSUFFICIENT_LIQUIDITY',
    );
    expect(await s.getMarket(s.market.id)).toMatchObject({ totalDeposits: '100', totalBorrows: '60' });
    // The refusal rolled back the position too: exactly the free 40 can still be removed.
    const removed = await s.position(s.market.id, 'remove-liquidity', {
      customerRef: s.lender.id,
      amount: '40',
    });
    expect(removed).toMatchObject({
      deposited: '60',
      market: { totalDeposits: '60', availableLiquidity: '0' },
    });
  });

  it('answers 404 for an unknown or archived customer, and for an unknown market', async () => {
    const s = await funded('10');
    for (const action of ['add-liquidity', 'remove-liquidity']) {
      await expectError(
        await s.act(action, { customerRef: 'nobody', amount: '1' }),
        404,
        'NOT_FOUND',
        'Customer not found',
      );
      for (const id of [UNKNOWN_MARKET, 'mkt_x']) {
        await expectError(
          await s.post(`/positions/${id}/${action}`, { customerRef: s.lender.id, amount: '1' }),
          404,
          'NOT_FOUND',
          'Market not found',
        );
      }
    }
    const archived = await s.customer({ name: 'Gone' });
    expect(
      (await app.withKey(s.inst.apiKey, `/customers/api/manage/${archived.id}`, { method: 'DELETE' })).status,
    ).toBe(200);
    await expectError(
      await s.act('add-liquidity', { customerRef: archived.id, amount: '1' }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
  });

  it('names bad amounts and a missing customerRef', async () => {
    const s = await funded('10');
    for (const amount of ['0', '-1', '1e3', '1.0000000000000000001', '1'.repeat(31), 1, '']) {
      await expectFields(await s.act('add-liquidity', { customerRef: s.lender.id, amount }), ['amount']);
    }
    await expectFields(await s.act('remove-liquidity', { amount: '1' }), ['customerRef']);
  });
});

describe('open-loan', () => {
  it('opens a loan with its debt outstanding, adding it to total borrows', async () => {
    const s = await funded('1000');
    const res = await s.act('open-loan', {
      customerRef: s.borrower.id,
      collateralAmount: '2',
      borrowAmount: '120',
    });
    expect(res.status).toBe(201);
    const loan = (await envelope<LoanView>(res)).data;
    expect(loan).toMatchObject({
      marketId: s.market.id,
      customerId: s.borrower.id,
      collateralAmount: '2',
      borrowAmount: '120',
      outstanding: '120',
      status: 'OPEN',
      closedAt: null,
    });
    expect(loan.loanId).toMatch(/^loan_[0-9a-f]{24}$/);
    expect(await s.getMarket(s.market.id)).toMatchObject({
      totalDeposits: '1000',
      totalBorrows: '120',
      availableLiquidity: '880',
    });
  });

  it('accepts a loan exactly at collateral × price × factor and refuses one unit over (INSUFFICIENT_COLLATERAL)', async () => {
    // 2 × 100.5 × 0.75 = 150.75
    const s = await funded('1000', { price: '100.5', collateralFactor: '0.75' });
    const over = {
      customerRef: s.borrower.id,
      collateralAmount: '2',
      borrowAmount: '150.750000000000000001',
    };
    await expectError(await s.act('open-loan', over), 400, 'INSUFFICIENT_COLLATERAL');
    expect((await s.getMarket(s.market.id)).totalBorrows).toBe('0');
    const at = await s.loan(
      s.market.id,
      'open-loan',
      { customerRef: s.borrower.id, collateralAmount: '2', borrowAmount: '150.75' },
      201,
    );
    expect(at.borrowAmount).toBe('150.75');
  });

  it('computes the bound exactly where its digits go past 18 decimal places', async () => {
    // 0.333333333333333333 × 3 × 0.9 = 0.8999999999999999991: 0.899999999999999999 is under it, 0.9 over.
    const s = await funded('10', { price: '3', collateralFactor: '0.9' });
    const collateralAmount = '0.333333333333333333';
    await expectError(
      await s.act('open-loan', { customerRef: s.borrower.id, collateralAmount, borrowAmount: '0.9' }),
      400,
      'INSUFFICIENT_COLLATERAL',
    );
    await s.loan(
      s.market.id,
      'open-loan',
      { customerRef: s.borrower.id, collateralAmount, borrowAmount: '0.899999999999999999' },
      201,
    );
    // 0.000000000000000001 × 2 × 0.5 is exactly 10⁻¹⁸, though the intermediate 10⁻¹⁸ × 0.5 is not an
    // 18-place decimal: a product truncated step by step would refuse this loan.
    const tiny = await funded('10', { price: '2', collateralFactor: '0.5' });
    await tiny.loan(
      tiny.market.id,
      'open-loan',
      {
        customerRef: tiny.borrower.id,
        collateralAmount: '0.000000000000000001',
        borrowAmount: '0.000000000000000001',
      },
      201,
    );
    // The largest amounts the request takes: the bound has 60 integer digits, nothing overflows.
    const big = '9'.repeat(30);
    const huge = await funded(big, { price: big, collateralFactor: '0.9' });
    await huge.loan(
      huge.market.id,
      'open-loan',
      { customerRef: huge.borrower.id, collateralAmount: big, borrowAmount: big },
      201,
    );
    expect((await huge.metrics(huge.market.id)).utilization).toBe('1');
  });

  it('refuses every loan in a market whose collateral factor is 0', async () => {
    const s = await funded('10', { collateralFactor: '0' });
    await expectError(
      await s.act('open-loan', {
        customerRef: s.borrower.id,
        collateralAmount: '1000000',
        borrowAmount: '0.000000000000000001',
      }),
      400,
      'INSUFFICIENT_COLLATERAL',
    );
  });

  it('refuses a loan above the free liquidity (INSUFFICIENT_LIQUIDITY) and accepts one of exactly all of it', async () => {
    const s = await funded('100');
    const borrow = (borrowAmount: string) =>
      s.act('open-loan', { customerRef: s.borrower.id, collateralAmount: '10', borrowAmount });
    await expectError(await borrow('100.000000000000000001'), 400, 'INSUFFICIENT_LIQUIDITY');
    expect((await borrow('70')).status).toBe(201);
    await expectError(await borrow('30.000000000000000001'), 400, 'INSUFFICIENT_LIQUIDITY');
    expect((await borrow('30')).status).toBe(201);
    expect(await s.getMarket(s.market.id)).toMatchObject({ totalBorrows: '100', availableLiquidity: '0' });
    // Both bounds broken: the collateral is named first.
    await expectError(
      await s.act('open-loan', { customerRef: s.borrower.id, collateralAmount: '0.001', borrowAmount: '1' }),
      400,
      'INSUFFICIENT_COLLATERAL',
    );
  });

  it('answers 404 for an unknown customer or market, and names bad fields', async () => {
    const s = await funded('100');
    await expectError(
      await s.act('open-loan', { customerRef: 'nobody', collateralAmount: '1', borrowAmount: '1' }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    await expectError(
      await s.post(`/positions/${UNKNOWN_MARKET}/open-loan`, {
        customerRef: s.borrower.id,
        collateralAmount: '1',
        borrowAmount: '1',
      }),
      404,
      'NOT_FOUND',
      'Market not found',
    );
    await expectFields(
      await s.act('open-loan', { customerRef: s.borrower.id, collateralAmount: '0', borrowAmount: '-2' }),
      ['collateralAmount', 'borrowAmount'],
    );
  });
});

describe('repay and close-loan', () => {
  async function withLoan() {
    const s = await funded('1000');
    const loan = await s.loan(
      s.market.id,
      'open-loan',
      { customerRef: s.borrower.id, collateralAmount: '5', borrowAmount: '300' },
      201,
    );
    const repay = (
      amount: string,
      customerRef = s.borrower.id,
      loanId = loan.loanId,
      marketId = s.market.id,
    ) => s.post(`/positions/${marketId}/repay`, { customerRef, loanId, amount });
    const close = (customerRef = s.borrower.id, loanId = loan.loanId, marketId = s.market.id) =>
      s.post(`/positions/${marketId}/close-loan`, { customerRef, loanId });
    return { ...s, loanId: loan.loanId, repay, close };
  }

  it('repays part of a loan, lowering its debt and the total borrows; the loan stays open', async () => {
    const s = await withLoan();
    const res = await s.repay('120.5');
    expect(res.status).toBe(200);
    expect((await envelope<LoanView>(res)).data).toMatchObject({
      loanId: s.loanId,
      borrowAmount: '300',
      outstanding: '179.5',
      status: 'OPEN',
    });
    expect(await s.getMarket(s.market.id)).toMatchObject({
      totalBorrows: '179.5',
      availableLiquidity: '820.5',
    });
  });

  it('lets an archived customer wind down — repay, close, withdraw — but not borrow or deposit', async () => {
    const s = await withLoan();
    await s.position(s.market.id, 'add-liquidity', { customerRef: s.borrower.id, amount: '10' });
    const archive = await app.withKey(s.inst.apiKey, `/customers/api/manage/${s.borrower.id}`, {
      method: 'DELETE',
    });
    expect(archive.status).toBe(200);
    const gone = { customerRef: s.borrower.id };
    await expectError(
      await s.act('open-loan', { ...gone, collateralAmount: '5', borrowAmount: '1' }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    await expectError(
      await s.act('add-liquidity', { ...gone, amount: '1' }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    expect((await s.repay('300')).status).toBe(200);
    expect((await s.close()).status).toBe(200);
    expect((await s.act('remove-liquidity', { ...gone, amount: '10' })).status).toBe(200);
    expect(await s.getMarket(s.market.id)).toMatchObject({ totalDeposits: '1000', totalBorrows: '0' });
  });

  it('refuses to repay more than is outstanding (400 INVALID_INPUT, nothing changes)', async () => {
    const s = await withLoan();
    await expectError(
      await s.repay('300.000000000000000001'),
      400,
      'INVALID_INPUT',
      'Amount exceeds the outstanding debt',
    );
    expect((await s.getMarket(s.market.id)).totalBorrows).toBe('300');
    expect((await envelope<LoanView>(await s.repay('300'))).data.outstanding).toBe('0');
    await expectError(
      await s.repay('0.000000000000000001'),
      400,
      'INVALID_INPUT',
      'Amount exceeds the outstanding debt',
    );
  });

  it('closes a repaid loan, releasing its collateral; a loan with debt or a closed loan is 400 INVALID_INPUT', async () => {
    const s = await withLoan();
    await expectError(await s.close(), 400, 'INVALID_INPUT', 'Loan has outstanding debt');
    await s.repay('299.999999999999999999');
    await expectError(await s.close(), 400, 'INVALID_INPUT', 'Loan has outstanding debt');
    await s.repay('0.000000000000000001');
    const res = await s.close();
    expect(res.status).toBe(200);
    const closed = (await envelope<LoanView>(res)).data;
    expect(closed).toMatchObject({
      loanId: s.loanId,
      status: 'CLOSED',
      outstanding: '0',
      collateralAmount: '5',
    });
    expect(closed.closedAt).not.toBeNull();
    expect(await s.metrics(s.market.id)).toMatchObject({
      openLoans: 0,
      closedLoans: 1,
      collateralLocked: '0',
      totalBorrows: '0',
    });
    await expectError(await s.close(), 400, 'INVALID_INPUT', 'Loan is closed');
    await expectError(await s.repay('1'), 400, 'INVALID_INPUT', 'Loan is closed');
  });

  it('answers 404 "Loan not found" for another customer\'s loan, another market\'s, or an unknown one', async () => {
    const s = await withLoan();
    const stranger = await s.customer({ name: 'Stranger' });
    const otherMarket = await s.newMarket();
    const notFound = async (res: Response) => expectError(res, 404, 'NOT_FOUND', 'Loan not found');
    await notFound(await s.repay('1', stranger.id));
    await notFound(await s.close(stranger.id));
    await notFound(await s.repay('1', s.borrower.id, s.loanId, otherMarket.id));
    await notFound(await s.close(s.borrower.id, s.loanId, otherMarket.id));
    await notFound(await s.repay('1', s.borrower.id, UNKNOWN_LOAN));
    await notFound(await s.close(s.borrower.id, UNKNOWN_LOAN));
    await expectError(await s.repay('1', 'nobody'), 404, 'NOT_FOUND', 'Customer not found');
    await expectError(await s.close('nobody'), 404, 'NOT_FOUND', 'Customer not found');
    await expectError(
      await s.repay('1', s.borrower.id, s.loanId, UNKNOWN_MARKET),
      404,
      'NOT_FOUND',
      'Market not found',
    );
    await expectError(
      await s.close(s.borrower.id, s.loanId, UNKNOWN_MARKET),
      404,
      'NOT_FOUND',
      'Market not found',
    );
    expect((await s.getMarket(s.market.id)).totalBorrows).toBe('300');
  });

  it('names a malformed loan id and amount', async () => {
    const s = await withLoan();
    await expectFields(await s.repay('0', s.borrower.id, 'loan_1'), ['loanId', 'amount']);
    await expectFields(await s.act('close-loan', { customerRef: s.borrower.id }), ['loanId']);
  });
});

describe('service gate', () => {
  it('answers 403 SERVICE_NOT_ENABLED on every route while the instance has lending off', async () => {
    const s = await setup(['customers']);
    const refused = [
      await s.call('/markets'),
      await s.post('/markets', {}),
      await s.call(`/markets/${UNKNOWN_MARKET}`),
      await s.call(`/markets/${UNKNOWN_MARKET}/metrics`),
      ...(await Promise.all(
        ['add-liquidity', 'remove-liquidity', 'open-loan', 'repay', 'close-loan'].map((action) =>
          s.post(`/positions/${UNKNOWN_MARKET}/${action}`, { bad: true }),
        ),
      )),
    ];
    for (const res of refused) await expectError(res, 403, 'SERVICE_NOT_ENABLED');
  });
});

describe('isolation between instances', () => {
  it("never shows or changes another instance's markets, customers or loans", async () => {
    const a = await funded('100');
    const loan = await a.loan(
      a.market.id,
      'open-loan',
      { customerRef: a.borrower.id, collateralAmount: '10', borrowAmount: '50' },
      201,
    );
    const b = await funded('100');

    // B sees none of A's markets.
    const listed = await envelope<MarketView[]>(await b.call('/markets'));
    expect([listed.data.map((m) => m.id), listed.metadata.total]).toEqual([[b.market.id], 1]);
    await expectError(await b.call(`/markets/${a.market.id}`), 404, 'NOT_FOUND', 'Market not found');
    await expectError(await b.call(`/markets/${a.market.id}/metrics`), 404, 'NOT_FOUND', 'Market not found');

    // B cannot act on A's market, even naming A's own customers.
    const onA = (action: string, json: Json) => b.post(`/positions/${a.market.id}/${action}`, json);
    for (const [action, json] of [
      ['add-liquidity', { customerRef: b.lender.id, amount: '1' }],
      ['remove-liquidity', { customerRef: a.lender.id, amount: '1' }],
      ['open-loan', { customerRef: a.borrower.id, collateralAmount: '1', borrowAmount: '1' }],
      ['repay', { customerRef: a.borrower.id, loanId: loan.loanId, amount: '1' }],
      ['close-loan', { customerRef: a.borrower.id, loanId: loan.loanId }],
    ] as const) {
      await expectError(await onA(action, json), 404, 'NOT_FOUND', 'Market not found');
    }

    // On its own market, A's customers are unknown to B, and A's loan too.
    const onB = (action: string, json: Json) => b.post(`/positions/${b.market.id}/${action}`, json);
    await expectError(
      await onB('add-liquidity', { customerRef: a.lender.id, amount: '1' }),
      404,
      'NOT_FOUND',
      'Customer not found',
    );
    await expectError(
      await onB('repay', { customerRef: b.borrower.id, loanId: loan.loanId, amount: '1' }),
      404,
      'NOT_FOUND',
      'Loan not found',
    );
    await expectError(
      await onB('close-loan', { customerRef: b.borrower.id, loanId: loan.loanId }),
      404,
      'NOT_FOUND',
      'Loan not found',
    );

    // Nothing of A's changed.
    expect(await a.getMarket(a.market.id)).toMatchObject({ totalDeposits: '100', totalBorrows: '50' });
    expect(await a.metrics(a.market.id)).toMatchObject({ openLoans: 1, liquidityProviders: 1 });
  });
});
