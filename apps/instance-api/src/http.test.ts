// envelopeJson writes the very text JSON.stringify writes of the envelope object.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { envelope, envelopeJson, isoTimestamp } from './http.js';
import type { AppContext } from './state.js';

const contextOf = (state: Partial<AppContext['state']>) =>
  ({ state: { requestId: 'req-12345678', ...state } }) as AppContext;

describe('envelopeJson', () => {
  it('is JSON.stringify of the envelope, with and without the caller instance', () => {
    const data = { service: 'custody', enabled: true };
    const now = () => 1_767_225_600_123;
    for (const ctx of [
      contextOf({}),
      contextOf({ auth: { instanceId: 'inst_0123456789abcdef01234567', keyId: 'k', services: [] } }),
    ]) {
      expect(envelopeJson(ctx, now, JSON.stringify(data))).toBe(JSON.stringify(envelope(ctx, now, data)));
    }
  });

  it('is JSON.stringify of the envelope for any request id and instance id, quotes and controls included', () => {
    const now = () => 1_767_225_600_123;
    const data = { ok: 1 };
    const ids = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.stringMatching(/^[A-Za-z0-9._:-]{0,40}$/),
    );
    fc.assert(
      fc.property(ids, ids, (requestId, instanceId) => {
        const ctx = contextOf({ requestId, auth: { instanceId, keyId: 'k', services: [] } });
        expect(envelopeJson(ctx, now, JSON.stringify(data))).toBe(JSON.stringify(envelope(ctx, now, data)));
      }),
      { numRuns: 2000 },
    );
    for (const text of ['"', '\\', '\n', 'a"b', '\u2028', 'é', '']) {
      const ctx = contextOf({ requestId: text });
      expect(JSON.parse(envelopeJson(ctx, now, '1')).metadata.requestId).toBe(text);
    }
  });

  it('formats each millisecond once and never answers a stale one', () => {
    expect(isoTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTimestamp(1)).toBe('1970-01-01T00:00:00.001Z');
  });
});
