// Proofs built by an independent implementation (panva's `dpop`, WebCrypto keys) must verify.
import { createFakeClock } from '@portcullis/testing';
import { calculateThumbprint, generateKeyPair, generateProof, type JWSAlgorithm } from 'dpop';
import { describe, expect, it } from 'vitest';
import { createMemoryReplayStore } from './memory-replay-store.js';
import { createNonceIssuer } from './nonce.js';
import { verifyDpopProof } from './verify.js';

const TOKEN_URL = 'https://issuer.example/v1/token';
const CREDENTIAL_URL = 'https://issuer.example/v1/credential';
const ACCESS_TOKEN = 'eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3YWxsZXQifQ.c2ln';

// `dpop` names the Ed25519 algorithm by its RFC 9864 identifier and signs with alg "Ed25519".
describe.each<JWSAlgorithm>(['ES256', 'Ed25519'])('proofs from the dpop package (%s)', (alg) => {
  const setup = async () => {
    const keypair = await generateKeyPair(alg);
    // `dpop` stamps iat from the real clock; the fake clock starts there and then moves only on demand.
    const clock = createFakeClock(Date.now());
    const replay = createMemoryReplayStore({ now: clock.now });
    const nonces = createNonceIssuer({ secrets: ['interop-secret-0123456789abcdefghij'], now: clock.now });
    return { keypair, clock, replay, nonces, jkt: await calculateThumbprint(keypair.publicKey) };
  };

  it('verifies a token request proof without nonce and returns the same jkt as dpop', async () => {
    const { keypair, clock, replay, jkt } = await setup();
    const proof = await generateProof(keypair, TOKEN_URL, 'POST');
    const result = await verifyDpopProof({ proof, method: 'POST', url: TOKEN_URL, replay, now: clock.now });
    expect(result).toMatchObject({ ok: true, jkt });
  });

  it('verifies a token request proof with a server nonce', async () => {
    const { keypair, clock, replay, nonces } = await setup();
    const proof = await generateProof(keypair, TOKEN_URL, 'POST', nonces.issue());
    const result = await verifyDpopProof({
      proof,
      method: 'POST',
      url: TOKEN_URL,
      nonce: { required: true, verify: nonces.verify },
      replay,
      now: clock.now,
    });
    expect(result.ok).toBe(true);
  });

  it('verifies a resource request proof with ath and the token cnf.jkt', async () => {
    const { keypair, clock, replay, jkt } = await setup();
    const proof = await generateProof(keypair, CREDENTIAL_URL, 'POST', undefined, ACCESS_TOKEN);
    const result = await verifyDpopProof({
      proof,
      method: 'POST',
      url: CREDENTIAL_URL,
      accessToken: ACCESS_TOKEN,
      expectedJkt: jkt,
      replay,
      now: clock.now,
    });
    expect(result.ok).toBe(true);
  });

  it('verifies a resource request proof with ath and a nonce', async () => {
    const { keypair, clock, replay, nonces, jkt } = await setup();
    const proof = await generateProof(keypair, CREDENTIAL_URL, 'POST', nonces.issue(), ACCESS_TOKEN);
    const result = await verifyDpopProof({
      proof,
      method: 'POST',
      url: CREDENTIAL_URL,
      accessToken: ACCESS_TOKEN,
      expectedJkt: jkt,
      nonce: { required: true, verify: nonces.verify },
      replay,
      now: clock.now,
    });
    expect(result.ok).toBe(true);
  });

  it('refuses the dpop proof when replayed, when stale, and at another URL', async () => {
    const { keypair, clock, replay } = await setup();
    const proof = await generateProof(keypair, TOKEN_URL, 'POST');
    const options = { proof, method: 'POST', url: TOKEN_URL, replay, now: clock.now };
    expect((await verifyDpopProof({ ...options, url: CREDENTIAL_URL })).ok).toBe(false);
    expect((await verifyDpopProof(options)).ok).toBe(true);
    expect(await verifyDpopProof(options)).toMatchObject({ ok: false, rule: 'replay' });
    clock.advance(301_000);
    const late = await generateProof(keypair, TOKEN_URL, 'POST');
    // Issued at real time, now 301 s behind the fake clock.
    expect(await verifyDpopProof({ ...options, proof: late })).toMatchObject({ ok: false, rule: 'iat' });
  });
});
