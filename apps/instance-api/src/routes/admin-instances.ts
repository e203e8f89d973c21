import type Router from '@koa/router';
import { instanceApiErrors } from '@portcullis/errors';
import { jsonBody } from '@portcullis/koa-auth';
import { appRouter, validate } from '@portcullis/service';
import type { AppDeps } from '../app.js';
import { send } from '../respond.js';
import { createInstanceBody, updateInstanceBody } from '../schemas.js';
import type { AppState } from '../state.js';
import {
  createInstance,
  getInstance,
  instanceView,
  listInstances,
  setArchived,
  updateInstance,
} from '../store/instances.js';

const INSTANCE_ID = /^inst_[0-9a-f]{24}$/;
const notFound = () => instanceApiErrors.error('NOT_FOUND', { message: 'Instance not found' });

/** The `:id` of the route, or 404 when it cannot be an instance id (no query for garbage). */
function instanceIdOf(params: Record<string, string | undefined>): string {
  const id = params.id ?? '';
  if (!INSTANCE_ID.test(id)) throw notFound();
  return id;
}

/**
 * Operator routes (SPEC §4.3), mounted behind `adminTokenAuth`. Every change that affects
 * authentication (services, archive) invalidates the instance's keys on every process.
 */
export function adminInstanceRoutes(deps: AppDeps): Router<AppState> {
  const { db, keyCache, now } = deps;
  const router = appRouter<AppState>({ prefix: '/admin/instances' });
  const date = () => new Date(now());

  router.post('/', jsonBody(), async (ctx) => {
    const input = validate(createInstanceBody, ctx.state.body);
    const created = await createInstance(db, input, date());
    // A negative cache entry for this digest cannot exist in practice, but the rule is cheap.
    await keyCache.invalidate(created.keyDigest);
    send(ctx, now, { instance: instanceView(created.instance), apiKey: created.apiKey }, 201);
  });

  router.get('/', async (ctx) => {
    const list = await listInstances(db, date());
    send(
      ctx,
      now,
      list.map(({ instance, keys }) => ({ ...instanceView(instance), keys })),
      200,
      list.length,
    );
  });

  router.get('/:id', async (ctx) => {
    const found = await getInstance(db, instanceIdOf(ctx.params), date());
    if (!found) throw notFound();
    send(ctx, now, { ...instanceView(found.instance), keys: found.keys });
  });

  router.patch('/:id', jsonBody(), async (ctx) => {
    const patch = validate(updateInstanceBody, ctx.state.body);
    const updated = await updateInstance(db, instanceIdOf(ctx.params), patch, date());
    if (!updated) throw notFound();
    await keyCache.invalidate(updated.digests);
    send(ctx, now, instanceView(updated.instance));
  });

  for (const [action, archived] of [
    ['archive', true],
    ['unarchive', false],
  ] as const) {
    router.post(`/:id/${action}`, async (ctx) => {
      const changed = await setArchived(db, instanceIdOf(ctx.params), archived, date());
      if (!changed) throw notFound();
      await keyCache.invalidate(changed.digests);
      send(ctx, now, instanceView(changed.instance));
    });
  }

  return router;
}
