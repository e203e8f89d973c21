import { createFakeClock } from '@portcullis/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNonceIssuer } from './nonce.js';

const CURRENT = 'current-secret-0123456789abcdefghij';
const PREVIOUS = Buffer.alloc(32, 7);

describe('createNonceIssuer', () => {
  it('issues 64-character base64url nonces that it verifies', () => {
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: createFakeClock().now });
    const nonce = nonces.issue();
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(nonces.verify(nonce)).toBe(true);
  });

  it('issues a different nonce each time', () => {
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: createFakeClock().now });
    expect(nonces.issue()).not.toBe(nonces.issue());
  });

  it('accepts a nonce for exactly ttlSeconds and refuses it after', () => {
    const clock = createFakeClock();
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: clock.now });
    const nonce = nonces.issue();
    clock.advance(300_000);
    expect(nonces.verify(nonce)).toBe(true);
    clock.advance(1);
    expect(nonces.verify(nonce)).toBe(false);
  });

  it('honours ttlSeconds', () => {
    const clock = createFakeClock();
    const nonces = createNonceIssuer({ secrets: [CURRENT], ttlSeconds: 10, now: clock.now });
    const nonce = nonces.issue();
    clock.advance(10_001);
    expect(nonces.verify(nonce)).toBe(false);
  });

  it('accepts nonces of a previous secret after rotation', () => {
    const clock = createFakeClock();
    const before = createNonceIssuer({ secrets: [PREVIOUS], now: clock.now });
    const after = createNonceIssuer({ secrets: [CURRENT, PREVIOUS], now: clock.now });
    const old = before.issue();
    expect(after.verify(old)).toBe(true);
    // New nonces use the current secret: the old issuer does not know them.
    expect(before.verify(after.issue())).toBe(false);
  });

  it('refuses nonces of a secret it does not hold', () => {
    const clock = createFakeClock();
    const other = createNonceIssuer({ secrets: [PREVIOUS], now: clock.now });
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: clock.now });
    expect(nonces.verify(other.issue())).toBe(false);
  });

  it('refuses a nonce with a changed expiry or MAC', () => {
    const clock = createFakeClock();
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: clock.now });
    const bytes = Buffer.from(nonces.issue(), 'base64url');
    const laterExpiry = Buffer.from(bytes);
    laterExpiry[6] = (laterExpiry[6] ?? 0) ^ 0x01;
    expect(nonces.verify(laterExpiry.toString('base64url'))).toBe(false);
    const badMac = Buffer.from(bytes);
    badMac[47] = (badMac[47] ?? 0) ^ 0x80;
    expect(nonces.verify(badMac.toString('base64url'))).toBe(false);
  });

  it('refuses any one-character change of a nonce', () => {
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: createFakeClock().now });
    const nonce = nonces.issue();
    fc.assert(
      fc.property(
        fc.nat({ max: 63 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
        (at, char) => {
          fc.pre(nonce[at] !== char);
          expect(nonces.verify(`${nonce.slice(0, at)}${char}${nonce.slice(at + 1)}`)).toBe(false);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('refuses anything that is not a nonce, without throwing', () => {
    const nonces = createNonceIssuer({ secrets: [CURRENT], now: createFakeClock().now });
    fc.assert(
      fc.property(
        fc.oneof(fc.anything(), fc.string(), fc.string({ minLength: 64, maxLength: 64 })),
        (value) => {
          expect(nonces.verify(value)).toBe(false);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('refuses a secret shorter than 32 bytes, and no secret at all', () => {
    expect(() => createNonceIssuer({ secrets: ['short'] })).toThrow(TypeError);
    expect(() => createNonceIssuer({ secrets: [CURRENT, Buffer.alloc(31)] })).toThrow(TypeError);
    expect(() => createNonceIssuer({ secrets: [] })).toThrow(TypeError);
    expect(() => createNonceIssuer({ secrets: [CURRENT], ttlSeconds: 0 })).toThrow(TypeError);
  });

  it('is not affected by later changes to the secret buffer it was given', () => {
    const secret = Buffer.alloc(32, 1);
    const nonces = createNonceIssuer({ secrets: [secret], now: createFakeClock().now });
    const nonce = nonces.issue();
    secret.fill(2);
    expect(nonces.verify(nonce)).toBe(true);
  });
});
