// One of every core resource (SPEC §4.5) in an instance, made through the API, for the tests that
// probe all five services at once (hostile input, isolation). Ids are read off the answers' text,
// so this fixture depends on the published paths and id formats only.
import type { RunningApp } from './harness.js';

export const CUSTODY = '/api/v2/custody/api';
const STOCKS = '/stocks/api';
export const TRADING = '/orderbooks/stocks/api/offchain';
export const LENDING = '/lending-stocks/api';
const CUSTOMERS = '/customers/api/manage';

/** The core services' tags in the document. */
export const CORE_TAGS = new Set(['Customers', 'Custody', 'Tokenization', 'Trading', 'Lending']);

/** Ids and addresses of an instance's resources, by the path parameter or body field that takes them. */
export type CoreResources = Record<
  | 'customerId'
  | 'customerRef'
  | 'tokenAddress'
  | 'account'
  | 'id'
  | 'orderBookId'
  | 'orderId'
  | 'marketId'
  | 'loanId',
  string[]
>;

/** Every id with `prefix` in an answer's text. */
const idsIn = (text: string, prefix: string) => [
  ...new Set(text.match(new RegExp(`${prefix}_[0-9a-f]{24}`, 'g'))),
];

/**
 * Creates, through `app` with `key`: two customers (one with a wallet), a custody token with a
 * credited balance, a deployed stock token, an order book with a resting order, and a lending
 * market with liquidity and an open loan. Throws (failing the test) when any step is refused.
 *
 * @example
 * const resources = await createCoreResources(app, apiKey, 'a');
 */
export async function createCoreResources(app: RunningApp, key: string, tag: string): Promise<CoreResources> {
  const must = async (path: string, json: unknown) => {
    const res = await app.withKey(key, path, { method: 'POST', json });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`set-up ${path} failed: ${res.status} ${text}`);
    return text;
  };
  // Addresses differ per `tag`, so two instances' resources never share one by accident.
  const hex = Buffer.from(tag).toString('hex').padStart(2, '0').slice(0, 2);
  const wallet = `0x${hex.repeat(20)}`;
  const custodyToken = `0x${'a'.repeat(38)}${hex}`;
  const quote = `0x${'b'.repeat(38)}${hex}`;
  const customers = [
    ...idsIn(
      await must(CUSTOMERS, { name: `A ${tag}`, walletAddress: wallet, externalId: `ext-${tag}` }),
      'cus',
    ),
    ...idsIn(await must(CUSTOMERS, { name: `B ${tag}` }), 'cus'),
  ];
  await must(`${CUSTODY}/tokens`, { tokenAddress: custodyToken, name: 'T', symbol: 'T', decimals: 6 });
  await must(`${CUSTODY}/balances/credit`, {
    tokenAddress: custodyToken,
    customerRef: customers[0],
    amount: '1000',
  });
  const deployed = await must(`${STOCKS}/tokenization/deploy`, {
    name: 'Apple',
    symbol: 'AAPL',
    isin: 'US0378331005',
    issuerAddress: wallet,
  });
  const stock = /"tokenAddress":"(0x[0-9a-f]{40})"/.exec(deployed)?.[1];
  if (stock === undefined) throw new Error('set-up: the deploy answer names no token address');
  await must(`${STOCKS}/tokenization/${stock}/issue`, { recipient: wallet, amount: '100' });
  const book = idsIn(
    await must(`${TRADING}/order-books`, {
      tokenAddress: stock,
      quoteTokenAddress: quote,
      name: 'AAPL/EUR',
      symbol: 'AAPLEUR',
    }),
    'ob',
  );
  const order = idsIn(
    await must(`${TRADING}/orders`, {
      orderBookId: book[0],
      customerRef: customers[0],
      side: 'SELL',
      orderType: 'LIMIT',
      price: '10',
      quantity: '5',
      timeInForce: 'GTC',
    }),
    'ord',
  );
  const market = idsIn(
    await must(`${LENDING}/markets`, { stockTokenAddress: stock, collateralFactor: '0.5', price: '100' }),
    'mkt',
  );
  await must(`${LENDING}/positions/${market[0]}/add-liquidity`, { customerRef: customers[1], amount: '500' });
  const loan = idsIn(
    await must(`${LENDING}/positions/${market[0]}/open-loan`, {
      customerRef: customers[0],
      collateralAmount: '2',
      borrowAmount: '50',
    }),
    'loan',
  );
  return {
    customerId: [...customers, `ext-${tag}`, wallet.toUpperCase().replace('0X', '0x')],
    customerRef: [...customers, `ext-${tag}`],
    tokenAddress: [custodyToken, stock, quote],
    account: [wallet],
    id: book,
    orderBookId: book,
    orderId: order,
    marketId: market,
    loanId: loan,
  };
}

/** Every documented operation of the core services: method, path template and its service's tag. */
export async function coreOperations(
  app: RunningApp,
): Promise<Array<{ method: string; template: string; tag: string }>> {
  const document = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { tags?: string[] }>>;
  };
  return Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item).flatMap(([method, operation]) => {
      const tag = operation.tags?.[0] ?? '';
      return CORE_TAGS.has(tag) ? [{ method: method.toUpperCase(), template, tag }] : [];
    }),
  );
}
