// SPEC §4.5: every core resource belongs to one instance. Another instance's key meets a 404 on
// every route that names it (by path or in a body), never a 403 that would confirm it exists,
// and its lists never show it; nothing the other instance tries changes it.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CORE_TAGS,
  type CoreResources,
  CUSTODY,
  coreOperations,
  createCoreResources,
  LENDING,
  TRADING,
} from './core-fixture.js';
import { createInstance, envelope, errorEnvelope, useApp } from './harness.js';

const app = useApp();
let keyA: string;
let keyB: string;
let a: CoreResources;
let b: CoreResources;
let operations: Array<{ method: string; template: string }>;

beforeAll(async () => {
  keyA = (await createInstance(app, { name: 'A' })).apiKey;
  keyB = (await createInstance(app, { name: 'B' })).apiKey;
  a = await createCoreResources(app, keyA, 'a');
  b = await createCoreResources(app, keyB, 'b');
  operations = await coreOperations(app);
}, 60_000);

const first = (values: string[]) => values[0] as string;

/** A body of B's own resources that every core write route accepts the shape of. */
function bodyOfB() {
  return {
    customerRef: first(b.customerRef),
    fromCustomerRef: first(b.customerRef),
    toCustomerRef: b.customerRef[1],
    tokenAddress: first(b.tokenAddress),
    amount: '1',
    loanId: first(b.loanId),
    recipient: first(b.account),
    account: first(b.account),
  };
}

/** Everything of A that must never appear in B's answers. */
const secretsOfA = () => [
  ...a.customerRef,
  ...a.tokenAddress,
  ...a.orderId,
  ...a.marketId,
  ...a.loanId,
  ...a.id,
];

describe("another instance's resources", () => {
  it('are a 404 on every documented core route that names one in its path', async () => {
    const named = operations.filter((o) => o.template.includes('{'));
    expect(named.length).toBeGreaterThan(20);
    for (const operation of named) {
      for (const values of [
        a,
        { ...a, customerId: [a.customerId[2] as string], customerRef: [a.customerRef[2] as string] },
      ]) {
        const path = operation.template.replace(/\{([^}]+)\}/g, (_, name: string) =>
          first(values[name as keyof CoreResources]),
        );
        const body = operation.method === 'GET' ? {} : { json: routeBody(operation.template) };
        const res = await app.withKey(keyB, path, { method: operation.method, ...body });
        expect(res.status, `${operation.method} ${path}`).toBe(404);
        expect((await errorEnvelope(res)).error.code, `${operation.method} ${path}`).toMatch(
          /^(NOT_FOUND|TOKEN_NOT_FOUND)$/,
        );
      }
    }
  });

  it('are a 404 when a body names one', async () => {
    const attempts: Array<[string, Record<string, unknown>]> = [
      [
        `${CUSTODY}/balances/credit`,
        { tokenAddress: first(b.tokenAddress), customerRef: first(a.customerRef), amount: '1' },
      ],
      [
        `${CUSTODY}/balances/credit`,
        { tokenAddress: first(a.tokenAddress), customerRef: first(b.customerRef), amount: '1' },
      ],
      [
        `${CUSTODY}/balances/transfer`,
        {
          tokenAddress: first(b.tokenAddress),
          fromCustomerRef: first(b.customerRef),
          toCustomerRef: a.customerRef[2],
          amount: '1',
        },
      ],
      [
        `${TRADING}/orders`,
        {
          orderBookId: first(a.orderBookId),
          customerRef: first(b.customerRef),
          side: 'BUY',
          orderType: 'LIMIT',
          price: '10',
          quantity: '1',
          timeInForce: 'GTC',
        },
      ],
      [
        `${LENDING}/positions/${first(b.marketId)}/repay`,
        { loanId: first(a.loanId), customerRef: first(b.customerRef), amount: '1' },
      ],
      [
        `${LENDING}/positions/${first(b.marketId)}/close-loan`,
        { loanId: first(a.loanId), customerRef: first(b.customerRef) },
      ],
    ];
    for (const [path, json] of attempts) {
      const res = await app.withKey(keyB, path, { method: 'POST', json });
      expect(res.status, `${path} ${JSON.stringify(json)}`).toBe(404);
    }
  });

  it('never appear in any list or read of the other instance', async () => {
    const lists = operations.filter((o) => o.method === 'GET' && !o.template.includes('{'));
    // Customers, custody tokens and journal, tokenized tokens, order books, lending markets.
    expect(lists.length).toBe(6);
    const reads = operations
      .filter((o) => o.method === 'GET' && o.template.includes('{'))
      .map((o) =>
        o.template.replace(/\{([^}]+)\}/g, (_, name: string) =>
          // The deployed stock token is tokenization's; the first token is custody's.
          name === 'tokenAddress' && o.template.startsWith('/stocks/')
            ? (b.tokenAddress[1] as string)
            : first(b[name as keyof CoreResources]),
        ),
      );
    for (const path of [
      ...lists.map((o) => o.template),
      `${lists.find((o) => o.template.includes('customers'))?.template}?includeArchived=true`,
      ...reads,
    ]) {
      const res = await app.withKey(keyB, path);
      const text = await res.text();
      expect(res.status, path).toBe(200);
      for (const secret of secretsOfA()) expect(text.includes(secret), `${path} shows ${secret}`).toBe(false);
    }
  });

  it('are left as they were by everything the other instance tried', async () => {
    const balance = await app.withKey(
      keyA,
      `${CUSTODY}/balances/${first(a.customerRef)}/${first(a.tokenAddress)}`,
    );
    expect((await envelope<{ balance: string }>(balance)).data.balance).toBe('1000');
    const order = await app.withKey(keyA, `${TRADING}/orders/${first(a.orderId)}`);
    expect((await envelope<{ status: string }>(order)).data.status).toBe('OPEN');
    const loans = await app.withKey(keyA, `${LENDING}/markets/${first(a.marketId)}/metrics`);
    expect(loans.status).toBe(200);
    const customer = await app.withKey(keyA, `/customers/api/manage/${first(a.customerId)}`);
    expect((await envelope<{ archived: boolean }>(customer)).data.archived).toBe(false);
  });

  it('covers every core tag', () => {
    expect(new Set(operations.map((o) => o.template.split('/')[1]))).toEqual(
      new Set(['customers', 'api', 'stocks', 'orderbooks', 'lending-stocks']),
    );
    expect(CORE_TAGS.size).toBe(5);
  });
});

/** A valid body of B's own for the write route at `template` (its path names A's resource). */
function routeBody(template: string): Record<string, unknown> {
  const own = bodyOfB();
  if (template.endsWith('/issue')) return { recipient: own.recipient, amount: '1' };
  if (template.endsWith('/redeem')) return { account: own.account, amount: '1' };
  if (template.endsWith('/open-loan'))
    return { customerRef: own.customerRef, collateralAmount: '1', borrowAmount: '1' };
  if (template.endsWith('/repay')) return { loanId: own.loanId, customerRef: own.customerRef, amount: '1' };
  if (template.endsWith('/close-loan')) return { loanId: own.loanId, customerRef: own.customerRef };
  if (template.endsWith('-liquidity')) return { customerRef: own.customerRef, amount: '1' };
  if (template.includes('/orders/')) return { customerRef: own.customerRef };
  if (template.includes('/customers/')) return { name: 'Renamed by B' };
  return {};
}
