import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
  TransactionAbortedError,
} from './errors.js';

/** Shaped like the DatabaseError of node-postgres and of PGlite. */
function serverError(code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error('server said no'), { severity: 'ERROR', code, ...extra });
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code, errno: -111, syscall: 'connect' });
}

describe('sqlState', () => {
  it('reads the SQLSTATE of a server error', () => {
    expect(sqlState(serverError('23505'))).toBe('23505');
    expect(sqlState(new TransactionAbortedError())).toBe('25P02');
  });

  it('does not mistake a Node error code for a SQLSTATE', () => {
    expect(sqlState(systemError('EPIPE'))).toBeUndefined();
    expect(sqlState(new DatabaseUnavailableError('DB_BUSY', 'busy'))).toBeUndefined();
    expect(sqlState({ code: 'XX000' })).toBeUndefined();
  });
});

describe('isUniqueViolation', () => {
  it('matches 23505, optionally only for one constraint', () => {
    const error = serverError('23505', { constraint: 'keys_digest_key' });
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, 'keys_digest_key')).toBe(true);
    expect(isUniqueViolation(error, 'keys_pkey')).toBe(false);
  });

  it('does not match other constraint violations', () => {
    expect(isUniqueViolation(serverError('23503'))).toBe(false);
    expect(isUniqueViolation(serverError('23P01'))).toBe(false);
  });
});

describe('isSerializationFailure', () => {
  it('matches serialization failures and deadlocks only', () => {
    expect(isSerializationFailure(serverError('40001'))).toBe(true);
    expect(isSerializationFailure(serverError('40P01'))).toBe(true);
    expect(isSerializationFailure(serverError('23505'))).toBe(false);
  });
});

describe('isDatabaseUnavailable', () => {
  it('matches network failures, also nested in an AggregateError or a cause', () => {
    expect(isDatabaseUnavailable(systemError('ECONNREFUSED'))).toBe(true);
    expect(isDatabaseUnavailable(systemError('ECONNRESET'))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([systemError('ECONNREFUSED')], 'all failed'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: systemError('ETIMEDOUT') }))).toBe(true);
  });

  it('matches node-postgres connection and read timeouts', () => {
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated due to connection timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
  });

  it('matches connection-class and shutdown SQLSTATEs and our own timeouts', () => {
    for (const code of ['08006', '08001', '57P01', '57P03', '53300', '57014', '55P03', '25P03']) {
      expect(isDatabaseUnavailable(serverError(code)), code).toBe(true);
    }
    expect(isDatabaseUnavailable(new DatabaseUnavailableError('DB_CLOSED', 'closed'))).toBe(true);
  });

  it('does not match SQL errors, programming errors or look-alike messages in SQL errors', () => {
    expect(isDatabaseUnavailable(serverError('23505'))).toBe(false);
    expect(isDatabaseUnavailable(serverError('42601', { message: 'Connection terminated' }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is not a function'))).toBe(false);
    expect(isDatabaseUnavailable(new TransactionAbortedError())).toBe(false);
  });

  it('stops following a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });

  it('survives a hostile getter', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('gotcha');
        },
      },
    );
    expect(isDatabaseUnavailable(hostile)).toBe(false);
    expect(isUniqueViolation(hostile)).toBe(false);
    expect(sqlState(hostile)).toBeUndefined();
  });
});

describe('classifiers on arbitrary input', () => {
  it('never throw and always return a boolean (or string | undefined for sqlState)', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true }),
        (value) => {
          expect(typeof isDatabaseUnavailable(value)).toBe('boolean');
          expect(typeof isUniqueViolation(value)).toBe('boolean');
          expect(typeof isSerializationFailure(value)).toBe('boolean');
          const state = sqlState(value);
          expect(state === undefined || /^[0-9A-Z]{5}$/.test(state)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('classify any error-shaped object consistently with its SQLSTATE', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{5}$/), fc.string(), (code, message) => {
        const error = serverError(code, { message });
        expect(sqlState(error)).toBe(code);
        expect(isUniqueViolation(error)).toBe(code === '23505');
      }),
      { numRuns: 1000 },
    );
  });
});
