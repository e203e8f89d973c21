import { type Catalog, type HttpErrorStatus, tcsApiErrors, tcsApiKeyErrors } from '@portcullis/errors';
import { type JsonBodyProblem, jsonBodyProblemMessage } from '@portcullis/koa-auth';
import {
  headerRef,
  type JsonSchema,
  jsonContent,
  type OpenApiDocument,
  type OpenApiHeader,
  type OpenApiHeaders,
  type OpenApiOperation,
  type OpenApiPathItem,
  type OpenApiReference,
  type OpenApiResponse,
  openApiOperation,
  parameterRef,
  RETRY_AFTER_HEADER,
  type OperationSpec as SharedOperationSpec,
  schemaRef,
  standardRoutePaths,
  tcsErrorSchema,
} from '@portcullis/service';
import { z } from 'zod';
import {
  changePasswordBody,
  createTenantBody,
  importDidBody,
  loginBody,
  MAX_PASSWORD_BYTES,
  MIN_PASSWORD_LENGTH,
  SLUG,
} from './schemas.js';
import { DID_LIMIT_MESSAGE, MAX_DIDS_PER_TENANT } from './store/dids.js';
import type { SigningProfile, TenantEnvironment, TenantStatus } from './store/tenants.js';

// SPEC §1: `GET /openapi.json`, OpenAPI 3.1 of the TCS issuer's public routes (SPEC §6.1, §6.2).
// Request bodies are generated from the zod schemas the routes validate with; fixed error messages
// come from the catalogs the app throws from, so the three published API-key messages are the
// catalog's bytes. Every error is the TCS body `{ statusCode, message, error }` (SPEC §6.1), never
// the Trusset envelope; only the §1 health routes answer success in the envelope (shared code).

export interface TcsIssuerDocumentOptions {
  /** `PUBLIC_URL`: the server of every path (also the login tokens' `iss`). */
  publicUrl: string;
  /** Limits in force, failures per 15 minutes (configurable by environment). */
  limits: { loginFailuresPer15Min: number; adminAuthPer15Min: number };
}

type Security = 'none' | 'adminToken' | 'loginToken' | 'apiKey';

/** One error answer of an operation: a fixed message, or messages built at run time. */
interface TcsError {
  status: HttpErrorStatus;
  /** The message, byte for byte. */
  message?: string;
  /** A pattern the built messages match (JSON Schema `pattern`), with what they say. */
  built?: { pattern: string; note: string };
}

interface OperationSpec extends Pick<SharedOperationSpec, 'operationId' | 'summary' | 'description' | 'tag'> {
  security: Security;
  /** Path parameters, by component name. */
  path?: Array<'Slug' | 'Tenant'>;
  /** A component schema of the JSON body. */
  body?: string;
  ok: {
    status: number;
    description: string;
    body: JsonSchema;
    headers?: Record<string, OpenApiHeader | OpenApiReference>;
    /** Default `application/json`. */
    type?: string;
  };
  errors: TcsError[];
  /**
   * The route hashes a password: a full hashing queue sheds it with 503 and `Retry-After: 1`
   * (list `SERVICE_UNAVAILABLE` in `errors`).
   */
  hashes?: boolean;
}

const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, 'null'] });
const STRING: JsonSchema = { type: 'string' };
const DATE_TIME: JsonSchema = { type: 'string', format: 'date-time' };
const cacheControl = (value: string): OpenApiHeader => ({
  required: true,
  schema: { type: 'string', const: value },
});

/** The keys of a record over a whole union: a member missing (or extra) fails to compile. */
const membersOf = <K extends string>(record: Record<K, true>): K[] => Object.keys(record) as K[];
const SIGNING_PROFILES = membersOf<SigningProfile>({ eddsa_did: true, es256_x509: true });
const ENVIRONMENTS = membersOf<TenantEnvironment>({ production: true, sandbox: true });
const TENANT_STATUSES = membersOf<TenantStatus>({ pending: true, approved: true, suspended: true });
const JSON_BODY_PROBLEMS = membersOf<JsonBodyProblem>({
  'content-type': true,
  encoding: true,
  syntax: true,
  depth: true,
});

/** JSON Schema of what a zod schema accepts (its input), without the `$schema` line. */
function bodySchema(schema: z.ZodType, patch: Record<string, JsonSchema> = {}): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  const properties = (rest.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, extra] of Object.entries(patch)) properties[name] = { ...properties[name], ...extra };
  return { ...rest, properties };
}

/** The catalog's status and message of each code: the bytes the app sends. */
function fixed<C extends string>(catalog: Catalog<C>, ...codes: C[]): TcsError[] {
  return codes.map((code) => {
    const { status, message } = catalog.spec(code);
    return { status, message };
  });
}

// `validateTcs` joins one `field: problem` per bad field with `; ` (field `body` for the body as a
// whole); a DID import's own checks and a refused new password read the same way.
const FIELD_PROBLEMS: TcsError = {
  status: 400,
  built: {
    pattern: '^[A-Za-z][A-Za-z0-9_.]*: \\S',
    note: 'one `field: problem` per bad field, joined by `; ` (e.g. `slug: must be 3 to 32 characters from [a-z0-9-]`)',
  },
};
const SERVER = fixed(tcsApiErrors, 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE');
const UNAVAILABLE = tcsApiErrors.spec('SERVICE_UNAVAILABLE').message;
const JSON_BODY: TcsError[] = [
  ...JSON_BODY_PROBLEMS.map((problem) => ({
    status: 400 as const,
    message: jsonBodyProblemMessage(problem),
  })),
  FIELD_PROBLEMS,
  ...fixed(tcsApiErrors, 'PAYLOAD_TOO_LARGE'),
];
const BEARER = fixed(tcsApiErrors, 'TOKEN_REQUIRED', 'INVALID_TOKEN');
const ADMIN = [...BEARER, ...fixed(tcsApiErrors, 'TOO_MANY_REQUESTS'), ...SERVER];
const SESSION = [...BEARER, ...SERVER];
const API_KEY = [...fixed(tcsApiKeyErrors, 'API_KEY_REQUIRED', 'INVALID_API_KEY', 'ACCOUNT_NOT_APPROVED')];
const TENANT_NOT_FOUND: TcsError = { status: 404, message: 'Tenant not found' };
const DID_LIMIT: TcsError = { status: 409, message: DID_LIMIT_MESSAGE };
const NOT_SUSPENDABLE: TcsError = {
  status: 409,
  message: 'Tenant is pending; only an approved tenant can be suspended',
};

/** Responses of the errors of one operation, one per status, each listing its messages. */
function errorResponses(
  errors: readonly TcsError[],
  headers: (status: number) => Record<string, OpenApiHeader | OpenApiReference>,
): Record<string, OpenApiResponse> {
  const byStatus = new Map<HttpErrorStatus, { messages: string[]; built: TcsError['built'][] }>();
  for (const error of errors) {
    const entry = byStatus.get(error.status) ?? { messages: [], built: [] };
    if (error.message !== undefined && !entry.messages.includes(error.message))
      entry.messages.push(error.message);
    if (error.built !== undefined && !entry.built.includes(error.built)) entry.built.push(error.built);
    byStatus.set(error.status, entry);
  }
  const out: Record<string, OpenApiResponse> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const { messages, built } = byStatus.get(status) as { messages: string[]; built: TcsError['built'][] };
    const patterns = built.flatMap((b) => (b ? [b.pattern] : []));
    out[String(status)] = {
      description: [
        ...messages.map((message) => `\`${message}\``),
        ...built.flatMap((b) => (b ? [b.note] : [])),
      ].join('; '),
      headers: headers(status),
      content: jsonContent(
        tcsErrorSchema(status, {
          ...(messages.length > 0 ? { messages } : {}),
          ...(patterns.length > 0
            ? { messagePattern: patterns.length === 1 ? (patterns[0] as string) : patterns.join('|') }
            : {}),
        }),
      ),
    };
  }
  return out;
}

function operation(spec: OperationSpec): OpenApiOperation {
  const headers = (status: number): OpenApiHeaders => ({
    'X-Request-Id': headerRef('X-Request-Id'),
    ...(status === 429 ? { 'Retry-After': headerRef('Retry-After') } : {}),
    ...(status === 503 && spec.hashes ? { 'Retry-After': headerRef('Retry-After-Shed') } : {}),
  });
  const { path, body, ok, errors, hashes: _hashes, security, ...rest } = spec;
  const { body: okBody, ...okRest } = ok;
  return openApiOperation({
    ...rest,
    security: security === 'none' ? null : security,
    ...(path === undefined ? {} : { parameters: path.map(parameterRef) }),
    ...(body === undefined ? {} : { body: { schema: body, required: true } }),
    ok: { ...okRest, schema: okBody },
    headers,
    errors: errorResponses(errors, headers),
  });
}

function components(options: TcsIssuerDocumentOptions): NonNullable<OpenApiDocument['components']> {
  const { limits } = options;
  const apiKey: JsonSchema = {
    type: 'string',
    pattern: '^tcs_[a-z0-9]{1,16}_[0-9a-f]{48}$',
    description: "`tcs_{environment}_{48 hex}`, the tenant's environment: shown in this response only.",
  };
  const accessToken: JsonSchema = {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in'],
    properties: {
      access_token: {
        type: 'string',
        description:
          'ES256 JWT (`typ: at+jwt`, `kid` listed at `/.well-known/jwks.json`, `iss` = the server URL, `aud` = the server URL + `/v1`).',
      },
      token_type: { const: 'Bearer' },
      expires_in: { type: 'integer', minimum: 1, description: 'Seconds (900 unless configured).' },
    },
  };
  const tenantError = (status: HttpErrorStatus, messages: string[]): OpenApiResponse => ({
    description: messages.map((m) => `\`${m}\``).join('; '),
    headers: { 'X-Request-Id': headerRef('X-Request-Id') },
    content: jsonContent(tcsErrorSchema(status, { messages })),
  });

  return {
    securitySchemes: {
      adminToken: {
        type: 'http',
        scheme: 'bearer',
        description: `The operator token (\`ADMIN_TOKEN\`), compared in constant time (SPEC §6.2). Missing → 401 \`Bearer token is required\`, wrong → 401 \`Invalid or expired token\`. ${limits.adminAuthPer15Min} failed attempts per 15 minutes per client address; past them the address is refused (429, \`Retry-After\`) even with the right token.`,
      },
      loginToken: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'A login access token from `POST /v1/auth/login` (SPEC §6.2). Missing → 401 `Bearer token is required`; malformed, expired, of a suspended tenant, or older than the last password change → 401 `Invalid or expired token`.',
      },
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description:
          'A tenant API key `tcs_{environment}_{48 hex}` (SPEC §6.1), with the published messages: absent or blank → 401 `API Key is required`; not a TCS key, malformed, unknown or revoked → 401 `Invalid API Key`; tenant pending or suspended → 403 `Account is not approved`.',
      },
    },
    parameters: {
      Slug: {
        name: 'slug',
        in: 'path',
        required: true,
        description: 'Tenant slug. One that cannot be a slug is a 404, like an unknown one.',
        schema: schemaRef('Slug'),
      },
      Tenant: {
        name: 'tenant',
        in: 'path',
        required: true,
        description: 'Tenant slug (published path). Unknown, unapproved or DID-less tenants are a 404.',
        schema: schemaRef('Slug'),
      },
    },
    headers: {
      'X-Request-Id': {
        description:
          'The request id: the incoming `X-Request-Id` when it is 8–128 characters of `[A-Za-z0-9._:-]`, else a new UUID v4.',
        schema: { type: 'string', minLength: 8, maxLength: 128 },
      },
      'Retry-After': RETRY_AFTER_HEADER,
      'Retry-After-Shed': {
        description:
          'Present (`1`) when the password hashing queue was full and the request was shed; absent when a dependency is down.',
        schema: { type: 'integer', const: 1 },
      },
      Allow: {
        description: 'The methods the path has (RFC 9110 §10.2.1).',
        required: true,
        schema: { type: 'string' },
      },
    },
    responses: {
      MethodNotAllowed: {
        description:
          'Any documented path called with a method it does not have (or one no route has): `Method not allowed`, with `Allow`.',
        headers: { 'X-Request-Id': headerRef('X-Request-Id'), Allow: headerRef('Allow') },
        content: jsonContent(
          tcsErrorSchema(405, { messages: [tcsApiErrors.spec('METHOD_NOT_ALLOWED').message] }),
        ),
      },
      RouteNotFound: tenantError(404, ['Route not found']),
    },
    schemas: {
      Error: tcsErrorSchema(),
      Slug: {
        type: 'string',
        pattern: SLUG.source,
        description: 'SPEC §6.2 (published): 3–32 of `[a-z0-9-]`.',
      },
      SigningProfile: {
        type: 'string',
        enum: SIGNING_PROFILES,
        description: '`eddsa_did`: Ed25519 `did:key`; `es256_x509`: P-256 `did:key`.',
      },
      Environment: { type: 'string', enum: ENVIRONMENTS },
      TenantStatus: {
        type: 'string',
        enum: TENANT_STATUSES,
        description: 'pending → approved ⇄ suspended (SPEC §6.2).',
      },
      Tenant: {
        type: 'object',
        required: [
          'id',
          'slug',
          'organizationName',
          'ownerEmail',
          'signingProfile',
          'environment',
          'status',
          'createdAt',
          'updatedAt',
          'approvedAt',
          'suspendedAt',
        ],
        properties: {
          id: { type: 'string', pattern: '^ten_[0-9a-f]{24}$' },
          slug: schemaRef('Slug'),
          organizationName: STRING,
          ownerEmail: { type: 'string', format: 'email' },
          signingProfile: schemaRef('SigningProfile'),
          environment: schemaRef('Environment'),
          status: schemaRef('TenantStatus'),
          createdAt: DATE_TIME,
          updatedAt: DATE_TIME,
          approvedAt: { ...nullable(DATE_TIME), description: 'The last approval.' },
          suspendedAt: { ...nullable(DATE_TIME), description: 'Set while suspended.' },
        },
      },
      TenantResponse: { type: 'object', required: ['tenant'], properties: { tenant: schemaRef('Tenant') } },
      TenantList: {
        type: 'object',
        required: ['tenants'],
        properties: { tenants: { type: 'array', items: schemaRef('Tenant') } },
      },
      CreatedTenant: {
        type: 'object',
        required: ['tenant', 'uuid', 'initialPassword', 'apiKey'],
        properties: {
          tenant: schemaRef('Tenant'),
          uuid: { type: 'string', format: 'uuid', description: 'The login name of `POST /v1/auth/login`.' },
          initialPassword: {
            type: 'string',
            pattern: '^[A-Za-z0-9_-]{24}$',
            description: 'Generated (144 random bits): shown in this response only, never again.',
          },
          apiKey,
        },
      },
      RotatedApiKey: {
        type: 'object',
        required: ['tenant', 'apiKey'],
        properties: {
          tenant: schemaRef('Tenant'),
          apiKey: { ...apiKey, description: 'The new key, shown once. The previous key stopped at once.' },
        },
      },
      AccessToken: accessToken,
      PasswordChanged: {
        type: 'object',
        required: ['message', ...(accessToken.required as string[])],
        properties: {
          message: { const: 'Password changed' },
          ...(accessToken.properties as Record<string, JsonSchema>),
        },
      },
      Did: {
        type: 'object',
        required: [
          'id',
          'did',
          'verificationMethod',
          'algorithm',
          'publicJwk',
          'origin',
          'issuing',
          'createdAt',
        ],
        properties: {
          id: { type: 'string', pattern: '^did_[0-9a-f]{24}$' },
          did: { type: 'string', pattern: '^did:key:z[1-9A-HJ-NP-Za-km-z]+$' },
          verificationMethod: {
            type: 'string',
            pattern: '^did:key:z[1-9A-HJ-NP-Za-km-z]+#z[1-9A-HJ-NP-Za-km-z]+$',
          },
          algorithm: { type: 'string', enum: ['EdDSA', 'ES256'] },
          publicJwk: {
            type: 'object',
            description: 'Public only: Ed25519 `{ kty: OKP, crv, x }` or P-256 `{ kty: EC, crv, x, y }`.',
            required: ['kty', 'crv', 'x'],
            properties: {
              kty: { enum: ['OKP', 'EC'] },
              crv: { enum: ['Ed25519', 'P-256'] },
              x: STRING,
              y: STRING,
            },
          },
          origin: { type: 'string', enum: ['generated', 'imported'] },
          issuing: { type: 'boolean', description: 'The DID the tenant issues with (one per tenant).' },
          createdAt: DATE_TIME,
        },
      },
      DidResponse: { type: 'object', required: ['did'], properties: { did: schemaRef('Did') } },
      DidList: {
        type: 'object',
        required: ['dids'],
        properties: { dids: { type: 'array', items: schemaRef('Did'), description: 'Oldest first.' } },
      },
      KeyTenant: {
        type: 'object',
        required: ['tenant'],
        properties: {
          tenant: {
            type: 'object',
            required: ['id', 'slug', 'status', 'signingProfile', 'environment'],
            properties: {
              id: { type: 'string', pattern: '^ten_[0-9a-f]{24}$' },
              slug: schemaRef('Slug'),
              status: { const: 'approved', description: 'Only approved tenants get past the key guard.' },
              signingProfile: schemaRef('SigningProfile'),
              environment: schemaRef('Environment'),
            },
          },
        },
      },
      Jwks: {
        type: 'object',
        required: ['keys'],
        properties: {
          keys: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
              properties: {
                kty: { const: 'EC' },
                crv: { const: 'P-256' },
                x: STRING,
                y: STRING,
                kid: { type: 'string', description: 'RFC 7638 thumbprint; the `kid` of login tokens.' },
                alg: { const: 'ES256' },
                use: { const: 'sig' },
              },
            },
          },
        },
      },
      DidConfiguration: {
        type: 'object',
        description: 'DIF Well-Known DID Configuration v1.0.',
        required: ['@context', 'linked_dids'],
        properties: {
          '@context': { const: 'https://identity.foundation/.well-known/did-configuration/v1' },
          linked_dids: {
            type: 'array',
            minItems: 1,
            maxItems: 1,
            items: {
              type: 'string',
              pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
              description:
                "A JWT domain-linkage credential: `iss` = `sub` = the tenant's issuing DID, `vc.credentialSubject.origin` = this server's origin, valid one year from the request.",
            },
          },
        },
      },
      CreateTenantRequest: bodySchema(createTenantBody, {
        slug: { description: 'Unique: an existing slug is a 409.' },
      }),
      LoginRequest: bodySchema(loginBody, {
        password: { description: `At most ${MAX_PASSWORD_BYTES} UTF-8 bytes.` },
      }),
      ChangePasswordRequest: bodySchema(changePasswordBody, {
        currentPassword: { description: `At most ${MAX_PASSWORD_BYTES} UTF-8 bytes.` },
        // Refinements zod cannot export: counted in code points, as JSON Schema counts length.
        newPassword: {
          minLength: MIN_PASSWORD_LENGTH,
          description: `At least ${MIN_PASSWORD_LENGTH} characters (code points), at most ${MAX_PASSWORD_BYTES} UTF-8 bytes, and not the current password.`,
        },
      }),
      ImportDidRequest: bodySchema(importDidBody, {
        did: { description: "A `did:key` of the tenant's profile (Ed25519 or P-256)." },
        privateJwk: {
          description:
            'The private key of the DID (`d` included). The public key is derived from `d` and must be the DID’s.',
        },
      }),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the TCS issuer's Trust Registry (SPEC §6.1, §6.2 and the §1 health
 * routes), for `openApiRoutes()`. Built once at app creation with the limits the app enforces.
 *
 * @example
 * app.use(openApiRoutes<AppState>(tcsIssuerDocument({ publicUrl: 'https://tcs.example', limits: { loginFailuresPer15Min: 15, adminAuthPer15Min: 15 } })).routes());
 */
export function tcsIssuerDocument(options: TcsIssuerDocumentOptions): OpenApiDocument {
  const { limits } = options;
  const ref = schemaRef;
  const admin = (spec: Omit<OperationSpec, 'tag' | 'security'>) =>
    operation({ ...spec, tag: 'tenants', security: 'adminToken', errors: [...spec.errors, ...ADMIN] });
  const session = (spec: Omit<OperationSpec, 'tag' | 'security'>) =>
    operation({ ...spec, tag: 'dids', security: 'loginToken', errors: [...spec.errors, ...SESSION] });
  const slugAction = (
    action: 'approve' | 'suspend',
    summary: string,
    errors: TcsError[],
  ): OpenApiPathItem => ({
    post: admin({
      operationId: `${action}Tenant`,
      summary,
      path: ['Slug'],
      ok: { status: 200, description: 'The tenant.', body: ref('TenantResponse') },
      errors: [TENANT_NOT_FOUND, ...errors],
    }),
  });
  const loginLimits = `${limits.loginFailuresPer15Min} wrong-credential answers per 15 minutes per client address and per uuid; past either the request is refused (429, \`Retry-After\`) before any password work, even with the right password. Only wrong credentials count.`;

  const paths: Record<string, OpenApiPathItem> = {
    ...standardRoutePaths({
      unavailable: {
        description: `\`${UNAVAILABLE}\``,
        schema: tcsErrorSchema(503, { messages: [UNAVAILABLE] }),
      },
      descriptions: {
        healthz: 'Answers in the Trusset success envelope the three apps share for health.',
        readyz: 'Answers success in the Trusset envelope (shared health code), errors in the TCS body.',
        metrics: '`password_work_shed_total` included.',
      },
    }),
    '/.well-known/jwks.json': {
      get: operation({
        operationId: 'jwks',
        summary: 'Public keys of the login access tokens (SPEC §6.2)',
        tag: 'discovery',
        security: 'none',
        ok: {
          status: 200,
          description: 'Every token signing key, public half only.',
          body: ref('Jwks'),
          headers: { 'Cache-Control': cacheControl('public, max-age=300') },
        },
        errors: fixed(tcsApiErrors, 'INTERNAL_ERROR'),
      }),
    },
    '/.well-known/did-configuration.json/{tenant}': {
      get: operation({
        operationId: 'didConfiguration',
        summary: "The tenant's DIF Well-Known DID Configuration (SPEC §6.2, published path)",
        description:
          "One JWT domain-linkage credential binding the tenant's issuing DID to this server's origin, signed by that DID, re-signed on every request.",
        tag: 'discovery',
        security: 'none',
        path: ['Tenant'],
        ok: {
          status: 200,
          description: 'The DID configuration.',
          body: ref('DidConfiguration'),
          headers: { 'Cache-Control': cacheControl('public, max-age=3600') },
        },
        errors: [TENANT_NOT_FOUND, ...SERVER],
      }),
    },

    '/admin/tenants': {
      post: admin({
        operationId: 'createTenant',
        summary: 'Onboard a tenant: pending, with a login account and an API key (SPEC §6.2)',
        body: 'CreateTenantRequest',
        hashes: true,
        ok: {
          status: 201,
          description:
            'The tenant (`pending`), its login uuid, initial password and API key: each secret shown once.',
          body: ref('CreatedTenant'),
        },
        errors: [...JSON_BODY, { status: 409, message: 'Tenant slug already exists' }],
      }),
      get: admin({
        operationId: 'listTenants',
        summary: 'Every tenant (ours)',
        ok: { status: 200, description: 'Tenants.', body: ref('TenantList') },
        errors: [],
      }),
    },
    '/admin/tenants/{slug}': {
      get: admin({
        operationId: 'getTenant',
        summary: 'One tenant (ours)',
        path: ['Slug'],
        ok: { status: 200, description: 'The tenant.', body: ref('TenantResponse') },
        errors: [TENANT_NOT_FOUND],
      }),
    },
    '/admin/tenants/{slug}/approve': slugAction(
      'approve',
      'Approve a pending or suspended tenant; a tenant without a DID gets its first one (SPEC §6.2). Already approved: no-op 200.',
      [],
    ),
    '/admin/tenants/{slug}/suspend': slugAction(
      'suspend',
      'Suspend an approved tenant: its API key and login sessions stop at once (SPEC §6.2). Already suspended: no-op 200.',
      [NOT_SUSPENDABLE],
    ),
    '/admin/tenants/{slug}/api-key/rotate': {
      post: admin({
        operationId: 'rotateTenantApiKey',
        summary: "Replace the tenant's API key; the old one stops at once, no overlap (SPEC §6.2)",
        path: ['Slug'],
        ok: {
          status: 200,
          description: 'The tenant and its new key, shown once.',
          body: ref('RotatedApiKey'),
        },
        errors: [TENANT_NOT_FOUND],
      }),
    },

    '/v1/auth/login': {
      post: operation({
        operationId: 'login',
        summary: 'Log in with the tenant account (SPEC §6.2)',
        description: `Wrong uuid and wrong password get one answer, after the same argon2id work. Only approved tenants log in: a pending or suspended tenant with the right password gets 403. ${loginLimits}`,
        tag: 'auth',
        security: 'none',
        body: 'LoginRequest',
        hashes: true,
        ok: {
          status: 200,
          description: 'An access token.',
          body: ref('AccessToken'),
          headers: { 'Cache-Control': cacheControl('no-store') },
        },
        errors: [
          ...JSON_BODY,
          ...fixed(tcsApiErrors, 'INVALID_CREDENTIALS'),
          ...fixed(tcsApiKeyErrors, 'ACCOUNT_NOT_APPROVED'),
          ...fixed(tcsApiErrors, 'TOO_MANY_REQUESTS'),
          ...SERVER,
        ],
      }),
    },
    '/v1/auth/password': {
      post: operation({
        operationId: 'changePassword',
        summary: 'Change the account password; every earlier session ends (SPEC §6.2)',
        description: `A wrong \`currentPassword\` is 401 \`Invalid credentials\` and counts like a failed login: ${loginLimits}`,
        tag: 'auth',
        security: 'loginToken',
        body: 'ChangePasswordRequest',
        hashes: true,
        ok: {
          status: 200,
          description: 'Changed; continue with the fresh access token.',
          body: ref('PasswordChanged'),
          headers: { 'Cache-Control': cacheControl('no-store') },
        },
        errors: [
          ...JSON_BODY,
          ...BEARER,
          ...fixed(tcsApiErrors, 'INVALID_CREDENTIALS', 'TOO_MANY_REQUESTS'),
          ...SERVER,
        ],
      }),
    },

    '/v1/did': {
      get: session({
        operationId: 'listDids',
        summary: "The logged-in tenant's DIDs (SPEC §6.2)",
        ok: { status: 200, description: 'DIDs, oldest first.', body: ref('DidList') },
        errors: [],
      }),
      post: session({
        operationId: 'createDid',
        summary: "Create a `did:key` of the tenant's profile and make it the issuing DID (SPEC §6.2)",
        description: `No request body. Ed25519 for \`eddsa_did\`, P-256 for \`es256_x509\`. A tenant holds at most ${MAX_DIDS_PER_TENANT} DIDs, created and imported alike.`,
        ok: { status: 201, description: 'The new issuing DID.', body: ref('DidResponse') },
        errors: [DID_LIMIT],
      }),
    },
    '/v1/did/import': {
      post: session({
        operationId: 'importDid',
        summary: 'Import a `did:key` with its private key and make it the issuing DID (SPEC §6.2)',
        description: `The public key is derived from the private key and must be the DID's; the key type must match the tenant's profile. A DID already registered (by any tenant) is a 409, and so is a 21st DID: a tenant holds at most ${MAX_DIDS_PER_TENANT}, created and imported alike.`,
        body: 'ImportDidRequest',
        ok: { status: 201, description: 'The imported issuing DID.', body: ref('DidResponse') },
        errors: [...JSON_BODY, { status: 409, message: 'DID is already registered' }, DID_LIMIT],
      }),
    },

    '/v1/tenant': {
      get: operation({
        operationId: 'getKeyTenant',
        summary: "The API key's tenant (ours): checks a key before issuing",
        tag: 'tenant',
        security: 'apiKey',
        ok: { status: 200, description: "The key's tenant.", body: ref('KeyTenant') },
        errors: [...API_KEY, ...SERVER],
      }),
    },
  };

  return {
    openapi: '3.1.1',
    info: {
      title: 'Portcullis TCS issuer — Trust Registry',
      version: '0.1.0',
      description:
        'Tenant onboarding, login, DIDs and the API-key guard of the TCS credential issuer (SPEC §6.1, §6.2). Every error is `{ statusCode, message, error }` with `error` the reason phrase of `statusCode`; the three API-key messages are published and byte-exact. No stack trace or internal message reaches a client: an unexpected failure is a 500 `Internal server error`, a database outage a 503 `Service temporarily unavailable`. An unknown route is a 404 `Route not found` (`#/components/responses/RouteNotFound`); a documented path called with another method a 405 `Method not allowed` with `Allow` (`#/components/responses/MethodNotAllowed`). Every response carries `X-Request-Id`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.publicUrl }],
    tags: [
      { name: 'operations', description: 'Health, metrics and this document: no authentication.' },
      { name: 'discovery', description: 'Public well-known documents.' },
      {
        name: 'tenants',
        description: 'Operator onboarding (SPEC §6.2), `Authorization: Bearer ADMIN_TOKEN`.',
      },
      { name: 'auth', description: 'Tenant login and password (SPEC §6.2).' },
      {
        name: 'dids',
        description: "The logged-in tenant's DIDs (SPEC §6.2), `Authorization: Bearer <JWT>`.",
      },
      { name: 'tenant', description: 'Issuer admin routes with a tenant API key (SPEC §6.1), `X-API-Key`.' },
    ],
    paths,
    components: components(options),
  };
}
