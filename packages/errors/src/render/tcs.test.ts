import { describe, expect, it } from 'vitest';
import { rateLimitErrors } from '../catalogs/rate-limit.js';
import { tcsApiErrors, tcsApiKeyErrors } from '../catalogs/tcs.js';
import { renderTcs } from './tcs.js';

describe('renderTcs', () => {
  it('renders the three published API-key errors exactly (SPEC §6.1)', () => {
    expect(renderTcs(tcsApiKeyErrors.error('API_KEY_REQUIRED'))).toEqual({
      status: 401,
      headers: {},
      body: { statusCode: 401, message: 'API Key is required', error: 'Unauthorized' },
    });
    expect(renderTcs(tcsApiKeyErrors.error('INVALID_API_KEY')).body).toEqual({
      statusCode: 401,
      message: 'Invalid API Key',
      error: 'Unauthorized',
    });
    expect(renderTcs(tcsApiKeyErrors.error('ACCOUNT_NOT_APPROVED')).body).toEqual({
      statusCode: 403,
      message: 'Account is not approved',
      error: 'Forbidden',
    });
  });

  it('serialises the body with the published key order', () => {
    expect(JSON.stringify(renderTcs(tcsApiKeyErrors.error('API_KEY_REQUIRED')).body)).toBe(
      '{"statusCode":401,"message":"API Key is required","error":"Unauthorized"}',
    );
  });

  it('takes the error field from the status reason phrase', () => {
    const phrases = tcsApiErrors.codes
      .filter((code) => tcsApiErrors.spec(code).expose)
      .map((code) => renderTcs(tcsApiErrors.error(code)).body)
      .map(({ statusCode, error }) => `${statusCode} ${error}`);
    expect(phrases).toEqual([
      '400 Bad Request',
      '401 Unauthorized',
      '401 Unauthorized',
      '401 Unauthorized',
      '404 Not Found',
      '405 Method Not Allowed',
      '409 Conflict',
      '413 Payload Too Large',
      '429 Too Many Requests',
      '503 Service Unavailable',
    ]);
  });

  it('passes a caller message and the retry-after of a throttled login', () => {
    const out = renderTcs(rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: 900 }));
    expect(out).toEqual({
      status: 429,
      headers: { 'retry-after': '900' },
      body: {
        statusCode: 429,
        message: 'Too many requests, please try again later',
        error: 'Too Many Requests',
      },
    });
  });

  it('masks anything unexposed as a 500 without its message', () => {
    const masked = {
      status: 500,
      headers: {},
      body: { statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' },
    };
    expect(renderTcs(new Error('db password=secret'))).toEqual(masked);
    expect(renderTcs(tcsApiErrors.error('INTERNAL_ERROR', { message: 'argon2 failed: key=xyz' }))).toEqual(
      masked,
    );
    expect(renderTcs('string thrown')).toEqual(masked);
    expect(JSON.stringify(renderTcs(new Error('db password=secret')))).not.toContain('secret');
  });
});
