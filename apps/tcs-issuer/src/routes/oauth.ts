import type Router from '@koa/router';
import type { Database } from '@portcullis/db';
import type { NonceIssuer, ReplayStore } from '@portcullis/dpop';
import { CodedError, credentialEndpointErrors, tokenEndpointErrors } from '@portcullis/errors';
import {
  authorizationCredentials,
  type DpopPolicy,
  dpopAuth,
  formBody,
  jsonBody,
} from '@portcullis/koa-auth';
import { appRouter, defineRoute, type FieldProblem, type RouteKit } from '@portcullis/routes';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { type OAuthError, oauthErrorResponses, oauthErrorsOf, oauthOk } from '../http.js';
import type { CredentialNonces } from '../issuance/c-nonces.js';
import {
  BATCH_SIZE,
  CREDENTIAL_LIFETIME_SECONDS,
  credentialConfiguration,
  credentialIssuerOf,
  ISSUANCE_TOKEN_TTL_SECONDS,
  PRE_AUTHORIZED_GRANT,
  PROOF_ALGORITHMS,
  trimUrl,
} from '../issuance/configurations.js';
import { type AcceptedProof, checkKeyProof } from '../issuance/key-proofs.js';
import type { SigningProfile } from '../schemas.js';
import type { AppState } from '../state.js';
import {
  findOfferByCode,
  type IssuanceContext,
  issuanceContext,
  recordWrongTxCode,
  redeemOffer,
  txCodeMatches,
} from '../store/offers.js';
import type { TokenService } from '../tokens.js';

/** What the OAuth routes need. */
export interface OAuthDeps {
  db: Database;
  publicUrl: string;
  tokens: TokenService;
  now: () => number;
  issuance: {
    /** `c_nonce` store (Redis or database). */
    nonces: CredentialNonces;
    /** Stateless DPoP server nonces. */
    dpopNonces: NonceIssuer;
    /** DPoP `jti` replay store (Redis or database). */
    replay: ReplayStore;
    /** HMAC key of transaction codes. */
    txCodeKey: Uint8Array;
    /** Issues the credentials of one accepted request (signs, records metadata and status entries). */
    issue: IssueCredentials;
  };
}

/** Issues one SD-JWT VC per holder key for an offer; the status entries are recorded with them. */
export type IssueCredentials = (input: {
  tenant: { id: string; slug: string; signingProfile: SigningProfile };
  offerId: string;
  credentialConfigurationId: string;
  claims: Record<string, unknown>;
  holderJwks: AcceptedProof['jwk'][];
  issuedAt: number;
  expiresAt: number;
}) => Promise<string[]>;

/**
 * What DPoP demands per signing profile: `es256_x509` (HAIP) requires DPoP and server nonces on
 * both endpoints; `eddsa_did` accepts Bearer, binds the token when a proof is sent, and checks a
 * nonce only when the proof carries one.
 */
function dpopPolicyOf(profile: SigningProfile): DpopPolicy {
  return profile === 'es256_x509'
    ? { dpop: 'required', nonce: 'required' }
    : { dpop: 'optional', nonce: 'optional' };
}

const tags = ['Issuance'];
const noop = async () => undefined;

// ---------------------------------------------------------------------------------------------
// Token endpoint

const tokenForm = z
  .looseObject(
    {
      grant_type: z.string().meta({ description: `\`${PRE_AUTHORIZED_GRANT}\`.` }),
      'pre-authorized_code': z
        .string()
        .optional()
        .meta({ description: 'The code from the credential offer.' }),
      tx_code: z
        .string()
        .optional()
        .meta({ description: 'The 6-digit transaction code, when the offer has one (and only then).' }),
    },
    { error: 'must be a form-encoded body' },
  )
  .meta({
    description:
      'Form parameters (`application/x-www-form-urlencoded`). `client_id`, `client_assertion`, `user_pin`, `resource`, `authorization_details` and other unknown parameters are ignored; a parameter sent twice is refused.',
  });

const tokenResponse = z.object({
  access_token: z.string().meta({
    description:
      'An ES256 JWT (`typ: at+jwt`): audience the credential endpoint, bound to the tenant and the offered configurations, `cnf.jkt` when DPoP was used.',
  }),
  token_type: z.enum(['DPoP', 'Bearer']),
  expires_in: z.literal(ISSUANCE_TOKEN_TTL_SECONDS),
});

const TOKEN_ERRORS: OAuthError[] = oauthErrorsOf(tokenEndpointErrors, {
  invalid_request:
    'a parameter missing, repeated or malformed; a tx_code missing when the offer has one, or sent when it has none; a body that is not a form (413 past 64 KiB)',
  unsupported_grant_type: 'a grant other than the pre-authorized code',
  invalid_grant: 'an unknown, expired or spent code (the fifth wrong tx_code spends it)',
  invalid_tx_code: 'a wrong tx_code while attempts remain',
  invalid_dpop_proof: 'a DPoP proof that breaks a rule, or none where the profile requires DPoP',
  use_dpop_nonce: 'a DPoP proof without a current server nonce where required (retry with `DPoP-Nonce`)',
  temporarily_unavailable: 'a dependency is down',
});
const PAYLOAD_TOO_LARGE_OAUTH = { status: 413, code: 'invalid_request', when: 'a body past 64 KiB' } as const;

const tokenRoute = defineRoute({
  method: 'post',
  path: '/v1/token',
  operationId: 'token',
  summary: 'Exchange a pre-authorized code for an access token (OpenID4VCI 1.0 §6)',
  description:
    'No client authentication. The code is single-use under any concurrency and spent only by a successful exchange: a request refused for its DPoP proof or nonce leaves it usable. `es256_x509` tenants require DPoP with a server nonce (the first proof without one gets `use_dpop_nonce` and a `DPoP-Nonce`); `eddsa_did` tenants accept no DPoP (Bearer) or bind the token to the proof key.',
  tags,
  security: [],
  request: { form: tokenForm },
  responses: {
    200: oauthOk('The access token.', tokenResponse, 'optional'),
    ...oauthErrorResponses([...TOKEN_ERRORS, PAYLOAD_TOO_LARGE_OAUTH, serverError()]),
  },
});

// ---------------------------------------------------------------------------------------------
// Nonce endpoint

const nonceRoute = defineRoute({
  method: 'post',
  path: '/v1/nonce',
  operationId: 'nonce',
  summary: 'A fresh c_nonce (OpenID4VCI 1.0 §7)',
  description:
    'Valid 300 s and single use: the credential request that uses it consumes it (the proofs of one batch request share it). Also carries a fresh `DPoP-Nonce`, so a wallet gets its first DPoP nonce without a failed call.',
  tags,
  security: [],
  responses: {
    200: oauthOk('The nonce.', z.object({ c_nonce: z.string() }), 'required'),
    ...oauthErrorResponses([
      ...oauthErrorsOf(tokenEndpointErrors, { temporarily_unavailable: 'a dependency is down' }),
      serverError(),
    ]),
  },
});

// ---------------------------------------------------------------------------------------------
// Credential endpoint

const credentialBody = z
  .looseObject(
    {
      credential_configuration_id: z
        .string()
        .optional()
        .meta({ description: 'One of the token’s configurations.' }),
      credential_identifier: z.string().optional().meta({
        description: 'Not supported: this issuer returns no identifiers (`unknown_credential_identifier`).',
      }),
      proofs: z
        .unknown()
        .optional()
        .meta({
          description: `\`{ "jwt": [ … ] }\`: 1 to ${BATCH_SIZE} key proofs (\`openid4vci-proof+jwt\`), one credential each.`,
        }),
      proof: z.unknown().optional().meta({
        description: 'Pre-1.0 wallets: `{ "proof_type": "jwt", "jwt": … }`, alone (never with `proofs`).',
      }),
      credential_response_encryption: z
        .unknown()
        .optional()
        .meta({ description: 'Not supported (`invalid_encryption_parameters`).' }),
    },
    { error: 'must be a JSON object' },
  )
  .meta({ id: 'CredentialRequest', description: 'OpenID4VCI 1.0 §8.2; unknown members are ignored.' });

const CREDENTIAL_ERRORS: OAuthError[] = oauthErrorsOf(credentialEndpointErrors, {
  invalid_request: 'an access token in the query string or the body; a form-encoded body',
  invalid_credential_request: `a malformed body; both \`proof\` and \`proofs\`; both or neither of \`credential_configuration_id\` and \`credential_identifier\`; more than ${BATCH_SIZE} proofs or more than one proof type`,
  unknown_credential_configuration: 'a configuration the token does not cover',
  unknown_credential_identifier: 'any `credential_identifier`',
  invalid_proof:
    'proofs missing or empty, an unsupported proof type, a bad signature, `typ`, `alg`, `aud` or `iat`, private key material, `iss`, no `nonce`',
  invalid_nonce: 'a proof nonce that is unknown, expired or used (or proofs with different nonces)',
  invalid_encryption_parameters: 'any `credential_response_encryption`',
  credential_request_denied: 'the tenant was suspended after the offer',
  invalid_token:
    'no, an invalid or an expired access token; a DPoP-bound token sent as Bearer; no DPoP where required',
  invalid_dpop_proof: 'a DPoP proof that breaks a rule',
  use_dpop_nonce: 'a DPoP proof without a current server nonce where required (retry with `DPoP-Nonce`)',
  temporarily_unavailable: 'a dependency is down',
});

const credentialResponse = z
  .object({
    credentials: z
      .array(z.object({ credential: z.string().meta({ description: 'An SD-JWT VC (`dc+sd-jwt`).' }) }))
      .min(1)
      .max(BATCH_SIZE),
  })
  .strict();

const credentialRoute = defineRoute({
  method: 'post',
  path: '/v1/credential',
  operationId: 'credential',
  summary: 'Issue credentials (OpenID4VCI 1.0 §8)',
  description:
    'One SD-JWT VC per key proof, each bound to its proof key (`cnf.jwk`). The token comes in `Authorization: DPoP …` (or `Bearer …` for an unbound token of an `eddsa_did` tenant), never in the query or body. A request refused before its proofs are checked (token, DPoP proof or nonce) does not consume its `c_nonce`.',
  tags,
  security: [{ issuanceToken: [] }],
  request: { body: credentialBody },
  responses: {
    200: oauthOk('The credentials.', credentialResponse, 'optional'),
    ...oauthErrorResponses([
      ...CREDENTIAL_ERRORS,
      { status: 413, code: 'invalid_credential_request', when: 'a body past 1 MB' },
      serverError(),
    ]),
  },
});

function serverError(): OAuthError {
  return { status: 500, code: 'server_error', when: 'an unexpected failure' };
}

/** The OAuth 400 naming each bad field of a form or body. */
function invalidWith(code: 'invalid_request' | 'invalid_credential_request') {
  const make = (message: string) =>
    code === 'invalid_request'
      ? tokenEndpointErrors.error(code, { message })
      : credentialEndpointErrors.error(code, { message });
  return (details: FieldProblem[]) =>
    make(
      // RFC 6749 §5.2: printable ASCII without `"` and `\`.
      details
        .map((d) => `${d.field}: ${d.message}`)
        .join('; ')
        .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?'),
    );
}

const tooLarge = (code: 'invalid_request' | 'invalid_credential_request') => () =>
  new CodedError({ code, status: 413, message: 'Request body is too large' });

/**
 * `/v1/token`, `/v1/nonce` and `/v1/credential`. Every answer, success or error, is rendered in
 * the OAuth format (`ctx.state.oauth`).
 */
export function oauthRoutes(deps: OAuthDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { db, tokens, issuance } = deps;
  const publicUrl = trimUrl(deps.publicUrl);
  const router = appRouter<AppState>();
  const oauth: Middleware<AppState> = (ctx, next) => {
    ctx.state.oauth = true;
    return next();
  };

  const tokenDpop = dpopAuth<AppState>({
    mode: 'token',
    publicUrl,
    replay: issuance.replay,
    nonces: issuance.dpopNonces,
    now: deps.now,
    policy: (ctx) => dpopPolicyOf(ctx.state.issuanceProfile ?? 'es256_x509'),
  });

  kit.mount(
    router,
    tokenRoute,
    async (ctx, { body }) => {
      ctx.set('Cache-Control', 'no-store');
      if (body.grant_type !== PRE_AUTHORIZED_GRANT) throw tokenEndpointErrors.error('unsupported_grant_type');
      const code = body['pre-authorized_code'];
      if (code === undefined || code === '') {
        throw tokenEndpointErrors.error('invalid_request', { message: 'pre-authorized_code is required' });
      }
      const now = new Date(deps.now());
      const offer = await findOfferByCode(db, code, now);
      if (offer === null) throw tokenEndpointErrors.error('invalid_grant');
      const txCode = body.tx_code;
      if (offer.txCodeDigest !== null && (txCode === undefined || txCode === '')) {
        throw tokenEndpointErrors.error('invalid_request', { message: 'tx_code is required for this offer' });
      }
      if (offer.txCodeDigest === null && txCode !== undefined) {
        throw tokenEndpointErrors.error('invalid_request', {
          message: 'tx_code was not expected for this offer',
        });
      }
      // DPoP before anything that spends: a refused proof leaves the code and its attempts as they were.
      ctx.state.issuanceProfile = offer.signingProfile;
      await tokenDpop(ctx, noop);
      if (txCode !== undefined && !txCodeMatches(issuance.txCodeKey, offer, txCode)) {
        const outcome = await recordWrongTxCode(db, offer.offerId, now);
        throw tokenEndpointErrors.error(outcome === 'retry' ? 'invalid_tx_code' : 'invalid_grant');
      }
      if (!(await redeemOffer(db, offer.offerId, now))) throw tokenEndpointErrors.error('invalid_grant');
      const jkt = ctx.state.dpop?.jkt;
      const { token } = await tokens.issueAccess({
        tenant: offer.tenantId,
        offer: offer.offerId,
        configurations: [offer.credentialConfigurationId],
        jkt,
      });
      return {
        status: 200,
        body: {
          access_token: token,
          token_type: jkt === undefined ? 'Bearer' : 'DPoP',
          expires_in: ISSUANCE_TOKEN_TTL_SECONDS,
        },
      };
    },
    {
      before: [oauth],
      invalid: invalidWith('invalid_request'),
      bodyReader: formBody({
        tooLarge: tooLarge('invalid_request'),
        invalid: (problem, name) =>
          tokenEndpointErrors.error('invalid_request', {
            message:
              problem === 'repeated'
                ? `${String(name)
                    .replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')
                    .slice(0, 64)} is repeated`
                : problem === 'content-type'
                  ? 'Content-Type must be application/x-www-form-urlencoded'
                  : 'The form body is malformed',
          }),
      }) as Middleware<AppState>,
    },
  );

  kit.mount(
    router,
    nonceRoute,
    async (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      const nonce = await issuance.nonces.issue();
      ctx.set('DPoP-Nonce', issuance.dpopNonces.issue());
      return { status: 200, body: { c_nonce: nonce } };
    },
    { before: [oauth] },
  );

  // The access token: from the Authorization header only, verified, its tenant looked up; then
  // DPoP by the tenant's profile. All before the body is read.
  const resourceDpop = dpopAuth<AppState>({
    mode: 'resource',
    publicUrl,
    replay: issuance.replay,
    nonces: issuance.dpopNonces,
    now: deps.now,
    policy: (ctx) => dpopPolicyOf(ctx.state.issuanceProfile ?? 'es256_x509'),
    accessToken: (ctx) => ctx.state.presentedToken,
  });
  // What never changes about an offer (its tenant's id, slug and signing profile, its configuration
  // and claims), kept per process, so a credential request for an offer seen before costs no query
  // for it. What can change — the tenant's status, its issuing DID — is read by the statement that
  // records the credentials. The oldest go first past OFFER_FACTS_MAX offers.
  const offerFacts = new Map<string, OfferFacts>();
  const grantOf = async (token: AccessClaims): Promise<IssuanceGrant | null> => {
    const known = offerFacts.get(token.offer);
    if (known !== undefined && known.tenant.id === token.tenant) return { token, ...known };
    const context = await issuanceContext(db, { offerId: token.offer, tenantId: token.tenant });
    if (context === null) return null;
    const { status, ...tenant } = context.tenant;
    const facts: OfferFacts = {
      tenant,
      claims: context.claims,
      credentialConfigurationId: context.credentialConfigurationId,
    };
    offerFacts.set(token.offer, facts);
    if (offerFacts.size > OFFER_FACTS_MAX) offerFacts.delete(offerFacts.keys().next().value as string);
    return { token, ...facts, tenantStatus: status };
  };

  const credentialAuth: Middleware<AppState> = async (ctx, next) => {
    // RFC 6750 §2.2–2.3 methods are refused: the token travels in the Authorization header only.
    if (
      Object.hasOwn(ctx.query, 'access_token') ||
      typeof ctx.is('application/x-www-form-urlencoded') === 'string'
    ) {
      throw credentialEndpointErrors.error('invalid_request');
    }
    const credentials = authorizationCredentials(ctx.get('authorization'));
    if (credentials.ok) {
      const claims = await tokens.verifyAccess(credentials.token);
      const grant = claims === null ? null : await grantOf(claims);
      if (claims === null || grant === null) {
        throw credentialEndpointErrors.error('invalid_token', {
          headers: { 'DPoP-Nonce': issuance.dpopNonces.issue() },
        });
      }
      ctx.state.issuanceProfile = grant.tenant.signingProfile;
      ctx.state.issuanceGrant = grant;
      ctx.state.presentedToken = { scheme: credentials.scheme, token: credentials.token, jkt: claims.jkt };
    }
    // No usable Authorization header: DPoP answers `invalid_token` with a fresh nonce.
    await resourceDpop(ctx, noop);
    return next();
  };

  kit.mount(
    router,
    credentialRoute,
    async (ctx, { body }) => {
      ctx.set('Cache-Control', 'no-store');
      const grant = ctx.state.issuanceGrant;
      if (grant === undefined) throw new Error('credential route mounted without its token check');
      const request = credentialRequest(body);
      const configuration = credentialConfiguration(request.configurationId);
      if (configuration === undefined || !grant.token.configurations.includes(request.configurationId)) {
        throw credentialEndpointErrors.error('unknown_credential_configuration');
      }
      // Read as suspended for this request: refused before the proofs. (With the offer's facts
      // known, the statement that records the credentials reads the status and refuses then.)
      if (grant.tenantStatus !== undefined && grant.tenantStatus !== 'approved')
        throw credentialEndpointErrors.error('credential_request_denied');
      const now = deps.now();
      const audience = credentialIssuerOf(publicUrl, grant.tenant.slug);
      const accepted: AcceptedProof[] = [];
      for (const proof of request.proofs) {
        const result = checkKeyProof(proof, { audience, algorithms: PROOF_ALGORITHMS, now });
        if (!result.ok)
          throw credentialEndpointErrors.error('invalid_proof', { message: result.description });
        accepted.push(result);
      }
      const nonce = accepted[0]?.nonce ?? '';
      if (accepted.some((proof) => proof.nonce !== nonce)) {
        throw credentialEndpointErrors.error('invalid_nonce', {
          message: 'The proofs of one request must carry the same c_nonce',
        });
      }
      if (!(await issuance.nonces.consume(nonce))) throw credentialEndpointErrors.error('invalid_nonce');
      const issuedAt = Math.floor(now / 1000);
      const credentials = await issuance.issue({
        tenant: grant.tenant,
        offerId: grant.token.offer,
        credentialConfigurationId: request.configurationId,
        claims: grant.claims,
        holderJwks: accepted.map((proof) => proof.jwk),
        issuedAt,
        expiresAt: issuedAt + CREDENTIAL_LIFETIME_SECONDS,
      });
      return { status: 200, body: { credentials: credentials.map((credential) => ({ credential })) } };
    },
    {
      before: [oauth, credentialAuth],
      invalid: invalidWith('invalid_credential_request'),
      bodyReader: jsonBody({
        tooLarge: tooLarge('invalid_credential_request'),
        invalid: () =>
          credentialEndpointErrors.error('invalid_credential_request', {
            message: 'The body must be a JSON object',
          }),
      }) as Middleware<AppState>,
    },
  );
  return router;
}

/** The verified access token's claims. */
type AccessClaims = NonNullable<Awaited<ReturnType<TokenService['verifyAccess']>>>;

/** Most offers whose facts one process keeps (a miss costs one query). */
const OFFER_FACTS_MAX = 1000;

/** What never changes about an offer: its tenant's id, slug and signing profile, configuration, claims. */
type OfferFacts = Omit<IssuanceContext, 'tenant'> & { tenant: Omit<IssuanceContext['tenant'], 'status'> };

/** Issuance facts a verified token carries into the credential route. */
export interface IssuanceGrant extends OfferFacts {
  token: AccessClaims;
  /**
   * The tenant's status when it was read for this request; absent when the offer's facts were
   * already known (the statement that records the credentials checks it then).
   */
  tenantStatus?: IssuanceContext['tenant']['status'];
}

/**
 * The structural rules of a credential request, in the order of the OpenID4VCI 1.0 error table:
 * each refusal is the code that names it.
 */
function credentialRequest(body: z.output<typeof credentialBody>): {
  configurationId: string;
  proofs: unknown[];
} {
  if (Object.hasOwn(body, 'access_token')) throw credentialEndpointErrors.error('invalid_request');
  if (body.credential_response_encryption !== undefined) {
    throw credentialEndpointErrors.error('invalid_encryption_parameters');
  }
  const hasId = body.credential_configuration_id !== undefined;
  const hasIdentifier = body.credential_identifier !== undefined;
  if (hasId === hasIdentifier) {
    throw credentialEndpointErrors.error('invalid_credential_request', {
      message: 'Exactly one of credential_configuration_id and credential_identifier is required',
    });
  }
  if (hasIdentifier) throw credentialEndpointErrors.error('unknown_credential_identifier');
  if (body.proof !== undefined && body.proofs !== undefined) {
    throw credentialEndpointErrors.error('invalid_credential_request', {
      message: 'proof and proofs must not be sent together',
    });
  }
  let proofs: unknown[];
  if (body.proofs !== undefined) {
    const given = body.proofs;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw credentialEndpointErrors.error('invalid_credential_request', {
        message: 'proofs must be an object',
      });
    }
    const types = Object.keys(given);
    if (types.length > 1) {
      throw credentialEndpointErrors.error('invalid_credential_request', {
        message: 'proofs must carry one proof type',
      });
    }
    const jwts = (given as Record<string, unknown>).jwt;
    if (types.length === 1 && types[0] !== 'jwt') {
      throw credentialEndpointErrors.error('invalid_proof', {
        message: 'Only the jwt proof type is supported',
      });
    }
    if (!Array.isArray(jwts) || jwts.length === 0) {
      throw credentialEndpointErrors.error('invalid_proof', {
        message: 'proofs.jwt must hold at least one proof',
      });
    }
    if (jwts.length > BATCH_SIZE) {
      throw credentialEndpointErrors.error('invalid_credential_request', {
        message: `At most ${BATCH_SIZE} proofs per request`,
      });
    }
    proofs = jwts;
  } else if (body.proof !== undefined) {
    const given = body.proof as { proof_type?: unknown; jwt?: unknown } | null;
    if (given === null || typeof given !== 'object' || Array.isArray(given) || given.proof_type !== 'jwt') {
      throw credentialEndpointErrors.error('invalid_proof', {
        message: 'proof must be an object with proof_type jwt and a jwt',
      });
    }
    proofs = [given.jwt];
  } else {
    throw credentialEndpointErrors.error('invalid_proof', { message: 'A key proof is required' });
  }
  return { configurationId: body.credential_configuration_id as string, proofs };
}
