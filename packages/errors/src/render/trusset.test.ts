import { describe, expect, it } from 'vitest';
import { defineCatalog } from '../catalog.js';
import { instanceApiErrors, instanceAuthErrors } from '../catalogs/instance.js';
import { micaDeveloperErrors } from '../catalogs/mica.js';
import { rateLimitErrors } from '../catalogs/rate-limit.js';
import { CodedError } from '../coded-error.js';
import { renderTrusset, renderTrussetSuccess } from './trusset.js';

const meta = { requestId: '6f1c2a4e-8d2b-4c1e-9f3a-0b7d5e2c1a90', timestamp: '2025-01-02T03:04:05.000Z' };
const metaWithInstance = { ...meta, instanceId: 'inst_abc' };

describe('renderTrusset', () => {
  it('renders an exposed error as the SPEC §4.1 envelope', () => {
    expect(renderTrusset(instanceAuthErrors.error('AUTH_FAILED'), meta)).toEqual({
      status: 401,
      headers: {},
      body: {
        success: false,
        data: null,
        error: { code: 'AUTH_FAILED', message: 'Invalid or expired API key' },
        metadata: { requestId: meta.requestId, timestamp: meta.timestamp },
      },
    });
  });

  it('adds instanceId to metadata once the caller is authenticated', () => {
    const out = renderTrusset(instanceAuthErrors.error('SERVICE_NOT_ENABLED'), metaWithInstance);
    expect(out.status).toBe(403);
    expect(out.body.metadata).toEqual({ ...meta, instanceId: 'inst_abc' });
  });

  it('lists validation details', () => {
    const details = [{ field: 'name', message: 'must be 1-100 characters' }];
    const out = renderTrusset(instanceApiErrors.error('VALIDATION_ERROR', { details }), meta);
    expect(out.body.error).toEqual({
      code: 'VALIDATION_ERROR',
      message: 'Request validation failed',
      details,
    });
  });

  it('drops details that JSON cannot carry instead of failing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const details of [cyclic, 10n, () => 1]) {
      const out = renderTrusset(instanceApiErrors.error('VALIDATION_ERROR', { details }), meta);
      expect(out.body.error).toEqual({ code: 'VALIDATION_ERROR', message: 'Request validation failed' });
      expect(() => JSON.stringify(out.body)).not.toThrow();
    }
  });

  it('uses the caller message of an exposed error', () => {
    const out = renderTrusset(instanceApiErrors.error('NOT_FOUND', { message: 'API key not found' }), meta);
    expect([out.status, out.body.error]).toEqual([404, { code: 'NOT_FOUND', message: 'API key not found' }]);
  });

  it('renders the SPEC §4.6 rate-limit body with retryAfter and a retry-after header', () => {
    const err = rateLimitErrors.error('RATE_LIMIT_EXCEEDED', {
      retryAfterSeconds: 42,
      headers: {
        'X-RateLimit-Limit': '200',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': '1735787100',
      },
    });
    const out = renderTrusset(err, meta);
    expect(out).toEqual({
      status: 429,
      headers: {
        'x-ratelimit-limit': '200',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1735787100',
        'retry-after': '42',
      },
      body: {
        success: false,
        data: null,
        error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests, please try again later' },
        metadata: { retryAfter: 42, requestId: meta.requestId, timestamp: meta.timestamp },
      },
    });
    expect(Object.keys(out.body.metadata)).toEqual(['retryAfter', 'requestId', 'timestamp']);
  });

  it('derives retry-after from retryAfterSeconds even when a header says otherwise', () => {
    const err = rateLimitErrors.error('RATE_LIMIT_EXCEEDED', {
      retryAfterSeconds: 7,
      headers: { 'Retry-After': '9999' },
    });
    expect(renderTrusset(err, meta).headers['retry-after']).toBe('7');
  });

  it('renders an exposed 503 with its own status and message', () => {
    const out = renderTrusset(instanceApiErrors.error('SERVICE_UNAVAILABLE', { retryAfterSeconds: 5 }), meta);
    expect(out.status).toBe(503);
    expect(out.body.error).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      message: 'Service temporarily unavailable',
    });
  });

  it('works for other catalogs in the same envelope (MiCA, SPEC §5.1)', () => {
    const out = renderTrusset(micaDeveloperErrors.error('KEY_LIMIT_REACHED'), meta);
    expect([out.status, out.body.error.code]).toEqual([409, 'KEY_LIMIT_REACHED']);
  });

  describe('500 masking (SPEC §4.1)', () => {
    const internal = {
      status: 500,
      headers: {},
      body: {
        success: false,
        data: null,
        error: { code: 'INTERNAL_ERROR', message: 'Internal server error' },
        metadata: { requestId: meta.requestId, timestamp: meta.timestamp },
      },
    };

    it('never leaks the message, stack or cause of a plain Error', () => {
      const err = new Error('db password=secret', { cause: new Error('token=abc123') });
      const out = renderTrusset(err, meta);
      expect(out).toEqual(internal);
      const json = JSON.stringify(out);
      for (const leak of ['password', 'secret', 'abc123', 'stack', 'at ']) expect(json).not.toContain(leak);
    });

    it('says AUTH_ERROR inside authentication', () => {
      const out = renderTrusset(new Error('redis: ECONNREFUSED'), meta, { internalCode: 'AUTH_ERROR' });
      expect([out.status, out.body.error]).toEqual([
        500,
        { code: 'AUTH_ERROR', message: 'Authentication failed' },
      ]);
    });

    it('keeps the code of an AUTH_ERROR coded error but not its internal message', () => {
      const err = instanceAuthErrors.error('AUTH_ERROR', { message: 'pg and redis both down: pg://u:pw@db' });
      const out = renderTrusset(err, metaWithInstance);
      expect(out.body.error).toEqual({ code: 'AUTH_ERROR', message: 'Authentication failed' });
      expect(out.body.metadata.instanceId).toBe('inst_abc');
    });

    it('masks an unexposed coded error of any status, with its details and headers', () => {
      const hidden = defineCatalog({
        KEY_BLOCKED: { status: 403, message: 'Key blocked by fraud rule 7', expose: false },
      });
      const out = renderTrusset(
        hidden.error('KEY_BLOCKED', {
          details: { rule: 7 },
          headers: { 'X-Rule': '7' },
          retryAfterSeconds: 3,
        }),
        meta,
      );
      expect(out).toEqual(internal);
    });

    it('masks thrown non-errors', () => {
      for (const thrown of [undefined, null, 'boom', 42, { status: 400, message: 'fake', expose: true }]) {
        expect(renderTrusset(thrown, meta)).toEqual(internal);
      }
    });

    it('masks a coded error whose status was tampered with at run time', () => {
      const err = new CodedError({ code: 'X', status: 400, message: 'm' });
      Object.defineProperty(err, 'status', { value: 200 });
      expect(renderTrusset(err, meta)).toEqual(internal);
    });

    it('masks an error whose properties throw when read', () => {
      const err = new CodedError({ code: 'X', status: 400, message: 'm' });
      Object.defineProperty(err, 'headers', {
        get() {
          throw new Error('getter password=secret');
        },
      });
      expect(renderTrusset(err, meta)).toEqual(internal);
    });
  });
});

describe('renderTrussetSuccess', () => {
  it('builds the success envelope', () => {
    expect(renderTrussetSuccess({ id: 'k1' }, meta)).toEqual({
      success: true,
      data: { id: 'k1' },
      error: null,
      metadata: { requestId: meta.requestId, timestamp: meta.timestamp },
    });
  });

  it('carries instanceId and a list total', () => {
    expect(renderTrussetSuccess([], { ...metaWithInstance, total: 0 }).metadata).toEqual({
      ...metaWithInstance,
      total: 0,
    });
  });
});
