import type Router from '@koa/router';
import { catalogErrors, type DocumentedError, instanceApiErrors } from '@portcullis/errors';
import { rateLimit } from '@portcullis/koa-auth';
import { appRouter, defineRoute } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { MAX_ACTIVE_KEYS } from '../domain.js';
import { type AppKit, documented, envelope, errors, JSON_BODY, KEY_AUTH, KEY_SECURITY, ok } from '../http.js';
import {
  apiKeySchema,
  createdKeySchema,
  createKeyBody,
  emptyBody,
  instanceWithStatsSchema,
  keyIdSchema,
  messageSchema,
  pauseKeyBody,
  rotateKeyBody,
  rotationSchema,
} from '../schemas.js';
import type { AppContext, AppState } from '../state.js';
import {
  apiKeyView,
  createKey,
  deleteKey,
  type KeyChangeFailure,
  listKeys,
  pauseKey,
  resumeKey,
  revokeKey,
  rotateKey,
} from '../store/api-keys.js';
import { getInstance, instanceView } from '../store/instances.js';

const KEY_NOT_FOUND = 'API key not found';
const keyNotFound = () => instanceApiErrors.error('NOT_FOUND', { message: KEY_NOT_FOUND });
/** Answer to a caller whose own key may not change keys (`mayManageKeys` in domain.ts). */
const READ_ONLY_CALLER_MESSAGE =
  'Only an ACTIVE key can change keys; a key in its rotation overlap can only read';

const keyNotFoundError = documented(instanceApiErrors, 'NOT_FOUND', KEY_NOT_FOUND);
const instanceNotFoundError = documented(instanceApiErrors, 'NOT_FOUND', 'Instance not found');
/** `INVALID_INPUT`: well formed, but not allowed in the key's (or the caller's key's) current state. */
const invalidState = documented(
  instanceApiErrors,
  'INVALID_INPUT',
  "Not allowed in the key's current state (e.g. `Key already revoked`), or the caller's own key may not change keys: only an ACTIVE key can; a key in its rotation overlap can only read",
);
/** Every key change: its body, the key's state or the caller's, an unknown key, authentication. */
const KEY_CHANGE: readonly DocumentedError[] = [...JSON_BODY, invalidState, keyNotFoundError, ...KEY_AUTH];

const TAGS = ['API keys'];
const management = { tags: TAGS, security: KEY_SECURITY } as const;
/** `:keyId`: a key of another instance, or a malformed id, is a 404 like an unknown one. */
const keyParams = z.object({
  keyId: keyIdSchema.meta({
    param: {
      id: 'KeyId',
      description: "Key id of the caller's instance. Another instance's key, or a malformed id, is a 404.",
    },
  }),
});
const keyAction = { ...management, request: { params: keyParams }, invalidParams: keyNotFound } as const;

const getOwnInstanceRoute = defineRoute({
  ...management,
  method: 'get',
  path: '/api/v2/instance',
  operationId: 'getOwnInstance',
  summary: "The caller's instance with key statistics",
  responses: {
    200: ok('The instance.', instanceWithStatsSchema, { instanceId: true }),
    ...errors([instanceNotFoundError, ...KEY_AUTH]),
  },
});

const listApiKeysRoute = defineRoute({
  ...management,
  method: 'get',
  path: '/api/v2/instance/api-keys',
  operationId: 'listApiKeys',
  summary: "Keys of the caller's instance, never the keys themselves",
  responses: {
    200: ok('Keys; `metadata.total` is their number.', z.array(apiKeySchema), {
      instanceId: true,
      total: true,
    }),
    ...errors(KEY_AUTH),
  },
});

const createApiKeyRoute = defineRoute({
  ...management,
  method: 'post',
  path: '/api/v2/instance/api-keys',
  operationId: 'createApiKey',
  summary: 'Create a key',
  description: `At most ${MAX_ACTIVE_KEYS} keys in ACTIVE or PAUSED per instance; PENDING_ROTATION keys do not count.`,
  request: { body: createKeyBody },
  responses: {
    201: ok('The new key, shown in full only here.', createdKeySchema, { instanceId: true }),
    ...errors([
      ...JSON_BODY,
      invalidState,
      ...catalogErrors(instanceApiErrors, 'LIMIT_EXCEEDED'),
      ...KEY_AUTH,
    ]),
  },
});

const rotateApiKeyRoute = defineRoute({
  ...keyAction,
  method: 'post',
  path: '/api/v2/instance/api-keys/:keyId/rotate',
  operationId: 'rotateApiKey',
  summary: 'Rotate a key: a new ACTIVE key at once, the old one PENDING_ROTATION until the overlap ends',
  description:
    'Only an ACTIVE or PAUSED key can be rotated. `overlapSeconds: 0` expires the old key at once. A PAUSED key keeps its pause: it authenticates only after `pausedUntil` and before the overlap end. Of two concurrent rotations of one key exactly one succeeds.',
  request: { params: keyParams, body: rotateKeyBody },
  responses: {
    200: ok('The old and the new key; the new key is shown only here.', rotationSchema, { instanceId: true }),
    ...errors(KEY_CHANGE),
  },
});

const pauseApiKeyRoute = defineRoute({
  ...keyAction,
  method: 'post',
  path: '/api/v2/instance/api-keys/:keyId/pause',
  operationId: 'pauseApiKey',
  summary: 'Pause an ACTIVE key for a while',
  request: { params: keyParams, body: pauseKeyBody },
  responses: {
    200: ok('The key, `status: "PAUSED"` with `pausedUntil`.', apiKeySchema, { instanceId: true }),
    ...errors(KEY_CHANGE),
  },
});

const resumeApiKeyRoute = defineRoute({
  ...keyAction,
  method: 'post',
  path: '/api/v2/instance/api-keys/:keyId/resume',
  operationId: 'resumeApiKey',
  summary: 'Resume a PAUSED key',
  request: { params: keyParams, body: emptyBody },
  responses: {
    200: ok('The key, `status: "ACTIVE"`.', apiKeySchema, { instanceId: true }),
    ...errors(KEY_CHANGE),
  },
});

const revokeApiKeyRoute = defineRoute({
  ...keyAction,
  method: 'post',
  path: '/api/v2/instance/api-keys/:keyId/revoke',
  operationId: 'revokeApiKey',
  summary: 'Revoke a key: immediate and irreversible; the record is kept',
  request: { params: keyParams, body: emptyBody },
  responses: {
    200: ok('Revoked.', messageSchema('API key revoked', 'KeyRevoked'), { instanceId: true }),
    ...errors(KEY_CHANGE),
  },
});

const deleteApiKeyRoute = defineRoute({
  ...keyAction,
  method: 'delete',
  path: '/api/v2/instance/api-keys/:keyId',
  operationId: 'deleteApiKey',
  summary: 'Delete a key: it stops working at once and its record is removed',
  responses: {
    200: ok('Deleted.', messageSchema('API key deleted', 'KeyDeleted'), { instanceId: true }),
    ...errors([invalidState, keyNotFoundError, ...KEY_AUTH]),
  },
});

function principal(ctx: AppContext) {
  const auth = ctx.state.auth;
  // Mounted behind instanceKeyAuth: reaching here without a principal is a wiring bug.
  if (!auth) throw new Error('api-key routes mounted without instanceKeyAuth');
  return auth;
}

function refuse(failure: KeyChangeFailure): never {
  switch (failure.reason) {
    case 'not-found':
      throw keyNotFound();
    case 'invalid-state':
      throw instanceApiErrors.error('INVALID_INPUT', { message: failure.message });
    case 'read-only-caller':
      // Well formed, but not allowed in the (caller's) key's current state.
      throw instanceApiErrors.error('INVALID_INPUT', { message: READ_ONLY_CALLER_MESSAGE });
    case 'limit':
      throw instanceApiErrors.error('LIMIT_EXCEEDED');
  }
}

/**
 * Key management for the caller's own instance, mounted behind `instanceKeyAuth`, under a limit
 * per instance (`limiters.keyManagement`) that every route below counts against, in whatever
 * spelling its router matches. A key id of another instance is 404, like an unknown one. Each
 * change is committed, then invalidated on every process before the response is sent. Any
 * authenticated key may read; only an ACTIVE key may change keys (a key in its rotation overlap
 * gets 400 `INVALID_INPUT`), checked by the store inside the change's transaction.
 */
export function apiKeyRoutes(kit: AppKit, deps: AppDeps): Router<AppState> {
  const { db, keyCache, usage, now } = deps;
  const router = appRouter<AppState>({ prefix: '/api/v2/instance' });
  router.use(
    rateLimit<AppState>({ limiter: deps.limiters.keyManagement, key: (ctx) => ctx.state.auth?.instanceId }),
  );
  const date = () => new Date(now());

  kit.mount(router, getOwnInstanceRoute, async (ctx) => {
    const found = await getInstance(db, principal(ctx).instanceId, date());
    if (!found) throw instanceApiErrors.error('NOT_FOUND', { message: 'Instance not found' });
    const data = { ...instanceView(found.instance), stats: { apiKeys: found.keys } };
    return { status: 200, body: envelope(ctx, now, data) };
  });

  kit.mount(router, listApiKeysRoute, async (ctx) => {
    const rows = await listKeys(db, principal(ctx).instanceId);
    const at = date();
    const data = rows.map((row) => apiKeyView(row, at, usage.pending(row.id)?.lastUsedMs));
    return { status: 200, body: envelope(ctx, now, data, data.length) };
  });

  kit.mount(router, createApiKeyRoute, async (ctx, { body }) => {
    const created = await createKey(db, principal(ctx), body.name, date());
    if (!created.ok) refuse(created);
    await keyCache.invalidate(created.row.key_digest);
    const data = {
      id: created.row.id,
      key: created.key,
      name: created.row.name,
      status: 'ACTIVE' as const,
      createdAt: created.row.created_at.toISOString(),
    };
    return { status: 201, body: envelope(ctx, now, data) };
  });

  kit.mount(router, rotateApiKeyRoute, async (ctx, { params, body }) => {
    const rotated = await rotateKey(db, principal(ctx), params.keyId, body.overlapSeconds, date());
    if (!rotated.ok) refuse(rotated);
    await keyCache.invalidate([rotated.oldKey.key_digest, rotated.newKey.key_digest]);
    const data = {
      oldKeyId: rotated.oldKey.id,
      newKeyId: rotated.newKey.id,
      newKey: rotated.key,
      overlapEndDate: rotated.overlapEndDate.toISOString(),
    };
    return { status: 200, body: envelope(ctx, now, data) };
  });

  kit.mount(router, pauseApiKeyRoute, async (ctx, { params, body }) => {
    const paused = await pauseKey(db, principal(ctx), params.keyId, body.durationSeconds, date());
    if (!paused.ok) refuse(paused);
    await keyCache.invalidate(paused.row.key_digest);
    const data = apiKeyView(paused.row, date(), usage.pending(paused.row.id)?.lastUsedMs);
    return { status: 200, body: envelope(ctx, now, data) };
  });

  kit.mount(router, resumeApiKeyRoute, async (ctx, { params }) => {
    const resumed = await resumeKey(db, principal(ctx), params.keyId, date());
    if (!resumed.ok) refuse(resumed);
    await keyCache.invalidate(resumed.row.key_digest);
    const data = apiKeyView(resumed.row, date(), usage.pending(resumed.row.id)?.lastUsedMs);
    return { status: 200, body: envelope(ctx, now, data) };
  });

  kit.mount(router, revokeApiKeyRoute, async (ctx, { params }) => {
    const revoked = await revokeKey(db, principal(ctx), params.keyId, date());
    if (!revoked.ok) refuse(revoked);
    await keyCache.invalidate(revoked.row.key_digest);
    return { status: 200, body: envelope(ctx, now, { message: 'API key revoked' as const }) };
  });

  kit.mount(router, deleteApiKeyRoute, async (ctx, { params }) => {
    const deleted = await deleteKey(db, principal(ctx), params.keyId, date());
    if (!deleted.ok) refuse(deleted);
    await keyCache.invalidate(deleted.digest);
    return { status: 200, body: envelope(ctx, now, { message: 'API key deleted' as const }) };
  });

  return router;
}
