// SPEC §4.5 custody invariants under concurrency, on two app processes sharing Postgres (and
// Redis): the database decides every race, so no interleaving of requests over both processes
// breaks supply conservation, a balance, or an Idempotency-Key's single effect.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  createCustomerIds,
  createInstance,
  describeCluster,
  envelope,
  keyClient,
  type RunningApp,
} from './harness.js';

const BASE = '/api/v2/custody/api';
const TOKEN = '0x00000000000000000000000000000000000000cc';

/** A token's supply beside its balances: their sum, how many are negative, how many over-locked. */
interface Ledger {
  supply: string;
  sum: string;
  negative: number;
  overlocked: number;
}

describeCluster('custody on two app processes sharing Postgres', {}, (cluster) => {
  /** A new instance's token and `customers` customers; `on(app)` calls its custody routes on `app`. */
  async function setupLedger(customers: number) {
    const inst = await createInstance(cluster.a);
    const on = (app: RunningApp) => keyClient(app, inst.apiKey, BASE);
    await on(cluster.a).post('/tokens', { tokenAddress: TOKEN, name: 'T', symbol: 'T' });
    const ids = await createCustomerIds(cluster.a, inst.apiKey, customers);
    return { inst, on, ids };
  }

  async function ledger(instanceId: string) {
    const { rows } = await cluster.dbA.query<Ledger>(
      `SELECT t.total_supply::text AS supply,
              coalesce(sum(b.balance), 0)::text AS sum,
              count(*) FILTER (WHERE b.balance < 0)::int AS negative,
              count(*) FILTER (WHERE b.locked > b.balance)::int AS overlocked
         FROM custody_tokens t LEFT JOIN custody_balances b USING (instance_id, token_address)
        WHERE t.instance_id = $1 GROUP BY t.total_supply`,
      [instanceId],
    );
    return rows[0];
  }

  it('keeps the supply and every balance whole under 1 000 concurrent random transfers among 20 customers', async () => {
    const { inst, on, ids } = await setupLedger(20);
    for (const id of ids) {
      const res = await on(cluster.a).post('/balances/credit', {
        tokenAddress: TOKEN,
        customerRef: id,
        amount: '100',
      });
      expect(res.status).toBe(200);
    }
    const before = await ledger(inst.id);
    expect(before).toMatchObject({ supply: '2000.000000000000000000', sum: '2000.000000000000000000' });

    // A fixed seed: the same 1 000 transfers every run, amounts that often exceed what the
    // sender still has so refusals race with successes.
    const transfers = fc.sample(
      fc.record({
        from: fc.nat(19),
        to: fc.nat(19),
        amount: fc.integer({ min: 1, max: 6000 }).map((cents) => (cents / 100).toFixed(2)),
      }),
      { numRuns: 1000, seed: 4242 },
    );
    const results = await Promise.all(
      transfers.map((t, i) =>
        on(i % 2 === 0 ? cluster.a : cluster.b)
          .post('/balances/transfer', {
            tokenAddress: TOKEN,
            fromCustomerRef: ids[t.from],
            toCustomerRef: ids[t.to],
            amount: t.amount,
          })
          .then(async (res) => ({ status: res.status, code: (await envelope<unknown>(res)).error?.code })),
      ),
    );
    // Every answer is a success or a documented refusal, never a 5xx.
    const outcomes = new Set(results.map((r) => `${r.status} ${r.code ?? ''}`.trim()));
    for (const outcome of outcomes)
      expect(['200', '400 INSUFFICIENT_BALANCE', '400 INVALID_INPUT']).toContain(outcome);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(100);

    const after = await ledger(inst.id);
    expect(after).toEqual({ supply: before?.supply, sum: before?.supply, negative: 0, overlocked: 0 });
    // The journal holds exactly the transfers that were answered 200.
    const { rows } = await cluster.dbA.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM custody_transactions WHERE instance_id = $1 AND type = 'TRANSFER'`,
      [inst.id],
    );
    expect(rows[0]?.n).toBe(results.filter((r) => r.status === 200).length);
  });

  it('makes one change for 40 concurrent identical requests under one Idempotency-Key, and gives all the same answer', async () => {
    const { inst, on, ids } = await setupLedger(1);
    const send = (app: RunningApp) =>
      on(app)
        .call('/balances/credit', {
          method: 'POST',
          json: { tokenAddress: TOKEN, customerRef: ids[0], amount: '7.5' },
          headers: { 'idempotency-key': 'concurrent-credit-1' },
        })
        .then(async (res) => ({
          status: res.status,
          text: await res.text(),
          replayed: res.headers.get('idempotent-replayed'),
        }));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => send(i % 2 === 0 ? cluster.a : cluster.b)),
    );
    expect(new Set(answers.map((x) => x.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((x) => x.text)).size).toBe(1);
    expect(answers.filter((x) => x.replayed === null)).toHaveLength(1);
    expect(await ledger(inst.id)).toMatchObject({
      supply: '7.500000000000000000',
      sum: '7.500000000000000000',
    });
  });

  it('never lets concurrent debits and locks take a balance below zero or lock more than it holds', async () => {
    const { inst, on, ids } = await setupLedger(1);
    await on(cluster.a).post('/balances/credit', { tokenAddress: TOKEN, customerRef: ids[0], amount: '10' });
    const actions = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? 'lock' : i % 3 === 1 ? 'debit' : 'unlock',
    );
    const statuses = await Promise.all(
      actions.map((action, i) =>
        on(i % 2 === 0 ? cluster.a : cluster.b)
          .post(`/balances/${action}`, { tokenAddress: TOKEN, customerRef: ids[0], amount: '1' })
          .then((res) => res.status),
      ),
    );
    expect(statuses.every((s) => s === 200 || s === 400)).toBe(true);
    const state = await ledger(inst.id);
    expect([state?.negative, state?.overlocked, state?.supply]).toEqual([0, 0, state?.sum]);
    const debits = statuses.filter((s, i) => s === 200 && actions[i] === 'debit').length;
    expect(Number(state?.supply)).toBe(10 - debits);
  });
});
