// auditApps: what it collects during a file's tests (its afterAll then asserts on it; that hook
// runs after this file's tests and passes only if nothing leaked and every answer was documented).
import { describe, expect, it } from 'vitest';
import { auditApps } from './app-audit.js';
import { listen } from './http.js';

const audit = auditApps({
  secrets: ['operator-token'],
  secretPatterns: [/wk_[0-9a-f]{8}/g],
  secretFields: ['managementToken'],
});
const document = {
  openapi: '3.1.0',
  paths: {
    '/keys': {
      post: {
        responses: {
          '201': {
            description: 'A new key',
            content: { 'application/json': { schema: { type: 'object', required: ['key', 'owner'] } } },
          },
        },
      },
    },
    '/openapi.json': { get: { responses: { '200': { description: 'This document' } } } },
  },
};

describe('auditApps', () => {
  it('notes the secrets an app answers with, and keeps the lines its logger writes', async () => {
    const log = audit.logDestination();
    const app = audit.watch((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/openapi.json') {
        res.end(JSON.stringify(document));
        return;
      }
      log.write('{"msg":"key created","keyId":"k1"}\n');
      res.statusCode = 201;
      res.end(JSON.stringify({ key: 'wk_0123abcd', owner: { managementToken: 'plain-looking' } }));
    });
    const served = await listen(app.handler);
    try {
      await app.useDocument(served.url);
      const res = await fetch(`${served.url}/keys`, { method: 'POST' });
      expect(res.status).toBe(201);
      await res.text();
    } finally {
      await served.close();
    }
    expect([...audit.secrets].sort()).toEqual(['operator-token', 'plain-looking', 'wk_0123abcd']);
  });
});
