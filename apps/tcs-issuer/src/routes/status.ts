import type Router from '@koa/router';
import type { Database } from '@portcullis/db';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit, WRITTEN } from '@portcullis/routes';
import { z } from 'zod';
import {
  API_KEY,
  cacheControl,
  errorResponses,
  JSON_BODY,
  ok,
  requestIdHeaders,
  SERVER,
  type TcsError,
  withMessage,
} from '../http.js';
import { type StatusListService, statusListUri } from '../issuance/status-lists.js';
import { STATUS_LIST_SIZE, STATUS_LIST_TTL_SECONDS } from '../issuance/types.js';
import { slugSchema } from '../schemas.js';
import type { AppContext, AppState } from '../state.js';
import {
  changeCredentialStatus,
  type IssuedCredentialRow,
  listCredentialsByOffer,
} from '../store/credentials.js';
import type { TenantKeyRow } from '../store/tenants.js';

/** The media type of a status list token (IETF Token Status List). */
const STATUS_LIST_MEDIA_TYPE = 'application/statuslist+jwt';
/**
 * Caches must check back before reusing a list: a status change is in the very next answer. How
 * long a relying party may keep a list is the token's own `ttl`.
 */
const STATUS_LIST_CACHE_CONTROL = 'no-cache';
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const STATUS_LIST_NOT_FOUND = withMessage(tcsApiErrors, 'NOT_FOUND', 'Status list not found');
const CREDENTIAL_NOT_FOUND = withMessage(tcsApiErrors, 'NOT_FOUND', 'Credential not found');
const CREDENTIAL_REVOKED = withMessage(
  tcsApiErrors,
  'CONFLICT',
  'Credential is revoked: a revoked credential keeps that status',
);
/** The 400 of a missing or malformed `offer_id` (the only query field read). */
const OFFER_ID_PROBLEM: TcsError = { status: 400, message: 'offer_id: must be a UUID' };

const statusListNotFound = () => tcsApiErrors.error('NOT_FOUND', { message: STATUS_LIST_NOT_FOUND.message });
const credentialNotFound = () => tcsApiErrors.error('NOT_FOUND', { message: CREDENTIAL_NOT_FOUND.message });

const credentialStatusSchema = z
  .enum(['valid', 'suspended', 'revoked'], { message: 'must be valid, suspended or revoked' })
  .meta({
    id: 'IssuedCredentialStatus',
    description: '`valid` ⇄ `suspended`; `revoked` is final.',
  });

const issuedCredentialSchema = z
  .object({
    credential_id: z.uuid(),
    offer_id: z.uuid(),
    credential_configuration_id: z.string(),
    status: credentialStatusSchema,
    issued_at: z.iso.datetime(),
    status_list: z
      .object({
        idx: z
          .int()
          .min(0)
          .max(STATUS_LIST_SIZE - 1),
        uri: z.url(),
      })
      .meta({ description: 'The entry the credential carries in its `status.status_list`.' }),
  })
  .meta({
    id: 'IssuedCredential',
    description: 'What is kept of an issued credential: its metadata, never the credential or its claims.',
  });
type IssuedCredentialView = z.input<typeof issuedCredentialSchema>;

const statusListRoute = defineRoute({
  method: 'get',
  path: '/v1/status-lists/:tenant/:list',
  operationId: 'getStatusList',
  summary: "A tenant's status list (IETF Token Status List), signed",
  description: `A \`statuslist+jwt\` signed like the tenant's credentials: \`sub\` = this URL, \`iat\`, \`exp\`, \`ttl: ${STATUS_LIST_TTL_SECONDS}\` (how long a relying party may cache it), \`status_list: { bits: 2, lst }\` with \`lst\` the base64url of the zlib-compressed entries (0 valid, 1 revoked, 2 suspended). A status change is in the very next answer. Lists of suspended tenants are still served, so their revocations stay visible.`,
  tags: ['Discovery'],
  security: [],
  request: {
    params: z.object({
      tenant: slugSchema.meta({ description: 'Tenant slug. An unknown tenant is a 404.' }),
      list: z
        .string()
        .regex(/^[1-9][0-9]{0,8}$/)
        .meta({ description: 'The list number, from 1. An unknown list is a 404.' }),
    }),
  },
  invalidParams: statusListNotFound,
  responses: {
    200: {
      description: 'The signed status list.',
      headers: requestIdHeaders.extend({ 'Cache-Control': cacheControl(STATUS_LIST_CACHE_CONTROL) }),
      content: {
        [STATUS_LIST_MEDIA_TYPE]: {
          schema: z.string().regex(JWT).meta({ description: 'A compact JWS, header `typ: statuslist+jwt`.' }),
        },
      },
    },
    ...errorResponses([STATUS_LIST_NOT_FOUND, ...SERVER]),
  },
});

const listCredentialsRoute = defineRoute({
  method: 'get',
  path: '/v1/credentials',
  operationId: 'listIssuedCredentials',
  summary: 'The credentials issued for an offer (metadata only)',
  description:
    "Oldest first. Only the key's tenant's credentials: another tenant's offer, like an unknown one, gives an empty list.",
  tags: ['Tenant'],
  security: [{ apiKey: [] }],
  request: {
    query: z.object({
      offer_id: z
        .uuid({ message: 'must be a UUID' })
        .meta({ description: 'The offer the credentials were issued for.' }),
    }),
  },
  responses: {
    200: ok(
      'The credentials, oldest first.',
      z.object({ credentials: z.array(issuedCredentialSchema) }).meta({ id: 'IssuedCredentialList' }),
    ),
    ...errorResponses([OFFER_ID_PROBLEM, ...API_KEY]),
  },
});

const changeStatusRoute = defineRoute({
  method: 'post',
  path: '/v1/credentials/:credential_id/status',
  operationId: 'changeIssuedCredentialStatus',
  summary: 'Suspend, reinstate or revoke an issued credential',
  description:
    "`valid` ⇄ `suspended`, and `revoked` from either, for good: changing a revoked credential is a 409. Asking for the status the credential has changes nothing (200). The change is in the very next fetch of its status list. Another tenant's credential is a 404, like an unknown one.",
  tags: ['Tenant'],
  security: [{ apiKey: [] }],
  request: {
    params: z.object({
      credential_id: z.uuid().meta({ description: 'The `credential_id` of the credential list.' }),
    }),
    body: z.strictObject({ status: credentialStatusSchema }).meta({ id: 'IssuedCredentialStatusRequest' }),
  },
  invalidParams: credentialNotFound,
  responses: {
    200: ok(
      'The credential with its status.',
      z.object({ credential: issuedCredentialSchema }).meta({ id: 'IssuedCredentialResponse' }),
    ),
    ...errorResponses([...JSON_BODY, CREDENTIAL_NOT_FOUND, CREDENTIAL_REVOKED, ...API_KEY]),
  },
});

/** What {@link statusListRoutes} needs. */
export interface StatusListRoutesDeps {
  statusLists: StatusListService;
}

/**
 * `GET /v1/status-lists/:tenant/:list` (public): the tenant's status list as a signed
 * `application/statuslist+jwt`, current on every answer (`Cache-Control: no-cache`; the token's
 * `ttl` tells relying parties how long to keep it). An unknown tenant or list, or a path that
 * cannot name one, is a 404 `Status list not found`.
 *
 * @example
 * const lists = statusListRoutes({ statusLists }, kit);
 * app.use(lists.routes()).use(lists.allowedMethods());
 */
export function statusListRoutes(deps: StatusListRoutesDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { statusLists } = deps;
  const router = appRouter<AppState>({ prefix: '/v1/status-lists' });
  kit.mount(router, statusListRoute, async (ctx, { params }) => {
    const token = await statusLists.token(params.tenant, Number(params.list));
    if (token === null) throw statusListNotFound();
    ctx.set('Cache-Control', STATUS_LIST_CACHE_CONTROL);
    ctx.set('Content-Type', STATUS_LIST_MEDIA_TYPE);
    ctx.body = token;
    return WRITTEN;
  });
  return router;
}

/** What {@link credentialStatusRoutes} needs. */
export interface CredentialStatusRoutesDeps {
  db: Database;
  /** `PUBLIC_URL`, the base of each credential's status list `uri`. */
  publicUrl: string;
  /** Clock, ms since the epoch. */
  now: () => number;
}

function tenantOf(ctx: AppContext): TenantKeyRow {
  const tenant = ctx.state.tenant;
  // The key guard lets approved tenants only: anything else here is a wiring bug.
  if (tenant?.status !== 'approved') throw new Error('credential routes mounted without tcsKeyAuth');
  return tenant;
}

function credentialView(row: IssuedCredentialRow, publicUrl: string, slug: string): IssuedCredentialView {
  return {
    credential_id: row.id,
    offer_id: row.offer_id,
    credential_configuration_id: row.credential_configuration_id,
    status: row.status,
    issued_at: row.issued_at.toISOString(),
    status_list: { idx: row.idx, uri: statusListUri(publicUrl, slug, row.list_id) },
  };
}

/**
 * The key's tenant's issued credentials (metadata only); the caller mounts the router behind
 * `tcsKeyAuth`, and every query is scoped by the key's tenant:
 * - `GET /v1/credentials?offer_id=<uuid>` → `{ credentials: [...] }`, oldest first (another
 *   tenant's offer gives an empty list; a missing or malformed `offer_id` is a 400 naming it);
 * - `POST /v1/credentials/:credential_id/status` `{ status }` → `{ credential }`: revoked is final
 *   (409), another tenant's or an unknown id is a 404; the change is in the next status list.
 *
 * @example
 * const credentials = credentialStatusRoutes({ db, publicUrl, now }, kit);
 * keyed.use(credentials.routes(), credentials.allowedMethods());
 */
export function credentialStatusRoutes(
  deps: CredentialStatusRoutesDeps,
  kit: RouteKit<AppState>,
): Router<AppState> {
  const { db, publicUrl, now } = deps;
  const router = appRouter<AppState>({ prefix: '/v1/credentials' });

  kit.mount(router, listCredentialsRoute, async (ctx, { query }) => {
    const tenant = tenantOf(ctx);
    const rows = await listCredentialsByOffer(db, tenant.tenantId, query.offer_id);
    return {
      status: 200,
      body: { credentials: rows.map((row) => credentialView(row, publicUrl, tenant.slug)) },
    };
  });

  kit.mount(router, changeStatusRoute, async (ctx, { params, body }) => {
    const tenant = tenantOf(ctx);
    const out = await changeCredentialStatus(db, {
      tenantId: tenant.tenantId,
      credentialId: params.credential_id,
      status: body.status,
      now: new Date(now()),
    });
    if (!out.ok) {
      switch (out.reason) {
        case 'not_found':
          throw credentialNotFound();
        case 'revoked':
          throw tcsApiErrors.error('CONFLICT', { message: CREDENTIAL_REVOKED.message });
      }
    }
    return { status: 200, body: { credential: credentialView(out.row, publicUrl, tenant.slug) } };
  });

  return router;
}
