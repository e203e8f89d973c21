import { describe, expect, it } from 'vitest';
import type { Catalog } from '../catalog.js';
import { HTTP_ERROR_STATUSES } from '../status.js';
import { instanceApiErrors, instanceAuthErrors } from './instance.js';
import { micaAuthErrors, micaDeveloperErrors } from './mica.js';
import { credentialEndpointErrors, tokenEndpointErrors } from './oauth.js';
import { rateLimitErrors } from './rate-limit.js';
import { tcsApiErrors, tcsApiKeyErrors } from './tcs.js';

type Table = Record<string, readonly [status: number, message: string, expose: boolean]>;

function table(catalog: Catalog<string>): Table {
  return Object.fromEntries(
    catalog.codes.map((code) => {
      const { status, message, expose } = catalog.spec(code);
      return [code, [status, message, expose] as const];
    }),
  );
}

const all: Record<string, Catalog<string>> = {
  instanceAuthErrors,
  instanceApiErrors,
  rateLimitErrors,
  micaAuthErrors,
  micaDeveloperErrors,
  tcsApiKeyErrors,
  tcsApiErrors,
  tokenEndpointErrors,
  credentialEndpointErrors,
};

describe('instanceAuthErrors (SPEC §4.2)', () => {
  it('maps each authentication outcome to its published status and message', () => {
    expect(table(instanceAuthErrors)).toEqual({
      AUTH_REQUIRED: [401, 'API key required', true],
      AUTH_FAILED: [401, 'Invalid or expired API key', true],
      SERVICE_NOT_ENABLED: [403, 'Service not enabled for this instance', true],
      AUTH_ERROR: [500, 'Authentication failed', false],
    });
  });
});

describe('instanceApiErrors (SPEC §4.1, §4.3–§4.5)', () => {
  it('maps each code to its status and message', () => {
    expect(table(instanceApiErrors)).toEqual({
      VALIDATION_ERROR: [400, 'Request validation failed', true],
      INVALID_INPUT: [400, 'Invalid input', true],
      NOT_FOUND: [404, 'Not found', true],
      METHOD_NOT_ALLOWED: [405, 'Method not allowed', true],
      INSUFFICIENT_BALANCE: [400, 'Insufficient balance', true],
      INSUFFICIENT_COLLATERAL: [400, 'Insufficient collateral', true],
      INSUFFICIENT_LIQUIDITY: [400, 'Insufficient liquidity', true],
      TOKEN_NOT_FOUND: [404, 'Token not found', true],
      LIMIT_EXCEEDED: [409, 'Maximum 10 active API keys per instance', true],
      CUSTOMER_EXISTS: [409, 'A customer with this wallet address or external id already exists', true],
      TOKEN_EXISTS: [409, 'A token with this address already exists', true],
      IDEMPOTENCY_MISMATCH: [409, 'This Idempotency-Key was used with a different request', true],
      PAYLOAD_TOO_LARGE: [413, 'Request body too large', true],
      INTERNAL_ERROR: [500, 'Internal server error', false],
      SERVICE_UNAVAILABLE: [503, 'Service temporarily unavailable', true],
    });
  });

  it('lets the key routes say "API key not found" on a 404', () => {
    const err = instanceApiErrors.error('NOT_FOUND', { message: 'API key not found' });
    expect([err.status, err.code, err.message]).toEqual([404, 'NOT_FOUND', 'API key not found']);
  });
});

describe('rateLimitErrors (SPEC §4.6)', () => {
  it('maps RATE_LIMIT_EXCEEDED to 429 with the published message', () => {
    expect(table(rateLimitErrors)).toEqual({
      RATE_LIMIT_EXCEEDED: [429, 'Too many requests, please try again later', true],
    });
  });
});

describe('micaAuthErrors (SPEC §5.1)', () => {
  it('maps each authentication outcome to its status', () => {
    expect(table(micaAuthErrors)).toEqual({
      UNAUTHORIZED: [401, 'MiCA Register API key required', true],
      INVALID_KEY: [401, 'Invalid or revoked API key', true],
      AUTH_ERROR: [500, 'Authentication failed', false],
    });
  });
});

describe('micaDeveloperErrors (SPEC §5.2–§5.3)', () => {
  it('maps each developer-account code to its status', () => {
    expect(table(micaDeveloperErrors)).toEqual({
      UNAUTHORIZED: [401, 'Management token required', true],
      INVALID_TOKEN: [401, 'Invalid management token', true],
      EMAIL_EXISTS: [409, 'A developer account with this email already exists', true],
      KEY_LIMIT_REACHED: [409, 'Maximum 3 active API keys per developer', true],
      ALREADY_REVOKED: [409, 'API key already revoked', true],
      VALIDATION_ERROR: [400, 'Request validation failed', true],
      NOT_FOUND: [404, 'Not found', true],
      METHOD_NOT_ALLOWED: [405, 'Method not allowed', true],
    });
  });
});

describe('tcsApiKeyErrors (SPEC §6.1)', () => {
  it('carries the three published messages byte for byte', () => {
    const bytes = (code: 'API_KEY_REQUIRED' | 'INVALID_API_KEY' | 'ACCOUNT_NOT_APPROVED') =>
      Buffer.from(tcsApiKeyErrors.spec(code).message, 'utf8').toString('hex');
    expect(bytes('API_KEY_REQUIRED')).toBe(Buffer.from('API Key is required', 'latin1').toString('hex'));
    expect(bytes('INVALID_API_KEY')).toBe(Buffer.from('Invalid API Key', 'latin1').toString('hex'));
    expect(bytes('ACCOUNT_NOT_APPROVED')).toBe(
      Buffer.from('Account is not approved', 'latin1').toString('hex'),
    );
  });

  it('maps the three outcomes to 401, 401 and 403', () => {
    expect(table(tcsApiKeyErrors)).toEqual({
      API_KEY_REQUIRED: [401, 'API Key is required', true],
      INVALID_API_KEY: [401, 'Invalid API Key', true],
      ACCOUNT_NOT_APPROVED: [403, 'Account is not approved', true],
    });
  });
});

describe('tcsApiErrors (SPEC §6.2–§6.3)', () => {
  it('maps each admin, login and API code to its status', () => {
    expect(table(tcsApiErrors)).toEqual({
      BAD_REQUEST: [400, 'Bad request', true],
      TOKEN_REQUIRED: [401, 'Bearer token is required', true],
      INVALID_TOKEN: [401, 'Invalid or expired token', true],
      INVALID_CREDENTIALS: [401, 'Invalid credentials', true],
      NOT_FOUND: [404, 'Not found', true],
      METHOD_NOT_ALLOWED: [405, 'Method not allowed', true],
      CONFLICT: [409, 'Conflict', true],
      PAYLOAD_TOO_LARGE: [413, 'Request body too large', true],
      TOO_MANY_REQUESTS: [429, 'Too many requests, please try again later', true],
      INTERNAL_ERROR: [500, 'Internal server error', false],
      SERVICE_UNAVAILABLE: [503, 'Service temporarily unavailable', true],
    });
  });
});

describe('OAuth catalogs (SPEC §6.3–§6.4)', () => {
  it('answers 400 for every token endpoint error, DPoP ones included, and 503 for an outage', () => {
    expect(table(tokenEndpointErrors)).toEqual({
      invalid_request: [400, 'The request is missing a parameter or is malformed', true],
      unsupported_grant_type: [400, 'Only the pre-authorized code grant is supported', true],
      invalid_tx_code: [400, 'The transaction code is wrong', true],
      invalid_grant: [400, 'Pre-authorized code is expired or has already been used', true],
      invalid_dpop_proof: [400, 'Invalid DPoP proof', true],
      use_dpop_nonce: [400, 'Authorization server requires nonce in DPoP proof', true],
      temporarily_unavailable: [503, 'Service temporarily unavailable', true],
    });
  });

  it('answers 401 for token and DPoP problems at the credential endpoint, 400 for the request errors of OpenID4VCI', () => {
    expect(table(credentialEndpointErrors)).toEqual({
      invalid_token: [401, 'The access token is invalid or expired', true],
      invalid_dpop_proof: [401, 'Invalid DPoP proof', true],
      use_dpop_nonce: [401, 'Resource server requires nonce in DPoP proof', true],
      invalid_request: [400, 'The access token must be sent in the Authorization header', true],
      invalid_credential_request: [400, 'The credential request is malformed', true],
      unknown_credential_configuration: [
        400,
        'The access token does not cover this credential configuration',
        true,
      ],
      unknown_credential_identifier: [400, 'This issuer returns no credential identifiers', true],
      invalid_proof: [400, 'The key proof is invalid', true],
      invalid_nonce: [400, 'The proof nonce is unknown, expired or already used', true],
      invalid_encryption_parameters: [400, 'Credential response encryption is not supported', true],
      credential_request_denied: [400, 'The issuer no longer issues this credential', true],
      temporarily_unavailable: [503, 'Service temporarily unavailable', true],
    });
  });

  it('keeps codes and descriptions inside the RFC 6749 §5.2 character set', () => {
    const rfc6749 = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;
    const oauth: Catalog<string>[] = [tokenEndpointErrors, credentialEndpointErrors];
    for (const catalog of oauth) {
      for (const code of catalog.codes) {
        expect(code).toMatch(/^[a-z_]+$/);
        expect(catalog.spec(code).message).toMatch(rfc6749);
      }
    }
  });
});

describe('all catalogs', () => {
  it('use every status of the closed union, so the union lists no dead status', () => {
    const used = new Set(Object.values(all).flatMap((c) => c.codes.map((code) => c.spec(code).status)));
    expect([...used].sort()).toEqual([...HTTP_ERROR_STATUSES].sort());
  });

  it('write every message in printable ASCII, so it is safe in any header or log line', () => {
    for (const [name, catalog] of Object.entries(all)) {
      for (const code of catalog.codes) {
        expect(`${name}.${code}: ${catalog.spec(code).message}`).toMatch(/^[\x20-\x7e]+$/);
      }
    }
  });
});
