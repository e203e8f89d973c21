import type Router from '@koa/router';
import { isCodedError, tcsApiErrors, tcsApiKeyErrors } from '@portcullis/errors';
import { bearerJwtAuth, failedAttemptLimit, type LimitResult } from '@portcullis/koa-auth';
import { appRouter } from '@portcullis/service';
import type { AppDeps } from '../app.js';
import { changePasswordBody, loginBody } from '../schemas.js';
import { type AppContext, type AppState, sessionVerifier } from '../state.js';
import { changePassword, findAccount, replacePasswordHash } from '../store/accounts.js';
import { tcsJsonBody, validateTcs } from '../validation.js';

const invalidCredentials = () => tcsApiErrors.error('INVALID_CREDENTIALS');
const tooMany = (result: LimitResult) =>
  tcsApiErrors.error('TOO_MANY_REQUESTS', { retryAfterSeconds: result.retryAfterSeconds });
// Only wrong credentials count towards the limits: a right password for a pending tenant, or a
// malformed body, is not a guess (its reserved attempt is given back).
const isFailedGuess = (_ctx: AppContext, err: unknown) =>
  isCodedError(err) && err.code === 'INVALID_CREDENTIALS';

/**
 * `POST /v1/auth/login` and `POST /v1/auth/password` (SPEC §6.2, §3).
 *
 * Login spends exactly one argon2 verify whatever the uuid (a dummy hash for an unknown one), so
 * timing does not reveal which accounts exist; wrong uuid and wrong password get one message.
 * 15 failures per 15 minutes per address and per uuid → 429 with `Retry-After`. A correct
 * password of a pending or suspended tenant → 403 `Account is not approved`. A hash made with
 * other argon2 parameters is replaced on the next successful login.
 */
export function authRoutes(deps: AppDeps): Router<AppState> {
  const { db, hasher, tokens, limiters, logger } = deps;
  const router = appRouter<AppState>({ prefix: '/v1/auth' });
  // SPEC §8: each attempt is reserved before the password is verified, so N concurrent guesses
  // get at most the limit's number of argon2 verifications, and while an address's (or an
  // account's) budget is spent even the right password is refused without being checked.
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

  router.post('/login', failuresPerIp, tcsJsonBody(), failuresPerUuid, async (ctx) => {
    const { uuid, password } = validateTcs(loginBody, ctx.state.body);
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
    ctx.body = { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
  });

  router.post(
    '/password',
    bearerJwtAuth({ verify: sessionVerifier(tokens, db) }),
    failuresPerIp,
    failuresPerUuid,
    tcsJsonBody(),
    async (ctx) => {
      const session = ctx.state.bearer;
      if (!session) throw new Error('password route mounted without bearerJwtAuth');
      const { currentPassword, newPassword } = validateTcs(changePasswordBody, ctx.state.body);
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
      ctx.body = {
        message: 'Password changed',
        access_token: token,
        token_type: 'Bearer',
        expires_in: expiresIn,
      };
    },
  );

  return router;
}
