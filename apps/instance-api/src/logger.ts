import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths pino censors wherever they appear (SPEC §8): credentials in headers, and any field an
 * error or a future log call might carry a secret in.
 */
export const REDACTED_PATHS = [
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
];

/**
 * The app's logger: JSON lines, secrets censored.
 *
 * @example
 * const logger = createLogger('info');
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { app: 'instance-api' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
