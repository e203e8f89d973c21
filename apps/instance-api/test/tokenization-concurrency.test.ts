// SPEC §4.5 tokenization under concurrency: many issues and redemptions of one token at once, on
// one process (PGlite) and on two processes sharing Postgres. Every accepted change is counted and
// none is lost (each balance is its issues minus its accepted redemptions), no holding goes below
// zero, and the total supply equals the sum of the holdings, through the API and in SQL.
import type { Database } from '@portcullis/db';
import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal } from '../src/core/decimal.js';
import type { BalanceView, DeploymentView, HolderView, TokenView } from '../src/core/tokenization/schemas.js';
import {
  createInstance,
  describeCluster,
  envelope,
  errorEnvelope,
  keyClient,
  type RunningApp,
  useApp,
} from './harness.js';

const BASE = '/stocks/api';
const ACCOUNTS = ['a1', 'b2', 'c3', 'd4'].map((pair) => `0x${pair.repeat(20)}`);
const INITIAL = '5';

function units(text: string): bigint {
  const value = parseDecimal(text);
  if (value === undefined) throw new Error(`not a decimal: ${text}`);
  return value;
}

/**
 * Deploys a token on `apps[0]`, issues INITIAL to each account, then sends 120 issues and
 * redemptions at once, spread over `apps`; checks the ledger afterwards against the accepted ones.
 */
async function hammer(apps: RunningApp[], db: Database) {
  const first = apps[0] as RunningApp;
  const { apiKey } = await createInstance(first);
  const on = (app: RunningApp) => keyClient(app, apiKey, BASE);
  const deployed = await on(first).post('/tokenization/deploy', {
    name: 'Bayer AG',
    symbol: 'BAYN',
    isin: 'DE000BAY0017',
    issuerAddress: ACCOUNTS[0],
  });
  expect(deployed.status).toBe(201);
  const token = (await envelope<DeploymentView>(deployed)).data.token.tokenAddress;

  const expected = new Map<string, bigint>();
  for (const account of ACCOUNTS) {
    const res = await on(first).post(`/tokenization/${token}/issue`, { recipient: account, amount: INITIAL });
    expect(res.status).toBe(200);
    expected.set(account, units(INITIAL));
  }

  // A third issues (1.25 … 5.25), two thirds redemptions (1.5 … 4.5): more is asked back than is
  // ever issued, so some redemptions must be refused, and each account's first one (≤ 4.5 of at
  // least 5 held) must pass.
  const operations = Array.from({ length: 120 }, (_, i) => {
    const account = ACCOUNTS[i % ACCOUNTS.length] as string;
    return i % 3 === 0
      ? { action: 'issue' as const, account, amount: `${1 + (i % 5)}.25`, app: apps[i % apps.length] }
      : { action: 'redeem' as const, account, amount: `${(i % 4) + 1}.5`, app: apps[i % apps.length] };
  });
  const responses = await Promise.all(
    operations.map((op) =>
      on(op.app as RunningApp).post(
        `/tokenization/${token}/${op.action}`,
        op.action === 'issue'
          ? { recipient: op.account, amount: op.amount }
          : { account: op.account, amount: op.amount },
      ),
    ),
  );

  let refused = 0;
  let redeemed = 0;
  for (const [i, res] of responses.entries()) {
    const op = operations[i] as (typeof operations)[number];
    if (res.status === 200) {
      await res.arrayBuffer();
      const delta = units(op.amount);
      const before = expected.get(op.account) ?? 0n;
      expected.set(op.account, op.action === 'issue' ? before + delta : before - delta);
      if (op.action === 'redeem') redeemed++;
    } else {
      // The only refusal is a redemption larger than the holding at its turn.
      const body = await errorEnvelope(res);
      expect([op.action, res.status, body.error.code]).toEqual(['redeem', 400, 'INSUFFICIENT_BALANCE']);
      refused++;
    }
  }
  expect(refused).toBeGreaterThan(0);
  expect(redeemed).toBeGreaterThanOrEqual(ACCOUNTS.length);

  // No update lost: each balance is exactly its accepted changes, read from either process.
  let sum = 0n;
  for (const [i, account] of ACCOUNTS.entries()) {
    const app = apps[i % apps.length] as RunningApp;
    const res = await on(app).call(`/fetch/balance/${token}/${account}`);
    const balance = (await envelope<BalanceView>(res)).data;
    const want = expected.get(account) ?? 0n;
    expect(want >= 0n).toBe(true);
    expect(balance.balance).toBe(formatDecimal(want));
    sum += want;
  }
  const supply = (await envelope<TokenView>(await on(first).call(`/fetch/token/${token}`))).data.totalSupply;
  expect(supply).toBe(formatDecimal(sum));
  const holders = (await envelope<HolderView[]>(await on(first).call(`/fetch/holders/${token}`))).data;
  expect(holders.reduce((total, holder) => total + units(holder.balance), 0n)).toBe(sum);

  // The same in SQL: supply = sum of holdings, nothing below zero.
  const { rows } = await db.query<{ supply: string; held: string; lowest: string }>(
    `SELECT t.total_supply::text AS supply,
            (SELECT coalesce(sum(balance), 0)::text FROM tokenized_holdings h
              WHERE h.instance_id = t.instance_id AND h.token_address = t.token_address) AS held,
            (SELECT coalesce(min(balance), 0)::text FROM tokenized_holdings h
              WHERE h.instance_id = t.instance_id AND h.token_address = t.token_address) AS lowest
       FROM tokenized_tokens t WHERE t.token_address = $1`,
    [token],
  );
  expect(rows).toHaveLength(1);
  const row = rows[0] as { supply: string; held: string; lowest: string };
  expect(units(row.supply)).toBe(sum);
  expect(units(row.held)).toBe(sum);
  expect(units(row.lowest) >= 0n).toBe(true);
}

describe('concurrent issues and redemptions on one process (PGlite)', () => {
  const app = useApp();

  it('loses no update, never goes below zero, and keeps supply = sum of holdings', async () => {
    await hammer([app], app.db);
  });
});

describeCluster('concurrent issues and redemptions on two processes sharing Postgres', {}, (cluster) => {
  it('loses no update, never goes below zero, and keeps supply = sum of holdings', async () => {
    await hammer([cluster.a, cluster.b], cluster.dbA);
  });

  it('registers a token once when two processes deploy the same ISIN at the same time', async () => {
    const { apiKey } = await createInstance(cluster.a);
    const body = { name: 'Apple', symbol: 'AAPL', isin: 'US0378331005', issuerAddress: ACCOUNTS[0] };
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? cluster.a : cluster.b).withKey(apiKey, `${BASE}/tokenization/deploy`, {
          method: 'POST',
          json: body,
        }),
      ),
    );
    const statuses = responses.map((res) => res.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    for (const res of responses) await res.arrayBuffer();
    const list = await envelope<TokenView[]>(await cluster.b.withKey(apiKey, `${BASE}/fetch/tokens`));
    expect(list.metadata.total).toBe(1);
  });
});
