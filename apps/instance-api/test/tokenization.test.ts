// SPEC §4.5 tokenization, through HTTP: deploy (ISIN check digit, duplicate ISIN, the unsigned
// factory call and the reference address), issue and redeem in the holder ledger, the fetch
// routes (paging, holders' order, balances), the service gate, and isolation between instances.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOKEN_FACTORY_ADDRESS,
  functionSelector,
  tokenAddressFor,
} from '../src/core/tokenization/deploy.js';
import type {
  BalanceView,
  DeploymentView,
  HolderView,
  SupplyChangeView,
  TokenView,
} from '../src/core/tokenization/schemas.js';
import {
  createInstance,
  envelope,
  expectError,
  itemAt,
  keyClient,
  type RequestOptions,
  type RunningApp,
  startApp,
  useApp,
} from './harness.js';

const app = useApp();

const BASE = '/stocks/api';
const ISSUER = '0x00000000000000000000000000000000000000aA';
const ALICE = `0x${'a1'.repeat(20)}`;
const BOB = `0x${'b2'.repeat(20)}`;
const CAROL = `0x${'c3'.repeat(20)}`;
const NOBODY = `0x${'0'.repeat(40)}`;
const APPLE = { name: 'Apple Inc.', symbol: 'AAPL', isin: 'US0378331005', issuerAddress: ISSUER };

async function setup(target: RunningApp = app, body?: Record<string, unknown>) {
  const inst = await createInstance(target, body);
  const { call, post } = keyClient(target, inst.apiKey, BASE);
  const deploy = async (json: Record<string, unknown> = APPLE) => {
    const res = await post('/tokenization/deploy', json);
    expect(res.status).toBe(201);
    return (await envelope<DeploymentView>(res)).data;
  };
  const change = async (token: string, action: 'issue' | 'redeem', account: string, amount: string) => {
    const key = action === 'issue' ? 'recipient' : 'account';
    const res = await post(`/tokenization/${token}/${action}`, { [key]: account, amount });
    expect(res.status).toBe(200);
    return (await envelope<SupplyChangeView>(res)).data;
  };
  const balance = async (token: string, account: string) =>
    (await envelope<BalanceView>(await call(`/fetch/balance/${token}/${account}`))).data.balance;
  return { inst, call, post, deploy, change, balance };
}

/** The fields a VALIDATION_ERROR names, sorted. */
async function badFields(res: Response): Promise<string[]> {
  const body = await expectError(res, 400, 'VALIDATION_ERROR');
  return (body.error.details ?? []).map((problem) => problem.field).sort();
}

/** The arguments of a deployToken(string,string,string,address) call, read back from calldata. */
function decodeCall(data: string) {
  const args = data.slice(10);
  const uint = (byte: number) => Number.parseInt(args.slice(byte * 2, byte * 2 + 64), 16);
  const text = (offset: number) =>
    Buffer.from(args.slice((offset + 32) * 2, (offset + 32 + uint(offset)) * 2), 'hex').toString('utf8');
  return {
    selector: data.slice(0, 10),
    name: text(uint(0)),
    symbol: text(uint(32)),
    isin: text(uint(64)),
    issuer: `0x${args.slice(96 * 2 + 24, 128 * 2)}`,
  };
}

describe('deploy', () => {
  it('registers the token at its reference address and answers the unsigned factory call', async () => {
    const { inst, post } = await setup();
    const res = await post('/tokenization/deploy', APPLE);
    expect(res.status).toBe(201);
    const body = await envelope<DeploymentView>(res);
    expect(body.metadata.instanceId).toBe(inst.id);
    const { token, transaction } = body.data;
    expect(token).toMatchObject({
      tokenAddress: tokenAddressFor(inst.id, 'US0378331005'),
      name: 'Apple Inc.',
      symbol: 'AAPL',
      isin: 'US0378331005',
      issuerAddress: ISSUER.toLowerCase(),
      totalSupply: '0',
    });
    expect(token.createdAt).toBe(token.updatedAt);
    expect(transaction.to).toBe(DEFAULT_TOKEN_FACTORY_ADDRESS);
    expect(transaction.value).toBe('0');
    expect(decodeCall(transaction.data)).toEqual({
      selector: functionSelector('deployToken(string,string,string,address)'),
      name: 'Apple Inc.',
      symbol: 'AAPL',
      isin: 'US0378331005',
      issuer: ISSUER.toLowerCase(),
    });
  });

  it('reads an ISIN in any letter case as upper case, and refuses the same ISIN again with 409 TOKEN_EXISTS', async () => {
    const { call, post, deploy } = await setup();
    const first = await deploy({ ...APPLE, isin: 'de000bay0017', name: 'Bayer AG', symbol: 'BAYN' });
    expect(first.token.isin).toBe('DE000BAY0017');
    for (const isin of ['DE000BAY0017', 'de000bay0017']) {
      await expectError(
        await post('/tokenization/deploy', { ...APPLE, isin }),
        409,
        'TOKEN_EXISTS',
        'A token with this ISIN already exists',
      );
    }
    // The refused deploys changed nothing.
    const list = await envelope<TokenView[]>(await call('/fetch/tokens'));
    expect(list.data).toEqual([first.token]);
  });

  it('refuses a wrong check digit, naming isin', async () => {
    const { call, post } = await setup();
    for (const isin of ['US0378331006', 'DE000BAY0018', 'GB0002634947']) {
      const res = await post('/tokenization/deploy', { ...APPLE, isin });
      const body = await expectError(res, 400, 'VALIDATION_ERROR');
      expect(body.error.details).toEqual([
        { field: 'isin', message: expect.stringContaining('check digit') as unknown as string },
      ]);
    }
    expect((await envelope<TokenView[]>(await call('/fetch/tokens'))).metadata.total).toBe(0);
  });

  it('names each bad field', async () => {
    const { post } = await setup();
    const res = await post('/tokenization/deploy', {
      name: '',
      symbol: 'A B',
      isin: 'US03783310',
      issuerAddress: '0x12',
      extra: true,
    });
    const fields = await badFields(res);
    expect(fields).toEqual(expect.arrayContaining(['isin', 'issuerAddress', 'name', 'symbol']));
    expect(fields).toHaveLength(5); // and the unknown `extra`
    expect(await badFields(await post('/tokenization/deploy', {}))).toEqual([
      'isin',
      'issuerAddress',
      'name',
      'symbol',
    ]);
  });

  it('calls the factory the app is configured with', async () => {
    const factory = '0xFaCe00000000000000000000000000000000bEEF';
    const configured = await startApp({ db: app.db, tokenFactoryAddress: factory });
    try {
      const { deploy } = await setup(configured);
      const { transaction } = await deploy();
      expect(transaction.to).toBe(factory.toLowerCase());
    } finally {
      await configured.close();
    }
  });
});

describe('issue and redeem', () => {
  it('moves supply in the holder ledger, with exact decimals in canonical form', async () => {
    const { deploy, change, balance, call } = await setup();
    const { token } = await deploy();
    const at = token.tokenAddress;
    expect(await change(at, 'issue', ALICE, '100.50')).toEqual({
      tokenAddress: at,
      account: ALICE,
      amount: '100.5',
      balance: '100.5',
      totalSupply: '100.5',
    });
    // The token path in any letter case, the account too.
    const upper = `0x${at.slice(2).toUpperCase()}`;
    expect(
      await change(upper, 'issue', BOB.toUpperCase().replace('0X', '0x'), '0.000000000000000001'),
    ).toMatchObject({
      tokenAddress: at,
      account: BOB,
      balance: '0.000000000000000001',
      totalSupply: '100.500000000000000001',
    });
    expect(await change(at, 'redeem', ALICE, '0.5')).toEqual({
      tokenAddress: at,
      account: ALICE,
      amount: '0.5',
      balance: '100',
      totalSupply: '100.000000000000000001',
    });
    expect(await balance(at, ALICE)).toBe('100');
    const got = await envelope<TokenView>(await call(`/fetch/token/${at}`));
    expect(got.data.totalSupply).toBe('100.000000000000000001');
    expect(got.data.updatedAt >= got.data.createdAt).toBe(true);
  });

  it('takes the largest amounts without overflow', async () => {
    const { deploy, change } = await setup();
    const { token } = await deploy();
    const max = `${'9'.repeat(30)}.${'9'.repeat(18)}`;
    await change(token.tokenAddress, 'issue', ALICE, max);
    const twice = await change(token.tokenAddress, 'issue', ALICE, max);
    expect(twice.totalSupply).toBe(`1${'9'.repeat(30)}.${'9'.repeat(17)}8`);
    expect((await change(token.tokenAddress, 'redeem', ALICE, max)).balance).toBe(max);
  });

  it('refuses to redeem more than held with 400 INSUFFICIENT_BALANCE, changing nothing', async () => {
    const { deploy, change, balance, call, post } = await setup();
    const { token } = await deploy();
    const at = token.tokenAddress;
    await change(at, 'issue', ALICE, '10');
    await change(at, 'issue', BOB, '5');
    await expectError(
      await post(`/tokenization/${at}/redeem`, { account: ALICE, amount: '10.000000000000000001' }),
      400,
      'INSUFFICIENT_BALANCE',
    );
    // Bob's balance does not cover Alice's redemption, and an account never issued to holds 0.
    await expectError(
      await post(`/tokenization/${at}/redeem`, { account: CAROL, amount: '1' }),
      400,
      'INSUFFICIENT_BALANCE',
    );
    expect([await balance(at, ALICE), await balance(at, BOB), await balance(at, CAROL)]).toEqual([
      '10',
      '5',
      '0',
    ]);
    expect((await envelope<TokenView>(await call(`/fetch/token/${at}`))).data.totalSupply).toBe('15');
    // Exactly the holding is fine, and leaves 0.
    expect((await change(at, 'redeem', ALICE, '10')).balance).toBe('0');
  });

  it('answers 404 TOKEN_NOT_FOUND for an unknown or malformed token address', async () => {
    const { post } = await setup();
    for (const action of ['issue', 'redeem'] as const) {
      const json = action === 'issue' ? { recipient: ALICE, amount: '1' } : { account: ALICE, amount: '1' };
      for (const token of [NOBODY, '0x1234', 'not-an-address']) {
        await expectError(await post(`/tokenization/${token}/${action}`, json), 404, 'TOKEN_NOT_FOUND');
      }
    }
  });

  it('names bad amounts and accounts', async () => {
    const { deploy, post } = await setup();
    const { token } = await deploy();
    for (const amount of ['0', '-1', '1e3', '0.0000000000000000001', '1'.repeat(31), 5, '', ' 1']) {
      expect(
        await badFields(
          await post(`/tokenization/${token.tokenAddress}/issue`, { recipient: ALICE, amount }),
        ),
        String(amount),
      ).toEqual(['amount']);
    }
    expect(
      await badFields(
        await post(`/tokenization/${token.tokenAddress}/redeem`, { account: 'alice', amount: '1' }),
      ),
    ).toEqual(['account']);
    expect(
      await badFields(
        await post(`/tokenization/${token.tokenAddress}/issue`, { account: ALICE, amount: '1' }),
      ),
    ).toEqual(expect.arrayContaining(['recipient']));
  });
});

describe('fetch', () => {
  it('lists tokens oldest first, paged, with metadata.total', async () => {
    const { deploy, call } = await setup();
    const made: TokenView[] = [];
    for (const [isin, symbol] of [
      ['US0378331005', 'AAPL'],
      ['DE000BAY0017', 'BAYN'],
      ['GB0002634946', 'BA'],
      ['US5949181045', 'MSFT'],
    ] as const) {
      made.push((await deploy({ ...APPLE, isin, symbol })).token);
    }
    // Oldest first; two deploys within one millisecond are in address order.
    const order = (t: TokenView) => `${t.createdAt} ${t.tokenAddress}`;
    const expected = [...made].sort((x, y) => (order(x) < order(y) ? -1 : 1));
    const page = await envelope<TokenView[]>(await call('/fetch/tokens?limit=2&offset=1'));
    expect(page.metadata.total).toBe(4);
    expect(page.data).toEqual(expected.slice(1, 3));
    const all = await envelope<TokenView[]>(await call('/fetch/tokens'));
    expect(all.data).toEqual(expected);
    const past = await envelope<TokenView[]>(await call('/fetch/tokens?offset=10'));
    expect([past.data, past.metadata.total]).toEqual([[], 4]);
    for (const query of ['limit=0', 'limit=201', 'offset=-1', 'limit=1.5']) {
      expect(await badFields(await call(`/fetch/tokens?${query}`))).toEqual([query.split('=')[0]]);
    }
  });

  it('gets a token by address in any letter case; 404 TOKEN_NOT_FOUND otherwise', async () => {
    const { deploy, call } = await setup();
    const { token } = await deploy();
    const upper = `0x${token.tokenAddress.slice(2).toUpperCase()}`;
    expect((await envelope<TokenView>(await call(`/fetch/token/${upper}`))).data).toEqual(token);
    await expectError(await call(`/fetch/token/${NOBODY}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(await call('/fetch/token/AAPL'), 404, 'TOKEN_NOT_FOUND');
  });

  it('lists holders with a balance, largest first and by address among equals, paged', async () => {
    const { deploy, change, call } = await setup();
    const { token } = await deploy();
    const at = token.tokenAddress;
    const DAVE = `0x${'d4'.repeat(20)}`;
    await change(at, 'issue', CAROL, '5');
    await change(at, 'issue', BOB, '7');
    await change(at, 'issue', ALICE, '5');
    await change(at, 'issue', DAVE, '1');
    await change(at, 'redeem', DAVE, '1'); // back to 0: no longer a holder
    const holders = await envelope<HolderView[]>(await call(`/fetch/holders/${at}`));
    expect(holders.data).toEqual([
      { account: BOB, balance: '7' },
      { account: ALICE, balance: '5' },
      { account: CAROL, balance: '5' },
    ]);
    expect(holders.metadata.total).toBe(3);
    const page = await envelope<HolderView[]>(await call(`/fetch/holders/${at}?limit=1&offset=1`));
    expect([page.data, page.metadata.total]).toEqual([[{ account: ALICE, balance: '5' }], 3]);
    const past = await envelope<HolderView[]>(await call(`/fetch/holders/${at}?offset=3`));
    expect([past.data, past.metadata.total]).toEqual([[], 3]);
    await expectError(await call(`/fetch/holders/${NOBODY}`), 404, 'TOKEN_NOT_FOUND');
    expect(await badFields(await call(`/fetch/holders/${at}?limit=500`))).toEqual(['limit']);
  });

  it('lists no holders of a fresh token', async () => {
    const { deploy, call } = await setup();
    const { token } = await deploy();
    const holders = await envelope<HolderView[]>(await call(`/fetch/holders/${token.tokenAddress}`));
    expect([holders.data, holders.metadata.total]).toEqual([[], 0]);
  });

  it('answers a balance: 0 for an account never issued to, 400 for a malformed account, 404 for an unknown token', async () => {
    const { deploy, change, call } = await setup();
    const { token } = await deploy();
    const at = token.tokenAddress;
    await change(at, 'issue', ALICE, '3.25');
    const res = await call(`/fetch/balance/${at}/${ALICE.toUpperCase().replace('0X', '0x')}`);
    expect((await envelope<BalanceView>(res)).data).toEqual({
      tokenAddress: at,
      account: ALICE,
      balance: '3.25',
    });
    const never = await envelope<BalanceView>(await call(`/fetch/balance/${at}/${CAROL}`));
    expect(never.data).toEqual({ tokenAddress: at, account: CAROL, balance: '0' });
    expect(await badFields(await call(`/fetch/balance/${at}/alice`))).toEqual(['account']);
    await expectError(await call(`/fetch/balance/${NOBODY}/${ALICE}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(await call(`/fetch/balance/0xzz/${ALICE}`), 404, 'TOKEN_NOT_FOUND');
  });
});

describe('isolation between instances', () => {
  it("gives the same ISIN another address in each instance, and answers 404 for the other's token everywhere", async () => {
    const a = await setup();
    const b = await setup();
    const ours = (await a.deploy()).token;
    const theirs = (await b.deploy()).token;
    expect(theirs.tokenAddress).not.toBe(ours.tokenAddress);
    await a.change(ours.tokenAddress, 'issue', ALICE, '10');
    const at = ours.tokenAddress;
    await expectError(
      await b.post(`/tokenization/${at}/issue`, { recipient: BOB, amount: '1' }),
      404,
      'TOKEN_NOT_FOUND',
    );
    await expectError(
      await b.post(`/tokenization/${at}/redeem`, { account: ALICE, amount: '1' }),
      404,
      'TOKEN_NOT_FOUND',
    );
    await expectError(await b.call(`/fetch/token/${at}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(await b.call(`/fetch/holders/${at}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(await b.call(`/fetch/balance/${at}/${ALICE}`), 404, 'TOKEN_NOT_FOUND');
    // Lists never leak: each instance sees its own token only.
    const listB = await envelope<TokenView[]>(await b.call('/fetch/tokens'));
    expect([listB.data.map((t) => t.tokenAddress), listB.metadata.total]).toEqual([[theirs.tokenAddress], 1]);
    const holdersB = await envelope<HolderView[]>(await b.call(`/fetch/holders/${theirs.tokenAddress}`));
    expect([holdersB.data, holdersB.metadata.total]).toEqual([[], 0]);
    // And b's attempts changed nothing of a's.
    expect(await a.balance(at, ALICE)).toBe('10');
    expect(itemAt((await envelope<TokenView[]>(await a.call('/fetch/tokens'))).data, 0).totalSupply).toBe(
      '10',
    );
  });
});

describe('service gate', () => {
  it('answers 403 SERVICE_NOT_ENABLED on every route of an instance without tokenization, before validation', async () => {
    const { call } = await setup(app, { name: 'No stocks', services: ['customers'] });
    const at = tokenAddressFor('inst_000000000000000000000000', 'US0378331005');
    const requests: Array<[string, RequestOptions]> = [
      ['/tokenization/deploy', { method: 'POST', json: { isin: 'bad' } }],
      [`/tokenization/${at}/issue`, { method: 'POST', json: {} }],
      [`/tokenization/${at}/redeem`, { method: 'POST', json: {} }],
      ['/fetch/tokens?limit=0', {}],
      [`/fetch/token/${at}`, {}],
      [`/fetch/holders/${at}`, {}],
      [`/fetch/balance/${at}/${ALICE}`, {}],
    ];
    for (const [path, init] of requests) {
      await expectError(await call(path, init), 403, 'SERVICE_NOT_ENABLED');
    }
  });
});
