// SPEC §8: hostile input never yields a 500 or a crash. Property tests over headers, paths and
// bodies against a running app (bounded runs, loopback only).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  type ApiKeyView,
  createInstance,
  envelope,
  errorEnvelope,
  itemAt,
  useApp,
} from './harness.js';

const app = useApp();
let key: string;
let keyId: string;

beforeAll(async () => {
  const inst = await createInstance(app);
  key = inst.apiKey;
  keyId = itemAt(
    (await envelope<ApiKeyView[]>(await app.withKey(key, '/api/v2/instance/api-keys'))).data,
    0,
  ).id;
});

const headerText = fc.stringMatching(/^[\x20-\x7e]{0,300}$/);
const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');
const jsonish = fc.oneof(
  fc.json({ depthSize: 'medium' }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '[]',
    'null',
    '"x"',
    '{"name":null}',
    '{"overlapSeconds":1e309}',
    '{"__proto__":{"x":1}}',
  ),
);

async function expectHandled(res: Response, method = 'GET'): Promise<void> {
  const text = await res.text();
  expect(res.status).toBeLessThan(500);
  // Every body this app sends is JSON (HEAD and 204 carry none).
  if (method !== 'HEAD' && res.status !== 204 && res.headers.get('content-type')?.includes('json'))
    JSON.parse(text);
}

describe('hostile input', () => {
  it('never answers 500 to arbitrary API keys and request ids', async () => {
    await fc.assert(
      fc.asyncProperty(headerText, headerText, async (apiKey, requestId) => {
        const res = await fetch(`${app.url}/api/v2/instance`, {
          headers: { 'x-api-key': apiKey, 'x-request-id': requestId },
        });
        await expectHandled(res);
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 500 to arbitrary bodies on every key route', async () => {
    const paths = [
      '/api/v2/instance/api-keys',
      `/api/v2/instance/api-keys/${keyId}/rotate`,
      `/api/v2/instance/api-keys/${keyId}/pause`,
      '/api/v2/instance/api-keys/key_000000000000000000000000/resume',
      '/admin/instances',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        jsonish,
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        async (path, body, type) => {
          const headers = { 'content-type': type, 'x-api-key': key, authorization: `Bearer ${ADMIN_TOKEN}` };
          const res = await fetch(`${app.url}${path}`, { method: 'POST', headers, body });
          await expectHandled(res);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answers 500 to arbitrary methods and paths', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'api',
        'v2',
        'instance',
        'api-keys',
        'admin',
        'instances',
        keyId,
        '..',
        '%00',
        '%ff',
        '%',
        'rotate',
      ),
      fc.webSegment(),
    );
    await fc.assert(
      fc.asyncProperty(methods, fc.array(segment, { maxLength: 6 }), async (method, segments) => {
        const res = await fetch(`${app.url}/${segments.join('/')}`, {
          method,
          headers: { 'x-api-key': key },
        });
        await expectHandled(res, method);
      }),
      { numRuns: 300 },
    );
  });

  it('answers 400 to invalid UTF-8 and 413 to a body over 1 MB', async () => {
    const bad = await fetch(`${app.url}/api/v2/instance/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    });
    expect(bad.status).toBe(400);
    const huge = await fetch(`${app.url}/api/v2/instance/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
    });
    expect(huge.status).toBe(413);
    expect((await errorEnvelope(huge)).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 400 to deeply nested JSON', async () => {
    const res = await fetch(`${app.url}/admin/instances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: `${'['.repeat(5000)}${']'.repeat(5000)}`,
    });
    expect(res.status).toBe(400);
  });

  it('still serves normal requests afterwards', async () => {
    expect((await app.withKey(key, '/api/v2/instance')).status).toBe(200);
  });
});
