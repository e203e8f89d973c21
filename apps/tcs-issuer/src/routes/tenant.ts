import type Router from '@koa/router';
import { appRouter } from '@portcullis/service';
import type { AppState } from '../state.js';

/**
 * `GET /v1/tenant` (ours): the tenant an API key belongs to, so an integrator can check a key and
 * its environment before calling the issuance routes. Behind `tcsKeyAuth` (SPEC §6.1 messages).
 */
export function tenantRoutes(): Router<AppState> {
  const router = appRouter<AppState>({ prefix: '/v1/tenant' });
  router.get('/', (ctx) => {
    const tenant = ctx.state.tenant;
    if (!tenant) throw new Error('tenant route mounted without tcsKeyAuth');
    ctx.body = {
      tenant: {
        id: tenant.tenantId,
        slug: tenant.slug,
        status: tenant.status,
        signingProfile: tenant.signingProfile,
        environment: tenant.environment,
      },
    };
  });
  return router;
}
