import {
  type DpopAlgorithm,
  type DpopNoncePolicy,
  type DpopPublicJwk,
  type DpopRejected,
  type NonceIssuer,
  normalizeHttpUri,
  type ReplayStore,
  verifyDpopProof,
} from '@portcullis/dpop';
import { credentialEndpointErrors, type Result, tokenEndpointErrors } from '@portcullis/errors';
import type { Middleware, ParameterizedContext } from 'koa';

/**
 * What an endpoint demands of DPoP for one request (SPEC §6.4 "Profile rules"):
 *
 * - `es256_x509` (HAIP): `{ dpop: 'required', nonce: 'required' }`;
 * - `eddsa_did`: `{ dpop: 'optional', nonce: 'optional' }` — Bearer accepted, a proof bound when
 *   sent, and a nonce checked only when the proof carries one.
 */
export interface DpopPolicy {
  /** `required`: no request passes without a valid proof. `optional`: a proof is checked when sent. */
  readonly dpop: 'required' | 'optional';
  /** `required`: a proof must carry a valid server nonce. `optional`: a nonce is checked when present. */
  readonly nonce: 'required' | 'optional';
}

/** The access token of a resource request, as an earlier authentication step found it. */
export interface PresentedAccessToken {
  /** The `Authorization` scheme it came with (see {@link authorizationCredentials}). */
  readonly scheme: 'DPoP' | 'Bearer';
  /** The token exactly as sent (the proof's `ath` is its hash). */
  readonly token: string;
  /** The token's `cnf.jkt` when it is DPoP-bound (RFC 9449 §6.1), else undefined. */
  readonly jkt?: string | undefined;
}

/** The accepted proof of this request. */
export interface DpopProof {
  /** RFC 7638 thumbprint of the proof key: put it in the issued token's `cnf.jkt`. */
  readonly jkt: string;
  readonly jwk: DpopPublicJwk;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly iat: number;
}

/** State set by {@link dpopAuth}: `dpop` is present when a proof was sent and accepted. */
export interface DpopAuthState {
  dpop?: DpopProof;
}

interface DpopAuthCommonOptions<S> {
  /**
   * `PUBLIC_URL`, e.g. `https://issuer.example`: the origin (and optional base path) clients address.
   * The `htu` is compared with this plus `ctx.path`, never with the `Host` header (SPEC §6.4).
   */
  publicUrl: string;
  /** Where proof identifiers are remembered (Redis, Postgres, or memory for one node). */
  replay: ReplayStore;
  /**
   * Issues and checks server nonces. When set, every response through this middleware carries a
   * fresh `DPoP-Nonce` (SPEC §6.4). Required by any policy with `nonce: 'required'`.
   */
  nonces?: NonceIssuer;
  /** A fixed policy, or one per request (e.g. from the tenant's signing profile). */
  policy: DpopPolicy | ((ctx: ParameterizedContext<S>) => DpopPolicy | Promise<DpopPolicy>);
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** The request URL the proof must name. Default `publicUrl` + `ctx.path` (override behind a mount). */
  requestUrl?: (ctx: ParameterizedContext<S>) => string;
  /** How old a proof may be, in seconds. Default 300. */
  maxAgeSeconds?: number;
  /** How far in the future `iat` may be, in seconds. Default `maxAgeSeconds`. */
  clockSkewSeconds?: number;
  /** Accepted proof algorithms. Default ES256, EdDSA and Ed25519. */
  algorithms?: readonly DpopAlgorithm[];
  /** Bound on the replay store's answer, in ms. Default 1 000. */
  replayTimeoutMs?: number;
}

/** Options of {@link dpopAuth}: the token endpoint, or a protected resource. */
export type DpopAuthOptions<S> = DpopAuthCommonOptions<S> &
  (
    | {
        /** The token endpoint (RFC 9449 §5): errors are 400 (`tokenEndpointErrors`). */
        mode: 'token';
      }
    | {
        /** A protected resource, e.g. `/v1/credential` (RFC 9449 §7): errors are 401 (`credentialEndpointErrors`). */
        mode: 'resource';
        /**
         * The access token of this request, validated (signature, expiry) by an earlier step that
         * accepted both `DPoP` and `Bearer` schemes and kept its `cnf.jkt`. `undefined` → 401
         * `invalid_token`.
         */
        accessToken: (ctx: ParameterizedContext<S>) => PresentedAccessToken | undefined;
      }
  );

/**
 * DPoP for one endpoint (RFC 9449; SPEC §6.4), answering with the SPEC §6.4 table:
 *
 * | situation | `mode: 'token'` | `mode: 'resource'` |
 * |---|---|---|
 * | bad proof (any rule) | 400 `invalid_dpop_proof` | 401 `invalid_dpop_proof` |
 * | nonce missing or stale | 400 `use_dpop_nonce` + `DPoP-Nonce` | 401 `use_dpop_nonce` + `DPoP-Nonce` |
 * | DPoP required, none sent | 400 `invalid_dpop_proof` | 401 `invalid_token` "endpoint requires DPoP binding" |
 * | DPoP-bound token sent as `Bearer` | — | 401 `invalid_token` |
 * | `DPoP` scheme with an unbound token | — | 401 `invalid_token` |
 *
 * A 401 gets `WWW-Authenticate: DPoP error="…", algs="ES256 EdDSA"` from `renderOAuth`. A replay
 * store or nonce verifier that cannot answer is rethrown as is (`DpopInfrastructureError`), which
 * the OAuth renderer answers 500 `server_error`: never accepted. On success `ctx.state.dpop`
 * holds the proof's `jkt` (bind the issued token to it: `cnf.jkt`, `token_type: "DPoP"`).
 *
 * At a resource, a `Bearer` request with an unbound token passes when DPoP is optional; a `DPoP`
 * header sent with it is not looked at (there is no key to bind it to).
 *
 * @throws TypeError at creation when `publicUrl` is not an absolute http(s) URL without query and
 * fragment, or a fixed policy requires nonces and no `nonces` issuer is given
 * @example
 * ```ts
 * const replay = createRedisReplayStore({ redis });
 * const nonces = createNonceIssuer({ secrets: [env.DPOP_NONCE_SECRET] });
 * const profile = (ctx) => (ctx.state.tenant.signingProfile === 'es256_x509'
 *   ? { dpop: 'required', nonce: 'required' } : { dpop: 'optional', nonce: 'optional' });
 * router.post('/v1/token', dpopAuth({ mode: 'token', publicUrl: env.PUBLIC_URL, replay, nonces, policy: profile }), token);
 * router.post('/v1/credential', accessTokenAuth, dpopAuth({
 *   mode: 'resource', publicUrl: env.PUBLIC_URL, replay, nonces, policy: profile,
 *   accessToken: (ctx) => ctx.state.accessToken,   // { scheme, token, jkt } from the JWT step
 * }), credential);
 * ```
 */
export function dpopAuth<S extends DpopAuthState = DpopAuthState>(
  options: DpopAuthOptions<S>,
): Middleware<S> {
  const { replay, nonces } = options;
  const now = options.now ?? Date.now;
  const base = checkPublicUrl(options.publicUrl);
  const requestUrl = options.requestUrl ?? ((ctx: ParameterizedContext<S>) => `${base}${ctx.path}`);
  const fixed = options.policy;
  if (typeof fixed !== 'function') checkPolicy(fixed, nonces);
  const policyOf = typeof fixed === 'function' ? fixed : () => fixed;
  const errors = options.mode === 'token' ? tokenErrors : resourceErrors;
  const accessTokenOf = options.mode === 'resource' ? options.accessToken : undefined;
  const limits = {
    maxAgeSeconds: options.maxAgeSeconds,
    clockSkewSeconds: options.clockSkewSeconds,
    algorithms: options.algorithms,
    replayTimeoutMs: options.replayTimeoutMs,
  };

  return async function dpopAuth(ctx, next) {
    const policy = await policyOf(ctx);
    checkPolicy(policy, nonces);
    // SPEC §6.4: every DPoP response carries a fresh nonce. Set on the context so that it also
    // survives errors raised further down (errorHandler keeps `DPoP-Nonce`), and on our own errors.
    const nonce = nonces?.issue();
    const headers: Record<string, string> = nonce === undefined ? {} : { 'DPoP-Nonce': nonce };
    if (nonce !== undefined) ctx.set('DPoP-Nonce', nonce);

    let token: PresentedAccessToken | undefined;
    if (accessTokenOf !== undefined) {
      token = accessTokenOf(ctx);
      if (token === undefined) throw resourceInvalidToken('An access token is required', headers);
      if (token.scheme === 'Bearer') {
        // RFC 9449 §7.2: a DPoP-bound token must not be accepted as a bearer token (downgrade).
        if (token.jkt !== undefined) {
          throw resourceInvalidToken('A DPoP-bound access token must be sent with the DPoP scheme', headers);
        }
        if (policy.dpop === 'required') throw resourceInvalidToken('endpoint requires DPoP binding', headers);
        return next();
      }
      // RFC 9449 §7.1: the DPoP scheme is for DPoP-bound tokens only.
      if (token.jkt === undefined) throw resourceInvalidToken('The access token is not DPoP-bound', headers);
    }

    const proof = ctx.req.headers.dpop;
    if (proof === undefined && token === undefined) {
      if (policy.dpop === 'required') throw errors.invalidProof('DPoP proof required', headers);
      return next();
    }

    const result = await verifyDpopProof({
      proof,
      method: ctx.method,
      url: requestUrl(ctx),
      accessToken: token?.token,
      expectedJkt: token?.jkt,
      nonce: nonces === undefined ? undefined : noncePolicy(policy, nonces),
      replay,
      now,
      ...limits,
    });
    if (!result.ok) throw refusal(result, errors, headers);
    ctx.state.dpop = { jkt: result.jkt, jwk: result.jwk, jti: result.jti, iat: result.iat };
    await next();
  };
}

interface EndpointErrors {
  invalidProof(message: string, headers: Record<string, string>): Error;
  useNonce(headers: Record<string, string>): Error;
}

const tokenErrors: EndpointErrors = {
  invalidProof: (message, headers) => tokenEndpointErrors.error('invalid_dpop_proof', { message, headers }),
  useNonce: (headers) => tokenEndpointErrors.error('use_dpop_nonce', { headers }),
};

const resourceErrors: EndpointErrors = {
  invalidProof: (message, headers) =>
    credentialEndpointErrors.error('invalid_dpop_proof', { message, headers }),
  useNonce: (headers) => credentialEndpointErrors.error('use_dpop_nonce', { headers }),
};

function resourceInvalidToken(message: string, headers: Record<string, string>): Error {
  return credentialEndpointErrors.error('invalid_token', { message, headers });
}

function refusal(result: DpopRejected, errors: EndpointErrors, headers: Record<string, string>): Error {
  // RFC 9449 §8, §9: a nonce problem asks the client to retry with the nonce in DPoP-Nonce.
  if (result.useNonce === true && headers['DPoP-Nonce'] !== undefined) return errors.useNonce(headers);
  // `reason` is a fixed sentence naming the rule, never the proof's content.
  return errors.invalidProof(result.reason, headers);
}

function noncePolicy(policy: DpopPolicy, nonces: NonceIssuer): DpopNoncePolicy {
  return { required: policy.nonce === 'required', verify: nonces.verify };
}

function checkPolicy(policy: DpopPolicy, nonces: NonceIssuer | undefined): void {
  // A required nonce nobody can issue would refuse every request: a configuration error (500).
  if (policy.nonce === 'required' && nonces === undefined) {
    throw new TypeError('dpopAuth: a policy requires nonces but no nonce issuer is configured');
  }
}

function checkPublicUrl(publicUrl: string): string {
  const normalized = normalizeHttpUri(publicUrl);
  if (!normalized.ok || normalized.hasQuery || normalized.hasFragment) {
    throw new TypeError('dpopAuth: publicUrl must be an absolute http(s) URL without query or fragment');
  }
  return publicUrl.replace(/\/+$/, '');
}

/** The credentials of an `Authorization` header with the `DPoP` or `Bearer` scheme. */
export type AuthorizationCredentials = Result<
  { scheme: 'DPoP' | 'Bearer'; token: string },
  'missing' | 'malformed'
>;

// RFC 9110 §11.4 token68; the schemes are case-insensitive (§11.1).
const AUTHORIZATION = /^(DPoP|Bearer) +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Reads `Authorization: DPoP <token>` or `Authorization: Bearer <token>` (RFC 9449 §7.1, RFC 6750
 * §2.1) for the step that validates access tokens before {@link dpopAuth}. Never throws.
 *
 * @param header - the header value (`ctx.get('authorization')`; '' when absent)
 * @returns `missing` for an absent or empty header; `malformed` for another scheme, several
 * credentials, a value that is not token68, or one over 4096 characters
 * @example
 * ```ts
 * authorizationCredentials('DPoP eyJhbGciOi…'); // { ok: true, scheme: 'DPoP', token: 'eyJhbGciOi…' }
 * authorizationCredentials('Basic dXNlcg==');   // { ok: false, reason: 'malformed' }
 * ```
 */
export function authorizationCredentials(header: string): AuthorizationCredentials {
  if (header.length === 0) return { ok: false, reason: 'missing' };
  if (header.length > 4096) return { ok: false, reason: 'malformed' };
  const match = AUTHORIZATION.exec(header);
  if (match === null) return { ok: false, reason: 'malformed' };
  const [, scheme = '', token = ''] = match;
  return { ok: true, scheme: scheme.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token };
}
