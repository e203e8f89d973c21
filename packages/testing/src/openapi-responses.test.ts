// responseCheck: every answer held against the document; lintOpenApi: Redocly's findings.
import { describe, expect, it } from 'vitest';
import { listen } from './http.js';
import { lintOpenApi } from './openapi-lint.js';
import {
  type CheckedDocument,
  documentedOperations,
  registeredOperations,
  responseCheck,
} from './openapi-responses.js';

const document = {
  openapi: '3.1.0',
  info: { title: 'Widgets', version: '1.0.0', license: { name: 'MIT', identifier: 'MIT' } },
  servers: [{ url: 'http://127.0.0.1' }],
  security: [],
  paths: {
    '/widgets/{id}': {
      get: {
        operationId: 'getWidget',
        summary: 'A widget',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'The widget',
            headers: { 'X-Request-Id': { required: true, schema: { type: 'string' } } },
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Widget' } } },
          },
          '404': { description: 'Unknown', content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      Widget: {
        type: 'object',
        required: ['id', 'at'],
        properties: { id: { type: 'string' }, at: { type: 'string', format: 'date-time' } },
      },
    },
  },
} satisfies CheckedDocument & Record<string, unknown>;

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  method: 'GET',
  path: '/widgets/w1',
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r', ...headers },
  body: Buffer.from(JSON.stringify(body)),
});

describe('responseCheck', () => {
  it('accepts a documented answer and counts it', () => {
    const check = responseCheck();
    check.use(document);
    check.check(answer(200, { id: 'w1', at: '2026-01-01T00:00:00.000Z' }));
    expect(check.problems).toEqual([]);
    expect(check.checked).toBe(1);
  });

  it('reports a body off its schema, an undocumented status, a missing header and media type', () => {
    const check = responseCheck();
    check.use(document);
    check.check(answer(200, { id: 'w1', at: 'yesterday' }));
    check.check(answer(418, {}));
    check.check({
      ...answer(200, { id: 'w1', at: '2026-01-01T00:00:00Z' }),
      headers: { 'content-type': 'application/json' },
    });
    check.check({ ...answer(200, 'x'), headers: { 'content-type': 'text/html', 'x-request-id': 'r' } });
    expect(check.problems).toEqual([
      expect.stringMatching(
        /^GET \/widgets\/w1 → 200: body does not match its schema: \/at must match format "date-time"/,
      ),
      'GET /widgets/w1 → 418: status not documented for GET /widgets/{id}',
      'GET /widgets/w1 → 200: required header X-Request-Id missing',
      'GET /widgets/w1 → 200: content type text/html not documented (application/json)',
    ]);
  });

  it('follows a $ref header to the component that says it is required', () => {
    const check = responseCheck();
    const withRef = structuredClone(document) as typeof document & { components: Record<string, unknown> };
    withRef.paths['/widgets/{id}'].get.responses['200'].headers = {
      'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
    } as never;
    withRef.components.headers = { 'X-Request-Id': { required: true, schema: { type: 'string' } } };
    check.use(withRef);
    check.check({
      ...answer(200, { id: 'w1', at: '2026-01-01T00:00:00Z' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(check.problems).toEqual(['GET /widgets/w1 → 200: required header X-Request-Id missing']);
  });

  it('lets an undocumented path answer only 404 or 405', () => {
    const check = responseCheck();
    check.use(document);
    check.check({ ...answer(404, {}), path: '/nothing' });
    check.check({ ...answer(200, {}), path: '/nothing' });
    expect(check.problems).toEqual(['GET /nothing → 200: no documented operation answers this']);
  });

  it("accepts the router's OPTIONS answer (Allow, no body) on a documented path only", () => {
    const check = responseCheck();
    check.use(document);
    const options = {
      method: 'OPTIONS',
      status: 200,
      headers: { allow: 'HEAD, GET' },
      body: Buffer.alloc(0),
    };
    check.check({ ...options, path: '/widgets/w1' });
    check.check({ ...options, path: '/nothing' });
    check.check({ ...options, path: '/widgets/w1', body: Buffer.from('{}') });
    expect(check.problems).toEqual([
      'OPTIONS /nothing → 200: no documented operation answers this',
      'OPTIONS /widgets/w1 → 200: no documented operation answers this',
    ]);
  });

  it('records what a wrapped server really wrote', async () => {
    const check = responseCheck();
    check.use(document);
    const served = await listen(
      check.wrap((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-request-id', 'r');
        res.write('{"id":"w1",');
        res.end('"at":1}');
      }),
    );
    try {
      await (await fetch(`${served.url}/widgets/w1`)).text();
    } finally {
      await served.close();
    }
    expect(check.problems).toEqual([expect.stringContaining('/at must be string')]);
  });
});

describe('lintOpenApi', () => {
  it('finds no error in a complete document, and the missing servers of an incomplete one', async () => {
    expect((await lintOpenApi(document)).errors).toEqual([]);
    const { servers: _servers, ...withoutServers } = document;
    const report = await lintOpenApi(withoutServers);
    expect(report.errors.map((e) => e.ruleId)).toContain('no-empty-servers');
  });
});

describe('registeredOperations and documentedOperations', () => {
  it('list the routes of the routers an app mounted, and the operations of a document, alike', () => {
    const app = {
      middleware: [
        () => undefined,
        {
          router: {
            stack: [
              { path: '/widgets/:id', methods: ['HEAD', 'GET'] },
              { path: '/widgets', methods: [] },
              { path: '/widgets/:id', methods: ['DELETE'] },
            ],
          },
        },
      ],
    };
    expect(registeredOperations(app)).toEqual([
      { method: 'delete', path: '/widgets/{id}' },
      { method: 'get', path: '/widgets/{id}' },
    ]);
    expect(documentedOperations(document)).toEqual([{ method: 'get', path: '/widgets/{id}' }]);
  });
});
