// SPEC §8: single-line fields (instance and key names) refuse every C0 control character
// (U+0000–U+001F) and DEL (U+007F) left after trimming: 400 VALIDATION_ERROR naming the field,
// never a 500 (Postgres refuses NUL in text) and never stored.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiKeyView,
  createInstance,
  envelope,
  errorEnvelope,
  type InstanceView,
  useApp,
} from './harness.js';

const app = useApp();
let inst: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  inst = await createInstance(app, { name: 'Control' });
});

const CONTROLS = [...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)), '\u007f'];
const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** A name of at most 42 characters holding `c` somewhere between two printable ends, so trimming cannot remove it. */
const nameWith = (c: string) =>
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
    .map(([before, after]) => `a${before}${c}${after}z`);

const fields: Array<[string, (name: string) => Promise<Response>]> = [
  ['POST /admin/instances name', (name) => app.admin('/admin/instances', { method: 'POST', json: { name } })],
  [
    'PATCH /admin/instances/:id name',
    (name) => app.admin(`/admin/instances/${inst.id}`, { method: 'PATCH', json: { name } }),
  ],
  [
    'POST /api/v2/instance/api-keys name',
    (name) => app.withKey(inst.apiKey, '/api/v2/instance/api-keys', { method: 'POST', json: { name } }),
  ],
];

async function storedRows(): Promise<{ instances: number; keys: number; withControls: number }> {
  const { rows } = await app.db.query<{ instances: number; keys: number; with_controls: number }>(
    `SELECT (SELECT count(*)::int FROM instances) AS instances,
            (SELECT count(*)::int FROM api_keys) AS keys,
            (SELECT count(*)::int FROM instances WHERE name ~ '[[:cntrl:]]')
          + (SELECT count(*)::int FROM api_keys WHERE name ~ '[[:cntrl:]]') AS with_controls`,
  );
  const row = rows[0];
  if (!row) throw new Error('no counts');
  return { instances: row.instances, keys: row.keys, withControls: row.with_controls };
}

describe.each(fields)('%s', (_, send) => {
  it.each(CONTROLS.map((c) => [hex(c), c]))(
    'refuses %s anywhere in the name with VALIDATION_ERROR naming the field, storing nothing',
    async (_, c) => {
      const before = await storedRows();
      await fc.assert(
        fc.asyncProperty(nameWith(c), async (name) => {
          const res = await send(name);
          const body = await errorEnvelope(res);
          expect(res.status).toBe(400);
          expect(body.error.code).toBe('VALIDATION_ERROR');
          expect(body.error.details?.map((d) => d.field)).toContain('name');
        }),
        { numRuns: 8 },
      );
      expect(await storedRows()).toEqual(before);
      expect((await storedRows()).withControls).toBe(0);
    },
  );
});

describe('trimming comes first', () => {
  it('stores a name whose only control characters are whitespace at its ends, trimmed', async () => {
    const created = await app.admin('/admin/instances', { method: 'POST', json: { name: '\tAcme\r\n' } });
    expect(created.status).toBe(201);
    expect((await envelope<{ instance: InstanceView }>(created)).data.instance.name).toBe('Acme');
    const key = await app.withKey(inst.apiKey, '/api/v2/instance/api-keys', {
      method: 'POST',
      json: { name: 'ci\n' },
    });
    expect(key.status).toBe(201);
    const keys = await envelope<ApiKeyView[]>(await app.withKey(inst.apiKey, '/api/v2/instance/api-keys'));
    expect(keys.data.map((k) => k.name)).toContain('ci');
  });
});
