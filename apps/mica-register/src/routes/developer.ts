import type Router from '@koa/router';
import type { Database } from '@portcullis/db';
import { isCodedError, micaDeveloperErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import type { KeyCache } from '@portcullis/key-cache';
import { parseManagementToken } from '@portcullis/key-format';
import {
  bearerToken,
  failedAttemptLimit,
  jsonBody,
  jsonBodyProblemMessage,
  rateLimit,
  type WindowLimiter,
} from '@portcullis/koa-auth';
import { appRouter, singleLineText, type UsageBatcher, validate } from '@portcullis/service';
import type { Middleware, ParameterizedContext } from 'koa';
import { z } from 'zod';
import {
  createDeveloperKey,
  type DeveloperFailure,
  type DeveloperKeyRow,
  type DeveloperRow,
  findDeveloperByToken,
  listDeveloperKeys,
  MAX_ACTIVE_KEYS,
  type MicaAuthRow,
  registerDeveloper,
  revokeDeveloperKey,
  rotateDeveloperKey,
  rotateManagementToken,
} from '../store/developers.js';

export interface DeveloperRouteDeps {
  db: Database;
  keyCache: KeyCache<MicaAuthRow>;
  usage: UsageBatcher;
  now: () => number;
  limits: { perMinute: number; perDay: number };
  /** SPEC §5.2: registrations, 15 per 15 min per address. */
  registerLimiter: WindowLimiter;
  /** SPEC §5.2, §8: failed management-token authentications, 15 per 15 min per address. */
  managementAuthLimiter: WindowLimiter;
}

interface DeveloperState {
  requestId: string;
  body?: unknown;
  developer?: DeveloperRow;
}
type Ctx = ParameterizedContext<DeveloperState>;

const toValidationError = (details: Array<{ field: string; message: string }>) =>
  micaDeveloperErrors.error('VALIDATION_ERROR', { details });

// Names and emails are single-line text (SPEC §8: no control characters once trimmed).
const registerBody = z.strictObject({
  name: singleLineText({ min: 2, max: 100 }),
  email: singleLineText({
    min: 1,
    max: 254,
    message: 'must be an email address of at most 254 characters',
  }).pipe(z.email('must be an email address')),
});
const createKeyBody = z.preprocess(
  (v) => (v === undefined ? {} : v),
  z.strictObject({ name: singleLineText({ min: 1, max: 50 }).default('key') }),
);
const KEY_ID = /^mkey_[0-9a-f]{24}$/;
const strictJson = jsonBody({
  invalid: (problem) => toValidationError([{ field: 'body', message: jsonBodyProblemMessage(problem) }]),
});

function developerOf(ctx: Ctx): DeveloperRow {
  // Mounted behind managementTokenAuth: reaching here without a developer is a wiring bug.
  if (!ctx.state.developer) throw new Error('developer routes mounted without managementTokenAuth');
  return ctx.state.developer;
}

function refuse(failure: DeveloperFailure): never {
  switch (failure.reason) {
    case 'email-exists':
      throw micaDeveloperErrors.error('EMAIL_EXISTS');
    case 'not-found':
      throw micaDeveloperErrors.error('NOT_FOUND', { message: 'API key not found' });
    case 'key-limit':
      throw micaDeveloperErrors.error('KEY_LIMIT_REACHED');
    case 'already-revoked':
      throw micaDeveloperErrors.error('ALREADY_REVOKED');
  }
}

/**
 * `Authorization: Bearer <management token>` (SPEC §5.2): missing → 401 `UNAUTHORIZED`, anything
 * else that is not a current token → 401 `INVALID_TOKEN`. Tokens are found by SHA-256 digest.
 */
function managementTokenAuth(db: Database): Middleware<DeveloperState> {
  return async function managementTokenAuth(ctx, next) {
    const presented = bearerToken(ctx.get('authorization'));
    if (presented === undefined) throw micaDeveloperErrors.error('UNAUTHORIZED');
    const parsed = parseManagementToken(presented);
    if (!parsed.ok) throw micaDeveloperErrors.error('INVALID_TOKEN');
    const developer = await findDeveloperByToken(db, digestKey(parsed.token));
    if (!developer) throw micaDeveloperErrors.error('INVALID_TOKEN');
    ctx.state.developer = developer;
    await next();
  };
}

/**
 * Developer accounts and their keys (SPEC §5.2, plus key and token rotation of ours). Every key
 * change is invalidated on every process before the response is sent, so a revoked or rotated-away
 * key is refused on the next request anywhere.
 */
export function developerRoutes(deps: DeveloperRouteDeps): Router<DeveloperState> {
  const { db, keyCache, usage, now } = deps;
  const router = appRouter<DeveloperState>({ prefix: '/api/mica/developer' });
  const date = () => new Date(now());
  const limits = { perMinute: deps.limits.perMinute, perDay: deps.limits.perDay, maxKeys: MAX_ACTIVE_KEYS };

  const keyView = (row: DeveloperKeyRow) => {
    const pending = usage.pending(row.id);
    const stored = row.last_used_at?.getTime();
    const lastUsed =
      pending && (stored === undefined || pending.lastUsedMs > stored) ? pending.lastUsedMs : stored;
    return {
      id: row.id,
      keyPrefix: row.key_prefix,
      keyHint: row.key_hint,
      name: row.name,
      createdAt: row.created_at.toISOString(),
      lastUsedAt: lastUsed === undefined ? null : new Date(lastUsed).toISOString(),
      revokedAt: row.revoked_at?.toISOString() ?? null,
      // Stored count plus this process's uses not yet flushed.
      requestCount: Number(row.request_count) + (pending?.count ?? 0),
      isActive: row.revoked_at === null,
    };
  };

  router.post(
    '/register',
    rateLimit<DeveloperState>({ limiter: deps.registerLimiter, key: (ctx) => ctx.ip }),
    strictJson,
    async (ctx) => {
      const input = validate(registerBody, ctx.state.body, toValidationError);
      const registered = await registerDeveloper(db, input, date());
      if (!registered.ok) refuse(registered);
      await keyCache.invalidate(registered.key.row.key_digest);
      ctx.status = 201;
      ctx.body = {
        success: true,
        message:
          'Developer account created. Store the API key and the management token now: they are shown only once.',
        developer: {
          id: registered.developer.id,
          email: registered.developer.email,
          name: registered.developer.name,
        },
        apiKey: registered.key.apiKey,
        managementToken: registered.managementToken,
        limits,
      };
    },
  );

  // SPEC §5.2, §8: each attempt at a management token is reserved before the token is looked up
  // and given back unless it failed, so concurrent guesses get at most the limit's lookups.
  const account = appRouter<DeveloperState>();
  account.use(
    failedAttemptLimit<DeveloperState>({
      limiter: deps.managementAuthLimiter,
      key: (ctx) => ctx.ip,
      failed: (_ctx, err) =>
        isCodedError(err) && (err.code === 'UNAUTHORIZED' || err.code === 'INVALID_TOKEN'),
    }),
    managementTokenAuth(db),
  );

  account.get('/keys', async (ctx) => {
    const developer = developerOf(ctx);
    const rows = await listDeveloperKeys(db, developer.id);
    ctx.body = {
      success: true,
      developer: { id: developer.id, email: developer.email, name: developer.name },
      keys: rows.map(keyView),
      limits,
    };
  });

  account.post('/keys', strictJson, async (ctx) => {
    const { name } = validate(createKeyBody, ctx.state.body, toValidationError);
    const created = await createDeveloperKey(db, developerOf(ctx).id, name, date());
    if (!created.ok) refuse(created);
    await keyCache.invalidate(created.row.key_digest);
    ctx.status = 201;
    ctx.body = {
      success: true,
      id: created.row.id,
      apiKey: created.apiKey,
      name: created.row.name,
      createdAt: created.row.created_at.toISOString(),
    };
  });

  const keyIdOf = (ctx: Ctx & { params: Record<string, string | undefined> }) => {
    const id = ctx.params.keyId ?? '';
    if (!KEY_ID.test(id)) throw micaDeveloperErrors.error('NOT_FOUND', { message: 'API key not found' });
    return id;
  };

  account.delete('/keys/:keyId', async (ctx) => {
    const revoked = await revokeDeveloperKey(db, developerOf(ctx).id, keyIdOf(ctx), date());
    if (!revoked.ok) refuse(revoked);
    await keyCache.invalidate(revoked.row.key_digest);
    ctx.body = { success: true, message: 'API key revoked successfully' };
  });

  account.post('/keys/:keyId/rotate', async (ctx) => {
    const rotated = await rotateDeveloperKey(db, developerOf(ctx).id, keyIdOf(ctx), date());
    if (!rotated.ok) refuse(rotated);
    await keyCache.invalidate([rotated.old.key_digest, rotated.row.key_digest]);
    ctx.status = 201;
    ctx.body = {
      success: true,
      id: rotated.row.id,
      apiKey: rotated.apiKey,
      name: rotated.row.name,
      createdAt: rotated.row.created_at.toISOString(),
      replacedKeyId: rotated.old.id,
    };
  });

  account.post('/management-token/rotate', async (ctx) => {
    const managementToken = await rotateManagementToken(db, developerOf(ctx).id, date());
    ctx.body = {
      success: true,
      message: 'Management token rotated. The previous token no longer works.',
      managementToken,
    };
  });

  router.use(account.routes(), account.allowedMethods());
  return router;
}
