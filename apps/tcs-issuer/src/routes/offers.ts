import type Router from '@koa/router';
import type { Database } from '@portcullis/db';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit } from '@portcullis/routes';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Sealer } from '../crypto/seal.js';
import { API_KEY, cacheControl, errorResponses, JSON_BODY, ok, SERVER, withMessage } from '../http.js';
import {
  CREDENTIAL_CONFIGURATIONS,
  credentialConfiguration,
  credentialIssuerOf,
  PRE_AUTHORIZED_GRANT,
  trimUrl,
} from '../issuance/configurations.js';
import type { AppState } from '../state.js';
import { createOffer, findLiveOffer } from '../store/offers.js';
import { invalidFields } from '../validation.js';

export interface OfferDeps {
  db: Database;
  sealer: Sealer;
  publicUrl: string;
  now: () => number;
  issuance: { txCodeKey: Uint8Array };
}

const OFFER_NOT_FOUND = withMessage(tcsApiErrors, 'NOT_FOUND', 'Offer not found');
const offerNotFound = () => tcsApiErrors.error('NOT_FOUND', { message: OFFER_NOT_FOUND.message });
const tags = ['Offers'];
const noStore = cacheControl('no-store');

const createOfferBody = z
  .object({
    credential: z.object({
      config_id: z
        .string()
        .refine((id) => credentialConfiguration(id) !== undefined, {
          message: `must be one of ${Object.keys(CREDENTIAL_CONFIGURATIONS).join(', ')}`,
        })
        .meta({ description: 'A credential configuration id of the issuer metadata.' }),
      claims: z
        .record(z.string(), z.unknown())
        .meta({ description: "The credential's claims, validated against the configuration's schema." }),
    }),
    flow: z.literal('pre-authorized', { message: 'must be pre-authorized' }),
    expires_in: z
      .int({ message: 'must be a whole number of seconds from 60 to 86400' })
      .min(60, { message: 'must be a whole number of seconds from 60 to 86400' })
      .max(86_400, { message: 'must be a whole number of seconds from 60 to 86400' })
      .default(3600)
      .meta({ description: 'Seconds until the offer expires (default 3600).' }),
    tx_code: z.boolean({ message: 'must be a boolean' }).default(false).meta({
      description: 'Ask for a 6-digit transaction code, shown once in this answer (ours).',
    }),
  })
  .meta({ id: 'CreateOffer' });

const createdOfferSchema = z
  .object({
    offer_id: z.uuid(),
    credential_offer_uri: z.url(),
    deep_link: z.string().regex(/^openid-credential-offer:\/\/\?credential_offer_uri=/),
    expires_at: z.iso.datetime(),
    tx_code: z
      .string()
      .regex(/^[0-9]{6}$/)
      .optional()
      .meta({ description: 'Shown only here.' }),
  })
  .meta({ id: 'CreatedOffer' });

const credentialOfferSchema = z
  .object({
    credential_issuer: z.url(),
    credential_configuration_ids: z.array(z.string()).min(1),
    grants: z.object({
      [PRE_AUTHORIZED_GRANT]: z.object({
        'pre-authorized_code': z.string(),
        tx_code: z
          .object({ length: z.literal(6), input_mode: z.literal('numeric'), description: z.string() })
          .optional(),
      }),
    }),
  })
  .meta({ id: 'CredentialOffer', description: 'OpenID4VCI 1.0 §4.1.1 Credential Offer.' });

const createOfferRoute = defineRoute({
  method: 'post',
  path: '/v1/offers',
  operationId: 'createOffer',
  summary: 'Create a credential offer (pre-authorized code flow)',
  tags,
  security: [{ apiKey: [] }],
  request: { body: createOfferBody },
  responses: {
    201: ok('The offer; `tx_code` is shown only here.', createdOfferSchema, { 'Cache-Control': noStore }),
    ...errorResponses([...JSON_BODY, ...API_KEY]),
  },
});

const getOfferRoute = defineRoute({
  method: 'get',
  path: '/v1/offers/:offer_id',
  operationId: 'getCredentialOffer',
  summary: 'The Credential Offer a wallet fetches (`credential_offer_uri`)',
  description: 'Public. 404 once the offer expired or its code was spent.',
  tags,
  security: [],
  request: { params: z.object({ offer_id: z.uuid() }) },
  invalidParams: offerNotFound,
  responses: {
    200: ok('The Credential Offer.', credentialOfferSchema, { 'Cache-Control': noStore }),
    ...errorResponses([OFFER_NOT_FOUND, ...SERVER]),
  },
});

/**
 * `POST /v1/offers` (behind `keyAuth`, approved tenants only) and the public
 * `GET /v1/offers/:offer_id`.
 */
export function offerRoutes(
  deps: OfferDeps,
  kit: RouteKit<AppState>,
  keyAuth: Middleware<AppState>,
): Router<AppState> {
  const { db, sealer } = deps;
  const publicUrl = trimUrl(deps.publicUrl);
  const router = appRouter<AppState>();

  kit.mount(
    router,
    createOfferRoute,
    async (ctx, { body }) => {
      const tenant = ctx.state.tenant;
      if (tenant?.status !== 'approved') throw new Error('offer route mounted without tcsKeyAuth');
      const configuration = credentialConfiguration(body.credential.config_id);
      if (configuration === undefined) throw new Error('config_id passed its schema but is unknown');
      const claims = configuration.claims.safeParse(body.credential.claims);
      if (!claims.success) {
        throw invalidFields(
          claims.error.issues.slice(0, 20).map((issue) => ({
            field: ['credential', 'claims', ...issue.path.map(String)].join('.'),
            message:
              issue.code === 'unrecognized_keys' ? `unknown claim ${issue.keys.join(', ')}` : issue.message,
          })),
        );
      }
      const offer = await createOffer(db, sealer, deps.issuance.txCodeKey, {
        tenantId: tenant.tenantId,
        credentialConfigurationId: body.credential.config_id,
        claims: claims.data,
        expiresInSeconds: body.expires_in,
        txCode: body.tx_code,
        now: new Date(deps.now()),
      });
      const uri = `${publicUrl}/v1/offers/${offer.offerId}`;
      ctx.set('Cache-Control', 'no-store');
      return {
        status: 201,
        body: {
          offer_id: offer.offerId,
          credential_offer_uri: uri,
          deep_link: `openid-credential-offer://?credential_offer_uri=${encodeURIComponent(uri)}`,
          expires_at: offer.expiresAt.toISOString(),
          ...(offer.txCode === undefined ? {} : { tx_code: offer.txCode }),
        },
      };
    },
    { before: [keyAuth] },
  );

  kit.mount(router, getOfferRoute, async (ctx, { params }) => {
    const offer = await findLiveOffer(db, sealer, params.offer_id, new Date(deps.now()));
    if (offer === null) throw offerNotFound();
    ctx.set('Cache-Control', 'no-store');
    return {
      status: 200,
      body: {
        credential_issuer: credentialIssuerOf(publicUrl, offer.slug),
        credential_configuration_ids: [offer.credentialConfigurationId],
        grants: {
          [PRE_AUTHORIZED_GRANT]: {
            'pre-authorized_code': offer.code,
            ...(offer.hasTxCode
              ? {
                  tx_code: {
                    length: 6 as const,
                    input_mode: 'numeric' as const,
                    description: 'The 6-digit code the issuer gave you with this offer',
                  },
                }
              : {}),
          },
        },
      },
    };
  });
  return router;
}
