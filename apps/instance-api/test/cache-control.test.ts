// Cache-Control: an answer that carries a new secret is never stored; no answer of the API is,
// unless its route sets a policy of its own (the document).
import { describe, expect, it } from 'vitest';
import {
  type ApiKeyView,
  type CreatedKeyView,
  createInstance,
  envelope,
  errorEnvelope,
  itemAt,
  useApp,
} from './harness.js';

const app = useApp();

describe('Cache-Control on responses that carry a secret', () => {
  it('sends no-store with a new instance, a new key and a rotated key', async () => {
    const created = await app.admin('/admin/instances', { method: 'POST', json: { name: 'Acme' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const apiKey = (await envelope<{ apiKey: string }>(created)).data.apiKey;
    const key = await app.withKey(apiKey, '/api/v2/instance/api-keys', {
      method: 'POST',
      json: { name: 'k' },
    });
    expect(key.status).toBe(201);
    expect(key.headers.get('cache-control')).toBe('no-store');
    const keyId = (await envelope<CreatedKeyView>(key)).data.id;
    const rotated = await app.withKey(apiKey, `/api/v2/instance/api-keys/${keyId}/rotate`, {
      method: 'POST',
    });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
  });

  it('sends no-store on every other answer of the API too, errors included, and lets the document be cached', async () => {
    const inst = await createInstance(app);
    const list = await app.withKey(inst.apiKey, '/api/v2/instance/api-keys');
    expect(itemAt((await envelope<ApiKeyView[]>(list)).data, 0).name).toBe('Default');
    expect(list.headers.get('cache-control')).toBe('no-store');
    const refused = await fetch(`${app.url}/api/v2/instance`);
    expect((await errorEnvelope(refused)).error.code).toBe('AUTH_REQUIRED');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${app.url}/openapi.json`)).headers.get('cache-control')).toBe('public, max-age=300');
  });
});
