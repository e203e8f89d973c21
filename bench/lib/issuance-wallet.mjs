// The wallet side of OpenID4VCI issuance for the issuance benchmarks: offers made with the tenant's
// API key, pre-authorized codes exchanged for DPoP-bound access tokens, c_nonces fetched from
// /v1/nonce, and complete credential requests (access token, DPoP proof, key proof) built ahead of
// a round, so that what a round measures is the server answering them, not the bench making them.
// Keys and proofs are made with node:crypto (ES256, JOSE r ‖ s signatures); none is ever printed.
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { Agent, request } from 'node:http';
import { generateJwkPair } from '@portcullis/testing';

const PRE_AUTHORIZED = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const CONFIG_ID = 'TuringCerts_Standard_Credential_v2_sd_jwt';
const CLAIMS = { credentialName: 'Certified Kubernetes Administrator', issuedTime: '2026-01-31T12:00:00Z' };

const b64json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A fresh P-256 key pair: `{ privateKey, publicJwk }` (the JWK without `d`). From JWKs the key
 * generation encoded (`generateJwkPair`: exporting them from generated key objects can deadlock
 * Node's garbage collector), the key to sign with imported from the private one.
 */
function es256Key() {
  const { publicJwk, privateJwk } = generateJwkPair('ES256');
  const { kty, crv, x, y } = publicJwk;
  return { privateKey: createPrivateKey({ key: privateJwk, format: 'jwk' }), publicJwk: { kty, crv, x, y } };
}

/** A compact ES256 JWS with the public key in its header (`jwk`), as DPoP and key proofs carry it. */
function signJws(header, payload, key) {
  const input = `${b64json({ ...header, alg: 'ES256', jwk: key.publicJwk })}.${b64json(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/**
 * One HTTP request on a keep-alive agent; resolves `{ status, headers, body }` (body as text).
 * Rejects after `timeoutMs` without an answer.
 */
export function httpRequest(agent, url, { method = 'GET', headers = {}, body, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` running at once; resolves their results. */
export async function pool(count, concurrency, task) {
  const results = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next;
      next += 1;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/**
 * A wallet of the issuer at `publicUrl`, for the tenant `slug` (whose API key makes the offers).
 * `concurrency` bounds its keep-alive connections.
 */
export function createWallet({ publicUrl, slug, apiKey, concurrency = 16 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = (path) => `${publicUrl}${path}`;
  const audience = `${publicUrl}/${slug}`;
  const iat = () => Math.floor(Date.now() / 1000);

  const expect = (res, status, what) => {
    if (res.status !== status) {
      // The body of an error answer names the rule; it never holds a secret of ours.
      throw new Error(`${what} answered ${res.status}: ${res.body.slice(0, 300)}`);
    }
    return res;
  };

  const dpopProof = (key, path, nonce, token) =>
    signJws(
      { typ: 'dpop+jwt' },
      {
        jti: randomUUID(),
        htm: 'POST',
        htu: url(path),
        iat: iat(),
        nonce,
        ...(token === undefined ? {} : { ath: createHash('sha256').update(token).digest('base64url') }),
      },
      key,
    );

  const wallet = {
    agent,

    /** `count` fresh `{ cNonce, dpopNonce }` from POST /v1/nonce. */
    async nonces(count) {
      return pool(count, concurrency, async () => {
        const res = expect(await httpRequest(agent, url('/v1/nonce'), { method: 'POST' }), 200, 'nonce');
        return { cNonce: JSON.parse(res.body).c_nonce, dpopNonce: res.headers['dpop-nonce'] };
      });
    },

    /** An offer (POST /v1/offers with the API key) and its pre-authorized code (from its document). */
    async offer() {
      const made = expect(
        await httpRequest(agent, url('/v1/offers'), {
          method: 'POST',
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({
            credential: { config_id: CONFIG_ID, claims: CLAIMS },
            flow: 'pre-authorized',
          }),
        }),
        201,
        'offer',
      );
      const offerId = JSON.parse(made.body).offer_id;
      const document = expect(await httpRequest(agent, url(`/v1/offers/${offerId}`)), 200, 'offer document');
      const code = JSON.parse(document.body).grants[PRE_AUTHORIZED]['pre-authorized_code'];
      return { offerId, code };
    },

    /**
     * A DPoP-bound access token for a new offer: `{ offerId, token, dpopKey }`. The token covers
     * any number of credential requests for 300 s (each with its own DPoP proof and c_nonce).
     */
    async accessToken() {
      const { offerId, code } = await wallet.offer();
      const [{ dpopNonce }] = await wallet.nonces(1);
      const dpopKey = es256Key();
      const res = expect(
        await httpRequest(agent, url('/v1/token'), {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            dpop: dpopProof(dpopKey, '/v1/token', dpopNonce),
          },
          body: new URLSearchParams({ grant_type: PRE_AUTHORIZED, 'pre-authorized_code': code }).toString(),
        }),
        200,
        'token',
      );
      return { offerId, token: JSON.parse(res.body).access_token, dpopKey };
    },

    /**
     * A complete credential request for one credential, ready to send: a fresh holder key, its key
     * proof over `cNonce`, and a DPoP proof (fresh jti, `dpopNonce`, `ath` of the token).
     * Returns `{ headers, body, dpop, token, keyProof }` — the last three are what the crypto
     * floor checks.
     */
    credentialRequest({ token, dpopKey, cNonce, dpopNonce }) {
      const keyProof = signJws(
        { typ: 'openid4vci-proof+jwt' },
        { aud: audience, iat: iat(), nonce: cNonce },
        es256Key(),
      );
      const dpop = dpopProof(dpopKey, '/v1/credential', dpopNonce, token);
      const body = JSON.stringify({ credential_configuration_id: CONFIG_ID, proofs: { jwt: [keyProof] } });
      return {
        headers: {
          authorization: `DPoP ${token}`,
          dpop,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
        dpop,
        token,
        keyProof,
      };
    },

    /** Sends one prepared credential request; resolves the answer. */
    sendCredential(prepared) {
      return httpRequest(agent, url('/v1/credential'), {
        method: 'POST',
        headers: prepared.headers,
        body: prepared.body,
      });
    },

    /** GET with the API key (tenant routes); resolves the parsed JSON of a 200. */
    async getJson(path) {
      const res = expect(
        await httpRequest(agent, url(path), { headers: { 'x-api-key': apiKey } }),
        200,
        path,
      );
      return JSON.parse(res.body);
    },

    /** POST /v1/credentials/:id/status with the API key. */
    async changeStatus(credentialId, status) {
      expect(
        await httpRequest(agent, url(`/v1/credentials/${credentialId}/status`), {
          method: 'POST',
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({ status }),
        }),
        200,
        'status change',
      );
    },

    close() {
      agent.destroy();
    },
  };
  return wallet;
}
