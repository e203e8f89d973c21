import type { Database } from '@portcullis/db';
import { jwkThumbprint } from '@portcullis/dpop';
import { credentialEndpointErrors } from '@portcullis/errors';
import type { IssueCredentials } from '../routes/oauth.js';
import { recordIssuedCredentials } from '../store/credentials.js';
import { credentialConfiguration } from './configurations.js';
import { issueSdJwtVc } from './sd-jwt-vc.js';
import { statusListUri } from './status-lists.js';
import type { TenantSigners } from './types.js';

/**
 * Issues the credentials of one accepted credential request: records their metadata and status
 * entries — in the statement that also reads the tenant's status and issuing DID — then signs one
 * SD-JWT VC per holder key with the signer of that DID. Nothing of the credentials themselves is
 * stored. A tenant no longer approved gets `credential_request_denied` and nothing is recorded.
 *
 * @example
 * const issue = createCredentialIssuer({ db, signers, publicUrl });
 * const [sdJwt] = await issue({ tenant, offerId, credentialConfigurationId, claims, holderJwks: [jwk], issuedAt, expiresAt });
 */
export function createCredentialIssuer(deps: {
  db: Database;
  signers: TenantSigners;
  publicUrl: string;
}): IssueCredentials {
  const { db, signers, publicUrl } = deps;
  return async (input) => {
    const configuration = credentialConfiguration(input.credentialConfigurationId);
    if (configuration === undefined) throw new Error('issuing a configuration that does not exist');
    const holderJkts = input.holderJwks.map((jwk) => {
      const jkt = jwkThumbprint(jwk);
      if (jkt === undefined) throw new Error('an accepted proof key has no thumbprint');
      return jkt;
    });
    const recorded = await recordIssuedCredentials(db, {
      tenantId: input.tenant.id,
      offerId: input.offerId,
      credentialConfigurationId: input.credentialConfigurationId,
      holderJkts,
      issuedAt: new Date(input.issuedAt * 1000),
      expiresAt: new Date(input.expiresAt * 1000),
    });
    if (!recorded.ok) throw credentialEndpointErrors.error('credential_request_denied');
    const signer =
      recorded.issuingDidId === null
        ? null
        : await signers.forIssuingDid(input.tenant, recorded.issuingDidId);
    // Approval gives every tenant an issuing DID, so none here is a broken invariant (a 500).
    if (signer === null) throw new Error('an approved tenant has no issuing DID');
    return Promise.all(
      recorded.entries.map((entry, i) =>
        issueSdJwtVc({
          signer,
          vct: configuration.vct,
          claims: input.claims,
          holderJwk: input.holderJwks[i] as NonNullable<(typeof input.holderJwks)[number]>,
          status: { idx: entry.idx, uri: statusListUri(publicUrl, input.tenant.slug, entry.listId) },
          issuedAt: input.issuedAt,
          expiresAt: input.expiresAt,
        }),
      ),
    );
  };
}
