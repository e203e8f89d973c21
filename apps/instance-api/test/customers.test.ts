// SPEC §4.5 customers, through HTTP: create, list (search, filters, paging), get by each
// identifier, partial update, soft delete, and every documented error.
import { describe, expect, it } from 'vitest';
import type { CustomerView } from '../src/core/customers/schemas.js';
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

const BASE = '/customers/api/manage';
const WALLET = '0xAbCdEf0123456789abcdef0123456789ABCDEF01';

async function setup() {
  const inst = await createInstance(app);
  const { call, post } = keyClient(app, inst.apiKey, BASE);
  const create = (json: Record<string, unknown>) => createCustomer(app, inst.apiKey, json);
  return { inst, call, post, create };
}

describe('create', () => {
  it('issues a reference key to a customer without a wallet, with the defaults filled in', async () => {
    const { create, inst } = await setup();
    const res = await app.withKey(inst.apiKey, BASE, { method: 'POST', json: { name: 'Ada Lovelace' } });
    expect(res.status).toBe(201);
    const body = await envelope<CustomerView>(res);
    expect(body.metadata.instanceId).toBe(inst.id);
    expect(body.data).toMatchObject({
      name: 'Ada Lovelace',
      customerType: 'INDIVIDUAL',
      investorType: 'RETAIL',
      country: null,
      walletAddress: null,
      externalId: null,
      metadata: {},
      archived: false,
    });
    expect(body.data.id).toMatch(/^cus_[0-9a-f]{24}$/);
    expect(body.data.referenceKey).toMatch(/^ref_[0-9a-f]{32}$/);
    const other = await create({ name: 'Grace' });
    expect(other.referenceKey).not.toBe(body.data.referenceKey);
  });

  it('keeps a wallet in lower case and issues no reference key', async () => {
    const { create } = await setup();
    const customer = await create({
      name: 'Acme GmbH',
      customerType: 'COMPANY',
      investorType: 'PROFESSIONAL',
      country: 'DEU',
      walletAddress: WALLET,
      externalId: 'crm-42',
      metadata: { tier: 'gold', limits: [1, 2] },
    });
    expect(customer).toMatchObject({
      walletAddress: WALLET.toLowerCase(),
      referenceKey: null,
      country: 'DEU',
      externalId: 'crm-42',
      metadata: { tier: 'gold', limits: [1, 2] },
    });
  });

  it('refuses a wallet or external id the instance already has (any letter case), 409 CUSTOMER_EXISTS', async () => {
    const { create, post } = await setup();
    await create({ name: 'A', walletAddress: WALLET, externalId: 'x-1' });
    await expectError(
      await post('', { name: 'B', walletAddress: WALLET.toLowerCase() }),
      409,
      'CUSTOMER_EXISTS',
    );
    await expectError(await post('', { name: 'C', externalId: 'x-1' }), 409, 'CUSTOMER_EXISTS');
  });

  it('lets two instances hold the same wallet and external id', async () => {
    const a = await setup();
    const b = await setup();
    await a.create({ name: 'A', walletAddress: WALLET, externalId: 'same' });
    await b.create({ name: 'B', walletAddress: WALLET, externalId: 'same' });
  });

  it('names each bad field in VALIDATION_ERROR', async () => {
    const { post } = await setup();
    const body = await expectFields(
      await post('', {
        name: '',
        customerType: 'PERSON',
        investorType: 'retail',
        country: 'ZZ',
        walletAddress: '0x123',
        metadata: [],
        extra: 1,
      }),
      ['country', 'customerType', 'investorType', 'metadata', 'name', 'walletAddress'],
    );
    expect(JSON.stringify(body.error.details)).toContain('extra');
  });

  it('refuses metadata over its bounds', async () => {
    const { post } = await setup();
    const big = { blob: 'x'.repeat(20_000) };
    await expectError(await post('', { name: 'A', metadata: big }), 400, 'VALIDATION_ERROR');
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    await expectError(await post('', { name: 'A', metadata: many }), 400, 'VALIDATION_ERROR');
  });
});

describe('get by identifier', () => {
  it('finds a customer by id, wallet (any case), reference key and external id', async () => {
    const { create, call } = await setup();
    const withWallet = await create({ name: 'W', walletAddress: WALLET, externalId: 'ext-w' });
    const withRef = await create({ name: 'R' });
    for (const identifier of [withWallet.id, WALLET, WALLET.toLowerCase(), 'ext-w']) {
      const res = await call(`/${encodeURIComponent(identifier)}`);
      expect(res.status).toBe(200);
      expect((await envelope<CustomerView>(res)).data.id).toBe(withWallet.id);
    }
    const res = await call(`/${withRef.referenceKey}`);
    expect((await envelope<CustomerView>(res)).data.id).toBe(withRef.id);
  });

  it('tries the id before the wallet, the reference key and the external id', async () => {
    const { create, call } = await setup();
    const first = await create({ name: 'First' });
    // Another customer whose external id is the first one's id.
    await create({ name: 'Second', externalId: first.id });
    expect((await envelope<CustomerView>(await call(`/${first.id}`))).data.name).toBe('First');
  });

  it("answers 404 for an unknown identifier and for another instance's customer", async () => {
    const a = await setup();
    const b = await setup();
    const theirs = await b.create({ name: 'Theirs', walletAddress: WALLET });
    await expectError(await a.call('/nobody'), 404, 'NOT_FOUND', 'Customer not found');
    await expectError(await a.call(`/${theirs.id}`), 404, 'NOT_FOUND', 'Customer not found');
    await expectError(await a.call(`/${WALLET}`), 404, 'NOT_FOUND', 'Customer not found');
  });
});

describe('list', () => {
  it('pages oldest first with metadata.total, filters by type and searches any identifier', async () => {
    const { create, call } = await setup();
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(await create({ name: `Person ${i}`, customerType: i % 2 === 0 ? 'INDIVIDUAL' : 'COMPANY' }));
    }
    const page = await envelope<CustomerView[]>(await call('?limit=2&offset=1'));
    expect(page.metadata.total).toBe(5);
    expect(page.data.map((c) => c.id)).toEqual([made[1]?.id, made[2]?.id]);
    const companies = await envelope<CustomerView[]>(await call('?customerType=COMPANY'));
    expect(companies.data.map((c) => c.name)).toEqual(['Person 1', 'Person 3']);
    expect(companies.metadata.total).toBe(2);
    const search = await envelope<CustomerView[]>(await call('?search=person%203'));
    expect(search.data.map((c) => c.name)).toEqual(['Person 3']);
    const byRef = await envelope<CustomerView[]>(await call(`?search=${made[4]?.referenceKey}`));
    expect(byRef.data.map((c) => c.id)).toEqual([made[4]?.id]);
    const past = await envelope<CustomerView[]>(await call('?offset=10'));
    expect([past.data, past.metadata.total]).toEqual([[], 5]);
  });

  it('takes search text literally (no wildcards)', async () => {
    const { create, call } = await setup();
    await create({ name: 'Plain' });
    await create({ name: 'Literal a_n%' });
    // As wildcards, `a_n` would match "Plain" and `%` everything.
    for (const search of ['a_n', '%25']) {
      const found = await envelope<CustomerView[]>(await call(`?search=${search}`));
      expect(found.data.map((c) => c.name)).toEqual(['Literal a_n%']);
    }
  });

  it('never lists another instance’s customers', async () => {
    const a = await setup();
    const b = await setup();
    await b.create({ name: 'Hidden' });
    const list = await envelope<CustomerView[]>(await a.call(''));
    expect([list.data, list.metadata.total]).toEqual([[], 0]);
  });

  it('refuses limits and offsets out of range, naming the field', async () => {
    const { call } = await setup();
    for (const query of [
      'limit=0',
      'limit=201',
      'limit=1e2',
      'offset=-1',
      'includeArchived=yes',
      'customerType=x',
    ]) {
      const body = await expectError(await call(`?${query}`), 400, 'VALIDATION_ERROR');
      expect(body.error.details?.[0]?.field).toBe(query.split('=')[0]);
    }
  });
});

describe('update and archive', () => {
  it('changes only the given fields; null clears country and external id; a new wallet keeps the reference key', async () => {
    const { create, call } = await setup();
    const customer = await create({ name: 'Old', country: 'FR', externalId: 'e-1', metadata: { a: 1 } });
    const res = await call(`/${customer.id}`, {
      method: 'PUT',
      json: { name: 'New', country: null, externalId: null, walletAddress: WALLET },
    });
    expect(res.status).toBe(200);
    const { data } = await envelope<CustomerView>(res);
    expect(data).toMatchObject({
      name: 'New',
      country: null,
      externalId: null,
      walletAddress: WALLET.toLowerCase(),
      referenceKey: customer.referenceKey,
      metadata: { a: 1 },
      investorType: 'RETAIL',
    });
  });

  it('refuses a wallet another customer has (409), and 404 for unknown or foreign ids', async () => {
    const a = await setup();
    const b = await setup();
    await a.create({ name: 'Holder', walletAddress: WALLET });
    const other = await a.create({ name: 'Other' });
    await expectError(
      await a.call(`/${other.id}`, { method: 'PUT', json: { walletAddress: WALLET } }),
      409,
      'CUSTOMER_EXISTS',
    );
    const theirs = await b.create({ name: 'Theirs' });
    await expectError(
      await a.call(`/${theirs.id}`, { method: 'PUT', json: { name: 'x' } }),
      404,
      'NOT_FOUND',
    );
    await expectError(await a.call('/not-an-id', { method: 'PUT', json: { name: 'x' } }), 404, 'NOT_FOUND');
    const invalid = await expectError(
      await a.call(`/${other.id}`, { method: 'PUT', json: { name: '', country: 'XX', archived: true } }),
      400,
      'VALIDATION_ERROR',
    );
    // The unknown field is named by the body's own problem (`archived` is not an update field).
    expect((invalid.error.details ?? []).map((d) => d.field).sort()).toEqual(['body', 'country', 'name']);
    expect(JSON.stringify(invalid.error.details)).toContain('archived');
    await expectError(await a.call(`/${theirs.id}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
    expect((await envelope<CustomerView>(await b.call(`/${theirs.id}`))).data.archived).toBe(false);
  });

  it('archives softly: hidden from lists unless includeArchived=true, still readable, no longer changeable', async () => {
    const { create, call } = await setup();
    const customer = await create({ name: 'Leaving' });
    await create({ name: 'Staying' });
    const res = await call(`/${customer.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect((await envelope(res)).data).toEqual({ id: customer.id, archived: true });
    expect((await envelope(await call(`/${customer.id}`, { method: 'DELETE' }))).data).toEqual({
      id: customer.id,
      archived: true,
    });
    expect((await envelope<CustomerView[]>(await call(''))).data.map((c) => c.name)).toEqual(['Staying']);
    const all = await envelope<CustomerView[]>(await call('?includeArchived=true'));
    expect(all.data.map((c) => [c.name, c.archived])).toEqual([
      ['Leaving', true],
      ['Staying', false],
    ]);
    expect((await envelope<CustomerView>(await call(`/${customer.id}`))).data.archived).toBe(true);
    await expectError(
      await call(`/${customer.id}`, { method: 'PUT', json: { name: 'Back' } }),
      400,
      'INVALID_INPUT',
      'Customer is archived',
    );
  });
});
