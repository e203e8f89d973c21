import type Router from '@koa/router';
import { instanceApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import {
  ADMIN_AUTH,
  ADMIN_SECURITY,
  type AppKit,
  documented,
  envelope,
  errors,
  JSON_BODY,
  ok,
} from '../http.js';
import {
  createdInstanceSchema,
  createInstanceBody,
  instanceIdSchema,
  instanceSchema,
  instanceWithCountsSchema,
  updateInstanceBody,
} from '../schemas.js';
import type { AppState } from '../state.js';
import {
  createInstance,
  getInstance,
  instanceView,
  listInstances,
  setArchived,
  updateInstance,
} from '../store/instances.js';

const INSTANCE_NOT_FOUND = 'Instance not found';
const notFound = () => instanceApiErrors.error('NOT_FOUND', { message: INSTANCE_NOT_FOUND });
const instanceNotFound = documented(instanceApiErrors, 'NOT_FOUND', INSTANCE_NOT_FOUND);

const TAGS = ['Instances'];
/** `:id`: a malformed id is a 404 like an unknown one, answered without a query. */
const instanceParams = z.object({
  id: instanceIdSchema.meta({
    param: {
      id: 'InstanceId',
      description: 'Instance id. An id of the wrong shape is a 404, like an unknown one.',
    },
  }),
});
const operator = { tags: TAGS, security: ADMIN_SECURITY } as const;

const createInstanceRoute = defineRoute({
  ...operator,
  method: 'post',
  path: '/admin/instances',
  operationId: 'createInstance',
  summary: 'Create an instance and its first key, `Default`',
  request: { body: createInstanceBody },
  responses: {
    201: ok('The instance and its first key, shown once.', createdInstanceSchema, { instanceId: false }),
    ...errors([...JSON_BODY, ...ADMIN_AUTH]),
  },
});

const listInstancesRoute = defineRoute({
  ...operator,
  method: 'get',
  path: '/admin/instances',
  operationId: 'listInstances',
  summary: 'Every instance with its key counts',
  responses: {
    200: ok('Instances; `metadata.total` is their number.', z.array(instanceWithCountsSchema), {
      instanceId: false,
      total: true,
    }),
    ...errors(ADMIN_AUTH),
  },
});

const getInstanceRoute = defineRoute({
  ...operator,
  method: 'get',
  path: '/admin/instances/:id',
  operationId: 'getInstance',
  summary: 'One instance with its key counts',
  request: { params: instanceParams },
  invalidParams: notFound,
  responses: {
    200: ok('The instance.', instanceWithCountsSchema, { instanceId: false }),
    ...errors([instanceNotFound, ...ADMIN_AUTH]),
  },
});

const updateInstanceRoute = defineRoute({
  ...operator,
  method: 'patch',
  path: '/admin/instances/:id',
  operationId: 'updateInstance',
  summary: "Rename an instance or set its services; its keys' cache entries are invalidated at once",
  request: { params: instanceParams, body: updateInstanceBody },
  invalidParams: notFound,
  responses: {
    200: ok('The updated instance.', instanceSchema, { instanceId: false }),
    ...errors([...JSON_BODY, instanceNotFound, ...ADMIN_AUTH]),
  },
});

const archiveRoute = (action: 'archive' | 'unarchive', operationId: string, summary: string) =>
  defineRoute({
    ...operator,
    method: 'post',
    path: `/admin/instances/:id/${action}`,
    operationId,
    summary,
    request: { params: instanceParams },
    invalidParams: notFound,
    responses: {
      200: ok('The instance.', instanceSchema, { instanceId: false }),
      ...errors([instanceNotFound, ...ADMIN_AUTH]),
    },
  });

const archiveInstanceRoute = archiveRoute(
  'archive',
  'archiveInstance',
  'Archive an instance: its keys fail with `AUTH_FAILED` from now on',
);
const unarchiveInstanceRoute = archiveRoute(
  'unarchive',
  'unarchiveInstance',
  'Unarchive an instance: its keys authenticate again',
);

/**
 * The operator routes, mounted behind `adminTokenAuth`. Every change that affects authentication
 * (services, archive) invalidates the instance's keys on every process.
 */
export function adminInstanceRoutes(kit: AppKit, deps: AppDeps): Router<AppState> {
  const { db, keyCache, now } = deps;
  const router = appRouter<AppState>({ prefix: '/admin/instances' });
  const date = () => new Date(now());

  kit.mount(router, createInstanceRoute, async (ctx, { body }) => {
    const created = await createInstance(db, body, date());
    // A negative cache entry for this digest cannot exist in practice, but the rule is cheap.
    await keyCache.invalidate(created.keyDigest);
    const data = { instance: instanceView(created.instance), apiKey: created.apiKey };
    return { status: 201, body: envelope(ctx, now, data) };
  });

  kit.mount(router, listInstancesRoute, async (ctx) => {
    const list = await listInstances(db, date());
    const data = list.map(({ instance, keys }) => ({ ...instanceView(instance), keys }));
    return { status: 200, body: envelope(ctx, now, data, data.length) };
  });

  kit.mount(router, getInstanceRoute, async (ctx, { params }) => {
    const found = await getInstance(db, params.id, date());
    if (!found) throw notFound();
    return { status: 200, body: envelope(ctx, now, { ...instanceView(found.instance), keys: found.keys }) };
  });

  kit.mount(router, updateInstanceRoute, async (ctx, { params, body }) => {
    const updated = await updateInstance(db, params.id, body, date());
    if (!updated) throw notFound();
    await keyCache.invalidate(updated.digests);
    return { status: 200, body: envelope(ctx, now, instanceView(updated.instance)) };
  });

  for (const [route, archived] of [
    [archiveInstanceRoute, true],
    [unarchiveInstanceRoute, false],
  ] as const) {
    kit.mount(router, route, async (ctx, { params }) => {
      const changed = await setArchived(db, params.id, archived, date());
      if (!changed) throw notFound();
      await keyCache.invalidate(changed.digests);
      return { status: 200, body: envelope(ctx, now, instanceView(changed.instance)) };
    });
  }

  return router;
}
