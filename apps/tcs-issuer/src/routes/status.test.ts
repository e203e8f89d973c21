// The status list and credential status routes over HTTP: a minimal app with the TCS pipeline,
// these routers and a stub key guard, on PGlite with the real signers. Every answer is checked
// against the document the app serves.
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, useRequestPipeline } from '@portcullis/app-kit';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { renderTcs, tcsApiErrors, tcsApiKeyErrors } from '@portcullis/errors';
import { appRouter, serveOpenApi } from '@portcullis/routes';
import { auditApps, listen, readJson, type Served } from '@portcullis/testing';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import Koa, { type Middleware } from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded } from '../../test/recorded.js';
import { loadOrCreateCa } from '../crypto/ca.js';
import { generateDidKey } from '../crypto/did-key.js';
import { createSealer } from '../crypto/seal.js';
import { createTcsKit, documentOptions, errorResponses, INTERNAL, requestIdHeaders } from '../http.js';
import { createTenantSigners } from '../issuance/signer.js';
import { createStatusListService } from '../issuance/status-lists.js';
import type { AppState } from '../state.js';
import { type AllocatedCredential, recordIssuedCredentials } from '../store/credentials.js';
import { insertIssuingDid } from '../store/dids.js';
import type { TenantKeyRow } from '../store/tenants.js';
import { credentialStatusRoutes, statusListRoutes } from './status.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations', import.meta.url));
const PUBLIC_URL = 'https://tcs.example.test';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const TENANT_HEADER = 'x-test-tenant';

const audit = auditApps();

interface TcsErrorBody {
  statusCode: number;
  message: string;
  error: string;
}
interface CredentialView {
  credential_id: string;
  offer_id: string;
  credential_configuration_id: string;
  status: string;
  issued_at: string;
  status_list: { idx: number; uri: string };
}

describe('status list and credential status routes', () => {
  let db: Database;
  let served: Served;
  const tenants = new Map<string, TenantKeyRow>();
  const clock = T0;
  const now = () => clock;

  beforeAll(async () => {
    db = await createDatabase({ dataDir: 'memory://' });
    await migrate(db, { directory: MIGRATIONS });
    const sealer = createSealer(new Uint8Array(randomBytes(32)));
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now });
    const signers = createTenantSigners({ db, sealer, ca, publicUrl: PUBLIC_URL, now });
    const statusLists = createStatusListService({ db, signers, publicUrl: PUBLIC_URL, now });

    const app = new Koa<AppState>();
    useRequestPipeline(app, {
      logger: createLogger({ app: 'tcs-issuer', level: 'debug', destination: audit.logDestination() }),
      metrics: createMetrics(),
      render: (err) => renderTcs(err),
      unavailable: (cause) => tcsApiErrors.error('SERVICE_UNAVAILABLE', { cause }),
      notFound: () => tcsApiErrors.error('NOT_FOUND', { message: 'Route not found' }),
      methodNotAllowed: () => tcsApiErrors.error('METHOD_NOT_ALLOWED'),
    });
    const kit = createTcsKit();
    const service = appRouter<AppState>();
    const openApi = serveOpenApi(kit, service, {
      ...documentOptions(PUBLIC_URL, { loginFailuresPer15Min: 15, adminAuthPer15Min: 15 }),
      headers: requestIdHeaders,
      responses: errorResponses(INTERNAL),
    });
    app.use(service.routes());
    const lists = statusListRoutes({ statusLists }, kit);
    app.use(lists.routes()).use(lists.allowedMethods());
    // Test scaffolding for the app's key guard: the tenant named by a header, or the published 401.
    const guard: Middleware<AppState> = (ctx, next) => {
      const tenant = tenants.get(ctx.get(TENANT_HEADER));
      if (tenant === undefined) throw tcsApiKeyErrors.error('API_KEY_REQUIRED');
      ctx.state.tenant = tenant;
      return next();
    };
    const keyed = appRouter<AppState>();
    keyed.use('/v1/credentials', guard);
    const credentials = credentialStatusRoutes({ db, publicUrl: PUBLIC_URL, now }, kit);
    keyed.use(credentials.routes(), credentials.allowedMethods());
    app.use(keyed.routes());
    openApi.document();

    const watched = audit.watch(app.callback());
    served = await listen(watched.handler);
    await watched.useDocument(served.url);

    // Every tenant of this file and the credentials of one offer each.
    for (const slug of ['acme', 'globex']) {
      const id = `ten_${randomBytes(12).toString('hex')}`;
      await db.query(
        `INSERT INTO tenants (id, slug, organization_name, owner_email, signing_profile, environment, status, created_at, updated_at)
         VALUES ($1, $2, 'Org', 'o@org.example', 'eddsa_did', 'sandbox', 'approved', now(), now())`,
        [id, slug],
      );
      const { didKey, privateJwk } = await generateDidKey('EdDSA');
      await db.transaction((tx) =>
        insertIssuingDid(tx, sealer, id, didKey, privateJwk, 'generated', new Date(T0)),
      );
      tenants.set(slug, {
        keyId: `tak_${randomBytes(12).toString('hex')}`,
        tenantId: id,
        slug,
        status: 'approved',
        signingProfile: 'eddsa_did',
        environment: 'sandbox',
        revoked: false,
      });
    }
  });
  afterAll(async () => {
    await served?.close();
    await db?.close();
  });

  /** An offer of `slug` with `count` credentials issued at `at`. */
  const issued = async (slug: string, count: number, at = T0) => {
    const tenant = tenants.get(slug) as TenantKeyRow;
    const offerId = randomUUID();
    await db.query(
      `INSERT INTO offers (id, tenant_id, credential_configuration_id, claims, code_digest, code_sealed, created_at, expires_at)
       VALUES ($1, $2, 'Test_Credential', '{}', $3, 'sealed', now(), now() + interval '5 minutes')`,
      [offerId, tenant.tenantId, randomBytes(32).toString('hex')],
    );
    const entries: AllocatedCredential[] = [];
    for (let i = 0; i < count; i++) {
      const [entry] = await recorded(
        recordIssuedCredentials(db, {
          tenantId: tenant.tenantId,
          offerId,
          credentialConfigurationId: 'Test_Credential',
          holderJkts: [`holder-${i}`],
          issuedAt: new Date(at + i * 1000),
          expiresAt: new Date(at + 365 * 86_400_000),
        }),
      );
      entries.push(entry as AllocatedCredential);
    }
    return { offerId, entries };
  };

  const get = (path: string, slug?: string) =>
    fetch(`${served.url}${path}`, { headers: slug === undefined ? {} : { [TENANT_HEADER]: slug } });
  const setStatus = (slug: string | undefined, credentialId: string, json: unknown) =>
    fetch(`${served.url}/v1/credentials/${credentialId}/status`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(slug === undefined ? {} : { [TENANT_HEADER]: slug }),
      },
      body: JSON.stringify(json),
    });
  const listToken = async (slug: string, list = 1): Promise<string> => {
    const res = await get(`/v1/status-lists/${slug}/${list}`);
    expect(res.status).toBe(200);
    return res.text();
  };
  const statusAt = (token: string, idx: number) => getListFromStatusListJWT(token).getStatus(idx);
  const expectError = async (res: Response, status: number, message: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = await readJson<TcsErrorBody>(res);
    expect(body).toMatchObject({ statusCode: status, message });
  };

  it('serves a status list as application/statuslist+jwt, never cached without a check', async () => {
    const { entries } = await issued('acme', 2);
    const res = await get('/v1/status-lists/acme/1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/statuslist+jwt');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const token = await res.text();
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toMatchObject({ typ: 'statuslist+jwt', alg: 'EdDSA' });
    expect(payload).toMatchObject({ sub: `${PUBLIC_URL}/v1/status-lists/acme/1`, ttl: 300 });
    for (const entry of entries) expect(statusAt(token, entry.idx)).toBe(0);
  });

  it('answers 404 Status list not found for an unknown tenant or list, and for paths that cannot name one', async () => {
    await issued('globex', 1);
    for (const path of [
      '/v1/status-lists/nobody/1',
      '/v1/status-lists/globex/2',
      '/v1/status-lists/globex/0',
      '/v1/status-lists/globex/01',
      '/v1/status-lists/globex/abc',
      '/v1/status-lists/globex/99999999999',
      '/v1/status-lists/GLOBEX/1',
      '/v1/status-lists/x/1',
    ]) {
      await expectError(await get(path), 404, 'Status list not found');
    }
  });

  it("lists an offer's credentials for its own tenant only, oldest first", async () => {
    const { offerId, entries } = await issued('acme', 2);
    const res = await get(`/v1/credentials?offer_id=${offerId}`, 'acme');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { credentials } = await readJson<{ credentials: CredentialView[] }>(res);
    expect(credentials).toEqual(
      entries.map((entry, i) => ({
        credential_id: entry.credentialId,
        offer_id: offerId,
        credential_configuration_id: 'Test_Credential',
        status: 'valid',
        issued_at: new Date(T0 + i * 1000).toISOString(),
        status_list: { idx: entry.idx, uri: `${PUBLIC_URL}/v1/status-lists/acme/${entry.listId}` },
      })),
    );

    const other = await get(`/v1/credentials?offer_id=${offerId}`, 'globex');
    expect(other.status).toBe(200);
    expect(await readJson(other)).toEqual({ credentials: [] });
  });

  it('answers 400 naming offer_id when it is missing or not a UUID, and 401 without a tenant', async () => {
    await expectError(await get('/v1/credentials', 'acme'), 400, 'offer_id: must be a UUID');
    await expectError(await get('/v1/credentials?offer_id=nope', 'acme'), 400, 'offer_id: must be a UUID');
    await expectError(
      await get(`/v1/credentials?offer_id=${randomUUID()}&offer_id=${randomUUID()}`, 'acme'),
      400,
      'offer_id: must be a UUID',
    );
    await expectError(await get(`/v1/credentials?offer_id=${randomUUID()}`), 401, 'API Key is required');
  });

  it('changes a status, shows it in the very next status list fetch, and keeps revoked final', async () => {
    const { entries } = await issued('acme', 2);
    const [entry, other] = entries as [AllocatedCredential, AllocatedCredential];
    const before = await listToken('acme', entry.listId);
    expect(statusAt(before, entry.idx)).toBe(0);

    const suspended = await setStatus('acme', entry.credentialId, { status: 'suspended' });
    expect(suspended.status).toBe(200);
    expect(await readJson<{ credential: CredentialView }>(suspended)).toMatchObject({
      credential: {
        credential_id: entry.credentialId,
        status: 'suspended',
        status_list: { idx: entry.idx, uri: `${PUBLIC_URL}/v1/status-lists/acme/${entry.listId}` },
      },
    });
    const afterSuspend = await listToken('acme', entry.listId);
    expect(statusAt(afterSuspend, entry.idx)).toBe(2);
    expect(statusAt(afterSuspend, other.idx)).toBe(0);

    const again = await setStatus('acme', entry.credentialId, { status: 'suspended' });
    expect(again.status).toBe(200);
    expect((await readJson<{ credential: CredentialView }>(again)).credential.status).toBe('suspended');

    const revoked = await setStatus('acme', entry.credentialId, { status: 'revoked' });
    expect(revoked.status).toBe(200);
    expect(statusAt(await listToken('acme', entry.listId), entry.idx)).toBe(1);

    await expectError(
      await setStatus('acme', entry.credentialId, { status: 'valid' }),
      409,
      'Credential is revoked: a revoked credential keeps that status',
    );
    expect(statusAt(await listToken('acme', entry.listId), entry.idx)).toBe(1);
    const twice = await setStatus('acme', entry.credentialId, { status: 'revoked' });
    expect(twice.status).toBe(200);
  });

  it("answers 404 for another tenant's credential or an unknown one, and 400 naming a bad status", async () => {
    const { entries } = await issued('acme', 1);
    const entry = entries[0] as AllocatedCredential;
    await expectError(
      await setStatus('globex', entry.credentialId, { status: 'revoked' }),
      404,
      'Credential not found',
    );
    await expectError(
      await setStatus('acme', randomUUID(), { status: 'revoked' }),
      404,
      'Credential not found',
    );
    await expectError(
      await setStatus('acme', 'not-a-uuid', { status: 'revoked' }),
      404,
      'Credential not found',
    );
    await expectError(
      await setStatus('acme', entry.credentialId, { status: 'gone' }),
      400,
      'status: must be valid, suspended or revoked',
    );
    await expectError(
      await setStatus('acme', entry.credentialId, {}),
      400,
      'status: must be valid, suspended or revoked',
    );
    await expectError(
      await setStatus(undefined, entry.credentialId, { status: 'revoked' }),
      401,
      'API Key is required',
    );
    // Nothing of that changed the credential.
    expect(statusAt(await listToken('acme', entry.listId), entry.idx)).toBe(0);
  });
});
