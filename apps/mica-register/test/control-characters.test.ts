// SPEC §8: single-line fields (developer name and email, key name) refuse every C0 control
// character (U+0000–U+001F) and DEL (U+007F) left after trimming: 400 VALIDATION_ERROR naming the
// field, never a 500 (Postgres refuses NUL in text) and never stored.
import type { Database } from '@portcullis/db';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  body,
  type ErrorBody,
  type KeyListing,
  pgliteDatabase,
  type Registered,
  type RunningApp,
  register,
  startApp,
} from './harness.js';

let db: Database;
let app: RunningApp;
let developer: Registered;

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({ db });
  developer = await register(app);
});
afterAll(async () => {
  await app.close();
  await db.close();
});

const CONTROLS = [...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)), '\u007f'];
const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** Text of at most 42 characters holding `c` somewhere between two printable ends, so trimming cannot remove it. */
const textWith = (c: string) =>
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }))
    .map(([before, after]) => `a${before}${c}${after}z`);

let seq = 0;
function uniqueEmail(): string {
  seq += 1;
  return `control${seq}.${process.pid}@example.com`;
}
const registerWith = (json: Record<string, unknown>) =>
  app.request('/api/mica/developer/register', { method: 'POST', json });

const fields: Array<[string, string, (value: string) => Promise<Response>]> = [
  ['POST /api/mica/developer/register', 'name', (name) => registerWith({ name, email: uniqueEmail() })],
  [
    'POST /api/mica/developer/register',
    'email',
    (local) => registerWith({ name: 'Ada', email: `${local}.${uniqueEmail()}` }),
  ],
  [
    'POST /api/mica/developer/keys',
    'name',
    (name) =>
      app.request('/api/mica/developer/keys', {
        method: 'POST',
        headers: bearer(developer.managementToken),
        json: { name },
      }),
  ],
];

async function storedRows() {
  const { rows } = await db.query<{ developers: number; keys: number; with_controls: number }>(
    `SELECT (SELECT count(*)::int FROM developers) AS developers,
            (SELECT count(*)::int FROM developer_keys) AS keys,
            (SELECT count(*)::int FROM developers WHERE name ~ '[[:cntrl:]]' OR email ~ '[[:cntrl:]]')
          + (SELECT count(*)::int FROM developer_keys WHERE name ~ '[[:cntrl:]]') AS with_controls`,
  );
  return rows[0];
}

describe.each(fields)('%s %s', (_, field, send) => {
  it.each(CONTROLS.map((c) => [hex(c), c]))(
    `refuses %s anywhere in ${field} with VALIDATION_ERROR naming the field, storing nothing`,
    async (_, c) => {
      const before = await storedRows();
      await fc.assert(
        fc.asyncProperty(textWith(c), async (value) => {
          const res = await send(value);
          const parsed = await body<ErrorBody>(res);
          expect(res.status).toBe(400);
          expect(parsed.error.code).toBe('VALIDATION_ERROR');
          expect(parsed.error.details?.map((d) => d.field)).toContain(field);
        }),
        { numRuns: 8 },
      );
      expect(await storedRows()).toEqual(before);
      expect((await storedRows())?.with_controls).toBe(0);
    },
  );
});

describe('trimming comes first', () => {
  it('stores names and emails whose only control characters are whitespace at their ends, trimmed', async () => {
    const email = uniqueEmail();
    const res = await registerWith({ name: '\tAda\r\n', email: ` ${email}\n` });
    expect(res.status).toBe(201);
    const dev = await body<Registered>(res);
    expect(dev.developer).toMatchObject({ name: 'Ada', email });
    const key = await app.request('/api/mica/developer/keys', {
      method: 'POST',
      headers: bearer(dev.managementToken),
      json: { name: 'ci\n' },
    });
    expect(key.status).toBe(201);
    const listing = await body<KeyListing>(
      await app.request('/api/mica/developer/keys', { headers: bearer(dev.managementToken) }),
    );
    expect(listing.keys.map((k) => k.name)).toContain('ci');
  });
});
