// SPEC §4.5 lending under concurrency: two app processes sharing Postgres take concurrent loans,
// withdrawals, deposits, repayments and closes on one market, and the invariants hold — total
// borrows never above total deposits, the totals equal the sums of the positions and of the open
// loans' debts, and every success and refusal is accounted for.
import type { Database } from '@portcullis/db';
import { expect, it } from 'vitest';
import { fromNumeric, parseDecimal } from '../src/core/decimal.js';
import type { LoanView, MarketMetricsView, MarketView } from '../src/core/lending/schemas.js';
import { openLoan, removeLiquidity, repayLoan } from '../src/core/lending/store.js';
import {
  createCustomer,
  createInstance,
  describeCluster,
  envelope,
  errorEnvelope,
  keyClient,
  type RunningApp,
} from './harness.js';

const BASE = '/lending-stocks/api';
const TOKEN = '0x00000000000000000000000000000000000000c0';

/** Units of 10⁻¹⁸ of a decimal string (test arithmetic stays exact). */
const units = (text: string): bigint => {
  const value = parseDecimal(text);
  if (value === undefined) throw new Error(`not a decimal: ${text}`);
  return value;
};

describeCluster('lending on two app processes sharing Postgres', {}, (cluster) => {
  /** An instance with a market; `post` alternates the two processes by `i`. */
  async function setup() {
    const inst = await createInstance(cluster.a);
    const on = (app: RunningApp) => keyClient(app, inst.apiKey, BASE);
    const post = (i: number, path: string, json: unknown) =>
      on(i % 2 === 0 ? cluster.a : cluster.b).post(path, json);
    const customer = async (name: string) => (await createCustomer(cluster.a, inst.apiKey, { name })).id;
    const res = await post(0, '/markets', {
      stockTokenAddress: TOKEN,
      collateralFactor: '0.5',
      price: '100',
    });
    expect(res.status).toBe(201);
    const market = (await envelope<MarketView>(res)).data;
    const metrics = async () =>
      (await envelope<MarketMetricsView>(await on(cluster.b).call(`/markets/${market.id}/metrics`))).data;
    return { inst, post, customer, marketId: market.id, metrics };
  }

  /** `201`, or `400 INSUFFICIENT_LIQUIDITY`: each answer's status and error code. */
  async function outcomes(responses: Response[]): Promise<string[]> {
    return Promise.all(
      responses.map(async (res) =>
        res.status < 300 ? `${res.status}` : `${res.status} ${(await errorEnvelope(res)).error.code}`,
      ),
    );
  }

  /** Each close answer as its status, and for a refusal its message. */
  async function closeOutcomes(responses: Response[]): Promise<string[]> {
    return Promise.all(
      responses.map(async (res) =>
        res.status < 300 ? `${res.status}` : `${res.status} ${(await errorEnvelope(res)).error.message}`,
      ),
    );
  }

  /** The invariants, read from the tables: the totals against the positions and the open loans. */
  async function ledger(marketId: string) {
    const { rows } = await cluster.dbA.query<{
      total_deposits: string;
      total_borrows: string;
      positions: string;
      outstanding: string;
      open_loans: number;
    }>(
      `SELECT m.total_deposits, m.total_borrows,
              (SELECT COALESCE(sum(deposited), 0) FROM lending_positions WHERE market_id = m.id) AS positions,
              (SELECT COALESCE(sum(outstanding), 0) FROM lending_loans WHERE market_id = m.id AND status = 'OPEN') AS outstanding,
              (SELECT count(*)::int FROM lending_loans WHERE market_id = m.id AND status = 'OPEN') AS open_loans
         FROM lending_markets m WHERE m.id = $1`,
      [marketId],
    );
    const row = rows[0];
    if (row === undefined) throw new Error('market row missing');
    const deposits = fromNumeric(row.total_deposits);
    const borrows = fromNumeric(row.total_borrows);
    expect(borrows <= deposits).toBe(true);
    expect(fromNumeric(row.positions)).toBe(deposits);
    expect(fromNumeric(row.outstanding)).toBe(borrows);
    return { deposits, borrows, openLoans: row.open_loans };
  }

  it('keeps borrows within deposits under 100 concurrent open-loan and remove-liquidity requests', async () => {
    const s = await setup();
    const [small, large, borrower] = [await s.customer('L1'), await s.customer('L2'), await s.customer('B')];
    expect(
      (await s.post(0, `/positions/${s.marketId}/add-liquidity`, { customerRef: small, amount: '300' }))
        .status,
    ).toBe(200);
    expect(
      (await s.post(1, `/positions/${s.marketId}/add-liquidity`, { customerRef: large, amount: '700' }))
        .status,
    ).toBe(200);

    // 50 loans of 15 (750) and 50 withdrawals of 10 by the lender of 300: more than the 1000
    // deposited, and more than that lender holds.
    const requests = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0
        ? s.post(i >> 1, `/positions/${s.marketId}/open-loan`, {
            customerRef: borrower,
            collateralAmount: '1',
            borrowAmount: '15',
          })
        : s.post(i >> 1, `/positions/${s.marketId}/remove-liquidity`, { customerRef: small, amount: '10' }),
    );
    const answers = await outcomes(await Promise.all(requests));
    const loans = answers.filter((_, i) => i % 2 === 0);
    const removals = answers.filter((_, i) => i % 2 === 1);
    expect(loans.filter((o) => !['201', '400 INSUFFICIENT_LIQUIDITY'].includes(o))).toEqual([]);
    expect(
      removals.filter((o) => !['200', '400 INSUFFICIENT_LIQUIDITY', '400 INSUFFICIENT_BALANCE'].includes(o)),
    ).toEqual([]);
    const opened = loans.filter((o) => o === '201').length;
    const removed = removals.filter((o) => o === '200').length;

    const { deposits, borrows, openLoans } = await ledger(s.marketId);
    expect(openLoans).toBe(opened);
    expect(borrows).toBe(units('15') * BigInt(opened));
    expect(deposits).toBe(units('1000') - units('10') * BigInt(removed));
    expect(removed).toBeLessThanOrEqual(30);
    // Free liquidity only fell in this run: a refusal means it was (and stayed) below the amount.
    const free = deposits - borrows;
    if (loans.includes('400 INSUFFICIENT_LIQUIDITY')) expect(free < units('15')).toBe(true);
    if (removals.includes('400 INSUFFICIENT_LIQUIDITY')) expect(free < units('10')).toBe(true);
    if (removals.includes('400 INSUFFICIENT_BALANCE')) expect(removed).toBe(30);
    // Demand exceeded supply, so something was refused.
    expect(opened * 15 + removed * 10).toBeLessThanOrEqual(1000);
    expect(opened + removed).toBeLessThan(100);

    expect(await s.metrics()).toMatchObject({
      openLoans: opened,
      totalBorrows: String(opened * 15),
      totalDeposits: String(1000 - removed * 10),
    });
  });

  it('keeps the totals exact under concurrent deposits, loans and repayments', async () => {
    const s = await setup();
    const lenders = [await s.customer('L1'), await s.customer('L2')];
    const borrower = await s.customer('B');
    // 30 to start with (room for 10 loans); the rest only as the concurrent deposits arrive.
    expect(
      (await s.post(0, `/positions/${s.marketId}/add-liquidity`, { customerRef: lenders[0], amount: '30' }))
        .status,
    ).toBe(200);
    const deposits = Array.from({ length: 40 }, (_, i) =>
      s.post(i, `/positions/${s.marketId}/add-liquidity`, { customerRef: lenders[i % 2], amount: '2.5' }),
    );
    const loans = Array.from({ length: 40 }, (_, i) =>
      s.post(i + 1, `/positions/${s.marketId}/open-loan`, {
        customerRef: borrower,
        collateralAmount: '1',
        borrowAmount: '3',
      }),
    );
    const [added, taken] = await Promise.all([Promise.all(deposits), Promise.all(loans)]);
    expect(added.map((res) => res.status)).toEqual(Array(40).fill(200));
    const loanAnswers = await Promise.all(
      taken.map(async (res) =>
        res.status === 201 ? (await envelope<LoanView>(res)).data : (await errorEnvelope(res)).error.code,
      ),
    );
    const opened = loanAnswers.filter((answer): answer is LoanView => typeof answer !== 'string');
    expect(loanAnswers.filter((answer) => typeof answer === 'string')).toEqual(
      Array(40 - opened.length).fill('INSUFFICIENT_LIQUIDITY'),
    );
    // 130 deposited in the end: the first 30 were there for 10 loans of 3 whatever the order.
    expect(opened.length).toBeGreaterThanOrEqual(10);
    let state = await ledger(s.marketId);
    expect(state.deposits).toBe(units('130'));
    expect(state.borrows).toBe(units('3') * BigInt(opened.length));

    // Ten loans repaid, each in four concurrent parts of 1 of which one finds nothing owed, among
    // ten withdrawals of 2 by each lender (the free liquidity grows as the repayments land).
    const repaying = opened.slice(0, 10);
    const repayments = repaying.flatMap((loan, i) =>
      Array.from({ length: 4 }, (_, j) =>
        s.post(i + j, `/positions/${s.marketId}/repay`, {
          customerRef: borrower,
          loanId: loan.loanId,
          amount: '1',
        }),
      ),
    );
    const withdrawals = Array.from({ length: 20 }, (_, i) =>
      s.post(i, `/positions/${s.marketId}/remove-liquidity`, { customerRef: lenders[i % 2], amount: '2' }),
    );
    const [repaid, withdrawn] = await Promise.all([
      Promise.all(repayments).then(outcomes),
      Promise.all(withdrawals).then(outcomes),
    ]);
    expect(repaid.filter((o) => o === '200')).toHaveLength(30);
    expect(repaid.filter((o) => o !== '200')).toEqual(Array(10).fill('400 INVALID_INPUT'));
    expect(withdrawn.filter((o) => !['200', '400 INSUFFICIENT_LIQUIDITY'].includes(o))).toEqual([]);
    const removed = withdrawn.filter((o) => o === '200').length;
    state = await ledger(s.marketId);
    expect(state.borrows).toBe(units('3') * BigInt(opened.length - 10));
    expect(state.deposits).toBe(units('130') - units('2') * BigInt(removed));
    expect(state.openLoans).toBe(opened.length);
  });

  it('keeps the invariants by SQL alone: 120 concurrent transactions on both pools, no queue in front', async () => {
    // The stores called directly, as many at once as the pools allow: the row lock and the
    // conditional updates decide, not the per-process queue of the routes.
    const s = await setup();
    const [lender, borrower] = [await s.customer('L'), await s.customer('B')];
    expect(
      (await s.post(0, `/positions/${s.marketId}/add-liquidity`, { customerRef: lender, amount: '100' }))
        .status,
    ).toBe(200);
    const instanceId = s.inst.id;
    const pools = [cluster.dbA, cluster.dbB];
    const changes = Array.from({ length: 120 }, (_, i) => {
      const on = pools[i % 2] as Database;
      if (i % 3 === 0) return removeLiquidity(on, instanceId, s.marketId, lender, '3', new Date());
      return openLoan(
        on,
        instanceId,
        s.marketId,
        borrower,
        { collateralAmount: '1', borrowAmount: '2' },
        new Date(),
      );
    });
    const results = await Promise.all(changes);
    const refusals = results.flatMap((result) => (result.ok ? [] : [result.reason]));
    expect(
      refusals.filter((reason) => !['insufficient-liquidity', 'insufficient-balance'].includes(reason)),
    ).toEqual([]);
    // 280 asked of 100: some request was refused for liquidity, and free liquidity only fell since.
    expect(refusals).toContain('insufficient-liquidity');
    const loans = results.flatMap((result) => (result.ok && 'loan' in result ? [result.loan] : []));
    const removed = results.filter((result) => result.ok && 'position' in result).length;
    let state = await ledger(s.marketId);
    expect(state.borrows).toBe(units('2') * BigInt(loans.length));
    expect(state.deposits).toBe(units('100') - units('3') * BigInt(removed));
    expect(state.deposits - state.borrows < units('3')).toBe(true);

    // Every loan repaid twice over at once: exactly one repayment of each lands.
    const repaid = await Promise.all(
      loans.flatMap((loan, i) =>
        [0, 1].map((j) =>
          repayLoan(
            pools[(i + j) % 2] as Database,
            instanceId,
            s.marketId,
            borrower,
            loan.loanId,
            '2',
            new Date(),
          ),
        ),
      ),
    );
    expect(repaid.filter((result) => result.ok)).toHaveLength(loans.length);
    expect(repaid.flatMap((result) => (result.ok ? [] : [result.reason]))).toEqual(
      Array(loans.length).fill('exceeds-outstanding'),
    );
    state = await ledger(s.marketId);
    expect(state.borrows).toBe(0n);
  });

  it('closes a repaid loan exactly once under 20 concurrent close-loan requests', async () => {
    const s = await setup();
    const [lender, borrower] = [await s.customer('L'), await s.customer('B')];
    expect(
      (await s.post(0, `/positions/${s.marketId}/add-liquidity`, { customerRef: lender, amount: '10' }))
        .status,
    ).toBe(200);
    const opened = await s.post(1, `/positions/${s.marketId}/open-loan`, {
      customerRef: borrower,
      collateralAmount: '1',
      borrowAmount: '10',
    });
    const { loanId } = (await envelope<LoanView>(opened)).data;
    // Repay and close race: a close before the last repayment is refused for the debt.
    const racing = await closeOutcomes(
      await Promise.all([
        s.post(0, `/positions/${s.marketId}/repay`, { customerRef: borrower, loanId, amount: '10' }),
        ...Array.from({ length: 20 }, (_, i) =>
          s.post(i + 1, `/positions/${s.marketId}/close-loan`, { customerRef: borrower, loanId }),
        ),
      ]),
    );
    expect(racing[0]).toBe('200');
    const closes = racing.slice(1);
    expect(closes.filter((o) => o === '200').length).toBeLessThanOrEqual(1);
    expect(
      closes.filter((o) => !['200', '400 Loan has outstanding debt', '400 Loan is closed'].includes(o)),
    ).toEqual([]);
    // Whatever the order, once the repayment is in, exactly one close can succeed in all.
    const again = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.post(i, `/positions/${s.marketId}/close-loan`, { customerRef: borrower, loanId }),
      ),
    );
    const later = await closeOutcomes(again);
    expect(later.filter((o) => !['200', '400 Loan is closed'].includes(o))).toEqual([]);
    expect([...closes, ...later].filter((o) => o === '200')).toHaveLength(1);
    const { rows } = await cluster.dbA.query<{ status: string }>(
      'SELECT status FROM lending_loans WHERE id = $1',
      [loanId],
    );
    expect(rows[0]?.status).toBe('CLOSED');
    expect((await ledger(s.marketId)).openLoans).toBe(0);
  });
});
