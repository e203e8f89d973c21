import type Router from '@koa/router';
import type { Queryable } from '@portcullis/db';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter } from '@portcullis/service';
import type { AppDeps } from '../app.js';
import { generateDidKey } from '../crypto/did-key.js';
import { createTenantBody, SLUG } from '../schemas.js';
import type { AppState } from '../state.js';
import { hasDid, insertIssuingDid } from '../store/dids.js';
import {
  changeStatus,
  createTenant,
  generateInitialPassword,
  getTenant,
  listTenants,
  profileAlgorithm,
  rotateApiKey,
  type TenantRow,
  tenantView,
} from '../store/tenants.js';
import { tcsJsonBody, validateTcs } from '../validation.js';

const notFound = () => tcsApiErrors.error('NOT_FOUND', { message: 'Tenant not found' });

/** The `:slug` of the route, or 404 when it cannot be a slug (no query for garbage). */
function slugOf(params: Record<string, string | undefined>): string {
  const slug = params.slug ?? '';
  if (!SLUG.test(slug)) throw notFound();
  return slug;
}

/**
 * Operator onboarding and lifecycle (SPEC §6.2), behind `ADMIN_TOKEN`: create a pending tenant
 * (uuid, initial password and API key, each shown once), list and read tenants, approve,
 * suspend, rotate the API key. Status and key changes reach every process's key cache at once.
 */
export function adminTenantRoutes(deps: AppDeps): Router<AppState> {
  const { db, keyCache, hasher, sealer, now } = deps;
  const router = appRouter<AppState>({ prefix: '/admin/tenants' });

  // SPEC §6.2: approval gives a tenant without a DID its first one, so it can always issue.
  const ensureIssuingDid = async (tx: Queryable, tenant: TenantRow) => {
    if (await hasDid(tx, tenant.id)) return;
    const { didKey, privateJwk } = await generateDidKey(profileAlgorithm(tenant.signing_profile));
    await insertIssuingDid(tx, sealer, tenant.id, didKey, privateJwk, 'generated', new Date(now()));
  };

  router.post('/', tcsJsonBody(), async (ctx) => {
    const input = validateTcs(createTenantBody, ctx.state.body);
    const initialPassword = generateInitialPassword();
    const hashed = await hasher.hash(initialPassword);
    if (!hashed.ok) throw new Error(`generated password rejected: ${hashed.reason}`);
    const created = await createTenant(db, input, hashed.phc, new Date(now()));
    if (!created.ok) throw tcsApiErrors.error('CONFLICT', { message: 'Tenant slug already exists' });
    // A negative cache entry for the new digest cannot exist in practice, but the rule is cheap.
    await keyCache.invalidate(created.digest);
    ctx.status = 201;
    ctx.body = {
      tenant: tenantView(created.tenant),
      uuid: created.uuid,
      initialPassword,
      apiKey: created.apiKey,
    };
  });

  router.get('/', async (ctx) => {
    ctx.body = { tenants: (await listTenants(db)).map(tenantView) };
  });

  router.get('/:slug', async (ctx) => {
    const tenant = await getTenant(db, slugOf(ctx.params));
    if (!tenant) throw notFound();
    ctx.body = { tenant: tenantView(tenant) };
  });

  for (const action of ['approve', 'suspend'] as const) {
    router.post(`/:slug/${action}`, async (ctx) => {
      const result = await changeStatus(db, slugOf(ctx.params), action, new Date(now()), ensureIssuingDid);
      if (!result.ok && result.reason === 'not-found') throw notFound();
      if (!result.ok) {
        throw tcsApiErrors.error('CONFLICT', {
          message: `Tenant is ${result.status}; only an approved tenant can be suspended`,
        });
      }
      if (result.changed) await keyCache.invalidate(result.digests);
      ctx.body = { tenant: tenantView(result.tenant) };
    });
  }

  router.post('/:slug/api-key/rotate', async (ctx) => {
    const result = await rotateApiKey(db, slugOf(ctx.params), new Date(now()));
    if (!result.ok) throw notFound();
    await keyCache.invalidate([...result.revokedDigests, result.digest]);
    ctx.body = { tenant: tenantView(result.tenant), apiKey: result.apiKey };
  });

  return router;
}
