import { instanceAuthErrors } from '@portcullis/errors';
import { digestKey } from '@portcullis/hashing';
import { type ParsedInstanceKey, parseInstanceKey } from '@portcullis/key-format';
import type { Middleware, ParameterizedContext } from 'koa';
import type { AuthDecision, AuthOutcomeHook } from './auth-outcome.js';
import { attempt, type MaybePromise } from './maybe-async.js';

/** What an authenticated instance key grants. Apps extend it with their own fields. */
export interface InstancePrincipal {
  instanceId: string;
  keyId: string;
  /** Services enabled for the instance (SPEC §4.3). */
  services: readonly string[];
}

/** State set by {@link instanceKeyAuth}; optional so apps can share one state type across routes. */
export interface InstanceKeyAuthState<P extends InstancePrincipal = InstancePrincipal> {
  auth?: P;
}

export interface InstanceKeyAuthOptions<P extends InstancePrincipal, R extends string = string> {
  /**
   * Decides a key by its SHA-256 digest (usually through `@portcullis/key-cache`), with every
   * time-dependent state (overlap end, pause end) evaluated at request time: the principal, or
   * the app's reason for refusing it (`unknown`, `revoked`, `expired`, `paused`, …), which only
   * `onOutcome` sees: every refusal answers the same 401 `AUTH_FAILED`. Rejects only on
   * infrastructure failure, which answers 500 `AUTH_ERROR`, never `AUTH_FAILED`.
   */
  lookup: (digest: string, key: ParsedInstanceKey) => MaybePromise<AuthDecision<P, R>>;
  /**
   * The decision when this process already knows it (an L1 hit, `KeyCache.peek`), synchronously;
   * `undefined` when only `lookup` can tell. Needed for `beforeLookup`.
   */
  cached?: (digest: string, key: ParsedInstanceKey) => AuthDecision<P, R> | undefined;
  /**
   * Runs for every request that `cached` does not admit (no key, a malformed key, a key unknown
   * to L1 or refused) before any further work; throw to refuse it there. For shedding load:
   * a client over its per-address budget is answered 429 before its key costs a lookup in Redis
   * or the database (SPEC §4.6), while an L1-admitted key never pays for the check.
   */
  beforeLookup?: (ctx: ParameterizedContext<InstanceKeyAuthState<P>>) => MaybePromise<void>;
  /** The service the route needs; an instance without it gets 403 `SERVICE_NOT_ENABLED`. */
  service?: string;
  /** Accept `trusset_v2_…` keys too. Default false. */
  allowLegacy?: boolean;
  /**
   * Observes each decision (scheme `instance_key`), with the lookup's reason for a refused key,
   * e.g. to count outcomes; never sees the key.
   */
  onOutcome?: AuthOutcomeHook<R>;
}

/**
 * Authenticates `X-API-Key: trusset_{instanceRef}_{secret}` (SPEC §4.2), in the published order:
 * absent or empty → 401 `AUTH_REQUIRED`; malformed, unknown, revoked, expired, paused, past its
 * overlap, or archived → 401 `AUTH_FAILED` (one message, one code path; the lookup's reason goes
 * to `onOutcome` only); service not enabled →
 * 403 `SERVICE_NOT_ENABLED`; lookup failure → 500 `AUTH_ERROR`. Sets `ctx.state.auth`.
 *
 * Only the digest of the key leaves this function; the key itself is never logged or stored.
 *
 * @example
 * router.get('/api/v2/instance', instanceKeyAuth({ lookup: keys.decide }), handler);
 * router.get('/api/v2/custody/api/tokens', instanceKeyAuth({ lookup: keys.decide, service: 'custody' }), handler);
 */
export function instanceKeyAuth<P extends InstancePrincipal, R extends string = string>(
  options: InstanceKeyAuthOptions<P, R>,
): Middleware<InstanceKeyAuthState<P>> {
  const { lookup, service, cached, beforeLookup, onOutcome } = options;
  const parseOptions = { allowLegacy: options.allowLegacy ?? false };

  // Not an async function: on an L1 hit the whole check runs synchronously and hands over to
  // `next()` without a promise of its own (SPEC §9: auth costs almost nothing on the hot path).
  // A synchronous throw is a rejection for Koa's compose, like an async one.
  const admit = (
    ctx: Parameters<Middleware<InstanceKeyAuthState<P>>>[0],
    decision: AuthDecision<P, R>,
    next: () => Promise<unknown>,
  ) => {
    if (!decision.ok) {
      onOutcome?.('instance_key', decision.reason, 'AUTH_FAILED');
      throw instanceAuthErrors.error('AUTH_FAILED');
    }
    if (service !== undefined && !decision.principal.services.includes(service)) {
      onOutcome?.('instance_key', 'service_not_enabled', 'SERVICE_NOT_ENABLED');
      assertService(decision.principal, service);
    }
    onOutcome?.('instance_key', 'ok', 'ok');
    ctx.state.auth = decision.principal;
    return next();
  };
  const lookupFailed = (cause: unknown): never => {
    onOutcome?.('instance_key', 'lookup_failed', 'AUTH_ERROR');
    throw instanceAuthErrors.error('AUTH_ERROR', { cause });
  };

  // Everything after the L1 check: refusals of unusable headers, known refusals, and the lookup.
  const decideRest = (
    ctx: ParameterizedContext<InstanceKeyAuthState<P>>,
    next: () => Promise<unknown>,
    parsed: ReturnType<typeof parseInstanceKey>,
    digest: string | undefined,
    known: AuthDecision<P, R> | undefined,
  ) => {
    if (!parsed.ok) {
      const code = parsed.reason === 'missing' ? 'AUTH_REQUIRED' : 'AUTH_FAILED';
      onOutcome?.('instance_key', parsed.reason, code);
      throw instanceAuthErrors.error(code);
    }
    if (known !== undefined) return admit(ctx, known, next);
    // Only the lookup's own failure is an AUTH_ERROR; errors further down pass through.
    return attempt(
      () => lookup(digest ?? digestKey(parsed.key), parsed),
      (decision) => admit(ctx, decision, next),
      lookupFailed,
    );
  };

  return function instanceKeyAuth(ctx, next) {
    // Repeated headers arrive joined ("a, b") and then fail to parse: never a 500.
    const parsed = parseInstanceKey(ctx.req.headers['x-api-key'], parseOptions);
    let digest: string | undefined;
    let known: AuthDecision<P, R> | undefined;
    if (parsed.ok && cached !== undefined) {
      digest = digestKey(parsed.key);
      known = cached(digest, parsed);
      // The hot path: admitted from L1, synchronously, with no further check.
      if (known?.ok) return admit(ctx, known, next);
    }
    if (beforeLookup === undefined) return decideRest(ctx, next, parsed, digest, known);
    return attempt(
      () => beforeLookup(ctx),
      () => decideRest(ctx, next, parsed, digest, known),
      (error) => {
        throw error;
      },
    );
  };
}

/**
 * Gates a route on a service for a request that `instanceKeyAuth` already authenticated (for
 * routers that authenticate once and gate per route): 403 `SERVICE_NOT_ENABLED` when the
 * instance has the service off.
 *
 * @example
 * api.use(instanceKeyAuth({ lookup }));
 * api.get('/custody/api/tokens', requireService('custody'), listTokens);
 */
export function requireService<P extends InstancePrincipal>(
  service: string,
): Middleware<InstanceKeyAuthState<P>> {
  // Synchronous like instanceKeyAuth: no promise of its own on the hot path.
  return function requireService(ctx, next) {
    const principal = ctx.state.auth;
    // Reaching a gated route unauthenticated is a wiring bug, not a client error.
    if (!principal) throw new Error('requireService used without instanceKeyAuth before it');
    assertService(principal, service);
    return next();
  };
}

function assertService(principal: InstancePrincipal, service: string): void {
  if (!principal.services.includes(service)) {
    throw instanceAuthErrors.error('SERVICE_NOT_ENABLED', { details: { service } });
  }
}
