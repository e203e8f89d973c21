import type Router from '@koa/router';
import { isUniqueViolation } from '@portcullis/db';
import { tcsApiErrors } from '@portcullis/errors';
import { appRouter } from '@portcullis/service';
import type { AppDeps } from '../app.js';
import { checkDidKeyImport, type DidKeyImportResult, generateDidKey } from '../crypto/did-key.js';
import { importDidBody } from '../schemas.js';
import type { AppContext, AppState, Session } from '../state.js';
import {
  DID_LIMIT_MESSAGE,
  didView,
  type InsertDidResult,
  insertIssuingDid,
  listDids,
} from '../store/dids.js';
import { profileAlgorithm } from '../store/tenants.js';
import { tcsJsonBody, validateTcs } from '../validation.js';

const IMPORT_PROBLEMS: Record<Exclude<DidKeyImportResult, { ok: true }>['reason'], string> = {
  malformed_did: 'did: must be a did:key DID',
  unsupported_key_type: 'did: must be an Ed25519 or P-256 did:key',
  invalid_private_jwk: 'privateJwk: must be a private Ed25519 or P-256 JWK',
  key_mismatch: 'privateJwk: does not match the DID',
  algorithm_mismatch: "did: its key type does not match the tenant's signing profile",
};

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
 * `/v1/did` (SPEC §6.2), for the logged-in tenant only: every query is scoped by the session's
 * tenant id, so one tenant's token can neither see nor change another tenant's DIDs.
 * `POST /v1/did` creates a `did:key` of the tenant's profile (Ed25519 for `eddsa_did`, P-256 for
 * `es256_x509`) and makes it the issuing key; `POST /v1/did/import` does the same with a key the
 * tenant brings, after checking that the private key is the DID's.
 */
export function didRoutes(deps: AppDeps): Router<AppState> {
  const { db, sealer, now } = deps;
  const router = appRouter<AppState>({ prefix: '/v1/did' });

  router.get('/', async (ctx) => {
    const session = sessionOf(ctx);
    ctx.body = { dids: (await listDids(db, session.tenantId)).map(didView) };
  });

  router.post('/', async (ctx) => {
    const session = sessionOf(ctx);
    const { didKey, privateJwk } = await generateDidKey(profileAlgorithm(session.signingProfile));
    const row = stored(
      await db.transaction((tx) =>
        insertIssuingDid(tx, sealer, session.tenantId, didKey, privateJwk, 'generated', new Date(now())),
      ),
    );
    ctx.status = 201;
    ctx.body = { did: didView(row) };
  });

  router.post('/import', tcsJsonBody(), async (ctx) => {
    const session = sessionOf(ctx);
    const input = validateTcs(importDidBody, ctx.state.body);
    const checked = checkDidKeyImport(input.did, input.privateJwk, profileAlgorithm(session.signingProfile));
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
        throw tcsApiErrors.error('CONFLICT', { message: 'DID is already registered' });
      }
      throw error;
    }
    ctx.status = 201;
    ctx.body = { did: didView(stored(result)) };
  });

  return router;
}
