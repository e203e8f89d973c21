// SPEC §4.3 operator API, through HTTP.
import { describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type ApiKeyView,
  type CreatedInstanceView,
  createInstance,
  envelope,
  errorEnvelope,
  type InstanceView,
  type InstanceWithCountsView,
  pgliteDatabase,
  startApp,
  useApp,
} from './harness.js';

const app = useApp();

const ALL_SERVICES = ['customers', 'tokenization', 'trading', 'lending', 'custody'];

describe('operator API (SPEC §4.3)', () => {
  it('creates an instance with all services and a Default key shown once', async () => {
    const res = await app.admin('/admin/instances', {
      method: 'POST',
      json: { name: 'Acme', type: 'PRODUCTION' },
    });
    expect(res.status).toBe(201);
    const { data } = await envelope<CreatedInstanceView>(res);
    expect(data.instance).toEqual({
      id: expect.stringMatching(/^inst_[0-9a-f]{24}$/),
      name: 'Acme',
      type: 'PRODUCTION',
      instanceRef: expect.stringMatching(/^[a-z0-9]{8}$/),
      services: ALL_SERVICES.map((id) => ({ id, enabled: true })),
      archived: false,
      createdAt: expect.any(String),
      limits: { maxApiKeys: 10 },
    });
    expect(data.apiKey).toMatch(new RegExp(`^trusset_${data.instance.instanceRef}_[0-9a-f]{64}$`));

    const keys = await envelope<ApiKeyView[]>(await app.withKey(data.apiKey, '/api/v2/instance/api-keys'));
    expect(keys.data).toHaveLength(1);
    expect(keys.data[0]).toMatchObject({
      name: 'Default',
      status: 'ACTIVE',
      keyPreview: data.apiKey.slice(0, 20),
    });
    expect(JSON.stringify(keys)).not.toContain(data.apiKey);
  });

  it('defaults the type to DEVELOPMENT and keeps only the services asked for', async () => {
    const res = await app.admin('/admin/instances', {
      method: 'POST',
      json: { name: 'Dev', services: ['custody', 'custody'] },
    });
    const { data } = await envelope<CreatedInstanceView>(res);
    expect(data.instance.type).toBe('DEVELOPMENT');
    expect(data.instance.services.filter((s) => s.enabled)).toEqual([{ id: 'custody', enabled: true }]);
  });

  it.each([
    ['an unknown service', { name: 'x', services: ['banking'] }, 'services.0'],
    ['a missing name', {}, 'name'],
    ['an empty name', { name: '   ' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['an unknown type', { name: 'x', type: 'STAGING' }, 'type'],
    ['an unknown field', { name: 'x', colour: 'red' }, 'body'],
    ['a non-object body', ['x'], 'body'],
  ])('refuses %s with 400 VALIDATION_ERROR naming the field', async (_, json, field) => {
    const res = await app.admin('/admin/instances', { method: 'POST', json });
    const body = await errorEnvelope(res);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.details?.map((d) => d.field)).toContain(field);
  });

  it('lists instances with key counts and gets one by id', async () => {
    const inst = await createInstance(app, { name: 'Listed' });
    const list = await envelope<InstanceWithCountsView[]>(await app.admin('/admin/instances'));
    const entry = list.data.find((i) => i.id === inst.id);
    expect(entry?.keys).toEqual({
      total: 1,
      active: 1,
      paused: 0,
      pendingRotation: 0,
      expired: 0,
      revoked: 0,
    });
    expect(list.metadata.total).toBe(list.data.length);
    const one = await envelope<InstanceWithCountsView>(await app.admin(`/admin/instances/${inst.id}`));
    expect(one.data).toMatchObject({ id: inst.id, name: 'Listed', keys: { total: 1 } });
  });

  it('answers 404 NOT_FOUND for an unknown or malformed instance id', async () => {
    for (const id of ['inst_000000000000000000000000', 'nope', '%00']) {
      const res = await app.admin(`/admin/instances/${id}`);
      expect(res.status).toBe(404);
      expect((await errorEnvelope(res)).error.code).toBe('NOT_FOUND');
    }
    const patch = await app.admin('/admin/instances/inst_000000000000000000000000', {
      method: 'PATCH',
      json: { name: 'x' },
    });
    expect(patch.status).toBe(404);
    const archive = await app.admin('/admin/instances/inst_000000000000000000000000/archive', {
      method: 'POST',
    });
    expect(archive.status).toBe(404);
  });

  it('updates name and services', async () => {
    const inst = await createInstance(app);
    const res = await app.admin(`/admin/instances/${inst.id}`, {
      method: 'PATCH',
      json: { name: 'Renamed', services: ['lending'] },
    });
    const { data } = await envelope<InstanceView>(res);
    expect(data.name).toBe('Renamed');
    expect(data.services.filter((s) => s.enabled).map((s) => s.id)).toEqual(['lending']);
  });

  it('archives and unarchives', async () => {
    const inst = await createInstance(app);
    const archived = await envelope<InstanceView>(
      await app.admin(`/admin/instances/${inst.id}/archive`, { method: 'POST' }),
    );
    expect(archived.data.archived).toBe(true);
    const back = await envelope<InstanceView>(
      await app.admin(`/admin/instances/${inst.id}/unarchive`, { method: 'POST' }),
    );
    expect(back.data.archived).toBe(false);
  });

  it('answers 401 AUTH_REQUIRED without the admin token and AUTH_FAILED with a wrong one', async () => {
    const missing = await fetch(`${app.url}/admin/instances`);
    expect(missing.status).toBe(401);
    expect((await errorEnvelope(missing)).error.code).toBe('AUTH_REQUIRED');
    const wrong = await fetch(`${app.url}/admin/instances`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}0` },
    });
    expect(wrong.status).toBe(401);
    expect((await errorEnvelope(wrong)).error.code).toBe('AUTH_FAILED');
  });

  it('does not accept an instance key as the admin token', async () => {
    const inst = await createInstance(app);
    const res = await fetch(`${app.url}/admin/instances`, {
      headers: { authorization: `Bearer ${inst.apiKey}` },
    });
    expect(res.status).toBe(401);
  });
});

describe('operator API limits (SPEC §4.6)', () => {
  it('counts failed admin authentications per address, not valid ones, and then locks the address out', async () => {
    const limited = await startApp({ db: app.db, limits: { authPer15Min: 3 } });
    try {
      for (let i = 0; i < 5; i += 1) expect((await limited.admin('/admin/instances')).status).toBe(200);
      for (let i = 0; i < 3; i += 1) {
        expect(
          (await fetch(`${limited.url}/admin/instances`, { headers: { authorization: 'Bearer wrong' } }))
            .status,
        ).toBe(401);
      }
      const refused = await fetch(`${limited.url}/admin/instances`, {
        headers: { authorization: 'Bearer wrong' },
      });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      expect((await errorEnvelope(refused)).error.code).toBe('RATE_LIMIT_EXCEEDED');
      // Locked out for the window, even with the right token: otherwise the limit would not slow
      // down guessing at all (a decision recorded in the README).
      expect((await limited.admin('/admin/instances')).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('database outage (SPEC §8)', () => {
  it('answers 503 SERVICE_UNAVAILABLE in the envelope, and /readyz says so, when the database is gone', async () => {
    const lonelyDb = await pgliteDatabase();
    const lonely = await startApp({ db: lonelyDb });
    try {
      expect((await lonely.admin('/readyz')).status).toBe(200);
      await lonelyDb.close();
      const res = await lonely.admin('/admin/instances');
      const body = await errorEnvelope(res);
      expect(res.status).toBe(503);
      expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
      const ready = await errorEnvelope(await lonely.admin('/readyz'));
      expect(ready.error.details).toEqual({ database: 'down' });
      expect((await lonely.admin('/healthz')).status).toBe(200);
    } finally {
      await lonely.close();
    }
  });
});

describe('instance update validation', () => {
  it('refuses an unknown service or an empty name in PATCH with VALIDATION_ERROR naming the field', async () => {
    const inst = await createInstance(app);
    for (const [json, field] of [
      [{ services: ['banking'] }, 'services.0'],
      [{ name: '' }, 'name'],
      [{ archived: true }, 'body'],
    ] as const) {
      const res = await app.admin(`/admin/instances/${inst.id}`, { method: 'PATCH', json });
      const body = await errorEnvelope(res);
      expect(res.status).toBe(400);
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.details?.map((d) => d.field)).toContain(field);
    }
  });
});
