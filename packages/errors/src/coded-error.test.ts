import { describe, expect, it } from 'vitest';
import { CodedError, isCodedError } from './coded-error.js';
import type { HttpErrorStatus } from './status.js';

describe('CodedError', () => {
  it('carries code, status, message and a default expose of status < 500', () => {
    const client = new CodedError({
      code: 'AUTH_FAILED',
      status: 401,
      message: 'Invalid or expired API key',
    });
    const server = new CodedError({ code: 'AUTH_ERROR', status: 500, message: 'Authentication failed' });
    expect(client).toBeInstanceOf(Error);
    expect(client.name).toBe('CodedError');
    expect([client.code, client.status, client.message, client.expose]).toEqual([
      'AUTH_FAILED',
      401,
      'Invalid or expired API key',
      true,
    ]);
    expect(server.expose).toBe(false);
  });

  it('honours an explicit expose', () => {
    expect(new CodedError({ code: 'X', status: 503, message: 'm', expose: true }).expose).toBe(true);
    expect(new CodedError({ code: 'X', status: 400, message: 'm', expose: false }).expose).toBe(false);
  });

  it('keeps the cause for logs', () => {
    const cause = new Error('db down');
    expect(new CodedError({ code: 'X', status: 500, message: 'm', cause }).cause).toBe(cause);
    expect('cause' in new CodedError({ code: 'X', status: 500, message: 'm' })).toBe(false);
  });

  it('lower-cases header names and drops fields that could split or break a response', () => {
    const err = new CodedError({
      code: 'X',
      status: 401,
      message: 'm',
      headers: {
        'DPoP-Nonce': 'abc',
        'X-Injected': 'a\r\nSet-Cookie: s=1',
        'X-Lf': 'a\nb',
        'X-Nul': 'a\0b',
        'X-Latin1': 'caf\u00e9',
        'Bad Name': 'v',
        '': 'v',
      },
    });
    expect(err.headers).toEqual({ 'dpop-nonce': 'abc' });
    expect(Object.isFrozen(err.headers)).toBe(true);
  });

  it('rounds retryAfterSeconds up and ignores values that are not a finite delay', () => {
    const retry = (retryAfterSeconds: number) =>
      new CodedError({ code: 'X', status: 429, message: 'm', retryAfterSeconds }).retryAfterSeconds;
    expect(retry(41.2)).toBe(42);
    expect(retry(0)).toBe(0);
    expect(retry(-1)).toBeUndefined();
    expect(retry(Number.NaN)).toBeUndefined();
    expect(retry(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('refuses a status outside the union when the types are bypassed', () => {
    expect(() => new CodedError({ code: 'X', status: 418 as HttpErrorStatus, message: 'm' })).toThrow(
      TypeError,
    );
  });

  describe('toJSON', () => {
    it('never includes the cause or the stack', () => {
      const err = new CodedError({
        code: 'VALIDATION_ERROR',
        status: 400,
        message: 'Request validation failed',
        details: [{ field: 'name' }],
        cause: new Error('password=hunter2'),
      });
      const json = JSON.stringify(err);
      expect(JSON.parse(json)).toEqual({
        code: 'VALIDATION_ERROR',
        status: 400,
        message: 'Request validation failed',
        details: [{ field: 'name' }],
      });
      expect(json).not.toContain('hunter2');
      expect(json).not.toContain('stack');
    });

    it('masks the message and drops details of an unexposed error', () => {
      const err = new CodedError({
        code: 'INTERNAL_ERROR',
        status: 500,
        message: 'pg: connection to 10.0.0.5 refused, password=secret',
        details: { query: 'SELECT secret' },
      });
      expect(err.toJSON()).toEqual({ code: 'INTERNAL_ERROR', status: 500, message: 'Internal server error' });
    });
  });
});

describe('isCodedError', () => {
  it('recognises CodedError instances only, not look-alike objects', () => {
    expect(isCodedError(new CodedError({ code: 'X', status: 400, message: 'm' }))).toBe(true);
    expect(isCodedError({ name: 'CodedError', code: 'X', status: 400, message: 'm', expose: true })).toBe(
      false,
    );
    expect(isCodedError(new Error('m'))).toBe(false);
    expect(isCodedError(null)).toBe(false);
  });
});
