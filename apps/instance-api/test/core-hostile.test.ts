// SPEC §8 on the core services (§4.5): hostile input never yields a 500. Property tests over every
// documented core route — path parameters, query strings and bodies mixing real ids and amounts
// with junk — against a running app holding real resources, so requests reach the stores, not
// only the validators (bounded runs, loopback only). Every answer is also checked against the
// document by the harness.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { coreOperations, createCoreResources } from './core-fixture.js';
import { createInstance, useApp } from './harness.js';

const app = useApp();
let key: string;
/** Real ids and addresses of the instance's resources, by path parameter and body field. */
let real: Record<string, string[]> = {};
let operations: Array<{ method: string; template: string }> = [];

beforeAll(async () => {
  key = (await createInstance(app)).apiKey;
  real = await createCoreResources(app, key, 'h');
  operations = await coreOperations(app);
}, 60_000);

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '%00',
    '%ff',
    '%',
    '..',
    'null',
    `0x${'f'.repeat(40)}`,
    `cus_${'0'.repeat(24)}`,
    'x'.repeat(300),
  ),
);
/** A value for a named field or parameter: usually a real one, sometimes junk. */
const valueFor = (name: string) => {
  const known = real[name];
  return known === undefined
    ? junk
    : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: junk });
};
const amount = fc.oneof(
  fc.constantFrom(
    '1',
    '0.5',
    '10',
    '1000000',
    '0.000001',
    '0',
    '-1',
    '1e3',
    '1.0000001',
    `${'9'.repeat(30)}`,
    `${'9'.repeat(30)}.${'9'.repeat(18)}`,
  ),
  fc.integer().map(String),
  fc.double(),
  fc.constant(null),
);
const anyJson = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double(),
  fc.array(fc.nat(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);
const FIELDS: Record<string, fc.Arbitrary<unknown>> = {
  name: fc.oneof(fc.string({ maxLength: 120 }), anyJson),
  symbol: fc.oneof(fc.string({ maxLength: 25 }), anyJson),
  customerType: fc.constantFrom('INDIVIDUAL', 'COMPANY', 'x', 1),
  investorType: fc.constantFrom('RETAIL', 'PROFESSIONAL', 'ELIGIBLE_COUNTERPARTY', 'retail'),
  country: fc.constantFrom('DE', 'DEU', 'ZZ', 'de', '', 1),
  walletAddress: fc.oneof(valueFor('account'), anyJson),
  externalId: fc.oneof(fc.string({ maxLength: 210 }), anyJson),
  metadata: fc.oneof(fc.object({ maxDepth: 3 }), anyJson),
  tokenAddress: fc.oneof(valueFor('tokenAddress'), anyJson),
  quoteTokenAddress: valueFor('tokenAddress'),
  stockTokenAddress: valueFor('tokenAddress'),
  decimals: fc.oneof(fc.integer({ min: -2, max: 20 }), anyJson),
  customerRef: fc.oneof(valueFor('customerRef'), anyJson),
  fromCustomerRef: valueFor('customerRef'),
  toCustomerRef: valueFor('customerRef'),
  amount,
  price: amount,
  quantity: amount,
  collateralAmount: amount,
  borrowAmount: amount,
  collateralFactor: fc.oneof(amount, fc.constantFrom('0.9', '0.91', '0')),
  reference: fc.oneof(fc.string({ maxLength: 210 }), anyJson),
  orderBookId: valueFor('orderBookId'),
  loanId: valueFor('loanId'),
  side: fc.constantFrom('BUY', 'SELL', 'buy', ''),
  orderType: fc.constantFrom('LIMIT', 'MARKET', 'STOP'),
  timeInForce: fc.constantFrom('GTC', 'IOC', 'FOK'),
  isin: fc.constantFrom('US0378331005', 'US0378331006', 'DE000BAY0017', 'XX', ''),
  issuerAddress: valueFor('account'),
  recipient: valueFor('account'),
  account: valueFor('account'),
};
const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .dictionary(fc.constantFrom(...Object.keys(FIELDS)), fc.constant(null), { maxKeys: 8 })
      .chain((shape) =>
        fc.record(
          Object.fromEntries(
            Object.keys(shape).map((field) => [field, FIELDS[field] as fc.Arbitrary<unknown>]),
          ),
        ),
      ),
  },
  { weight: 1, arbitrary: anyJson },
);
const query = fc
  .dictionary(
    fc.constantFrom(
      'limit',
      'offset',
      'levels',
      'search',
      'includeArchived',
      'includeInactive',
      'customerType',
      'type',
      'customerRef',
      'tokenAddress',
    ),
    fc.oneof(
      fc.constantFrom('0', '1', '200', '201', '-1', '1e2', 'true', 'yes', 'CREDIT'),
      fc.string({ maxLength: 20 }),
    ),
    { maxKeys: 4 },
  )
  .map((entries) => new URLSearchParams(entries).toString());

describe('hostile input on the core services', () => {
  it('never answers 5xx to any documented core route, whatever its parameters, query and body', async () => {
    expect(operations.length).toBe(41);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: operations.length - 1 }),
        fc
          .dictionary(fc.constantFrom(...Object.keys(real), 'customerId'), fc.constant(0))
          .chain(() =>
            fc.record(
              Object.fromEntries(
                ['customerId', 'customerRef', 'tokenAddress', 'account', 'id', 'orderId', 'marketId'].map(
                  (name) => [name, valueFor(name)],
                ),
              ),
            ),
          ),
        query,
        body,
        fc.option(fc.constantFrom('idem-key-0001', 'short', 'x'.repeat(201)), { nil: undefined }),
        async (index, params, search, json, idempotencyKey) => {
          const operation = operations[index] as { method: string; template: string };
          const path = operation.template.replace(/\{([^}]+)\}/g, (_, name: string) =>
            encodeURIComponent(String((params as Record<string, string>)[name])),
          );
          const res = await app.withKey(key, `${path}${search ? `?${search}` : ''}`, {
            method: operation.method,
            ...(operation.method === 'GET' ? {} : { json }),
            ...(idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
          });
          const text = await res.text();
          expect(res.status, `${operation.method} ${path} → ${text}`).toBeLessThan(500);
          if (res.status !== 204) JSON.parse(text);
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);
});
