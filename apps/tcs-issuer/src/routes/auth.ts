import type Router from '@koa/router';
import { catalogErrors, isCodedError, tcsApiErrors, tcsApiKeyErrors } from '@portcullis/errors';
import { bearerJwtAuth, failedAttemptLimit, type LimitResult } from '@portcullis/koa-auth';
import { appRouter, defineRoute, type RouteKit } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { BEARER, cacheControl, errorResponses, JSON_BODY, ok, SERVER } from '../http.js';
import { changePasswordBody, loginBody } from '../schemas.js';
import { type AppContext, type AppState, sessionVerifier } from '../state.js';
import { changePassword, findAccount, replacePasswordHash } from '../store/accounts.js';

const accessTokenFields = {
  access_token: z.string().meta({
    description:
      'ES256 JWT (`typ: at+jwt`, `kid` listed at `/.well-known/jwks.json`, `iss` = the server URL, `aud` = the server URL + `/v1`).',
  }),
  token_type: z.literal('Bearer'),
  expires_in: z.int().min(1).meta({ description: 'Seconds (900 unless configured).' }),
};
const accessTokenSchema = z.object(accessTokenFields).meta({ id: 'AccessToken' });
/** The answer of a login. */
export type AccessTokenView = z.input<typeof accessTokenSchema>;

const passwordChangedSchema = z
  .object({ message: z.literal('Password changed'), ...accessTokenFields })
  .meta({ id: 'PasswordChanged' });

const LIMITS =
  'Failed attempts are limited per client address and per uuid (see the tag): past either limit the request is refused with 429 and `Retry-After`, before any password work, even with the right password.';

const loginRoute = defineRoute({
  method: 'post',
  path: '/v1/auth/login',
  operationId: 'login',
  summary: 'Log in with the tenant account',
  description: `Wrong uuid and wrong password get one answer, after the same argon2id work. Only approved tenants log in: a pending or suspended tenant with the right password gets 403. ${LIMITS}`,
  tags: ['Auth'],
  security: [],
  request: { body: loginBody },
  responses: {
    200: ok('An access token.', accessTokenSchema, { 'Cache-Control': cacheControl('no-store') }),
    ...errorResponses(
      [
        ...JSON_BODY,
        ...catalogErrors(tcsApiErrors, 'INVALID_CREDENTIALS'),
        ...catalogErrors(tcsApiKeyErrors, 'ACCOUNT_NOT_APPROVED'),
        ...catalogErrors(tcsApiErrors, 'TOO_MANY_REQUESTS'),
        ...SERVER,
      ],
      { hashes: true },
    ),
  },
});

const changePasswordRoute = defineRoute({
  method: 'post',
  path: '/v1/auth/password',
  operationId: 'changePassword',
  summary: 'Change the account password; every earlier session ends',
  description: `A wrong \`currentPassword\` is 401 \`Invalid credentials\` and counts like a failed login. ${LIMITS}`,
  tags: ['Auth'],
  security: [{ loginToken: [] }],
  request: { body: changePasswordBody },
  responses: {
    200: ok('Changed; continue with the fresh access token.', passwordChangedSchema, {
      'Cache-Control': cacheControl('no-store'),
    }),
    ...errorResponses(
      [
        ...JSON_BODY,
        ...BEARER,
        ...catalogErrors(tcsApiErrors, 'INVALID_CREDENTIALS', 'TOO_MANY_REQUESTS'),
        ...SERVER,
      ],
      { hashes: true },
    ),
  },
});

const invalidCredentials = () => tcsApiErrors.error('INVALID_CREDENTIALS');
const tooMany = (result: LimitResult) =>
  tcsApiErrors.error('TOO_MANY_REQUESTS', { retryAfterSeconds: result.retryAfterSeconds });
// Only wrong credentials count towards the limits: a right password for a pending tenant, or a
// malformed body, is not a guess (its reserved attempt is given back).
const isFailedGuess = (_ctx: AppContext, err: unknown) =>
  isCodedError(err) && err.code === 'INVALID_CREDENTIALS';

/**
 * `POST /v1/auth/login` and `POST /v1/auth/password`.
 *
 * Login spends exactly one argon2 verify whatever the uuid (a dummy hash for an unknown one), so
 * timing does not reveal which accounts exist; wrong uuid and wrong password get one message.
 * 15 failures per 15 minutes per address and per uuid → 429 with `Retry-After`. A correct
 * password of a pending or suspended tenant → 403 `Account is not approved`. A hash made with
 * other argon2 parameters is replaced on the next successful login.
 */
export function authRoutes(deps: AppDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { db, hasher, tokens, limiters, logger } = deps;
  const router = appRouter<AppState>({ prefix: '/v1/auth' });
  // Each attempt is reserved before the password is verified, so N concurrent guesses get at most
  // the limit's number of argon2 verifications, and while an address's (or an account's) budget
  // is spent even the right password is refused without being checked.
  const failuresPerIp = failedAttemptLimit<AppState>({
    limiter: limiters.loginPerIp,
    key: (ctx) => ctx.ip,
    failed: isFailedGuess,
    exceeded: tooMany,
  });
  // Keyed by the login name (or the session's account): guesses against one account from many
  // addresses are limited too.
  const failuresPerUuid = failedAttemptLimit<AppState>({
    limiter: limiters.loginPerUuid,
    key: (ctx) => {
      if (ctx.state.bearer) return ctx.state.bearer.uuid;
      const uuid = (ctx.state.body as { uuid?: unknown } | undefined)?.uuid;
      return typeof uuid === 'string' && uuid.length > 0 && uuid.length <= 64
        ? uuid.toLowerCase()
        : undefined;
    },
    failed: isFailedGuess,
    exceeded: tooMany,
  });

  // The per-uuid limit is keyed by the body, so the body is read before it (and before the
  // body's validation, which a spent budget answers first).
  kit.mount(
    router,
    loginRoute,
    async (ctx, { body: { uuid, password } }) => {
      const account = await findAccount(db, uuid);
      const ok = await hasher.verifyOrDummy(account?.passwordHash, password);
      if (!account || !ok) throw invalidCredentials();
      if (account.status !== 'approved') throw tcsApiKeyErrors.error('ACCOUNT_NOT_APPROVED');

      if (hasher.needsRehash(account.passwordHash)) {
        const rehashed = await hasher.hash(password);
        if (rehashed.ok) {
          const replaced = await replacePasswordHash(db, account.uuid, account.passwordHash, rehashed.phc);
          if (replaced) logger.info({ account: account.uuid }, 'password rehashed with current parameters');
        }
      }

      const { token, expiresIn } = await tokens.issue({
        sub: account.uuid,
        tenant: account.tenantId,
        pwv: account.passwordVersion,
      });
      ctx.set('Cache-Control', 'no-store');
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn } };
    },
    { before: [failuresPerIp], afterBody: [failuresPerUuid] },
  );

  kit.mount(
    router,
    changePasswordRoute,
    async (ctx, { body: { currentPassword, newPassword } }) => {
      const session = ctx.state.bearer;
      if (!session) throw new Error('password route mounted without bearerJwtAuth');
      const account = await findAccount(db, session.uuid);
      if (!account || account.passwordVersion !== session.passwordVersion) {
        throw tcsApiErrors.error('INVALID_TOKEN');
      }
      if (!(await hasher.verify(account.passwordHash, currentPassword))) throw invalidCredentials();
      const hashed = await hasher.hash(newPassword);
      if (!hashed.ok) {
        throw tcsApiErrors.error('BAD_REQUEST', { message: 'newPassword: is not an acceptable password' });
      }
      const version = await changePassword(
        db,
        account.uuid,
        account.passwordVersion,
        hashed.phc,
        new Date(deps.now()),
      );
      // Another change won the race: this session has ended.
      if (version === null) throw tcsApiErrors.error('INVALID_TOKEN');
      // Every earlier session ends with the change; the caller continues with a fresh token.
      const { token, expiresIn } = await tokens.issue({
        sub: account.uuid,
        tenant: account.tenantId,
        pwv: version,
      });
      ctx.set('Cache-Control', 'no-store');
      return {
        status: 200,
        body: {
          message: 'Password changed',
          access_token: token,
          token_type: 'Bearer',
          expires_in: expiresIn,
        },
      };
    },
    {
      before: [
        bearerJwtAuth({ verify: sessionVerifier(tokens, db), onOutcome: deps.authOutcomes }),
        failuresPerIp,
        failuresPerUuid,
      ],
    },
  );

  return router;
}
