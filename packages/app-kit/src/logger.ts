import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino censors wherever they appear (SPEC §8): credentials in headers, and the fields a
 * log call or an error might carry a secret in.
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers.dpop',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers.dpop',
  '*.apiKey',
  '*.key',
  '*.newKey',
  '*.password',
  '*.token',
  '*.adminToken',
  '*.managementToken',
  '*.proof',
];

export interface LoggerOptions {
  /** Name put on every line (`app`). */
  app: string;
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Where lines go; stdout by default (tests pass a capturing stream). */
  destination?: DestinationStream;
}

/**
 * The service logger: JSON lines, secrets censored.
 *
 * @example
 * const logger = createLogger({ app: 'instance-api', level: 'info' });
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { app: options.app },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * An error as it may be logged: name, message and the cause's, never other fields (driver errors
 * can carry connection strings or bound parameters in them).
 *
 * @example
 * logger.error({ err: errorForLog(err) }, 'request failed');
 */
export function errorForLog(err: unknown): { name: string; message: string; code?: string } {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: cause instanceof Error ? `${err.message}: ${cause.name}: ${cause.message}` : err.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'NonError', message: typeof err };
}
