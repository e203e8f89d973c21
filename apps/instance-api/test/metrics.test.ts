// /metrics counts each authentication decision by scheme, reason and code: the reason the app
// knows (revoked, unknown…) reaches the metric, never the client, and never the key.
import { describe, expect, it } from 'vitest';
import { type ApiKeyView, type CreatedKeyView, createInstance, envelope, useApp } from './harness.js';

const app = useApp();

const outcomes = async () =>
  (await (await fetch(`${app.url}/metrics`)).text())
    .split('\n')
    .filter((line) => line.startsWith('auth_outcomes_total{'));

describe('auth_outcomes_total', () => {
  it('counts admitted, revoked, unknown and missing keys and the operator token by reason, with the same answer to the client', async () => {
    const { apiKey, id } = await createInstance(app);
    const keys = await envelope<ApiKeyView[]>(await app.withKey(apiKey, '/api/v2/instance/api-keys'));
    const created = await envelope<CreatedKeyView>(
      await app.withKey(apiKey, '/api/v2/instance/api-keys', { method: 'POST', json: { name: 'second' } }),
    );
    expect(keys.data).toHaveLength(1);
    const second = created.data.key;
    await app.withKey(apiKey, `/api/v2/instance/api-keys/${created.data.id}/revoke`, { method: 'POST' });
    const revoked = await app.withKey(second, '/api/v2/instance');
    const unknown = await app.withKey(`trusset_${apiKey.slice(8, 16)}_${'0'.repeat(64)}`, '/api/v2/instance');
    expect(revoked.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect((await envelope<null>(revoked)).error).toEqual((await envelope<null>(unknown)).error);
    await fetch(`${app.url}/api/v2/instance`);
    await app.admin(`/admin/instances/${id}`);

    const lines = await outcomes();
    const count = (labels: string) =>
      Number(
        lines
          .find((line) => line.startsWith(`auth_outcomes_total{${labels}}`))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    expect(count('scheme="instance_key",reason="ok",code="ok"')).toBeGreaterThanOrEqual(3);
    expect(count('scheme="instance_key",reason="revoked",code="AUTH_FAILED"')).toBe(1);
    expect(count('scheme="instance_key",reason="unknown",code="AUTH_FAILED"')).toBe(1);
    expect(count('scheme="instance_key",reason="missing",code="AUTH_REQUIRED"')).toBe(1);
    expect(lines.some((line) => line.includes('scheme="admin_token"'))).toBe(true);
    // Label values are code-chosen: no key, digest or token ever becomes one.
    for (const line of lines) expect(line).not.toMatch(/trusset_|[0-9a-f]{32}/);
  });
});
