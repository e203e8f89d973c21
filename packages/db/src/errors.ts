/**
 * Thrown by this package when the database cannot be used at all: it was closed, or the
 * embedded session stayed busy past `connectTimeoutMs`. {@link isDatabaseUnavailable} is true for it.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  readonly code: 'DB_CLOSED' | 'DB_BUSY';

  constructor(code: 'DB_CLOSED' | 'DB_BUSY', message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Thrown when COMMIT turned into ROLLBACK because a statement inside the transaction failed
 * and its error was caught. Nothing was written. Same SQLSTATE as PGlite's equivalent error.
 */
export class TransactionAbortedError extends Error {
  override readonly name = 'TransactionAbortedError';
  readonly code = '25P02';
  readonly severity = 'ERROR';

  constructor() {
    super('Transaction was rolled back instead of committed: a statement inside it failed');
  }
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Node network error codes meaning "the server could not be reached or the link broke". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs meaning the server is unreachable, shutting down, overloaded, or our own timeouts
 * fired: retrying later can succeed, so callers answer 503 (SPEC §8 "Database down").
 */
const UNAVAILABLE_STATES = new Set([
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '57014', // query_canceled: statement_timeout fired
  '55P03', // lock_not_available: lock_timeout fired
  '25P03', // idle_in_transaction_session_timeout
]);

/** node-postgres reports these connection failures without a code. */
const PG_UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];

function field(error: unknown, name: string): unknown {
  if (typeof error !== 'object' || error === null) return undefined;
  try {
    return (error as Record<string, unknown>)[name];
  } catch {
    // A hostile getter must not turn error classification into a new exception.
    return undefined;
  }
}

/**
 * The SQLSTATE of a server error from either backend (`'23505'`, `'40001'`…), or `undefined`
 * for anything else — including Node network errors, whose `code` is not a SQLSTATE.
 * Never throws.
 *
 * @example
 * ```ts
 * try { await db.query(sql, params) } catch (err) { if (sqlState(err) === '23503') ... }
 * ```
 */
export function sqlState(error: unknown): string | undefined {
  const code = field(error, 'code');
  // Both pg's and PGlite's DatabaseError carry `severity`; Node system errors never do.
  if (typeof code === 'string' && SQLSTATE.test(code) && typeof field(error, 'severity') === 'string') {
    return code;
  }
  return undefined;
}

/**
 * True for a unique-constraint violation (SQLSTATE 23505), optionally of one named constraint.
 * Never throws.
 *
 * @param constraint - when given, only a violation of this constraint counts.
 * @example
 * ```ts
 * try { await db.query('INSERT INTO keys (digest) VALUES ($1)', [digest]) }
 * catch (err) { if (isUniqueViolation(err, 'keys_digest_key')) return { ok: false, reason: 'duplicate' }; throw err }
 * ```
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== '23505') return false;
  return constraint === undefined || field(error, 'constraint') === constraint;
}

/**
 * True when the transaction lost a race and should be retried as a whole: serialization
 * failure (40001) or deadlock (40P01). Never throws.
 *
 * @example
 * ```ts
 * for (let attempt = 1; ; attempt++) {
 *   try { return await db.transaction(work) } catch (err) { if (!isSerializationFailure(err) || attempt === 3) throw err }
 * }
 * ```
 */
export function isSerializationFailure(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40001' || state === '40P01';
}

/**
 * True when the error means the database is unreachable or not answering in time — map it to
 * 503, not to "invalid input" (DESIGN §4). Covers: this package's {@link DatabaseUnavailableError}
 * (closed, busy); network errors (ECONNREFUSED, ECONNRESET, ETIMEDOUT…, also inside an
 * AggregateError or `cause`); node-postgres connection and read timeouts; SQLSTATE class 08
 * (connection exception) and 53300, 57P01–57P03, 57014, 55P03, 25P03. Never throws.
 *
 * @example
 * ```ts
 * catch (err) { if (isDatabaseUnavailable(err)) throw errors.error('SERVICE_UNAVAILABLE') ; throw err }
 * ```
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailable(error, 0);
}

function unavailable(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith('08') || UNAVAILABLE_STATES.has(state);
  const code = field(error, 'code');
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const message = field(error, 'message');
  if (typeof message === 'string' && PG_UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) {
    return true;
  }
  // Node reports a failed multi-address connect (e.g. localhost → ::1 and 127.0.0.1) as an AggregateError.
  const nested = field(error, 'errors');
  if (Array.isArray(nested) && nested.some((inner) => unavailable(inner, depth + 1))) return true;
  return unavailable(field(error, 'cause'), depth + 1);
}
