// SPEC §4.5 custody, through HTTP: tokens, credit / debit / lock / unlock / transfer with their
// invariants, balances, the journal, Idempotency-Key, and every documented error.
import { describe, expect, it } from 'vitest';
import type {
  BalanceView,
  CustodyTokenView,
  MovementResultView,
  TransactionView,
} from '../src/core/custody/schemas.js';
import {
  createCustomer,
  createInstance,
  envelope,
  expectError,
  itemAt,
  keyClient,
  startApp,
  useApp,
} from './harness.js';

const app = useApp();

const BASE = '/api/v2/custody/api';
const TOKEN = '0x00000000000000000000000000000000000000aa';

async function setup(options: { decimals?: number } = {}) {
  const inst = await createInstance(app);
  const { call, post } = keyClient(app, inst.apiKey, BASE);
  const customer = (name: string, extra: Record<string, unknown> = {}) =>
    createCustomer(app, inst.apiKey, { name, ...extra });
  const res = await post('/tokens', {
    tokenAddress: TOKEN,
    name: 'Euro token',
    symbol: 'EURT',
    decimals: options.decimals ?? 6,
  });
  expect(res.status).toBe(201);
  const move = async (action: string, json: Record<string, unknown>, headers: Record<string, string> = {}) =>
    call(`/balances/${action}`, { method: 'POST', json: { tokenAddress: TOKEN, ...json }, headers });
  const moved = async (action: string, json: Record<string, unknown>) => {
    const answer = await move(action, json);
    expect(answer.status, await answer.clone().text()).toBe(200);
    return (await envelope<MovementResultView>(answer)).data;
  };
  const balance = async (ref: string) =>
    (await envelope<BalanceView>(await call(`/balances/${ref}/${TOKEN}`))).data;
  const supply = async () =>
    (await envelope<CustodyTokenView>(await call(`/tokens/${TOKEN}`))).data.totalSupply;
  return { inst, call, post, customer, move, moved, balance, supply };
}

describe('tokens', () => {
  it('registers, lists, reads and deactivates a token (address read in any case, written in lower case)', async () => {
    const { call, post } = await setup();
    const other = '0xBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const created = await post('/tokens', { tokenAddress: other, name: 'B', symbol: 'B' });
    expect(created.status).toBe(201);
    expect((await envelope<CustodyTokenView>(created)).data).toMatchObject({
      tokenAddress: other.toLowerCase(),
      decimals: 18,
      active: true,
      totalSupply: '0',
    });
    const list = await envelope<CustodyTokenView[]>(await call('/tokens'));
    expect([list.data.map((t) => t.tokenAddress), list.metadata.total]).toEqual([
      [TOKEN, other.toLowerCase()],
      2,
    ]);
    expect((await envelope<CustodyTokenView>(await call(`/tokens/${other}`))).data.name).toBe('B');
    const off = await call(`/tokens/${other}`, { method: 'DELETE' });
    expect((await envelope<CustodyTokenView>(off)).data.active).toBe(false);
    const active = await envelope<CustodyTokenView[]>(await call('/tokens'));
    expect([active.data.map((t) => t.tokenAddress), active.metadata.total]).toEqual([[TOKEN], 1]);
    const all = await envelope<CustodyTokenView[]>(
      await call('/tokens?includeInactive=true&limit=1&offset=1'),
    );
    expect([all.data.map((t) => t.active), all.metadata.total]).toEqual([[false], 2]);
  });

  it('refuses a second registration of an address (409 TOKEN_EXISTS) and unknown tokens (404 TOKEN_NOT_FOUND)', async () => {
    const { call, post } = await setup();
    await expectError(
      await post('/tokens', {
        tokenAddress: TOKEN.toUpperCase().replace('0X', '0x'),
        name: 'x',
        symbol: 'x',
      }),
      409,
      'TOKEN_EXISTS',
    );
    await expectError(await call(`/tokens/0x${'1'.repeat(40)}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(await call('/tokens/not-an-address'), 404, 'TOKEN_NOT_FOUND');
    await expectError(
      await call(`/tokens/0x${'1'.repeat(40)}`, { method: 'DELETE' }),
      404,
      'TOKEN_NOT_FOUND',
    );
  });

  it('names each bad field of a registration', async () => {
    const { post } = await setup();
    const body = await expectError(
      await post('/tokens', { tokenAddress: '0x12', name: '', symbol: 'x'.repeat(21), decimals: 19 }),
      400,
      'VALIDATION_ERROR',
    );
    expect((body.error.details ?? []).map((d) => d.field).sort()).toEqual([
      'decimals',
      'name',
      'symbol',
      'tokenAddress',
    ]);
  });
});

describe('movements', () => {
  it('credits, debits, locks and unlocks, keeping supply = sum of balances and locked ≤ balance', async () => {
    const { customer, moved, balance, supply } = await setup();
    const ada = await customer('Ada', { externalId: 'ada' });
    const credit = await moved('credit', { customerRef: ada.id, amount: '100.50', reference: 'deposit 1' });
    expect(credit.transaction).toMatchObject({
      type: 'CREDIT',
      tokenAddress: TOKEN,
      customerId: ada.id,
      toCustomerId: null,
      amount: '100.5',
      reference: 'deposit 1',
    });
    expect(credit.balances).toEqual([
      { customerId: ada.id, tokenAddress: TOKEN, balance: '100.5', locked: '0', available: '100.5' },
    ]);
    // Any identifier of the customer names the same balance.
    await moved('lock', { customerRef: 'ada', amount: '40' });
    expect(await balance(ada.referenceKey ?? '')).toMatchObject({
      balance: '100.5',
      locked: '40',
      available: '60.5',
    });
    await moved('debit', { customerRef: ada.id, amount: '60.5' });
    expect(await balance(ada.id)).toMatchObject({ balance: '40', locked: '40', available: '0' });
    expect(await supply()).toBe('40');
    await moved('unlock', { customerRef: ada.id, amount: '15.25' });
    expect(await balance(ada.id)).toMatchObject({ balance: '40', locked: '24.75', available: '15.25' });
  });

  it('refuses to debit, lock or send more than the free balance, and to unlock more than is locked', async () => {
    const { customer, moved, move, balance, supply } = await setup();
    const a = await customer('A');
    const b = await customer('B');
    await moved('credit', { customerRef: a.id, amount: '10' });
    await moved('lock', { customerRef: a.id, amount: '4' });
    await expectError(
      await move('debit', { customerRef: a.id, amount: '6.000001' }),
      400,
      'INSUFFICIENT_BALANCE',
    );
    await expectError(await move('lock', { customerRef: a.id, amount: '7' }), 400, 'INSUFFICIENT_BALANCE');
    await expectError(
      await move('transfer', { fromCustomerRef: a.id, toCustomerRef: b.id, amount: '6.5' }),
      400,
      'INSUFFICIENT_BALANCE',
    );
    await expectError(
      await move('unlock', { customerRef: a.id, amount: '4.1' }),
      400,
      'INSUFFICIENT_BALANCE',
      'Insufficient locked balance',
    );
    await expectError(await move('debit', { customerRef: b.id, amount: '1' }), 400, 'INSUFFICIENT_BALANCE');
    expect(await balance(a.id)).toMatchObject({ balance: '10', locked: '4' });
    expect(await balance(b.id)).toMatchObject({ balance: '0', locked: '0' });
    expect(await supply()).toBe('10');
  });

  it('transfers atomically from the free balance, leaving the supply unchanged', async () => {
    const { customer, moved, balance, supply } = await setup();
    const a = await customer('A');
    const b = await customer('B', { walletAddress: `0x${'c'.repeat(40)}` });
    await moved('credit', { customerRef: a.id, amount: '10' });
    const sent = await moved('transfer', {
      fromCustomerRef: a.id,
      toCustomerRef: `0x${'C'.repeat(40)}`,
      amount: '2.5',
    });
    expect(sent.transaction).toMatchObject({
      type: 'TRANSFER',
      customerId: a.id,
      toCustomerId: b.id,
      amount: '2.5',
    });
    expect(sent.balances.map((x) => [x.customerId, x.balance])).toEqual([
      [a.id, '7.5'],
      [b.id, '2.5'],
    ]);
    expect([(await balance(a.id)).balance, (await balance(b.id)).balance, await supply()]).toEqual([
      '7.5',
      '2.5',
      '10',
    ]);
  });

  it('refuses a transfer whose two references name one customer', async () => {
    const { customer, moved, move } = await setup();
    const a = await customer('A', { externalId: 'a-ext' });
    await moved('credit', { customerRef: a.id, amount: '1' });
    await expectError(
      await move('transfer', { fromCustomerRef: a.id, toCustomerRef: 'a-ext', amount: '1' }),
      400,
      'INVALID_INPUT',
      'Cannot transfer to the same customer',
    );
  });

  it('lets an archived customer be wound down — debited, unlocked, sent from — but never credited, locked or sent to', async () => {
    const { customer, moved, move, balance, inst } = await setup();
    const gone = await customer('Gone');
    const stays = await customer('Stays');
    await moved('credit', { customerRef: gone.id, amount: '10' });
    await moved('lock', { customerRef: gone.id, amount: '4' });
    await app.withKey(inst.apiKey, `/customers/api/manage/${gone.id}`, { method: 'DELETE' });
    for (const [action, json] of [
      ['credit', { customerRef: gone.id, amount: '1' }],
      ['lock', { customerRef: gone.id, amount: '1' }],
      ['transfer', { fromCustomerRef: stays.id, toCustomerRef: gone.id, amount: '1' }],
    ] as const) {
      await expectError(await move(action, json), 404, 'NOT_FOUND', 'Customer not found');
    }
    await moved('unlock', { customerRef: gone.id, amount: '4' });
    await moved('debit', { customerRef: gone.id, amount: '3' });
    await moved('transfer', { fromCustomerRef: gone.id, toCustomerRef: stays.id, amount: '7' });
    expect(await balance(gone.id)).toMatchObject({ balance: '0', locked: '0' });
    expect(await balance(stays.id)).toMatchObject({ balance: '7' });
  });

  it('refuses an amount with more decimal places than the token, naming amount', async () => {
    const { customer, move } = await setup({ decimals: 2 });
    const a = await customer('A');
    const body = await expectError(
      await move('credit', { customerRef: a.id, amount: '1.001' }),
      400,
      'VALIDATION_ERROR',
    );
    expect(body.error.details).toEqual([
      { field: 'amount', message: "has more decimal places than the token's 2" },
    ]);
  });

  it('refuses amounts that are not positive decimal strings, naming amount', async () => {
    const { customer, move } = await setup();
    const a = await customer('A');
    for (const amount of [
      0,
      1.5,
      '0',
      '-1',
      '1e3',
      ' 1',
      '1.',
      '.5',
      '0.0000000000000000001',
      '1'.repeat(31),
      null,
    ]) {
      const body = await expectError(
        await move('credit', { customerRef: a.id, amount }),
        400,
        'VALIDATION_ERROR',
      );
      expect(body.error.details?.map((d) => d.field)).toEqual(['amount']);
    }
  });

  it('answers 404 for unknown, archived and foreign customers, and TOKEN_NOT_FOUND for inactive or unknown tokens', async () => {
    const mine = await setup();
    const theirs = await setup();
    const foreign = await theirs.customer('Foreign');
    const leaving = await mine.customer('Leaving');
    await app.withKey(mine.inst.apiKey, `/customers/api/manage/${leaving.id}`, { method: 'DELETE' });
    for (const ref of [foreign.id, leaving.id, 'nobody']) {
      await expectError(
        await mine.move('credit', { customerRef: ref, amount: '1' }),
        404,
        'NOT_FOUND',
        'Customer not found',
      );
    }
    const a = await mine.customer('A');
    await expectError(
      await mine.move('credit', { customerRef: a.id, amount: '1', tokenAddress: `0x${'9'.repeat(40)}` }),
      404,
      'TOKEN_NOT_FOUND',
    );
    await mine.call(`/tokens/${TOKEN}`, { method: 'DELETE' });
    await expectError(await mine.move('credit', { customerRef: a.id, amount: '1' }), 404, 'TOKEN_NOT_FOUND');
    await expectError(await mine.call(`/balances/${foreign.id}`), 404, 'NOT_FOUND', 'Customer not found');
    // An archived customer's balances stay readable.
    expect((await mine.call(`/balances/${leaving.id}`)).status).toBe(200);
  });
});

describe('balances and the journal', () => {
  it("lists a customer's balances and pages the journal newest first, filtered by token, customer and type", async () => {
    const { customer, moved, call } = await setup();
    const a = await customer('A');
    const b = await customer('B');
    await moved('credit', { customerRef: a.id, amount: '5' });
    await moved('credit', { customerRef: b.id, amount: '3' });
    await moved('transfer', { fromCustomerRef: a.id, toCustomerRef: b.id, amount: '1' });
    const balances = await envelope<{ customerId: string; balances: BalanceView[] }>(
      await call(`/balances/${b.id}`),
    );
    expect(balances.data).toEqual({
      customerId: b.id,
      balances: [{ customerId: b.id, tokenAddress: TOKEN, balance: '4', locked: '0', available: '4' }],
    });
    const all = await envelope<TransactionView[]>(await call('/transactions'));
    expect([all.data.map((t) => t.type), all.metadata.total]).toEqual([['TRANSFER', 'CREDIT', 'CREDIT'], 3]);
    const ofB = await envelope<TransactionView[]>(await call(`/transactions?customerRef=${b.id}&limit=1`));
    expect([ofB.data.map((t) => t.type), ofB.metadata.total]).toEqual([['TRANSFER'], 2]);
    const credits = await envelope<TransactionView[]>(
      await call(`/transactions?type=CREDIT&tokenAddress=${TOKEN}`),
    );
    expect(credits.data.map((t) => t.customerId)).toEqual([b.id, a.id]);
    await expectError(await call('/transactions?type=MINT'), 400, 'VALIDATION_ERROR');
    await expectError(await call('/tokens?limit=500'), 400, 'VALIDATION_ERROR');
    await expectError(await call(`/balances/${a.id}/0x12`), 400, 'VALIDATION_ERROR');
    await expectError(await call(`/balances/${a.id}/0x${'7'.repeat(40)}`), 404, 'TOKEN_NOT_FOUND');
    await expectError(await call(`/balances/nobody/${TOKEN}`), 404, 'NOT_FOUND', 'Customer not found');
    await expectError(await call('/transactions?customerRef=nobody'), 404, 'NOT_FOUND');
  });

  it("answers zero for a token a customer never held, and never another instance's balances", async () => {
    const mine = await setup();
    const theirs = await setup();
    const a = await mine.customer('A');
    expect(await mine.balance(a.id)).toEqual({
      customerId: a.id,
      tokenAddress: TOKEN,
      balance: '0',
      locked: '0',
      available: '0',
    });
    const b = await theirs.customer('B');
    await theirs.moved('credit', { customerRef: b.id, amount: '9' });
    const journal = await envelope<TransactionView[]>(await mine.call('/transactions'));
    expect([journal.data, journal.metadata.total]).toEqual([[], 0]);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer byte for byte and moves once; another body under the key is a 409', async () => {
    const { customer, move, balance } = await setup();
    const a = await customer('A');
    const key = { 'idempotency-key': 'credit-0001-abcdef' };
    const first = await move('credit', { customerRef: a.id, amount: '2' }, key);
    const firstText = await first.text();
    expect([first.status, first.headers.get('idempotent-replayed')]).toEqual([200, null]);
    // The same request spelt differently (another identifier is another request; 2.0 is 2).
    const again = await move('credit', { customerRef: a.id, amount: '2.0' }, key);
    expect([again.status, again.headers.get('idempotent-replayed'), await again.text()]).toEqual([
      200,
      'true',
      firstText,
    ]);
    expect((await balance(a.id)).balance).toBe('2');
    await expectError(
      await move('credit', { customerRef: a.id, amount: '3' }, key),
      409,
      'IDEMPOTENCY_MISMATCH',
    );
    await expectError(
      await move('debit', { customerRef: a.id, amount: '2' }, key),
      409,
      'IDEMPOTENCY_MISMATCH',
    );
    expect((await balance(a.id)).balance).toBe('2');
  });

  it('remembers no refusal: a corrected retry under the same key goes through', async () => {
    const { customer, move, moved, balance } = await setup();
    const a = await customer('A');
    const key = { 'idempotency-key': 'debit-retry-0001' };
    await expectError(
      await move('debit', { customerRef: a.id, amount: '1' }, key),
      400,
      'INSUFFICIENT_BALANCE',
    );
    await moved('credit', { customerRef: a.id, amount: '1' });
    expect((await move('debit', { customerRef: a.id, amount: '1' }, key)).status).toBe(200);
    expect((await balance(a.id)).balance).toBe('0');
  });

  it('keeps keys per instance, and refuses keys outside 8–200 visible characters', async () => {
    const mine = await setup();
    const theirs = await setup();
    const a = await mine.customer('A');
    const b = await theirs.customer('B');
    const key = { 'idempotency-key': 'shared-key-123' };
    expect(
      (await mine.move('credit', { customerRef: a.id, amount: '1' }, key)).headers.get('idempotent-replayed'),
    ).toBeNull();
    expect(
      (await theirs.move('credit', { customerRef: b.id, amount: '1' }, key)).headers.get(
        'idempotent-replayed',
      ),
    ).toBeNull();
    for (const bad of ['short', 'x'.repeat(201), 'has space ok']) {
      const body = await expectError(
        await mine.move('credit', { customerRef: a.id, amount: '1' }, { 'idempotency-key': bad }),
        400,
        'VALIDATION_ERROR',
      );
      expect(itemAt(body.error.details ?? [], 0).field).toBe('idempotency-key');
    }
  });

  it('forgets an answer after 24 hours', async () => {
    let nowMs = Date.UTC(2026, 0, 1);
    const clocked = await startApp({ db: app.db, now: () => nowMs });
    try {
      const inst = await createInstance(clocked);
      const { call, post } = keyClient(clocked, inst.apiKey, BASE);
      const a = await createCustomer(clocked, inst.apiKey, { name: 'A' });
      await post('/tokens', { tokenAddress: TOKEN, name: 'T', symbol: 'T' });
      const credit = () =>
        call('/balances/credit', {
          method: 'POST',
          json: { tokenAddress: TOKEN, customerRef: a.id, amount: '1' },
          headers: { 'idempotency-key': 'daily-key-0001' },
        });
      await credit();
      nowMs += 24 * 3600 * 1000 - 1;
      expect((await credit()).headers.get('idempotent-replayed')).toBe('true');
      nowMs += 1;
      expect((await credit()).headers.get('idempotent-replayed')).toBeNull();
      const balance = await envelope<BalanceView>(await call(`/balances/${a.id}/${TOKEN}`));
      expect(balance.data.balance).toBe('2');
    } finally {
      await clocked.close();
    }
  });
});
