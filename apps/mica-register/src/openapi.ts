import { instanceApiErrors, micaAuthErrors, micaDeveloperErrors, rateLimitErrors } from '@portcullis/errors';
import {
  catalogErrors,
  type DocumentedError,
  errorResponses,
  errorSchemaRef,
  headerRef,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiHeader,
  type OpenApiHeaders,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiPathItem,
  type OpenApiReference,
  openApiOperation,
  parameterRef,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
  type OperationSpec as SharedOperationSpec,
  schemaRef,
  standardRoutePaths,
  trussetErrorSchema,
  trussetSuccessSchema,
} from '@portcullis/service';
import {
  DATA_SOURCE,
  ENTITY_TYPES,
  ISSUER_FIELDS,
  ISSUER_STATUSES,
  type IssuerField,
  KIND_INFO,
  LICENSE_TYPES,
  REGISTER_KINDS,
} from './register/model.js';
import { AUTHORISATION_LICENSE_TYPES, RECENT_AUTHORIZATIONS } from './store/register-queries.js';
import { LIMITS, SORT_FIELDS } from './register/query-params.js';
import { MAX_ACTIVE_KEYS } from './store/developers.js';

// SPEC §1: `GET /openapi.json`, OpenAPI 3.1 of the MiCA Register's public routes (SPEC §5). Enums and
// bounds come from the modules the routes validate with; error statuses and messages from the
// error catalogs the app throws from. The developer routes' zod schemas are private to
// routes/developer.ts, so their bodies are written out here (the test checks them by request).

export interface MicaRegisterDocumentOptions {
  /** Limits in force (SPEC §5.1, §5.2; configurable by environment). */
  limits: { perMinute: number; perDay: number; registerPer15Min: number; managementAuthPer15Min?: number };
  /** `PUBLIC_URL`. Without it the server is `/`: relative to wherever the document was fetched. */
  publicUrl?: string;
}

/** Which rate-limit headers a route's responses carry. */
type Limited = 'none' | 'per-key' | 'register';
type Security = 'none' | 'micaApiKey' | 'managementToken';

interface OperationSpec
  extends Pick<
    SharedOperationSpec,
    'operationId' | 'summary' | 'description' | 'tag' | 'parameters' | 'body'
  > {
  security: Security;
  limited: Limited;
  ok: {
    status: number;
    description: string;
    body: JsonSchema;
    headers?: Record<string, OpenApiHeader | OpenApiReference>;
  };
  errors: DocumentedError[];
}

const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, 'null'] });
const STRING: JsonSchema = { type: 'string' };
const DATE_TIME: JsonSchema = { type: 'string', format: 'date-time' };
const DATE: JsonSchema = { type: 'string', format: 'date' };
const COUNT: JsonSchema = { type: 'integer', minimum: 0 };
const cacheControl = (value: string): OpenApiHeader => ({
  description: 'SPEC §5.3',
  required: true,
  schema: { type: 'string', const: value },
});
const countsBy = (keys: readonly string[]): JsonSchema => ({
  type: 'object',
  required: [...keys],
  properties: Object.fromEntries(keys.map((key) => [key, COUNT])),
  additionalProperties: false,
});

const SERVER = catalogErrors(instanceApiErrors, 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE');
const RATE_LIMITED = catalogErrors(rateLimitErrors, 'RATE_LIMIT_EXCEEDED');
const JSON_BODY = [
  ...catalogErrors(micaDeveloperErrors, 'VALIDATION_ERROR'),
  ...catalogErrors(instanceApiErrors, 'PAYLOAD_TOO_LARGE'),
];
const KEY_AUTH = [
  ...catalogErrors(micaAuthErrors, 'UNAUTHORIZED', 'INVALID_KEY', 'AUTH_ERROR'),
  ...RATE_LIMITED,
  ...SERVER,
];
// SPEC §5.2, §8: failed management-token authentications are limited per address (429).
const TOKEN_AUTH = [
  ...catalogErrors(micaDeveloperErrors, 'UNAUTHORIZED', 'INVALID_TOKEN'),
  ...RATE_LIMITED,
  ...SERVER,
];
const KEY_NOT_FOUND: DocumentedError = { code: 'NOT_FOUND', status: 404, message: 'API key not found' };
const QUERY_PROBLEM: DocumentedError = {
  code: 'VALIDATION_ERROR',
  status: 400,
  message: 'A query parameter is invalid; `details` names each one',
};

function operation(spec: OperationSpec): OpenApiOperation {
  const headers = (status: number): OpenApiHeaders => {
    const out: OpenApiHeaders = { 'X-Request-Id': headerRef('X-Request-Id') };
    // SPEC §5.1: every response past key authentication carries the four per-key headers.
    if (spec.limited === 'per-key' && status !== 401) {
      for (const name of [
        'X-RateLimit-Limit-Minute',
        'X-RateLimit-Remaining-Minute',
        'X-RateLimit-Limit-Day',
        'X-RateLimit-Remaining-Day',
      ])
        out[name] = headerRef(name);
    }
    if (spec.limited === 'register') {
      for (const name of Object.keys(RATE_LIMIT_HEADERS)) out[name] = headerRef(name);
    }
    if (status === 429) out['Retry-After'] = headerRef('Retry-After');
    return out;
  };
  const { limited: _limited, errors, ok, security, ...rest } = spec;
  return openApiOperation({
    ...rest,
    security: security === 'none' ? null : security,
    ok: {
      status: ok.status,
      description: ok.description,
      schema: ok.body,
      ...(ok.headers ? { headers: ok.headers } : {}),
    },
    headers,
    errors: errorResponses(errors, { headers, schema: (codes) => errorSchemaRef(codes) }),
  });
}

/** A comma-separated list parameter (`a=X,Y`; repeating it adds values), values matched case-insensitively. */
function listParameter(name: string, description: string, items: JsonSchema): OpenApiParameter {
  return {
    name,
    in: 'query',
    style: 'form',
    explode: false,
    description: `${description} Comma-separated; repeating the parameter adds values; at most ${LIMITS.maxListItems} values of at most ${LIMITS.maxItemLength} characters.`,
    schema: { type: 'array', maxItems: LIMITS.maxListItems, items },
  };
}

function integerParameter(
  name: string,
  description: string,
  bounds: { min: number; max: number; default: number },
) {
  return {
    name,
    in: 'query',
    description,
    schema: { type: 'integer', minimum: bounds.min, maximum: bounds.max, default: bounds.default },
  } satisfies OpenApiParameter;
}

function components(
  limits: MicaRegisterDocumentOptions['limits'],
): NonNullable<OpenApiDocument['components']> {
  const issuerProperties: Record<IssuerField, JsonSchema> = {
    id: {
      type: 'string',
      pattern: '^mica_[0-9a-f]{20}$',
      description: 'Stable across re-imports of an unchanged row.',
    },
    entityName: nullable(STRING),
    entityIdentifier: { ...nullable(STRING), description: 'The LEI as ESMA publishes it.' },
    licenseType: schemaRef('LicenseType'),
    entityType: schemaRef('EntityType'),
    country: { ...nullable(STRING), description: 'English short name of `countryCode`.' },
    countryCode: {
      ...nullable(STRING),
      pattern: '^[A-Z]{2}$',
      description: 'ISO 3166-1 alpha-2 home member state.',
    },
    nationalAuthority: nullable(STRING),
    commercialName: nullable(STRING),
    address: nullable(STRING),
    website: nullable(STRING),
    websitePlatform: nullable(STRING),
    authorizationDate: nullable(DATE),
    authorizationEndDate: nullable(DATE),
    services: { type: 'array', items: STRING },
    passportedCountries: { type: 'array', items: STRING },
    status: schemaRef('IssuerStatus'),
    comments: nullable(STRING),
  };
  const developer: JsonSchema = {
    type: 'object',
    required: ['id', 'email', 'name'],
    properties: { id: STRING, email: { type: 'string', format: 'email' }, name: STRING },
  };
  const micaKey: JsonSchema = {
    type: 'string',
    pattern: '^trusset_mica_[0-9a-f]{48}$',
    description: 'The full key: shown in this response only, never again.',
  };
  const createdKey = (extra: Record<string, JsonSchema>): JsonSchema => ({
    type: 'object',
    required: ['success', 'id', 'apiKey', 'name', 'createdAt', ...Object.keys(extra)],
    properties: {
      success: { const: true },
      id: schemaRef('DeveloperKeyId'),
      apiKey: micaKey,
      name: STRING,
      createdAt: DATE_TIME,
      ...extra,
    },
  });
  const sourceSummary: Record<string, JsonSchema> = {
    fileName: STRING,
    records: COUNT,
    skippedRows: COUNT,
    importedAt: DATE_TIME,
  };
  // SPEC §5.3 summary shapes: the published fields first, in their order; ours follow.
  const labels = REGISTER_KINDS.map((kind) => `${KIND_INFO[kind].licenseType} "${KIND_INFO[kind].label}"`);
  const licenseTypeCount: Record<string, JsonSchema> = {
    type: schemaRef('LicenseType'),
    label: {
      type: 'string',
      minLength: 1,
      description: `What one record of the type is: ${labels.join(', ')}.`,
    },
    count: COUNT,
  };
  const countryCount: Record<string, JsonSchema> = {
    code: {
      type: 'string',
      pattern: '^[A-Z]{2}$',
      description: 'ISO 3166-1 alpha-2: the `countryCode` of its records.',
    },
    name: {
      type: 'string',
      minLength: 1,
      description:
        'The `country` of its records (English short name); the code itself for a code outside the EU/EEA, which the register has no name for.',
    },
    count: { type: 'integer', minimum: 1 },
  };
  // Every field required, no other: the document says what the routes send, nothing less.
  const exactly = (properties: Record<string, JsonSchema>): JsonSchema => ({
    type: 'object',
    required: Object.keys(properties),
    properties,
    additionalProperties: false,
  });

  return {
    securitySchemes: {
      micaApiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: `A MiCA key \`trusset_mica_{48 hex}\` (SPEC §5.1). No key or another prefix → 401 \`UNAUTHORIZED\`; right prefix but malformed, revoked or unknown → 401 \`INVALID_KEY\`. ${limits.perMinute} requests per minute and ${limits.perDay} per day per key; the day resets at 00:00 UTC.`,
      },
      managementToken: {
        type: 'http',
        scheme: 'bearer',
        description: `The developer management token (64 hex), shown once at registration (SPEC §5.2). Missing → 401 \`UNAUTHORIZED\`, wrong → 401 \`INVALID_TOKEN\`. ${limits.managementAuthPer15Min ?? 15} failed attempts per 15 minutes per client address, each counted before the token is checked; past them every request from that address is 429 with \`Retry-After\` until the window ends, the right token included.`,
      },
    },
    parameters: {
      IssuerId: {
        name: 'id',
        in: 'path',
        required: true,
        description: 'Issuer id. An id of the wrong shape is a 404, like an unknown one.',
        schema: { type: 'string', pattern: '^mica_[0-9a-f]{20}$' },
      },
      KeyId: {
        name: 'keyId',
        in: 'path',
        required: true,
        description: "Id of one of the developer's keys. A malformed id is a 404, like an unknown one.",
        schema: schemaRef('DeveloperKeyId'),
      },
    },
    headers: {
      'X-Request-Id': {
        description:
          'The request id (also `metadata.requestId` of envelope bodies): the incoming `X-Request-Id` when it is 8–128 characters of `[A-Za-z0-9._:-]`, else a new UUID v4.',
        schema: { type: 'string', minLength: 8, maxLength: 128 },
      },
      'X-RateLimit-Limit-Minute': {
        description: `Requests admitted per minute for this key (${limits.perMinute}).`,
        schema: COUNT,
      },
      'X-RateLimit-Remaining-Minute': { description: 'Requests left this minute.', schema: COUNT },
      'X-RateLimit-Limit-Day': {
        description: `Requests admitted per UTC day for this key (${limits.perDay}).`,
        schema: COUNT,
      },
      'X-RateLimit-Remaining-Day': { description: 'Requests left today (UTC).', schema: COUNT },
      ...RATE_LIMIT_HEADERS,
      'Retry-After': RETRY_AFTER_HEADER,
      'X-Total-Count': {
        description: 'Items matching the query, over every page.',
        required: true,
        schema: COUNT,
      },
      'X-Data-Source': { required: true, schema: { type: 'string', const: DATA_SOURCE } },
    },
    schemas: {
      Error: trussetErrorSchema(),
      LicenseType: { type: 'string', enum: [...LICENSE_TYPES] },
      EntityType: { type: 'string', enum: [...ENTITY_TYPES] },
      IssuerStatus: {
        type: 'string',
        enum: [...ISSUER_STATUSES],
        description: '`expired` is evaluated at request time from `authorizationEndDate`.',
      },
      Issuer: {
        type: 'object',
        description: 'The published issuer object (SPEC §5.3), fields in published order.',
        required: [...ISSUER_FIELDS],
        properties: issuerProperties,
      },
      IssuerProjection: {
        type: 'object',
        description: 'An issuer: every field, or with `fields` only those named (and `id`).',
        required: ['id'],
        properties: issuerProperties,
      },
      Pagination: {
        type: 'object',
        required: ['total', 'returned', 'limit', 'offset', 'hasMore'],
        properties: {
          total: { ...COUNT, description: 'Items matching the query, over every page.' },
          returned: { ...COUNT, description: 'Items in this response.' },
          limit: COUNT,
          offset: COUNT,
          hasMore: { type: 'boolean', description: '`offset + returned < total`.' },
        },
      },
      LicenseTypeCount: exactly(licenseTypeCount),
      CountryCount: exactly(countryCount),
      LicenseTypeSummary: exactly({
        ...licenseTypeCount,
        entityType: schemaRef('EntityType'),
        description: STRING,
        source: {
          type: ['object', 'null'],
          description: 'The file last imported; `null` before the first import.',
          required: Object.keys(sourceSummary),
          properties: sourceSummary,
          additionalProperties: false,
        },
      }),
      CountrySummary: exactly({ ...countryCount, byLicenseType: countsBy(LICENSE_TYPES) }),
      RecentAuthorization: exactly({
        entityName: nullable(STRING),
        licenseType: {
          type: 'string',
          enum: [...AUTHORISATION_LICENSE_TYPES],
          description: 'Only these types are authorisations.',
        },
        countryCode: { ...nullable(STRING), pattern: '^[A-Z]{2}$' },
        authorizationDate: { ...DATE, description: 'Never after the day of the request (UTC).' },
        id: { type: 'string', pattern: '^mica_[0-9a-f]{20}$', description: 'For `GET /issuers/{id}`.' },
      }),
      RegisterStatistics: exactly({
        totalEntities: { ...COUNT, description: 'Every record of the register.' },
        licenseTypes: {
          type: 'array',
          description:
            'Every license type, zeros included: most records first, equal counts by `type` in code-point order.',
          minItems: LICENSE_TYPES.length,
          maxItems: LICENSE_TYPES.length,
          items: schemaRef('LicenseTypeCount'),
        },
        countries: {
          type: 'array',
          description:
            'Home member states with at least one record: most records first, equal counts by `code`. Records without a country count in `totalEntities` only.',
          items: schemaRef('CountryCount'),
        },
        byStatus: countsBy(ISSUER_STATUSES),
        recentAuthorizations: {
          type: 'array',
          description: `The ${RECENT_AUTHORIZATIONS} latest authorisations (${AUTHORISATION_LICENSE_TYPES.join(', ')} records dated no later than today, UTC): newest first, one day's by name (lower-cased, code-point order), then \`id\`.`,
          maxItems: RECENT_AUTHORIZATIONS,
          items: schemaRef('RecentAuthorization'),
        },
        lastSync: { ...nullable(DATE_TIME), description: 'The latest import; `null` before the first.' },
      }),
      RegisterHealth: {
        type: 'object',
        required: ['status', 'totalIssuers', 'lastSync', 'apiVersion'],
        properties: {
          status: { const: 'operational' },
          totalIssuers: COUNT,
          lastSync: nullable(DATE_TIME),
          apiVersion: { const: 'v1' },
        },
      },
      DeveloperKeyId: { type: 'string', pattern: '^mkey_[0-9a-f]{24}$' },
      Developer: developer,
      DeveloperLimits: {
        type: 'object',
        required: ['perMinute', 'perDay', 'maxKeys'],
        properties: {
          perMinute: { type: 'integer', const: limits.perMinute },
          perDay: { type: 'integer', const: limits.perDay },
          maxKeys: { type: 'integer', const: MAX_ACTIVE_KEYS },
        },
      },
      DeveloperKey: {
        type: 'object',
        required: [
          'id',
          'keyPrefix',
          'keyHint',
          'name',
          'createdAt',
          'lastUsedAt',
          'revokedAt',
          'requestCount',
          'isActive',
        ],
        properties: {
          id: schemaRef('DeveloperKeyId'),
          keyPrefix: { type: 'string', pattern: '^trusset_mica_[0-9a-f]{9}$' },
          keyHint: { type: 'string', pattern: '^[0-9a-f]{4}$', description: 'Last 4 characters of the key.' },
          name: STRING,
          createdAt: DATE_TIME,
          lastUsedAt: nullable(DATE_TIME),
          revokedAt: nullable(DATE_TIME),
          requestCount: COUNT,
          isActive: { type: 'boolean' },
        },
      },
      Registered: {
        type: 'object',
        required: ['success', 'message', 'developer', 'apiKey', 'managementToken', 'limits'],
        properties: {
          success: { const: true },
          message: STRING,
          developer: schemaRef('Developer'),
          apiKey: micaKey,
          managementToken: {
            type: 'string',
            pattern: '^[0-9a-f]{64}$',
            description: 'For the developer routes: shown in this response only.',
          },
          limits: schemaRef('DeveloperLimits'),
        },
      },
      KeyListing: {
        type: 'object',
        required: ['success', 'developer', 'keys', 'limits'],
        properties: {
          success: { const: true },
          developer: schemaRef('Developer'),
          keys: { type: 'array', items: schemaRef('DeveloperKey') },
          limits: schemaRef('DeveloperLimits'),
        },
      },
      CreatedKey: createdKey({}),
      RotatedKey: createdKey({ replacedKeyId: schemaRef('DeveloperKeyId') }),
      KeyRevoked: {
        type: 'object',
        required: ['success', 'message'],
        properties: { success: { const: true }, message: { const: 'API key revoked successfully' } },
      },
      ManagementTokenRotated: {
        type: 'object',
        required: ['success', 'message', 'managementToken'],
        properties: {
          success: { const: true },
          message: STRING,
          managementToken: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Shown only here.' },
        },
      },
      // routes/developer.ts `registerBody` and `createKeyBody` (strict: unknown fields are refused).
      RegisterRequest: {
        type: 'object',
        required: ['name', 'email'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 100, description: 'Trimmed.' },
          email: {
            type: 'string',
            format: 'email',
            maxLength: 254,
            description: 'Compared case-insensitively; one account per email.',
          },
        },
      },
      CreateKeyRequest: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 50, default: 'key', description: 'Trimmed.' },
        },
      },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the MiCA Register (SPEC §5 and the §1 health routes), for
 * `openApiRoutes()`. Built once at app creation; the limits are the ones the app enforces.
 *
 * @example
 * app.use(openApiRoutes<AppState>(micaRegisterDocument({ limits: { perMinute: 60, perDay: 5000, registerPer15Min: 15 } })).routes());
 */
export function micaRegisterDocument(options: MicaRegisterDocumentOptions): OpenApiDocument {
  const { limits } = options;
  const ref = schemaRef;
  const listBody = (items: JsonSchema): JsonSchema => ({
    type: 'object',
    required: ['success', 'data', 'pagination', 'metadata'],
    properties: {
      success: { const: true },
      data: { type: 'array', items },
      pagination: ref('Pagination'),
      metadata: {
        type: 'object',
        required: ['source', 'timestamp'],
        properties: { source: { const: DATA_SOURCE }, timestamp: DATE_TIME },
      },
    },
  });
  const listHeaders = (maxAge: number) => ({
    'Cache-Control': cacheControl(`public, max-age=${maxAge}`),
    'X-Total-Count': headerRef('X-Total-Count'),
    'X-Data-Source': headerRef('X-Data-Source'),
  });
  const dataHeaders = (maxAge: number) => ({
    'Cache-Control': cacheControl(`public, max-age=${maxAge}`),
    'X-Data-Source': headerRef('X-Data-Source'),
  });
  const data = (spec: Omit<OperationSpec, 'tag' | 'security' | 'limited'>) =>
    operation({ ...spec, tag: 'register', security: 'micaApiKey', limited: 'per-key' });
  const account = (spec: Omit<OperationSpec, 'tag' | 'security' | 'limited'>) =>
    operation({ ...spec, tag: 'developer', security: 'managementToken', limited: 'none' });
  const issuersParameters: OpenApiParameter[] = [
    listParameter('licenseType', 'Only these license types.', ref('LicenseType')),
    listParameter(
      'country',
      'Only these home member states: a two-letter value matches `countryCode` exactly (case-insensitive), a longer one matches the country name as a case-insensitive substring.',
      { type: 'string', minLength: 2 },
    ),
    listParameter('status', 'Only these statuses.', ref('IssuerStatus')),
    listParameter('entityType', 'Only these entity types.', ref('EntityType')),
    {
      name: 'search',
      in: 'query',
      description: 'Case-insensitive substring of the name, LEI, national authority or commercial name.',
      schema: { type: 'string', maxLength: LIMITS.maxSearchLength },
    },
    {
      name: 'sortBy',
      in: 'query',
      description: 'Sort field (case-insensitive).',
      schema: { type: 'string', enum: [...SORT_FIELDS], default: 'entityName' },
    },
    {
      name: 'sortOrder',
      in: 'query',
      description: 'Sort direction (case-insensitive).',
      schema: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
    },
    integerParameter('limit', 'Page size.', {
      min: 1,
      max: LIMITS.issuers.max,
      default: LIMITS.issuers.default,
    }),
    integerParameter('offset', 'Items to skip.', { min: 0, max: LIMITS.maxOffset, default: 0 }),
    listParameter(
      'fields',
      'Projection: only these fields of each issuer (`id` always included), in published order.',
      {
        type: 'string',
        enum: [...ISSUER_FIELDS],
      },
    ),
  ];
  const searchParameters: OpenApiParameter[] = [
    {
      name: 'q',
      in: 'query',
      required: true,
      description: 'Case-insensitive text; exact LEI matches first, then name prefixes, then other matches.',
      schema: { type: 'string', minLength: LIMITS.minQueryLength, maxLength: LIMITS.maxSearchLength },
    },
    integerParameter('limit', 'Page size.', {
      min: 1,
      max: LIMITS.search.max,
      default: LIMITS.search.default,
    }),
    integerParameter('offset', 'Items to skip.', { min: 0, max: LIMITS.maxOffset, default: 0 }),
  ];
  const reference = (operationId: string, summary: string, body: JsonSchema) =>
    data({
      operationId,
      summary,
      ok: {
        status: 200,
        description: 'In the §4.1 envelope.',
        body: trussetSuccessSchema(body),
        headers: dataHeaders(600),
      },
      errors: KEY_AUTH,
    });

  const paths: Record<string, OpenApiPathItem> = {
    ...standardRoutePaths({ errorSchema: (codes) => errorSchemaRef(codes) }),
    '/api/mica/developer/register': {
      post: operation({
        operationId: 'registerDeveloper',
        summary: 'Create a developer account with a first key and a management token (SPEC §5.2)',
        description: `No authentication. ${limits.registerPer15Min} registrations per 15 minutes per client address (every attempt counts).`,
        tag: 'developer',
        security: 'none',
        limited: 'register',
        body: { schema: 'RegisterRequest', required: true },
        ok: {
          status: 201,
          description: 'The account; both secrets are shown only here.',
          body: ref('Registered'),
        },
        errors: [
          ...JSON_BODY,
          ...catalogErrors(micaDeveloperErrors, 'EMAIL_EXISTS'),
          ...RATE_LIMITED,
          ...SERVER,
        ],
      }),
    },
    '/api/mica/developer/keys': {
      get: account({
        operationId: 'listDeveloperKeys',
        summary: "The developer's keys, never the keys themselves (SPEC §5.2)",
        ok: { status: 200, description: 'The developer, keys and limits.', body: ref('KeyListing') },
        errors: TOKEN_AUTH,
      }),
      post: account({
        operationId: 'createDeveloperKey',
        summary: 'Create a key (SPEC §5.2)',
        description: `At most ${MAX_ACTIVE_KEYS} active keys per developer.`,
        body: { schema: 'CreateKeyRequest', required: false },
        ok: { status: 201, description: 'The new key, shown only here.', body: ref('CreatedKey') },
        errors: [...JSON_BODY, ...catalogErrors(micaDeveloperErrors, 'KEY_LIMIT_REACHED'), ...TOKEN_AUTH],
      }),
    },
    '/api/mica/developer/keys/{keyId}': {
      delete: account({
        operationId: 'revokeDeveloperKey',
        summary: 'Revoke a key; it stops working at once (SPEC §5.2)',
        parameters: [parameterRef('KeyId')],
        ok: { status: 200, description: 'Revoked.', body: ref('KeyRevoked') },
        errors: [KEY_NOT_FOUND, ...catalogErrors(micaDeveloperErrors, 'ALREADY_REVOKED'), ...TOKEN_AUTH],
      }),
    },
    '/api/mica/developer/keys/{keyId}/rotate': {
      post: account({
        operationId: 'rotateDeveloperKey',
        summary:
          'Replace a key with a new one of the same name, in one transaction; the old one stops working at once (ours)',
        parameters: [parameterRef('KeyId')],
        ok: { status: 201, description: 'The new key, shown only here.', body: ref('RotatedKey') },
        errors: [KEY_NOT_FOUND, ...catalogErrors(micaDeveloperErrors, 'ALREADY_REVOKED'), ...TOKEN_AUTH],
      }),
    },
    '/api/mica/developer/management-token/rotate': {
      post: account({
        operationId: 'rotateManagementToken',
        summary: 'Replace the management token; the old one stops working at once (ours)',
        ok: {
          status: 200,
          description: 'The new token, shown only here.',
          body: ref('ManagementTokenRotated'),
        },
        errors: TOKEN_AUTH,
      }),
    },

    '/api/mica/v1/issuers': {
      get: data({
        operationId: 'listIssuers',
        summary: 'Register records, filtered, sorted and paged (SPEC §5.3)',
        parameters: issuersParameters,
        ok: {
          status: 200,
          description: 'A page of issuers.',
          body: listBody(ref('IssuerProjection')),
          headers: listHeaders(300),
        },
        errors: [QUERY_PROBLEM, ...KEY_AUTH],
      }),
    },
    '/api/mica/v1/issuers/{id}': {
      get: data({
        operationId: 'getIssuer',
        summary: 'One register record (SPEC §5.3)',
        parameters: [parameterRef('IssuerId')],
        ok: {
          status: 200,
          description: 'The issuer, in the §4.1 envelope.',
          body: trussetSuccessSchema(ref('Issuer')),
          headers: dataHeaders(300),
        },
        errors: [{ code: 'NOT_FOUND', status: 404, message: 'Issuer not found' }, ...KEY_AUTH],
      }),
    },
    '/api/mica/v1/search': {
      get: data({
        operationId: 'searchIssuers',
        summary: 'Free-text search over name, LEI, authority and commercial name (SPEC §5.3)',
        parameters: searchParameters,
        ok: {
          status: 200,
          description: 'A page of matching issuers, best matches first.',
          body: listBody(ref('Issuer')),
          headers: listHeaders(120),
        },
        errors: [QUERY_PROBLEM, ...KEY_AUTH],
      }),
    },
    '/api/mica/v1/statistics': {
      get: reference(
        'registerStatistics',
        'Record counts by license type, country and status, and the latest authorisations (SPEC §5.3)',
        ref('RegisterStatistics'),
      ),
    },
    '/api/mica/v1/license-types': {
      get: reference('licenseTypes', 'Every license type with its record count, most first (SPEC §5.3)', {
        type: 'array',
        description:
          'Every license type, zeros included: most records first, equal counts by `type` in code-point order.',
        minItems: LICENSE_TYPES.length,
        maxItems: LICENSE_TYPES.length,
        items: ref('LicenseTypeSummary'),
      }),
    },
    '/api/mica/v1/countries': {
      get: reference(
        'countries',
        'Home member states with records, with their counts, most first (SPEC §5.3)',
        {
          type: 'array',
          description:
            'Home member states with at least one record: most records first, equal counts by `code`.',
          items: ref('CountrySummary'),
        },
      ),
    },
    '/api/mica/v1/health': {
      get: data({
        operationId: 'registerHealth',
        summary: 'Register status, record count and last import (SPEC §5.3)',
        ok: {
          status: 200,
          description: 'The published health body (not an envelope); `Cache-Control: no-store`.',
          body: ref('RegisterHealth'),
          headers: { 'Cache-Control': cacheControl('no-store') },
        },
        errors: KEY_AUTH,
      }),
    },
  };

  return {
    openapi: '3.1.1',
    info: {
      title: 'Portcullis MiCA Register API',
      version: '0.1.0',
      description:
        'ESMA\'s interim MiCA register as a read-only data API, with self-service developer keys (SPEC §5). Every error is the envelope `{ success: false, data: null, error: { code, message, details? }, metadata }`; an unknown route is a 404 `NOT_FOUND` "Route not found".',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.publicUrl ?? '/' }],
    tags: [
      { name: 'operations', description: 'Health, metrics and this document: no authentication.' },
      { name: 'developer', description: 'Developer accounts and keys (SPEC §5.2).' },
      { name: 'register', description: 'Register data (SPEC §5.3), `X-API-Key: trusset_mica_…`.' },
    ],
    paths,
    components: components(limits),
  };
}
