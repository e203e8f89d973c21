// Issuance fails closed when a store it needs cannot answer: a DPoP replay store or a c_nonce
// store that is down is a 503 `temporarily_unavailable` in the OAuth format, never an accepted
// proof, a lost pre-authorized code or a bare 500.
import type { Database } from '@portcullis/db';
import { DpopInfrastructureError } from '@portcullis/dpop';
import * as dpop from 'dpop';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCredentialNonces } from '../src/issuance/c-nonces.js';
import { approvedTenant, body, issuedSecrets, pgliteDatabase, type RunningApp, startApp } from './harness.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

let db: Database;
let app: RunningApp;
let apiKey: string;
let replayDown = false;
// A client of a port nothing listens on, failing each command at once: a Redis that is down.
const deadRedis = new Redis({
  host: '127.0.0.1',
  port: 1,
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
});
deadRedis.on('error', () => undefined);

beforeAll(async () => {
  db = await pgliteDatabase();
  app = await startApp({
    db,
    publicUrl: 'self',
    instrument: (deps) => {
      const replay = deps.issuance.replay;
      deps.issuance.replay = {
        remember: (jkt, jti, ttlMs) => {
          if (replayDown) throw new DpopInfrastructureError('replay-store', 'replay store down');
          return replay.remember(jkt, jti, ttlMs);
        },
      };
    },
  });
  apiKey = (await approvedTenant(app, { signingProfile: 'eddsa_did' })).apiKey;
});
afterAll(async () => {
  deadRedis.disconnect();
  await app?.close();
  await db?.close();
});

async function offerCode(): Promise<string> {
  const res = await app.request('/v1/offers', {
    method: 'POST',
    headers: { 'x-api-key': apiKey },
    json: {
      credential: {
        config_id: 'TuringCerts_Standard_Credential_v2_sd_jwt',
        claims: { credentialName: 'Outage', issuedTime: '2026-12-01T10:00:00Z' },
      },
      flow: 'pre-authorized',
    },
  });
  expect(res.status).toBe(201);
  const { credential_offer_uri } = await body<{ credential_offer_uri: string }>(res);
  const offer = await body<{ grants: Record<string, { 'pre-authorized_code': string }> }>(
    await fetch(credential_offer_uri),
  );
  const code = offer.grants[GRANT]?.['pre-authorized_code'] as string;
  issuedSecrets.add(code);
  return code;
}

async function tokenRequest(code: string) {
  const keys = await dpop.generateKeyPair('ES256');
  const proof = await dpop.generateProof(keys, `${app.url}/v1/token`, 'POST');
  issuedSecrets.add(proof);
  return app.request('/v1/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
    body: new URLSearchParams({ grant_type: GRANT, 'pre-authorized_code': code }).toString(),
  });
}

describe('stores that cannot answer', () => {
  it('answers 503 temporarily_unavailable when the DPoP replay store is down, and the code stays usable', async () => {
    const code = await offerCode();
    replayDown = true;
    let res: Response;
    try {
      res = await tokenRequest(code);
    } finally {
      replayDown = false;
    }
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Service temporarily unavailable',
    });
    const retried = await tokenRequest(code);
    expect(retried.status).toBe(200);
    const token = await body<{ access_token: string; token_type: string }>(retried);
    issuedSecrets.add(token.access_token);
    expect(token.token_type).toBe('DPoP');
  });

  it('answers 503 temporarily_unavailable when the c_nonce store is down', async () => {
    const nonces = app.deps.issuance.nonces;
    app.deps.issuance.nonces = createRedisCredentialNonces({
      redis: deadRedis,
      prefix: 'pc:test:',
      ttlMs: 300_000,
    });
    let res: Response;
    try {
      res = await app.request('/v1/nonce', { method: 'POST' });
    } finally {
      app.deps.issuance.nonces = nonces;
    }
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Service temporarily unavailable',
    });
    expect((await app.request('/v1/nonce', { method: 'POST' })).status).toBe(200);
  });
});
