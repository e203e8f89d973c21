import type Router from '@koa/router';
import type { Queryable } from '@portcullis/db';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { generateDidKey } from '../crypto/did-key.js';
import {
  ADMIN,
  errorResponses,
  JSON_BODY,
  ok,
  TENANT_NOT_FOUND,
  tenantNotFound,
  withMessage,
} from '../http.js';
import { apiKeySchema, createTenantBody, slugSchema, tenantSchema } from '../schemas.js';
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

const SLUG_EXISTS = 'Tenant slug already exists';

const tenantResponseSchema = z.object({ tenant: tenantSchema }).meta({ id: 'TenantResponse' });

/** `:slug`: one that cannot be a slug is a 404, like an unknown one (no query for garbage). */
const slugParams = z.object({
  slug: slugSchema.meta({
    description: 'Tenant slug. One that cannot be a slug is a 404, like an unknown one.',
  }),
});

const createdTenantSchema = z
  .object({
    tenant: tenantSchema,
    uuid: z.uuid().meta({ description: 'The login name of `POST /v1/auth/login`.' }),
    initialPassword: z
      .string()
      .regex(/^[A-Za-z0-9_-]{24}$/)
      .meta({ description: 'Generated (144 random bits): shown in this response only, never again.' }),
    apiKey: apiKeySchema,
  })
  .meta({ id: 'CreatedTenant' });
/** The answer of a tenant's creation: its secrets, each shown once. */
export type CreatedTenantView = z.input<typeof createdTenantSchema>;

const rotatedApiKeySchema = z
  .object({
    tenant: tenantSchema,
    apiKey: apiKeySchema.meta({ description: 'The new key, shown once. The previous key stopped at once.' }),
  })
  .meta({ id: 'RotatedApiKey' });

const tags = ['Tenants'];
const security = [{ adminToken: [] }];

const createTenantRoute = defineRoute({
  method: 'post',
  path: '/admin/tenants',
  operationId: 'createTenant',
  summary: 'Onboard a tenant: pending, with a login account and an API key',
  description: 'The operator onboards a tenant; it can log in and use its key once approved.',
  tags,
  security,
  request: { body: createTenantBody },
  responses: {
    201: ok(
      'The tenant (`pending`), its login uuid, initial password and API key: each secret shown once.',
      createdTenantSchema,
    ),
    ...errorResponses([...JSON_BODY, withMessage(tcsApiErrors, 'CONFLICT', SLUG_EXISTS), ...ADMIN], {
      hashes: true,
    }),
  },
});

const listTenantsRoute = defineRoute({
  method: 'get',
  path: '/admin/tenants',
  operationId: 'listTenants',
  summary: 'Every tenant (ours)',
  tags,
  security,
  responses: {
    200: ok(
      'Tenants, oldest first.',
      z.object({ tenants: z.array(tenantSchema) }).meta({ id: 'TenantList' }),
    ),
    ...errorResponses(ADMIN),
  },
});

const getTenantRoute = defineRoute({
  method: 'get',
  path: '/admin/tenants/:slug',
  operationId: 'getTenant',
  summary: 'One tenant (ours)',
  tags,
  security,
  request: { params: slugParams },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The tenant.', tenantResponseSchema),
    ...errorResponses([TENANT_NOT_FOUND, ...ADMIN]),
  },
});

const approveTenantRoute = defineRoute({
  method: 'post',
  path: '/admin/tenants/:slug/approve',
  operationId: 'approveTenant',
  summary: 'Approve a pending or suspended tenant',
  description:
    'A tenant without a DID gets its first one (of its signing profile), so it can always issue. Already approved: no-op 200.',
  tags,
  security,
  request: { params: slugParams },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The tenant.', tenantResponseSchema),
    ...errorResponses([TENANT_NOT_FOUND, ...ADMIN]),
  },
});

// Built from the tenant's status; only a pending tenant can be in the way of a suspension.
const NOT_SUSPENDABLE = 'Tenant is pending; only an approved tenant can be suspended';

const suspendTenantRoute = defineRoute({
  method: 'post',
  path: '/admin/tenants/:slug/suspend',
  operationId: 'suspendTenant',
  summary: 'Suspend an approved tenant',
  description:
    'Its API key and login sessions stop at once, in every process. Already suspended: no-op 200; a pending tenant cannot be suspended (409).',
  tags,
  security,
  request: { params: slugParams },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The tenant.', tenantResponseSchema),
    ...errorResponses([TENANT_NOT_FOUND, withMessage(tcsApiErrors, 'CONFLICT', NOT_SUSPENDABLE), ...ADMIN]),
  },
});

const rotateTenantApiKeyRoute = defineRoute({
  method: 'post',
  path: '/admin/tenants/:slug/api-key/rotate',
  operationId: 'rotateTenantApiKey',
  summary: "Replace the tenant's API key",
  description:
    'The old key stops at once, in every process: no overlap (an operator rotates because a key leaked).',
  tags,
  security,
  request: { params: slugParams },
  invalidParams: tenantNotFound,
  responses: {
    200: ok('The tenant and its new key, shown once.', rotatedApiKeySchema),
    ...errorResponses([TENANT_NOT_FOUND, ...ADMIN]),
  },
});

/**
 * Operator onboarding and lifecycle, behind `ADMIN_TOKEN` (the guard is the caller's): create a
 * pending tenant (uuid, initial password and API key, each shown once), list and read tenants,
 * approve, suspend, rotate the API key. Status and key changes reach every process's key cache at
 * once.
 */
export function adminTenantRoutes(deps: AppDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { db, keyCache, hasher, sealer, now } = deps;
  const router = appRouter<AppState>({ prefix: '/admin/tenants' });

  // Approval gives a tenant without a DID its first one, so it can always issue.
  const ensureIssuingDid = async (tx: Queryable, tenant: TenantRow) => {
    if (await hasDid(tx, tenant.id)) return;
    const { didKey, privateJwk } = await generateDidKey(profileAlgorithm(tenant.signing_profile));
    await insertIssuingDid(tx, sealer, tenant.id, didKey, privateJwk, 'generated', new Date(now()));
  };

  kit.mount(router, createTenantRoute, async (_ctx, { body }) => {
    const initialPassword = generateInitialPassword();
    const hashed = await hasher.hash(initialPassword);
    if (!hashed.ok) throw new Error(`generated password rejected: ${hashed.reason}`);
    const created = await createTenant(db, body, hashed.phc, new Date(now()));
    if (!created.ok) throw tcsApiErrors.error('CONFLICT', { message: SLUG_EXISTS });
    // A negative cache entry for the new digest cannot exist in practice, but the rule is cheap.
    await keyCache.invalidate(created.digest);
    return {
      status: 201,
      body: {
        tenant: tenantView(created.tenant),
        uuid: created.uuid,
        initialPassword,
        apiKey: created.apiKey,
      },
    };
  });

  kit.mount(router, listTenantsRoute, async () => ({
    status: 200,
    body: { tenants: (await listTenants(db)).map(tenantView) },
  }));

  kit.mount(router, getTenantRoute, async (_ctx, { params }) => {
    const tenant = await getTenant(db, params.slug);
    if (!tenant) throw tenantNotFound();
    return { status: 200, body: { tenant: tenantView(tenant) } };
  });

  for (const [route, action] of [
    [approveTenantRoute, 'approve'],
    [suspendTenantRoute, 'suspend'],
  ] as const) {
    kit.mount(router, route, async (_ctx, { params }) => {
      const result = await changeStatus(db, params.slug, action, new Date(now()), ensureIssuingDid);
      if (!result.ok && result.reason === 'not-found') throw tenantNotFound();
      if (!result.ok) {
        throw tcsApiErrors.error('CONFLICT', {
          message: `Tenant is ${result.status}; only an approved tenant can be suspended`,
        });
      }
      if (result.changed) await keyCache.invalidate(result.digests);
      return { status: 200, body: { tenant: tenantView(result.tenant) } };
    });
  }

  kit.mount(router, rotateTenantApiKeyRoute, async (_ctx, { params }) => {
    const result = await rotateApiKey(db, params.slug, new Date(now()));
    if (!result.ok) throw tenantNotFound();
    await keyCache.invalidate([...result.revokedDigests, result.digest]);
    return { status: 200, body: { tenant: tenantView(result.tenant), apiKey: result.apiKey } };
  });

  return router;
}
