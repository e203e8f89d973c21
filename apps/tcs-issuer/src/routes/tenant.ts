import type Router from '@koa/router';
import { appRouter, defineRoute, type RouteKit } from '@portcullis/routes';
import { z } from 'zod';
import { API_KEY, errorResponses, ok } from '../http.js';
import { environmentSchema, signingProfileSchema, slugSchema, tenantIdSchema } from '../schemas.js';
import type { AppState } from '../state.js';

const keyTenantSchema = z
  .object({
    tenant: z.object({
      id: tenantIdSchema,
      slug: slugSchema,
      status: z.literal('approved').meta({ description: 'Only approved tenants get past the key guard.' }),
      signingProfile: signingProfileSchema,
      environment: environmentSchema,
    }),
  })
  .meta({ id: 'KeyTenant' });

const getKeyTenantRoute = defineRoute({
  method: 'get',
  path: '/v1/tenant',
  operationId: 'getKeyTenant',
  summary: "The API key's tenant (ours): checks a key before issuing",
  tags: ['Tenant'],
  security: [{ apiKey: [] }],
  responses: {
    200: ok("The key's tenant.", keyTenantSchema),
    ...errorResponses(API_KEY),
  },
});

/**
 * `GET /v1/tenant` (ours): the tenant an API key belongs to, so an integrator can check a key and
 * its environment before calling the issuance routes. The caller mounts the router behind
 * `tcsKeyAuth` (the published key messages).
 */
export function tenantRoutes(kit: RouteKit<AppState>): Router<AppState> {
  const router = appRouter<AppState>({ prefix: '/v1/tenant' });
  kit.mount(router, getKeyTenantRoute, (ctx) => {
    const tenant = ctx.state.tenant;
    // The key guard lets approved tenants only: anything else here is a wiring bug.
    if (tenant?.status !== 'approved') throw new Error('tenant route mounted without tcsKeyAuth');
    return {
      status: 200,
      body: {
        tenant: {
          id: tenant.tenantId,
          slug: tenant.slug,
          status: tenant.status,
          signingProfile: tenant.signingProfile,
          environment: tenant.environment,
        },
      },
    };
  });
  return router;
}
