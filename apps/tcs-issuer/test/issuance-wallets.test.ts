// Pre-authorized code issuance end to end, for both signing profiles, driven only by independent
// clients over HTTP: the OpenWallet Foundation wallet library (@openid4vc/openid4vci), and
// oauth4webapi with panva's dpop and a hand-built credential request. Every credential is checked
// with the @sd-jwt libraries against the issuer's published trust material (the did:key of its
// `kid`, or its x5c leaf chained to /.well-known/ca.pem), and its status is followed on the
// signed status list through suspension, reinstatement and revocation.
import 'reflect-metadata';
import { createHash, createPublicKey, type JsonWebKey, randomBytes, verify, webcrypto } from 'node:crypto';
import { clientAuthenticationAnonymous, type Jwk, type JwtSigner, setGlobalConfig } from '@openid4vc/oauth2';
import {
  type CredentialOfferObject,
  type IssuerMetadataResult,
  Openid4vciClient,
} from '@openid4vc/openid4vci';
import * as x509 from '@peculiar/x509';
import { digest } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import * as dpop from 'dpop';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDidKey } from '../src/crypto/did-key.js';
import { body, issuedSecrets, listDidsOf, only } from './harness.js';
import {
  CONFIG_ID,
  type CreatedOffer,
  didKeyHolder,
  type IssuanceTenant,
  type IssuedCredentialView,
  issuanceTenant,
  issuanceWallet,
  type Key,
  newKey,
  PRE_AUTHORIZED,
  pgliteIssuer,
  type SigningProfile,
  signJws,
} from './issuance-client.js';

const YEAR_SECONDS = 365 * 24 * 3600;
/** Members of the issuer-signed payload that must travel in clear, never as disclosures. */
const FRAME_CLAIMS = ['iss', 'vct', 'iat', 'exp', 'cnf', 'status'] as const;
const STATUS = { valid: 0, revoked: 1, suspended: 2 } as const;

// The wallet library refuses http URLs unless told otherwise; the app listens on loopback http.
beforeAll(() => setGlobalConfig({ allowInsecureUrls: true }));
const app = pgliteIssuer();
/** The tenant side of the tests: offers and the tenant API. */
const tenantSide = issuanceWallet(() => [app]);

// ---------------------------------------------------------------------------------------------
// Holder keys, with node:crypto

/** A holder key; `didUrl` is set when proofs name it by its did:key verification method, not `jwk`. */
type HolderKey = Key & { didUrl?: string };

/** A holder key that proofs name by `kid` (a did:key verification method). */
async function didHolderKey(): Promise<HolderKey> {
  const holder = await didKeyHolder();
  return { ...holder, didUrl: holder.kid };
}

/** The `(data, signature) => boolean` an SD-JWT verifier needs, for an issuer's public key. */
function jwsVerifier(publicJwk: JWK): (data: string, signature: string) => boolean {
  const key = createPublicKey({ key: publicJwk as JsonWebKey, format: 'jwk' });
  const eddsa = publicJwk.kty === 'OKP';
  return (data, signature) => {
    const bytes = Buffer.from(signature, 'base64url');
    return eddsa
      ? verify(null, Buffer.from(data), key, bytes)
      : verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, bytes);
  };
}

/** The public members of an OKP or EC key (`kty`, `crv`, `x`, `y`), nothing else. */
function publicMembers(jwk: JWK): JWK {
  const { kty, crv, x, y } = jwk;
  return JSON.parse(JSON.stringify({ kty, crv, x, y })) as JWK;
}

/** The `vct` the issuer metadata announces for the configuration. */
function vctOf(metadata: IssuerMetadataResult): string {
  const vct = metadata.credentialIssuer.credential_configurations_supported[CONFIG_ID]?.vct;
  if (typeof vct !== 'string' || vct === '') throw new Error('the metadata names no vct');
  return vct;
}

// ---------------------------------------------------------------------------------------------
// Tenant side: offers and credential status, through the tenant API

const offerClaims = (name: string) => ({ credentialName: name, issuedTime: '2026-01-31T12:00:00Z' });

const changeStatus = (tenant: IssuanceTenant, credentialId: string, status: IssuedCredentialView['status']) =>
  app.request(`/v1/credentials/${credentialId}/status`, {
    method: 'POST',
    headers: { 'x-api-key': tenant.apiKey },
    json: { status },
  });

// ---------------------------------------------------------------------------------------------
// Wallet 1: the OpenWallet Foundation library

interface Exchange {
  url: string;
  method: string;
  status: number;
  /** The OAuth `error` of a JSON error answer. */
  error?: string | undefined;
  /** The `nonce` of the request's DPoP proof, if it sent one. */
  dpopNonce?: string | undefined;
  /** Whether the request's DPoP proof carried `ath`. */
  dpopAth?: boolean | undefined;
  /** The Authorization scheme the request used. */
  scheme?: string | undefined;
}

/** A recording fetch: every exchange the library makes, for the checks on its retries. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(request.clone());
    const proof = request.headers.get('dpop');
    const claims = proof === null ? undefined : decodeJwt(proof);
    let error: string | undefined;
    if (!response.ok && response.headers.get('content-type')?.includes('json')) {
      error = ((await response.clone().json()) as { error?: string }).error;
    }
    log.push({
      url: request.url,
      method: request.method,
      status: response.status,
      ...(error === undefined ? {} : { error }),
      ...(claims === undefined
        ? {}
        : { dpopNonce: claims.nonce as string | undefined, dpopAth: 'ath' in claims }),
      ...(request.headers.has('authorization')
        ? { scheme: request.headers.get('authorization')?.split(' ', 1)[0] }
        : {}),
    });
    return response;
  };
}

/** The OWF wallet client with callbacks over node:crypto, signing with the given holder keys. */
function owfClient(keys: HolderKey[], log: Exchange[]): Openid4vciClient {
  const keyOf = (signer: JwtSigner): HolderKey => {
    const key =
      signer.method === 'jwk'
        ? keys.find((k) => k.publicJwk.x === signer.publicJwk.x)
        : signer.method === 'did'
          ? keys.find((k) => k.didUrl === signer.didUrl)
          : undefined;
    if (key === undefined) throw new Error(`no holder key for a ${signer.method} signer`);
    return key;
  };
  return new Openid4vciClient({
    callbacks: {
      fetch: recordingFetch(log),
      hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
      generateRandom: (length) => new Uint8Array(randomBytes(length)),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: (signer, { header, payload }) => {
        const key = keyOf(signer);
        return { jwt: signJws(header, payload, key), signerJwk: key.publicJwk as Jwk };
      },
    },
  });
}

const jwkSigner = (key: HolderKey): JwtSigner =>
  key.didUrl === undefined
    ? { method: 'jwk', alg: key.alg, publicJwk: publicMembers(key.publicJwk) as Jwk }
    : { method: 'did', alg: key.alg, didUrl: key.didUrl };

interface OwfIssuance {
  created: CreatedOffer;
  offer: CredentialOfferObject;
  metadata: IssuerMetadataResult;
  credentials: string[];
  log: Exchange[];
}

/**
 * The whole wallet flow with the OWF library: resolve the offer from its deep link, the issuer
 * metadata, a DPoP-bound token with the tx_code, a c_nonce, one proof per `proofKeys`, and the
 * credentials with DPoP.
 */
async function issueWithOwf(
  tenant: IssuanceTenant,
  claims: Record<string, unknown>,
  proofKeys: HolderKey[],
): Promise<OwfIssuance> {
  const created = await tenantSide.createOffer(tenant, { claims, txCode: true });
  const dpopKey = newKey(proofKeys[0]?.alg ?? 'ES256');
  const log: Exchange[] = [];
  const client = owfClient([dpopKey, ...proofKeys], log);

  const offer = await client.resolveCredentialOffer(created.deep_link);
  const code = offer.grants?.[PRE_AUTHORIZED]?.['pre-authorized_code'];
  if (code !== undefined) issuedSecrets.add(code);
  const metadata = await client.resolveIssuerMetadata(offer.credential_issuer);
  const dpopSigner = jwkSigner(dpopKey);
  if (dpopSigner.method !== 'jwk') throw new Error('a DPoP key is a jwk');
  const token = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer: offer,
    issuerMetadata: metadata,
    ...(created.tx_code === undefined ? {} : { txCode: created.tx_code }),
    dpop: { signer: dpopSigner },
  });
  expect(token.accessTokenResponse.token_type).toBe('DPoP');
  const { c_nonce } = await client.requestNonce({ issuerMetadata: metadata });
  const proofs = [];
  for (const key of proofKeys) {
    const { jwt } = await client.createCredentialRequestJwtProof({
      issuerMetadata: metadata,
      credentialConfigurationId: CONFIG_ID,
      signer: jwkSigner(key),
      nonce: c_nonce,
    });
    proofs.push(jwt);
  }
  const response = await client.retrieveCredentials({
    issuerMetadata: metadata,
    credentialConfigurationId: CONFIG_ID,
    proofs: { jwt: proofs },
    accessToken: token.accessTokenResponse.access_token,
    dpop: { signer: dpopSigner, ...(token.dpop?.nonce === undefined ? {} : { nonce: token.dpop.nonce }) },
  });
  const credentials = (response.credentialResponse.credentials ?? []).map((entry) => {
    // 1.0 answers `{ credential }` objects; an SD-JWT VC is a string.
    if (typeof entry !== 'object' || !('credential' in entry) || typeof entry.credential !== 'string') {
      throw new Error('a credential entry is not { credential: <SD-JWT VC> }');
    }
    return entry.credential;
  });
  return { created, offer, metadata, credentials, log };
}

// ---------------------------------------------------------------------------------------------
// Trust: the issuer key of a credential, from the tenant's published material

/** The issuer key of a JWS header, after checking it against what the issuer publishes. */
async function trustedIssuerKey(
  profile: SigningProfile,
  tenant: IssuanceTenant,
  header: Record<string, unknown>,
): Promise<{ issuer: string; publicJwk: JWK }> {
  if (profile === 'eddsa_did') {
    expect(header.alg).toBe('EdDSA');
    expect(header).not.toHaveProperty('x5c');
    const kid = header.kid as string;
    const parsed = parseDidKey(kid.split('#', 1)[0]);
    if (!parsed.ok) throw new Error('the kid is not a did:key verification method');
    expect(parsed.verificationMethod).toBe(kid);
    // The DID is the tenant's issuing DID, as its own API lists it.
    const issuing = only((await listDidsOf(app, tenant.token)).filter((did) => did.issuing));
    expect(issuing.did).toBe(parsed.did);
    return { issuer: parsed.did, publicJwk: parsed.publicJwk };
  }
  expect(header.alg).toBe('ES256');
  expect(header).not.toHaveProperty('kid');
  const x5c = header.x5c as string[];
  expect(Array.isArray(x5c) && x5c.length >= 1).toBe(true);
  const caRes = await app.request('/.well-known/ca.pem');
  expect(caRes.status).toBe(200);
  const root = new x509.X509Certificate(await caRes.text());
  const rootDer = Buffer.from(root.rawData).toString('base64');
  // The chain never includes the trust anchor itself.
  expect(x5c).not.toContain(rootDer);
  const leaf = new x509.X509Certificate(Buffer.from(x5c[0] as string, 'base64'));
  expect(await root.isSelfSigned(webcrypto)).toBe(true);
  expect(await leaf.isSelfSigned(webcrypto)).toBe(false);
  expect(leaf.issuer).toBe(root.subject);
  // Signed by the CA and valid now.
  expect(await leaf.verify({ publicKey: root.publicKey, date: new Date() }, webcrypto)).toBe(true);
  const chain = await new x509.X509ChainBuilder({
    certificates: [root, ...x5c.slice(1).map((c) => new x509.X509Certificate(Buffer.from(c, 'base64')))],
  }).build(leaf, webcrypto);
  expect(chain.map((c) => Buffer.from(c.rawData).toString('base64'))).toEqual([x5c[0], rootDer]);
  const issuer = `${app.url}/${tenant.tenant.slug}`;
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  expect(san?.names.items.map((name) => ({ type: name.type, value: name.value }))).toContainEqual({
    type: 'url',
    value: issuer,
  });
  const publicJwk = createPublicKey({
    key: Buffer.from(leaf.publicKey.rawData),
    format: 'der',
    type: 'spki',
  }).export({ format: 'jwk' }) as JWK;
  return { issuer, publicJwk };
}

interface CheckedCredential {
  payload: Record<string, unknown>;
  status: { idx: number; uri: string };
  issuerKey: JWK;
  verifier: SDJwtVcInstance;
}

/** An SD-JWT VC verifier whose status checks fetch the list over HTTP and verify it with `key`. */
function sdJwtVerifier(issuerKey: JWK): SDJwtVcInstance {
  return new SDJwtVcInstance({ hasher: digest, hashAlg: 'sha-256', verifier: jwsVerifier(issuerKey) });
}

/**
 * Verifies one SD-JWT VC as a relying party would, and checks what it must carry: `typ`, the
 * trusted issuer key, `iss`, `vct`, validity, `cnf.jwk` = the holder key, the status reference, and
 * the offer's claims as the only disclosures.
 */
async function checkCredential(
  profile: SigningProfile,
  tenant: IssuanceTenant,
  sdJwt: string,
  expected: { vct: string; claims: Record<string, unknown>; holder: HolderKey },
): Promise<CheckedCredential> {
  const [jwt = '', ...rest] = sdJwt.split('~');
  // Issuer-signed JWT, disclosures, and no key binding JWT (that is the holder's to add).
  expect(sdJwt.endsWith('~')).toBe(true);
  const disclosures = rest.slice(0, -1);
  const header = decodeProtectedHeader(jwt) as Record<string, unknown>;
  expect(header.typ).toBe('dc+sd-jwt');
  const { issuer, publicJwk } = await trustedIssuerKey(profile, tenant, header);
  const verifier = sdJwtVerifier(publicJwk);
  // Signature, disclosure digests, validity and the status list (valid) — all by the library.
  const verified = await verifier.verify(sdJwt);
  expect(verified.header?.typ).toBe('dc+sd-jwt');

  const payload = decodeJwt(jwt) as Record<string, unknown>;
  for (const claim of FRAME_CLAIMS) expect(payload).toHaveProperty(claim);
  expect(payload.iss).toBe(issuer);
  expect(payload.vct).toBe(expected.vct);
  const now = Math.floor(Date.now() / 1000);
  expect(Math.abs((payload.iat as number) - now)).toBeLessThanOrEqual(60);
  expect((payload.exp as number) - (payload.iat as number)).toBe(YEAR_SECONDS);
  expect(payload.cnf).toEqual({ jwk: publicMembers(expected.holder.publicJwk) });
  expect(payload._sd_alg).toBe('sha-256');
  const status = (payload.status as { status_list: { idx: number; uri: string } }).status_list;
  expect(Number.isInteger(status.idx)).toBe(true);
  expect(status.uri).toMatch(new RegExp(`^${app.url}/v1/status-lists/${tenant.tenant.slug}/[1-9][0-9]*$`));
  // The claims travel only as disclosures, never in clear.
  for (const name of Object.keys(expected.claims)) expect(payload).not.toHaveProperty(name);

  const disclosed = disclosures.map(
    (d) => JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as unknown[],
  );
  expect(disclosed.every((d) => d.length === 3 && typeof d[0] === 'string')).toBe(true);
  expect(Object.fromEntries(disclosed.map(([, name, value]) => [name, value]))).toEqual(expected.claims);
  for (const claim of FRAME_CLAIMS) expect(disclosed.map(([, name]) => name)).not.toContain(claim);
  // What a holder may leave out is exactly the offer's claims.
  expect((await verifier.presentableKeys(sdJwt)).sort()).toEqual(Object.keys(expected.claims).sort());
  expect(await verifier.getClaims(sdJwt)).toMatchObject({
    ...expected.claims,
    iss: issuer,
    vct: expected.vct,
  });
  return { payload, status, issuerKey: publicJwk, verifier };
}

/** The status of `idx` on its fetched, signature-checked status list token. */
async function listedStatus(status: { idx: number; uri: string }, issuerKey: JWK): Promise<number> {
  const res = await fetch(status.uri, { headers: { accept: 'application/statuslist+jwt' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/statuslist+jwt');
  const token = await res.text();
  const { protectedHeader, payload } = await compactVerify(
    token,
    await importJWK(issuerKey, issuerKey.kty === 'OKP' ? 'EdDSA' : 'ES256'),
  );
  expect(protectedHeader.typ).toBe('statuslist+jwt');
  const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  expect(claims.sub).toBe(status.uri);
  expect(claims.ttl).toBe(300);
  expect((claims.exp as number) > Math.floor(Date.now() / 1000)).toBe(true);
  const list = getListFromStatusListJWT(token);
  expect(list.getBitsPerStatus()).toBe(2);
  return list.getStatus(status.idx);
}

// ---------------------------------------------------------------------------------------------

describe.each(['eddsa_did', 'es256_x509'] as const)(
  'issuance to independent wallets, %s tenant',
  (profile) => {
    let tenant: IssuanceTenant;
    const holderAlg = profile === 'eddsa_did' ? 'EdDSA' : 'ES256';
    const dpopRequired = profile === 'es256_x509';

    beforeAll(async () => {
      tenant = await issuanceTenant(app, profile);
    });

    it('issues a bound SD-JWT VC to the OWF wallet library: offer, metadata, tx_code and DPoP token, nonce, proof', async () => {
      const claims = offerClaims('Wallet Library Credential');
      const holder = newKey(holderAlg);
      const { created, offer, metadata, credentials, log } = await issueWithOwf(tenant, claims, [holder]);

      const issuer = `${app.url}/${tenant.tenant.slug}`;
      expect(created.credential_offer_uri).toBe(`${app.url}/v1/offers/${created.offer_id}`);
      expect(offer.credential_issuer).toBe(issuer);
      expect(offer.credential_configuration_ids).toEqual([CONFIG_ID]);
      expect(offer.grants?.[PRE_AUTHORIZED]?.tx_code).toMatchObject({
        length: 6,
        input_mode: 'numeric',
      });
      expect(metadata.credentialIssuer.credential_issuer).toBe(issuer);
      expect(metadata.authorizationServers.map((as) => as.issuer)).toEqual([app.url]);
      const configuration = metadata.credentialIssuer.credential_configurations_supported[CONFIG_ID];
      expect(configuration).toMatchObject({ format: 'dc+sd-jwt' });

      // The token endpoint: es256_x509 demands a server nonce, which the library fetches on its own.
      const tokenCalls = log.filter((e) => e.url === `${app.url}/v1/token`);
      if (dpopRequired) {
        expect(tokenCalls.map((e) => [e.status, e.error ?? null])).toEqual([
          [400, 'use_dpop_nonce'],
          [200, null],
        ]);
        expect(tokenCalls[1]?.dpopNonce).toEqual(expect.any(String));
      } else {
        expect(tokenCalls.map((e) => e.status)).toEqual([200]);
      }
      // The credential came on a DPoP request proving the token (ath), with a nonce where required.
      const credentialCalls = log.filter((e) => e.url === `${app.url}/v1/credential`);
      const last = credentialCalls.at(-1);
      expect(last).toMatchObject({ status: 200, scheme: 'DPoP', dpopAth: true });
      if (dpopRequired) expect(last?.dpopNonce).toEqual(expect.any(String));

      const vct = vctOf(metadata);
      const sdJwt = only(credentials);
      const checked = await checkCredential(profile, tenant, sdJwt, { vct, claims, holder });
      // The signature is really checked: a verifier trusting another key of the same type refuses it.
      const stranger = newKey(profile === 'eddsa_did' ? 'EdDSA' : 'ES256');
      await expect(sdJwtVerifier(stranger.publicJwk).verify(sdJwt)).rejects.toThrow();

      // SD-JWT VC issuer metadata lists the very key the credential verifies with.
      const jwtVcIssuer = await app.request(`/.well-known/jwt-vc-issuer/${tenant.tenant.slug}`);
      expect(jwtVcIssuer.status).toBe(200);
      const published = await body<{ issuer: string; jwks: { keys: JWK[] } }>(jwtVcIssuer);
      expect(published.jwks.keys.map(publicMembers)).toContainEqual(publicMembers(checked.issuerKey));

      // The offer was spent: the wallet cannot fetch it again.
      expect((await app.request(`/v1/offers/${created.offer_id}`)).status).toBe(404);
    });

    it('issues to oauth4webapi + dpop with a hand-built credential request', async () => {
      const claims = offerClaims('Hand Built Credential');
      const created = await tenantSide.createOffer(tenant, { claims, txCode: false });

      const offerRes = await fetch(created.credential_offer_uri);
      expect(offerRes.status).toBe(200);
      const offer = (await offerRes.json()) as {
        credential_issuer: string;
        grants: Record<string, { 'pre-authorized_code': string; tx_code?: unknown }>;
      };
      const grant = offer.grants[PRE_AUTHORIZED];
      if (grant === undefined) throw new Error('no pre-authorized grant in the offer');
      expect(grant).not.toHaveProperty('tx_code');
      issuedSecrets.add(grant['pre-authorized_code']);
      const metadataRes = await fetch(
        `${app.url}/.well-known/openid-credential-issuer/${new URL(offer.credential_issuer).pathname.slice(1)}`,
      );
      expect(metadataRes.status).toBe(200);
      const metadata = (await metadataRes.json()) as {
        authorization_servers: string[];
        credential_endpoint: string;
        nonce_endpoint: string;
        credential_configurations_supported: Record<string, { vct: string }>;
      };
      const issuerUrl = new URL(only(metadata.authorization_servers));
      const as = await oauth.processDiscoveryResponse(
        issuerUrl,
        await oauth.discoveryRequest(issuerUrl, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
      );

      const client: oauth.Client = { client_id: 'independent-wallet' };
      const dpopKeys = await dpop.generateKeyPair(holderAlg === 'EdDSA' ? 'Ed25519' : 'ES256');
      const handle = oauth.DPoP(client, dpopKeys);
      const tokenRequest = async () =>
        oauth.processGenericTokenEndpointResponse(
          as,
          client,
          await oauth.genericTokenEndpointRequest(
            as,
            client,
            oauth.None(),
            PRE_AUTHORIZED,
            { 'pre-authorized_code': grant['pre-authorized_code'] },
            { DPoP: handle, [oauth.allowInsecureRequests]: true },
          ),
        );
      let nonceRetries = 0;
      let tokens: oauth.TokenEndpointResponse;
      try {
        tokens = await tokenRequest();
      } catch (error) {
        if (!oauth.isDPoPNonceError(error)) throw error;
        nonceRetries += 1;
        tokens = await tokenRequest();
      }
      expect(nonceRetries).toBe(dpopRequired ? 1 : 0);
      expect(tokens.token_type).toBe('dpop');
      // The token is bound to the DPoP key (`cnf.jkt`).
      expect(decodeJwt(tokens.access_token).cnf).toEqual({
        jkt: await dpop.calculateThumbprint(dpopKeys.publicKey),
      });

      const nonceRes = await fetch(metadata.nonce_endpoint, { method: 'POST' });
      expect(nonceRes.status).toBe(200);
      const { c_nonce } = (await nonceRes.json()) as { c_nonce: string };
      const dpopNonce = nonceRes.headers.get('dpop-nonce');
      expect(dpopNonce).toEqual(expect.any(String));

      const holder = newKey(holderAlg);
      const proof = await new SignJWT({ aud: offer.credential_issuer, nonce: c_nonce })
        .setProtectedHeader({
          alg: holder.alg,
          typ: 'openid4vci-proof+jwt',
          jwk: publicMembers(holder.publicJwk),
        })
        .setIssuedAt()
        .sign(holder.privateKey);
      const credentialRes = await fetch(metadata.credential_endpoint, {
        method: 'POST',
        headers: {
          authorization: `DPoP ${tokens.access_token}`,
          dpop: await dpop.generateProof(
            dpopKeys,
            metadata.credential_endpoint,
            'POST',
            dpopNonce ?? undefined,
            tokens.access_token,
          ),
          'content-type': 'application/json',
        },
        body: JSON.stringify({ credential_configuration_id: CONFIG_ID, proofs: { jwt: [proof] } }),
      });
      expect(credentialRes.status).toBe(200);
      expect(credentialRes.headers.get('cache-control')).toBe('no-store');
      const answer = (await credentialRes.json()) as { credentials: Array<{ credential: string }> };
      expect(Object.keys(answer)).toEqual(['credentials']);
      await checkCredential(profile, tenant, only(answer.credentials).credential, {
        vct: metadata.credential_configurations_supported[CONFIG_ID]?.vct ?? '',
        claims,
        holder,
      });
    });

    it('publishes status changes on the signed status list: suspended 2, reinstated 0, revoked 1 and final', async () => {
      const claims = offerClaims('Status Credential');
      const holder = newKey(holderAlg);
      const { created, metadata, credentials } = await issueWithOwf(tenant, claims, [holder]);
      const vct = vctOf(metadata);
      const sdJwt = only(credentials);
      const { status, issuerKey, verifier } = await checkCredential(profile, tenant, sdJwt, {
        vct,
        claims,
        holder,
      });

      const issued = only(await tenantSide.issuedCredentials(tenant, created.offer_id));
      expect(issued).toMatchObject({
        offer_id: created.offer_id,
        credential_configuration_id: CONFIG_ID,
        status: 'valid',
        status_list: status,
      });
      expect(await listedStatus(status, issuerKey)).toBe(STATUS.valid);

      const suspended = await changeStatus(tenant, issued.credential_id, 'suspended');
      expect(suspended.status).toBe(200);
      expect((await body<{ credential: IssuedCredentialView }>(suspended)).credential.status).toBe(
        'suspended',
      );
      expect(await listedStatus(status, issuerKey)).toBe(STATUS.suspended);
      // A relying party following the credential's own status reference now refuses it.
      await expect(verifier.verify(sdJwt)).rejects.toThrow(/Status is not valid/);

      const reinstated = await changeStatus(tenant, issued.credential_id, 'valid');
      expect(reinstated.status).toBe(200);
      expect(await listedStatus(status, issuerKey)).toBe(STATUS.valid);
      await expect(verifier.verify(sdJwt)).resolves.toMatchObject({ payload: { vct } });

      const revoked = await changeStatus(tenant, issued.credential_id, 'revoked');
      expect(revoked.status).toBe(200);
      expect(await listedStatus(status, issuerKey)).toBe(STATUS.revoked);
      await expect(verifier.verify(sdJwt)).rejects.toThrow(/Status is not valid/);

      // Revoked is final: neither reinstating nor suspending moves it.
      for (const next of ['valid', 'suspended'] as const) {
        const refused = await changeStatus(tenant, issued.credential_id, next);
        expect(refused.status).toBe(409);
        expect(await body(refused)).toEqual({
          statusCode: 409,
          message: 'Credential is revoked: a revoked credential keeps that status',
          error: 'Conflict',
        });
      }
      // Asking again for the status it has changes nothing (documented: 200, unchanged).
      const again = await changeStatus(tenant, issued.credential_id, 'revoked');
      expect(again.status).toBe(200);
      expect((await body<{ credential: IssuedCredentialView }>(again)).credential.status).toBe('revoked');
      expect(await listedStatus(status, issuerKey)).toBe(STATUS.revoked);
      expect(only(await tenantSide.issuedCredentials(tenant, created.offer_id)).status).toBe('revoked');
    });

    it('issues a batch of 3 credentials for 3 proofs, each bound to its own key with its own status entry', async () => {
      const claims = offerClaims('Batch Credential');
      // Two jwk proofs of either algorithm and one that names its key by did:key.
      const holders = [newKey('ES256'), newKey('EdDSA'), await didHolderKey()];
      const { created, metadata, credentials } = await issueWithOwf(tenant, claims, holders);
      const vct = vctOf(metadata);
      expect(credentials).toHaveLength(3);

      const checked = [];
      for (const [i, sdJwt] of credentials.entries()) {
        checked.push(
          await checkCredential(profile, tenant, sdJwt, { vct, claims, holder: holders[i] as HolderKey }),
        );
      }
      const entries = checked.map((c) => `${c.status.uri}#${c.status.idx}`);
      expect(new Set(entries).size).toBe(3);

      // The tenant API lists the same three entries, all valid, and so does the status list.
      const issued = await tenantSide.issuedCredentials(tenant, created.offer_id);
      expect(issued.map((c) => `${c.status_list.uri}#${c.status_list.idx}`).sort()).toEqual(
        [...entries].sort(),
      );
      expect(issued.every((c) => c.status === 'valid')).toBe(true);
      for (const c of checked) expect(await listedStatus(c.status, c.issuerKey)).toBe(STATUS.valid);
    });
  },
);
