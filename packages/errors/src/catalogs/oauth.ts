import { type CodeOf, defineCatalog } from '../catalog.js';

// Codes are the registered lower-case OAuth strings. RFC 6749 §5.2 limits `error_description` to
// printable ASCII without `"` and `\`; every message below stays inside that set.

/**
 * Token endpoint errors (`POST /v1/token`): RFC 6749 §5.2 says 400 for all of these, including the
 * DPoP ones (RFC 9449 §5, §8; SPEC §6.4 table, left column). `invalid_client` is not defined: the
 * pre-authorized code flow here is anonymous (SPEC §6.3), so there is no client to authenticate.
 */
export const tokenEndpointErrors = defineCatalog({
  // RFC 6749 §5.2: a missing or repeated parameter, a tx_code missing or not expected, an access
  // token sent outside the Authorization header.
  invalid_request: { status: 400, message: 'The request is missing a parameter or is malformed' },
  unsupported_grant_type: {
    status: 400,
    message: 'Only the pre-authorized code grant is supported',
  },
  // OpenID4VCI 1.0 errata: a wrong transaction code while attempts remain.
  invalid_tx_code: { status: 400, message: 'The transaction code is wrong' },
  // SPEC §6.3 (published cause).
  invalid_grant: { status: 400, message: 'Pre-authorized code is expired or has already been used' },
  invalid_dpop_proof: { status: 400, message: 'Invalid DPoP proof' },
  // RFC 9449 §8: pass the fresh nonce as { headers: { 'DPoP-Nonce': nonce } }.
  use_dpop_nonce: { status: 400, message: 'Authorization server requires nonce in DPoP proof' },
  // A dependency (database, Redis) is down: retry shortly.
  temporarily_unavailable: { status: 503, message: 'Service temporarily unavailable', expose: true },
});
export type TokenEndpointErrorCode = CodeOf<typeof tokenEndpointErrors>;

/**
 * Credential endpoint errors (`POST /v1/credential`): token and DPoP problems, each a 401 with a
 * `WWW-Authenticate` challenge (RFC 6750 §3.1, RFC 9449 §7.1, SPEC §6.4 right column).
 */
export const credentialEndpointErrors = defineCatalog({
  invalid_token: { status: 401, message: 'The access token is invalid or expired' },
  invalid_dpop_proof: { status: 401, message: 'Invalid DPoP proof' },
  // RFC 9449 §9: pass the fresh nonce as { headers: { 'DPoP-Nonce': nonce } }.
  use_dpop_nonce: { status: 401, message: 'Resource server requires nonce in DPoP proof' },
  // RFC 6750 §2: an access token in a query string or form body.
  invalid_request: { status: 400, message: 'The access token must be sent in the Authorization header' },
  // OpenID4VCI 1.0 §8.3.1.2, each 400.
  invalid_credential_request: { status: 400, message: 'The credential request is malformed' },
  unknown_credential_configuration: {
    status: 400,
    message: 'The access token does not cover this credential configuration',
  },
  unknown_credential_identifier: {
    status: 400,
    message: 'This issuer returns no credential identifiers',
  },
  invalid_proof: { status: 400, message: 'The key proof is invalid' },
  invalid_nonce: { status: 400, message: 'The proof nonce is unknown, expired or already used' },
  invalid_encryption_parameters: {
    status: 400,
    message: 'Credential response encryption is not supported',
  },
  credential_request_denied: { status: 400, message: 'The issuer no longer issues this credential' },
  // A dependency (database, Redis) is down: retry shortly.
  temporarily_unavailable: { status: 503, message: 'Service temporarily unavailable', expose: true },
});
export type CredentialEndpointErrorCode = CodeOf<typeof credentialEndpointErrors>;
