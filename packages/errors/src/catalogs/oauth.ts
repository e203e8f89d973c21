import { type CodeOf, defineCatalog } from '../catalog.js';

// Codes are the registered lower-case OAuth strings. RFC 6749 §5.2 limits `error_description` to
// printable ASCII without `"` and `\`; every message below stays inside that set.

/**
 * Token endpoint errors (`POST /v1/token`): RFC 6749 §5.2 says 400 for all of these, including the
 * DPoP ones (RFC 9449 §5, §8; SPEC §6.4 table, left column). `invalid_client` is not defined: the
 * pre-authorized code flow here is anonymous (SPEC §6.3), so there is no client to authenticate.
 */
export const tokenEndpointErrors = defineCatalog({
  // SPEC §6.3 (published cause).
  invalid_grant: { status: 400, message: 'Pre-authorized code is expired or has already been used' },
  invalid_dpop_proof: { status: 400, message: 'Invalid DPoP proof' },
  // RFC 9449 §8: pass the fresh nonce as { headers: { 'DPoP-Nonce': nonce } }.
  use_dpop_nonce: { status: 400, message: 'Authorization server requires nonce in DPoP proof' },
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
});
export type CredentialEndpointErrorCode = CodeOf<typeof credentialEndpointErrors>;
