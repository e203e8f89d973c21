// Hostile input: whatever arrives in the DPoP header, the verifier answers with a typed refusal.
// It never throws and never accepts (SPEC §8).
import { createFakeClock } from '@portcullis/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b64json, generateTestKey, makeProof, signInput } from '../test/proofs.js';
import { createMemoryReplayStore } from './memory-replay-store.js';
import { createNonceIssuer } from './nonce.js';
import { DPOP_RULES, type DpopVerification, verifyDpopProof } from './verify.js';

const URL = 'https://issuer.example/v1/token';
const clock = createFakeClock(Date.UTC(2026, 0, 1));
const replay = createMemoryReplayStore({ maxEntries: 1_000_000, now: clock.now });
const nonces = createNonceIssuer({ secrets: ['p'.repeat(32)], now: clock.now });
const key = generateTestKey('ES256');
const RUNS = { numRuns: 1_000 };

const verify = (proof: unknown, accessToken?: string): Promise<DpopVerification> =>
  verifyDpopProof({
    proof,
    method: 'POST',
    url: URL,
    accessToken,
    expectedJkt: accessToken === undefined ? undefined : key.jkt,
    nonce: { required: false, verify: nonces.verify },
    replay,
    now: clock.now,
  });

const refused = (result: DpopVerification) =>
  !result.ok && DPOP_RULES.includes(result.rule) && typeof result.reason === 'string';

const base64urlSegment = fc
  .uint8Array({ maxLength: 300 })
  .map((bytes) => Buffer.from(bytes).toString('base64url'));
const base64urlChar = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split(''),
);
const base64urlText = fc.string({
  unit: base64urlChar,
  maxLength: 400,
});

describe('verifyDpopProof on hostile input', () => {
  it('refuses any header value (any type, any string) without throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.string(), fc.array(fc.string())), async (proof) => {
        expect(refused(await verify(proof))).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses random base64url parts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(base64urlSegment, base64urlText),
        fc.oneof(base64urlSegment, base64urlText),
        fc.oneof(base64urlSegment, base64urlText),
        async (h, p, s) => {
          expect(refused(await verify(`${h}.${p}.${s}`))).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('refuses random JSON headers and claims with a random signature', async () => {
    const header = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          typ: fc.oneof(fc.constant('dpop+jwt'), fc.jsonValue()),
          alg: fc.oneof(fc.constantFrom('ES256', 'EdDSA', 'none', 'HS256'), fc.jsonValue()),
          jwk: fc.oneof(fc.constant(key.publicJwk), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(header, fc.jsonValue(), base64urlSegment, async (h, claims, s) => {
        expect(refused(await verify(`${b64json(h)}.${b64json(claims)}.${s}`))).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses correctly signed proofs whose claims are random', async () => {
    const claims = fc.record(
      {
        jti: fc.jsonValue(),
        htm: fc.oneof(fc.constantFrom('POST', 'GET', 'post'), fc.jsonValue()),
        htu: fc.oneof(
          fc.constantFrom(`${URL}?x`, 'https://issuer.example/', URL.toUpperCase()),
          fc.webUrl(),
          fc.jsonValue(),
        ),
        iat: fc.oneof(fc.double(), fc.jsonValue()),
        nonce: fc.jsonValue(),
        ath: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(claims, async (c) => {
        const input = `${b64json({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk })}.${b64json(c)}`;
        const proof = `${input}.${signInput(key, input).toString('base64url')}`;
        expect(refused(await verify(proof, 'token'))).toBe(true);
      }),
      RUNS,
    );
  });

  it('refuses a valid proof with any one character changed', async () => {
    const iat = Math.floor(clock.now() / 1000);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.oneof(base64urlChar, fc.string({ minLength: 1, maxLength: 1 })),
        async (position, char) => {
          const proof = makeProof(key, { htm: 'POST', htu: URL, iat });
          const at = position % proof.length;
          fc.pre(proof[at] !== char);
          const mutated = `${proof.slice(0, at)}${char}${proof.slice(at + 1)}`;
          expect(refused(await verify(mutated))).toBe(true);
        },
      ),
      RUNS,
    );
  });
});
