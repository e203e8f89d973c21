import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  assertNever,
  HTTP_ERROR_STATUSES,
  type HttpErrorStatus,
  httpReasonPhrase,
  isHttpErrorStatus,
} from './status.js';

describe('httpReasonPhrase', () => {
  it('gives the reason phrase Node and NestJS send for every status of the closed union', () => {
    const phrases = Object.fromEntries(
      HTTP_ERROR_STATUSES.map((status) => [status, httpReasonPhrase(status)]),
    );
    expect(phrases).toEqual({
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      405: 'Method Not Allowed',
      409: 'Conflict',
      413: 'Payload Too Large',
      429: 'Too Many Requests',
      500: 'Internal Server Error',
      503: 'Service Unavailable',
    });
  });

  it('refuses, at compile time, a status outside the closed union', () => {
    // The call is never made: the point is the compile error that tsc (pnpm typecheck) checks.
    const call = () =>
      // @ts-expect-error 418 is not an HttpErrorStatus
      httpReasonPhrase(418);
    expect(typeof call).toBe('function');
  });
});

describe('isHttpErrorStatus', () => {
  it('accepts exactly the statuses of the union', () => {
    for (const status of HTTP_ERROR_STATUSES) expect(isHttpErrorStatus(status)).toBe(true);
    for (const value of [200, 418, 499, 502, 600, '401', 401.5, Number.NaN, null, undefined, {}]) {
      expect(isHttpErrorStatus(value)).toBe(false);
    }
  });
});

describe('assertNever', () => {
  // A consumer-style switch over a closed union: complete, it compiles; missing a case, it does not.
  type Light = 'red' | 'green';
  const complete = (light: Light): number => {
    switch (light) {
      case 'red':
        return 0;
      case 'green':
        return 1;
      default:
        return assertNever(light);
    }
  };
  const incomplete = (light: Light): number => {
    switch (light) {
      case 'red':
        return 0;
      default:
        // @ts-expect-error 'green' has no case, so `light` is not `never` here
        return assertNever(light);
    }
  };

  it('makes an incomplete switch fail to compile and throw if reached at run time', () => {
    expect(complete('green')).toBe(1);
    expect(() => incomplete('green')).toThrow(TypeError);
  });

  it('does not put the unexpected value in its message', () => {
    expect(() => assertNever('s3cret' as never)).toThrow(/^(?!.*s3cret)/);
  });

  it('types the union from the status list', () => {
    expectTypeOf<HttpErrorStatus>().toEqualTypeOf<
      400 | 401 | 403 | 404 | 405 | 409 | 413 | 429 | 500 | 503
    >();
  });
});
