import type Router from '@koa/router';
import { instanceApiErrors } from '@portcullis/errors';
import { jsonBody } from '@portcullis/koa-auth';
import { appRouter, validate } from '@portcullis/service';
import type { AppDeps } from '../app.js';
import { send } from '../respond.js';
import { createKeyBody, emptyBody, pauseKeyBody, rotateKeyBody } from '../schemas.js';
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

const KEY_ID = /^key_[0-9a-f]{24}$/;
const keyNotFound = () => instanceApiErrors.error('NOT_FOUND', { message: 'API key not found' });
/** Answer to a caller whose own key may not change keys (`mayManageKeys` in domain.ts). */
const READ_ONLY_CALLER_MESSAGE =
  'Only an ACTIVE key can change keys; a key in its rotation overlap can only read';

function principal(ctx: AppContext) {
  const auth = ctx.state.auth;
  // Mounted behind instanceKeyAuth: reaching here without a principal is a wiring bug.
  if (!auth) throw new Error('api-key routes mounted without instanceKeyAuth');
  return auth;
}

function keyIdOf(ctx: AppContext & { params: Record<string, string> }): string {
  const id = ctx.params.keyId ?? '';
  if (!KEY_ID.test(id)) throw keyNotFound();
  return id;
}

function refuse(failure: KeyChangeFailure): never {
  switch (failure.reason) {
    case 'not-found':
      throw keyNotFound();
    case 'invalid-state':
      throw instanceApiErrors.error('INVALID_INPUT', { message: failure.message });
    case 'read-only-caller':
      // SPEC §4.4: well formed, but not allowed in the (caller's) key's current state.
      throw instanceApiErrors.error('INVALID_INPUT', { message: READ_ONLY_CALLER_MESSAGE });
    case 'limit':
      throw instanceApiErrors.error('LIMIT_EXCEEDED');
  }
}

/**
 * Key management for the caller's own instance (SPEC §4.4), mounted behind `instanceKeyAuth`.
 * A key id of another instance is 404, like an unknown one. Each change is committed, then
 * invalidated on every process before the response is sent. Any authenticated key may read; only
 * an ACTIVE key may change keys (a key in its rotation overlap gets 400 `INVALID_INPUT`), checked
 * by the store inside the change's transaction.
 */
export function apiKeyRoutes(deps: AppDeps): Router<AppState> {
  const { db, keyCache, usage, now } = deps;
  const router = appRouter<AppState>();
  const date = () => new Date(now());

  router.get('/', async (ctx) => {
    const found = await getInstance(db, principal(ctx).instanceId, date());
    if (!found) throw instanceApiErrors.error('NOT_FOUND', { message: 'Instance not found' });
    send(ctx, now, { ...instanceView(found.instance), stats: { apiKeys: found.keys } });
  });

  router.get('/api-keys', async (ctx) => {
    const rows = await listKeys(db, principal(ctx).instanceId);
    const at = date();
    send(
      ctx,
      now,
      rows.map((row) => apiKeyView(row, at, usage.pending(row.id)?.lastUsedMs)),
      200,
      rows.length,
    );
  });

  router.post('/api-keys', jsonBody(), async (ctx) => {
    const { name } = validate(createKeyBody, ctx.state.body);
    const created = await createKey(db, principal(ctx), name, date());
    if (!created.ok) refuse(created);
    await keyCache.invalidate(created.row.key_digest);
    send(
      ctx,
      now,
      {
        id: created.row.id,
        key: created.key,
        name: created.row.name,
        status: 'ACTIVE',
        createdAt: created.row.created_at.toISOString(),
      },
      201,
    );
  });

  router.post('/api-keys/:keyId/rotate', jsonBody(), async (ctx) => {
    const { overlapSeconds } = validate(rotateKeyBody, ctx.state.body);
    const rotated = await rotateKey(db, principal(ctx), keyIdOf(ctx), overlapSeconds, date());
    if (!rotated.ok) refuse(rotated);
    await keyCache.invalidate([rotated.oldKey.key_digest, rotated.newKey.key_digest]);
    send(ctx, now, {
      oldKeyId: rotated.oldKey.id,
      newKeyId: rotated.newKey.id,
      newKey: rotated.key,
      overlapEndDate: rotated.overlapEndDate.toISOString(),
    });
  });

  router.post('/api-keys/:keyId/pause', jsonBody(), async (ctx) => {
    const { durationSeconds } = validate(pauseKeyBody, ctx.state.body);
    const paused = await pauseKey(db, principal(ctx), keyIdOf(ctx), durationSeconds, date());
    if (!paused.ok) refuse(paused);
    await keyCache.invalidate(paused.row.key_digest);
    send(ctx, now, apiKeyView(paused.row, date(), usage.pending(paused.row.id)?.lastUsedMs));
  });

  router.post('/api-keys/:keyId/resume', jsonBody(), async (ctx) => {
    validate(emptyBody, ctx.state.body);
    const resumed = await resumeKey(db, principal(ctx), keyIdOf(ctx), date());
    if (!resumed.ok) refuse(resumed);
    await keyCache.invalidate(resumed.row.key_digest);
    send(ctx, now, apiKeyView(resumed.row, date(), usage.pending(resumed.row.id)?.lastUsedMs));
  });

  router.post('/api-keys/:keyId/revoke', jsonBody(), async (ctx) => {
    validate(emptyBody, ctx.state.body);
    const revoked = await revokeKey(db, principal(ctx), keyIdOf(ctx), date());
    if (!revoked.ok) refuse(revoked);
    await keyCache.invalidate(revoked.row.key_digest);
    send(ctx, now, { message: 'API key revoked' });
  });

  router.delete('/api-keys/:keyId', async (ctx) => {
    const deleted = await deleteKey(db, principal(ctx), keyIdOf(ctx), date());
    if (!deleted.ok) refuse(deleted);
    await keyCache.invalidate(deleted.digest);
    send(ctx, now, { message: 'API key deleted' });
  });

  return router;
}
