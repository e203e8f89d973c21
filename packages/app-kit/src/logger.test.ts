import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, errorForLog } from './logger.js';

describe('logger', () => {
  it('censors credentials in headers and secret fields', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ app: 'test', level: 'info', destination: sink });
    logger.info(
      {
        req: { headers: { 'x-api-key': 'trusset_secret', authorization: 'Bearer tok', dpop: 'proof' } },
        body: { apiKey: 'k1', password: 'p', managementToken: 'm' },
      },
      'x',
    );
    const line = lines.join('');
    for (const secret of ['trusset_secret', 'Bearer tok', 'proof', '"k1"', '"p"', '"m"'])
      expect(line).not.toContain(secret);
    expect(line).toContain('[redacted]');
  });

  it('logs errors by name and message only', () => {
    const err = Object.assign(new Error('boom', { cause: new Error('inner') }), {
      connectionString: 'postgres://u:pw@h',
    });
    expect(errorForLog(err)).toEqual({ name: 'Error', message: 'boom: Error: inner' });
    expect(errorForLog('x')).toEqual({ name: 'NonError', message: 'string' });
  });
});
