// The body schemas hold exactly what the renderers write: a rendered error or success parses, and
// a body of another status, code or shape does not.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instanceApiErrors, instanceAuthErrors } from '../catalogs/instance.js';
import { tokenEndpointErrors } from '../catalogs/oauth.js';
import { rateLimitErrors } from '../catalogs/rate-limit.js';
import { tcsApiKeyErrors } from '../catalogs/tcs.js';
import { renderOAuth } from './oauth.js';
import {
  catalogErrors,
  describeErrors,
  errorsByStatus,
  oauthErrorSchema,
  tcsErrorSchema,
  trussetErrorSchema,
  trussetSuccessSchema,
} from './schemas.js';
import { renderTcs } from './tcs.js';
import { renderTrusset, renderTrussetSuccess } from './trusset.js';

const meta = { requestId: 'req-1', timestamp: '2026-01-02T03:04:05.000Z' };

describe('catalogErrors and errorsByStatus', () => {
  it('takes status and message from the catalog and groups by status, each code once', () => {
    const errors = [
      ...catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED'),
      ...catalogErrors(instanceApiErrors, 'NOT_FOUND'),
      ...catalogErrors(instanceAuthErrors, 'AUTH_FAILED'),
    ];
    expect(errors[0]).toEqual({ code: 'AUTH_REQUIRED', status: 401, message: 'API key required' });
    const grouped = errorsByStatus(errors);
    expect([...grouped.keys()]).toEqual([401, 404]);
    expect(grouped.get(401)?.map((e) => e.code)).toEqual(['AUTH_REQUIRED', 'AUTH_FAILED']);
    expect(describeErrors(grouped.get(404) ?? [])).toBe('`NOT_FOUND`: Not found.');
  });
});

describe('trusset schemas', () => {
  it('accepts what renderTrusset writes for a listed code, and refuses another code', () => {
    const body = renderTrusset(
      rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: 7 }),
      meta,
    ).body;
    expect(trussetErrorSchema(['RATE_LIMIT_EXCEEDED'], { retryAfter: true }).safeParse(body).success).toBe(
      true,
    );
    expect(trussetErrorSchema(['AUTH_FAILED']).safeParse(body).success).toBe(false);
  });

  it('accepts validation details', () => {
    const err = instanceApiErrors.error('VALIDATION_ERROR', { details: [{ field: 'name', message: 'bad' }] });
    expect(trussetErrorSchema(['VALIDATION_ERROR']).safeParse(renderTrusset(err, meta).body).success).toBe(
      true,
    );
  });

  it('accepts what renderTrussetSuccess writes, and requires instanceId and total when declared', () => {
    const schema = trussetSuccessSchema(z.array(z.object({ id: z.string() })), {
      instanceId: true,
      total: true,
    });
    const full = renderTrussetSuccess([{ id: 'a' }], { ...meta, instanceId: 'inst_1', total: 1 });
    expect(schema.safeParse(full).success).toBe(true);
    expect(schema.safeParse(renderTrussetSuccess([{ id: 'a' }], meta)).success).toBe(false);
    expect(schema.safeParse({ ...full, data: [{ id: 1 }] }).success).toBe(false);
  });
});

describe('tcs and oauth schemas', () => {
  it('pins statusCode and reason phrase to the status, and the message to the listed ones', () => {
    const body = renderTcs(tcsApiKeyErrors.error('API_KEY_REQUIRED')).body;
    expect(tcsErrorSchema(401, { messages: [body.message] }).safeParse(body).success).toBe(true);
    expect(tcsErrorSchema(403).safeParse(body).success).toBe(false);
    expect(tcsErrorSchema(401, { messages: ['Other'] }).safeParse(body).success).toBe(false);
    expect(tcsErrorSchema(401, { messagePattern: /^API Key/ }).safeParse(body).success).toBe(true);
  });

  it('accepts what renderOAuth writes for a listed code', () => {
    const body = renderOAuth(tokenEndpointErrors.error('invalid_grant')).body;
    expect(oauthErrorSchema(['invalid_grant']).safeParse(body).success).toBe(true);
    expect(oauthErrorSchema(['invalid_client']).safeParse(body).success).toBe(false);
  });
});
