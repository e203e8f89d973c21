import type Router from '@koa/router';
import { isUniqueViolation } from '@portcullis/db';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter, defineRoute, type RouteKit } from '@portcullis/routes';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { checkDidKeyImport, type DidKeyImportRefusal, generateDidKey } from '../crypto/did-key.js';
import { errorResponses, JSON_BODY, ok, SESSION, withMessage } from '../http.js';
import { didSchema, importDidBody } from '../schemas.js';
import type { AppContext, AppState, Session } from '../state.js';
import {
  DID_LIMIT_MESSAGE,
  didView,
  type InsertDidResult,
  insertIssuingDid,
  listDids,
  MAX_DIDS_PER_TENANT,
} from '../store/dids.js';
import { profileAlgorithm } from '../store/tenants.js';

const IMPORT_PROBLEMS: Record<DidKeyImportRefusal, string> = {
  malformed_did: 'did: must be a did:key DID',
  unsupported_key_type: 'did: must be an Ed25519 or P-256 did:key',
  invalid_private_jwk: 'privateJwk: must be a private Ed25519 or P-256 JWK',
  key_mismatch: 'privateJwk: does not match the DID',
  algorithm_mismatch: "did: its key type does not match the tenant's signing profile",
};
const ALREADY_REGISTERED = 'DID is already registered';
const DID_LIMIT = withMessage(tcsApiErrors, 'CONFLICT', DID_LIMIT_MESSAGE);

const didResponseSchema = z.object({ did: didSchema }).meta({ id: 'DidResponse' });
const tags = ['DIDs'];
const security = [{ loginToken: [] }];

const listDidsRoute = defineRoute({
  method: 'get',
  path: '/v1/did',
  operationId: 'listDids',
  summary: "The logged-in tenant's DIDs",
  tags,
  security,
  responses: {
    200: ok(
      'DIDs, oldest first.',
      z.object({ dids: z.array(didSchema).meta({ description: 'Oldest first.' }) }).meta({ id: 'DidList' }),
    ),
    ...errorResponses(SESSION),
  },
});

const createDidRoute = defineRoute({
  method: 'post',
  path: '/v1/did',
  operationId: 'createDid',
  summary: "Create a `did:key` of the tenant's profile and make it the issuing DID",
  description: `No request body. Ed25519 for \`eddsa_did\`, P-256 for \`es256_x509\`. A tenant holds at most ${MAX_DIDS_PER_TENANT} DIDs, created and imported alike.`,
  tags,
  security,
  responses: {
    201: ok('The new issuing DID.', didResponseSchema),
    ...errorResponses([DID_LIMIT, ...SESSION]),
  },
});

const importDidRoute = defineRoute({
  method: 'post',
  path: '/v1/did/import',
  operationId: 'importDid',
  summary: 'Import a `did:key` with its private key and make it the issuing DID',
  description: `The public key is derived from the private key and must be the DID's; the key type must match the tenant's profile. A DID already registered (by any tenant) is a 409, and so is one past the cap: a tenant holds at most ${MAX_DIDS_PER_TENANT}, created and imported alike.`,
  tags,
  security,
  request: { body: importDidBody },
  responses: {
    201: ok('The imported issuing DID.', didResponseSchema),
    ...errorResponses([
      ...JSON_BODY,
      withMessage(tcsApiErrors, 'CONFLICT', ALREADY_REGISTERED),
      DID_LIMIT,
      ...SESSION,
    ]),
  },
});

/** The stored DID, or 409 once the tenant is at its DID cap (`MAX_DIDS_PER_TENANT`, created and imported alike). */
function stored(result: InsertDidResult) {
  if (!result.ok) throw tcsApiErrors.error('CONFLICT', { message: DID_LIMIT_MESSAGE });
  return result.row;
}

function sessionOf(ctx: AppContext): Session {
  const session = ctx.state.bearer;
  // Mounted behind bearerJwtAuth: no session here is a wiring bug.
  if (!session) throw new Error('DID routes mounted without bearerJwtAuth');
  return session;
}

/**
 * `/v1/did`, for the logged-in tenant only (the caller mounts the router behind `bearerJwtAuth`):
 * every query is scoped by the session's tenant id, so one tenant's token can neither see nor
 * change another tenant's DIDs. `POST /v1/did` creates a `did:key` of the tenant's profile
 * (Ed25519 for `eddsa_did`, P-256 for `es256_x509`) and makes it the issuing key;
 * `POST /v1/did/import` does the same with a key the tenant brings, after checking that the
 * private key is the DID's.
 */
export function didRoutes(deps: AppDeps, kit: RouteKit<AppState>): Router<AppState> {
  const { db, sealer, now } = deps;
  const router = appRouter<AppState>({ prefix: '/v1/did' });

  kit.mount(router, listDidsRoute, async (ctx) => {
    const session = sessionOf(ctx);
    return { status: 200, body: { dids: (await listDids(db, session.tenantId)).map(didView) } };
  });

  kit.mount(router, createDidRoute, async (ctx) => {
    const session = sessionOf(ctx);
    const { didKey, privateJwk } = await generateDidKey(profileAlgorithm(session.signingProfile));
    const row = stored(
      await db.transaction((tx) =>
        insertIssuingDid(tx, sealer, session.tenantId, didKey, privateJwk, 'generated', new Date(now())),
      ),
    );
    return { status: 201, body: { did: didView(row) } };
  });

  kit.mount(router, importDidRoute, async (ctx, { body }) => {
    const session = sessionOf(ctx);
    const checked = checkDidKeyImport(body.did, body.privateJwk, profileAlgorithm(session.signingProfile));
    if (!checked.ok) throw tcsApiErrors.error('BAD_REQUEST', { message: IMPORT_PROBLEMS[checked.reason] });
    let result: InsertDidResult;
    try {
      result = await db.transaction((tx) =>
        insertIssuingDid(
          tx,
          sealer,
          session.tenantId,
          checked.didKey,
          checked.privateJwk,
          'imported',
          new Date(now()),
        ),
      );
    } catch (error) {
      // The same DID registered before (by this tenant or another): one answer for both.
      if (isUniqueViolation(error)) {
        throw tcsApiErrors.error('CONFLICT', { message: ALREADY_REGISTERED });
      }
      throw error;
    }
    return { status: 201, body: { did: didView(stored(result)) } };
  });

  return router;
}
