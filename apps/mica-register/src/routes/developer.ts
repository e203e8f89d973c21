import type Router from '@koa/router';
import type { Database } from '@portcullis/db';
import { catalogErrors, type DocumentedError, isCodedError, micaDeveloperErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import type { KeyCache, UsageBatcher } from '@portcullis/key-cache';
import { parseManagementToken } from '@portcullis/key-format';
import { bearerToken, failedAttemptLimit, rateLimit, type WindowLimiter } from '@portcullis/koa-auth';
import { appRouter, defineRoute, type RouteKit, singleLineText } from '@portcullis/routes';
import type { Middleware } from 'koa';
import { z } from 'zod';
import {
  ADDRESS_LIMIT_HEADERS,
  type AppState,
  errorResponses,
  JSON_BODY,
  ok,
  RATE_LIMITED,
  SERVER,
  TOKEN_AUTH,
  withMessage,
} from '../http.js';
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

// Developer accounts and their keys, with our key and token rotation. Every key change is
// invalidated on every process before the response is sent, so a revoked or rotated-away key is
// refused on the next request anywhere.

// Request bodies. Names and emails are single-line text: trimmed, then no control characters.
const registerBody = z.strictObject({
  name: singleLineText({ min: 2, max: 100 }).meta({ description: 'Trimmed.' }),
  email: singleLineText({
    min: 1,
    max: 254,
    message: 'must be an email address of at most 254 characters',
  })
    .pipe(z.email('must be an email address'))
    .meta({ description: 'Compared case-insensitively; one account per email.', format: 'email' }),
});
// No body at all is the default name.
const createKeyBody = z.preprocess(
  (v) => (v === undefined ? {} : v),
  z.strictObject({
    name: singleLineText({ min: 1, max: 50 }).default('key').meta({ description: 'Trimmed.' }),
  }),
);

// Response bodies: each route's own `{ success: true, … }`.
const keyIdSchema = z
  .string()
  .regex(/^mkey_[0-9a-f]{24}$/)
  .meta({ id: 'DeveloperKeyId', description: "Id of one of the developer's keys." });
const micaKeySchema = z
  .string()
  .regex(/^trusset_mica_[0-9a-f]{48}$/)
  .meta({ description: 'The full key: shown in this response only, never again.' });
const managementTokenSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .meta({ description: 'The management token: shown in this response only, never again.' });
const timestamp = z.iso.datetime();

const developerSchema = z
  .object({ id: z.string(), email: z.string().meta({ format: 'email' }), name: z.string() })
  .meta({ id: 'Developer' });
const limitsSchema = z
  .object({
    perMinute: z.int().min(1).meta({ description: 'Requests per minute per key.' }),
    perDay: z.int().min(1).meta({ description: 'Requests per UTC day per key.' }),
    maxKeys: z.literal(MAX_ACTIVE_KEYS).meta({ description: 'Active keys per developer.' }),
  })
  .meta({ id: 'DeveloperLimits' });

/** One key of a developer, never the key itself. */
const developerKeySchema = z
  .object({
    id: keyIdSchema,
    keyPrefix: z.string().regex(/^trusset_mica_[0-9a-f]{9}$/),
    keyHint: z
      .string()
      .regex(/^[0-9a-f]{4}$/)
      .meta({ description: 'Last 4 characters of the key.' }),
    name: z.string(),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    requestCount: z.int().min(0),
    isActive: z.boolean(),
  })
  .meta({ id: 'DeveloperKey' });
type DeveloperKeyView = z.infer<typeof developerKeySchema>;

const registeredSchema = z
  .object({
    success: z.literal(true),
    message: z.string(),
    developer: developerSchema,
    apiKey: micaKeySchema,
    managementToken: managementTokenSchema,
    limits: limitsSchema,
  })
  .meta({ id: 'Registered' });
/** The answer to a registration. */
export type Registered = z.infer<typeof registeredSchema>;

const keyListingSchema = z
  .object({
    success: z.literal(true),
    developer: developerSchema,
    keys: z.array(developerKeySchema),
    limits: limitsSchema,
  })
  .meta({ id: 'KeyListing' });
/** The answer to `GET /keys`. */
export type KeyListing = z.infer<typeof keyListingSchema>;

const createdKeySchema = z
  .object({
    success: z.literal(true),
    id: keyIdSchema,
    apiKey: micaKeySchema,
    name: z.string(),
    createdAt: timestamp,
  })
  .meta({ id: 'CreatedKey' });
/** The answer to a key created. */
export type CreatedKey = z.infer<typeof createdKeySchema>;

const rotatedKeySchema = createdKeySchema
  .extend({ replacedKeyId: keyIdSchema })
  .meta({ id: 'RotatedKey', description: 'The new key, which takes the name of the one it replaces.' });
/** The answer to a key rotated. */
export type RotatedKey = z.infer<typeof rotatedKeySchema>;

const keyRevokedSchema = z
  .object({ success: z.literal(true), message: z.literal('API key revoked successfully') })
  .meta({ id: 'KeyRevoked' });

const tokenRotatedSchema = z
  .object({ success: z.literal(true), message: z.string(), managementToken: managementTokenSchema })
  .meta({ id: 'ManagementTokenRotated' });
/** The answer to a management token rotated. */
export type ManagementTokenRotated = z.infer<typeof tokenRotatedSchema>;

const TAGS = ['Developer'];
const ACCOUNT = [{ managementToken: [] }];
const KEY_NOT_FOUND = withMessage(micaDeveloperErrors, 'NOT_FOUND', 'API key not found');
const keyNotFound = () => micaDeveloperErrors.error('NOT_FOUND', { message: KEY_NOT_FOUND.message });
/** The error answers of an account route: its own `errors`, then the token's and the server's. */
const accountErrors = (...errors: DocumentedError[]) => errorResponses([...errors, ...TOKEN_AUTH]);
const keyParams = z.object({
  keyId: keyIdSchema.meta({
    description: "Id of one of the developer's keys. A malformed id is a 404, like an unknown one.",
  }),
});

const registerDeveloperRoute = defineRoute({
  method: 'post',
  path: '/api/mica/developer/register',
  operationId: 'registerDeveloper',
  summary: 'Create a developer account with a first key and a management token',
  description:
    'No authentication. Registrations are limited per client address (15 per 15 minutes unless configured otherwise), and every attempt counts: it creates accounts.',
  tags: TAGS,
  security: [],
  request: { body: registerBody },
  responses: {
    201: ok('The account; both secrets are shown only here.', registeredSchema, ADDRESS_LIMIT_HEADERS),
    ...errorResponses(
      [...JSON_BODY, ...catalogErrors(micaDeveloperErrors, 'EMAIL_EXISTS'), ...RATE_LIMITED, ...SERVER],
      { limited: ADDRESS_LIMIT_HEADERS, sometimes: [500] },
    ),
  },
});

const listKeysRoute = defineRoute({
  method: 'get',
  path: '/api/mica/developer/keys',
  operationId: 'listDeveloperKeys',
  summary: "The developer's keys, never the keys themselves",
  tags: TAGS,
  security: ACCOUNT,
  responses: {
    200: ok('The developer, their keys and limits.', keyListingSchema),
    ...accountErrors(),
  },
});

const createKeyRoute = defineRoute({
  method: 'post',
  path: '/api/mica/developer/keys',
  operationId: 'createDeveloperKey',
  summary: 'Create a key',
  description: `At most ${MAX_ACTIVE_KEYS} active keys per developer. Without a body the key is named \`key\`.`,
  tags: TAGS,
  security: ACCOUNT,
  request: { body: createKeyBody },
  responses: {
    201: ok('The new key, shown only here.', createdKeySchema),
    ...accountErrors(...JSON_BODY, ...catalogErrors(micaDeveloperErrors, 'KEY_LIMIT_REACHED')),
  },
});

const revokeKeyRoute = defineRoute({
  method: 'delete',
  path: '/api/mica/developer/keys/:keyId',
  operationId: 'revokeDeveloperKey',
  summary: 'Revoke a key; it stops working at once',
  tags: TAGS,
  security: ACCOUNT,
  request: { params: keyParams },
  invalidParams: keyNotFound,
  responses: {
    200: ok('Revoked.', keyRevokedSchema),
    ...accountErrors(KEY_NOT_FOUND, ...catalogErrors(micaDeveloperErrors, 'ALREADY_REVOKED')),
  },
});

const rotateKeyRoute = defineRoute({
  method: 'post',
  path: '/api/mica/developer/keys/:keyId/rotate',
  operationId: 'rotateDeveloperKey',
  summary: 'Replace a key with a new one of the same name; the old one stops working at once',
  description:
    'In one transaction: the number of active keys does not change. A revoked key cannot be rotated.',
  tags: TAGS,
  security: ACCOUNT,
  request: { params: keyParams },
  invalidParams: keyNotFound,
  responses: {
    201: ok('The new key, shown only here.', rotatedKeySchema),
    ...accountErrors(KEY_NOT_FOUND, ...catalogErrors(micaDeveloperErrors, 'ALREADY_REVOKED')),
  },
});

const rotateManagementTokenRoute = defineRoute({
  method: 'post',
  path: '/api/mica/developer/management-token/rotate',
  operationId: 'rotateManagementToken',
  summary: 'Replace the management token; the old one stops working at once',
  tags: TAGS,
  security: ACCOUNT,
  responses: {
    200: ok('The new token, shown only here.', tokenRotatedSchema),
    ...accountErrors(),
  },
});

export interface DeveloperRouteDeps {
  db: Database;
  keyCache: KeyCache<MicaAuthRow>;
  usage: UsageBatcher;
  now: () => number;
  limits: { perMinute: number; perDay: number };
  /** Registrations per client address. */
  registerLimiter: WindowLimiter;
  /** Failed management-token authentications per client address. */
  managementAuthLimiter: WindowLimiter;
}

function developerOf(ctx: { state: AppState }): DeveloperRow {
  // Mounted behind managementTokenAuth: reaching here without a developer is a wiring bug.
  if (!ctx.state.developer) throw new Error('developer routes mounted without managementTokenAuth');
  return ctx.state.developer;
}

function refuse(failure: DeveloperFailure): never {
  switch (failure.reason) {
    case 'email-exists':
      throw micaDeveloperErrors.error('EMAIL_EXISTS');
    case 'not-found':
      throw keyNotFound();
    case 'key-limit':
      throw micaDeveloperErrors.error('KEY_LIMIT_REACHED');
    case 'already-revoked':
      throw micaDeveloperErrors.error('ALREADY_REVOKED');
  }
}

/**
 * `Authorization: Bearer <management token>`: missing → 401 `UNAUTHORIZED`, anything else that is
 * not a current token → 401 `INVALID_TOKEN`. Tokens are found by SHA-256 digest.
 */
function managementTokenAuth(db: Database): Middleware<AppState> {
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
 * Developer accounts and their keys under `/api/mica/developer`, declared in `kit`: registration
 * (public, limited per address) and the account routes behind the management token, whose failed
 * attempts are limited per address and reserved before the token is looked up, so concurrent
 * guesses get at most the limit's lookups.
 *
 * @example
 * app.use(developerRoutes(kit, { db, keyCache, usage, now, limits, registerLimiter, managementAuthLimiter }).routes());
 */
export function developerRoutes(kit: RouteKit<AppState>, deps: DeveloperRouteDeps): Router<AppState> {
  const { db, keyCache, usage, now } = deps;
  const router = appRouter<AppState>({ prefix: '/api/mica/developer' });
  const date = () => new Date(now());
  const limits = {
    perMinute: deps.limits.perMinute,
    perDay: deps.limits.perDay,
    maxKeys: MAX_ACTIVE_KEYS,
  } as const;
  const developerView = (row: DeveloperRow) => ({ id: row.id, email: row.email, name: row.name });

  const keyView = (row: DeveloperKeyRow): DeveloperKeyView => {
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

  kit.mount(
    router,
    registerDeveloperRoute,
    async (_ctx, { body }) => {
      const registered = await registerDeveloper(db, body, date());
      if (!registered.ok) refuse(registered);
      await keyCache.invalidate(registered.key.row.key_digest);
      return {
        status: 201,
        body: {
          success: true,
          message:
            'Developer account created. Store the API key and the management token now: they are shown only once.',
          developer: developerView(registered.developer),
          apiKey: registered.key.apiKey,
          managementToken: registered.managementToken,
          limits,
        },
      };
    },
    { before: [rateLimit<AppState>({ limiter: deps.registerLimiter, key: (ctx) => ctx.ip })] },
  );

  // Each attempt at a management token is reserved before the token is looked up and given back
  // unless it failed: concurrent guesses get at most the limit's lookups.
  const account = {
    before: [
      failedAttemptLimit<AppState>({
        limiter: deps.managementAuthLimiter,
        key: (ctx) => ctx.ip,
        failed: (_ctx, err) =>
          isCodedError(err) && (err.code === 'UNAUTHORIZED' || err.code === 'INVALID_TOKEN'),
      }),
      managementTokenAuth(db),
    ],
  };

  kit.mount(
    router,
    listKeysRoute,
    async (ctx) => {
      const developer = developerOf(ctx);
      const rows = await listDeveloperKeys(db, developer.id);
      return {
        status: 200,
        body: { success: true, developer: developerView(developer), keys: rows.map(keyView), limits },
      };
    },
    account,
  );

  kit.mount(
    router,
    createKeyRoute,
    async (ctx, { body }) => {
      const created = await createDeveloperKey(db, developerOf(ctx).id, body.name, date());
      if (!created.ok) refuse(created);
      await keyCache.invalidate(created.row.key_digest);
      return {
        status: 201,
        body: {
          success: true,
          id: created.row.id,
          apiKey: created.apiKey,
          name: created.row.name,
          createdAt: created.row.created_at.toISOString(),
        },
      };
    },
    account,
  );

  kit.mount(
    router,
    revokeKeyRoute,
    async (ctx, { params }) => {
      const revoked = await revokeDeveloperKey(db, developerOf(ctx).id, params.keyId, date());
      if (!revoked.ok) refuse(revoked);
      await keyCache.invalidate(revoked.row.key_digest);
      return { status: 200, body: { success: true, message: 'API key revoked successfully' } };
    },
    account,
  );

  kit.mount(
    router,
    rotateKeyRoute,
    async (ctx, { params }) => {
      const rotated = await rotateDeveloperKey(db, developerOf(ctx).id, params.keyId, date());
      if (!rotated.ok) refuse(rotated);
      await keyCache.invalidate([rotated.old.key_digest, rotated.row.key_digest]);
      return {
        status: 201,
        body: {
          success: true,
          id: rotated.row.id,
          apiKey: rotated.apiKey,
          name: rotated.row.name,
          createdAt: rotated.row.created_at.toISOString(),
          replacedKeyId: rotated.old.id,
        },
      };
    },
    account,
  );

  kit.mount(
    router,
    rotateManagementTokenRoute,
    async (ctx) => {
      const managementToken = await rotateManagementToken(db, developerOf(ctx).id, date());
      return {
        status: 200,
        body: {
          success: true,
          message: 'Management token rotated. The previous token no longer works.',
          managementToken,
        },
      };
    },
    account,
  );

  return router;
}
