import { instanceApiErrors, instanceAuthErrors, rateLimitErrors } from '@portcullis/errors';
import {
  catalogErrors,
  type DocumentedError,
  errorResponses,
  errorSchemaRef,
  headerRef,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiHeaders,
  type OpenApiOperation,
  type OpenApiPathItem,
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
import { z } from 'zod';
import { INSTANCE_TYPES, MAX_ACTIVE_KEYS, SERVICES } from './domain.js';
import {
  createInstanceBody,
  createKeyBody,
  emptyBody,
  pauseKeyBody,
  rotateKeyBody,
  updateInstanceBody,
} from './schemas.js';

// SPEC §1: `GET /openapi.json`, OpenAPI 3.1 of the instance API's public routes (SPEC §4). Request
// bodies are generated from the zod schemas the routes validate with, so the two cannot drift;
// error statuses and messages come from the error catalogs the app throws from.

export interface InstanceApiDocumentOptions {
  /** Rate limits in force, requests per window (SPEC §4.6; each is configurable by environment). */
  limits: { keyPerMin: number; ipPerMin: number; keyMgmtPerMin: number; authPer15Min: number };
  /** `PUBLIC_URL`. Without it the server is `/`: relative to wherever the document was fetched. */
  publicUrl?: string;
}

type Security = 'none' | 'apiKey' | 'admin';

interface OperationSpec
  extends Pick<SharedOperationSpec, 'operationId' | 'summary' | 'description' | 'tag' | 'body'> {
  security: Security;
  /** Path parameters, by component name. */
  path?: Array<'InstanceId' | 'KeyId'>;
  ok: { status: number; description: string; data: JsonSchema; total?: boolean };
  errors: DocumentedError[];
  /** Whether every response carries the `X-RateLimit-*` headers (SPEC §4.6). */
  limited: boolean;
}

const NOT_LIMITED = 'Not rate limited.';
const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, type: [schema.type, 'null'] });
const DATE_TIME: JsonSchema = { type: 'string', format: 'date-time' };

/** JSON Schema of what a zod schema accepts (its input), without the `$schema` line. */
function bodySchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' });
  return rest;
}

const notFound = (message: string): DocumentedError => ({ code: 'NOT_FOUND', status: 404, message });
const JSON_BODY = catalogErrors(instanceApiErrors, 'VALIDATION_ERROR', 'PAYLOAD_TOO_LARGE');
const SERVER = catalogErrors(instanceApiErrors, 'INTERNAL_ERROR', 'SERVICE_UNAVAILABLE');
const RATE_LIMITED = catalogErrors(rateLimitErrors, 'RATE_LIMIT_EXCEEDED');
const KEY_AUTH = [
  ...catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED', 'AUTH_ERROR'),
  ...RATE_LIMITED,
  ...SERVER,
];
const ADMIN_AUTH = [
  ...catalogErrors(instanceAuthErrors, 'AUTH_REQUIRED', 'AUTH_FAILED'),
  ...RATE_LIMITED,
  ...SERVER,
];
const INVALID_STATE: DocumentedError = {
  code: 'INVALID_INPUT',
  status: 400,
  message:
    "Not allowed in the key's current state (e.g. `Key already revoked`), or the caller's own key may not change keys: only an ACTIVE key can; a key in its rotation overlap can only read",
};

function operation(spec: OperationSpec): OpenApiOperation {
  const headers = (status: number): OpenApiHeaders => ({
    'X-Request-Id': headerRef('X-Request-Id'),
    ...(spec.limited
      ? {
          'X-RateLimit-Limit': headerRef('X-RateLimit-Limit'),
          'X-RateLimit-Remaining': headerRef('X-RateLimit-Remaining'),
          'X-RateLimit-Reset': headerRef('X-RateLimit-Reset'),
        }
      : {}),
    ...(status === 429 ? { 'Retry-After': headerRef('Retry-After') } : {}),
  });
  const { path, body, ok } = spec;
  return openApiOperation({
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tag: spec.tag,
    security: spec.security === 'none' ? null : spec.security === 'apiKey' ? 'apiKey' : 'adminToken',
    ...(path === undefined ? {} : { parameters: path.map(parameterRef) }),
    ...(body === undefined ? {} : { body }),
    ok: {
      status: ok.status,
      description: ok.description,
      schema: trussetSuccessSchema(ok.data, {
        instanceId: spec.security === 'apiKey',
        ...(ok.total ? { total: true } : {}),
      }),
    },
    headers,
    errors: errorResponses(spec.errors, { headers, schema: (codes) => errorSchemaRef(codes) }),
  });
}

function components(): NonNullable<OpenApiDocument['components']> {
  const id = (prefix: string): JsonSchema => ({ type: 'string', pattern: `^${prefix}_[0-9a-f]{24}$` });
  const keyStatus: JsonSchema = {
    type: 'string',
    enum: ['ACTIVE', 'PAUSED', 'PENDING_ROTATION', 'EXPIRED', 'REVOKED'],
    description:
      'Evaluated at request time: a PAUSED key past `pausedUntil` is ACTIVE, a PENDING_ROTATION key past its overlap end is EXPIRED. A key rotated while PAUSED keeps its pause: it is PAUSED (with `expiresAt` set) until `pausedUntil`, then PENDING_ROTATION until `expiresAt`.',
  };
  const instanceKey: JsonSchema = {
    type: 'string',
    pattern: '^trusset_[A-Za-z0-9]{8}_[0-9a-f]{64}$',
    description: 'The full key: shown in this response only, never again.',
  };
  const keyCounts: JsonSchema = {
    type: 'object',
    description: 'Keys of the instance by the status they have at request time.',
    required: ['total', 'active', 'paused', 'pendingRotation', 'expired', 'revoked'],
    properties: Object.fromEntries(
      ['total', 'active', 'paused', 'pendingRotation', 'expired', 'revoked'].map((name) => [
        name,
        { type: 'integer', minimum: 0 },
      ]),
    ),
  };
  const instance: JsonSchema = {
    type: 'object',
    required: ['id', 'name', 'type', 'instanceRef', 'services', 'archived', 'createdAt', 'limits'],
    properties: {
      id: id('inst'),
      name: { type: 'string', minLength: 1, maxLength: 100 },
      type: { type: 'string', enum: [...INSTANCE_TYPES] },
      instanceRef: { type: 'string', pattern: '^[A-Za-z0-9]{8}$' },
      services: {
        type: 'array',
        description: 'Every service, in a fixed order, with whether this instance has it on.',
        items: {
          type: 'object',
          required: ['id', 'enabled'],
          properties: { id: { type: 'string', enum: [...SERVICES] }, enabled: { type: 'boolean' } },
        },
      },
      archived: { type: 'boolean' },
      createdAt: DATE_TIME,
      limits: {
        type: 'object',
        required: ['maxApiKeys'],
        properties: { maxApiKeys: { type: 'integer', const: MAX_ACTIVE_KEYS } },
      },
    },
  };
  const message = (text: string): JsonSchema => ({
    type: 'object',
    required: ['message'],
    properties: { message: { type: 'string', const: text } },
  });

  return {
    securitySchemes: {
      apiKey: {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description:
          'An instance key `trusset_{instanceRef}_{64 hex}` (SPEC §4.2). Absent or empty → 401 `AUTH_REQUIRED`; malformed, unknown, revoked, expired, paused, or of an archived instance → 401 `AUTH_FAILED` (one message for all).',
      },
      adminToken: {
        type: 'http',
        scheme: 'bearer',
        description:
          'The operator token (`ADMIN_TOKEN`), compared in constant time (SPEC §4.3). Missing → 401 `AUTH_REQUIRED`, wrong → 401 `AUTH_FAILED`.',
      },
    },
    parameters: {
      InstanceId: {
        name: 'id',
        in: 'path',
        required: true,
        description: 'Instance id. An id of the wrong shape is a 404, like an unknown one.',
        schema: id('inst'),
      },
      KeyId: {
        name: 'keyId',
        in: 'path',
        required: true,
        description: "Key id of the caller's instance. Another instance's key, or a malformed id, is a 404.",
        schema: id('key'),
      },
    },
    headers: {
      'X-Request-Id': {
        description:
          'The request id, equal to `metadata.requestId`: the incoming `X-Request-Id` when it is 8–128 characters of `[A-Za-z0-9._:-]`, else a new UUID v4 (SPEC §4.1).',
        schema: { type: 'string', minLength: 8, maxLength: 128 },
      },
      ...RATE_LIMIT_HEADERS,
      'Retry-After': RETRY_AFTER_HEADER,
    },
    schemas: {
      Instance: instance,
      KeyCounts: keyCounts,
      InstanceWithCounts: {
        allOf: [schemaRef('Instance')],
        type: 'object',
        required: ['keys'],
        properties: { keys: schemaRef('KeyCounts') },
      },
      InstanceWithStats: {
        allOf: [schemaRef('Instance')],
        type: 'object',
        required: ['stats'],
        properties: {
          stats: { type: 'object', required: ['apiKeys'], properties: { apiKeys: schemaRef('KeyCounts') } },
        },
      },
      CreatedInstance: {
        type: 'object',
        required: ['instance', 'apiKey'],
        properties: {
          instance: schemaRef('Instance'),
          apiKey: { ...instanceKey, description: 'The first key, named `Default`: shown once.' },
        },
      },
      KeyStatus: keyStatus,
      ApiKey: {
        type: 'object',
        required: [
          'id',
          'name',
          'keyPreview',
          'status',
          'lastUsedAt',
          'createdAt',
          'expiresAt',
          'pausedUntil',
        ],
        properties: {
          id: id('key'),
          name: { type: 'string' },
          keyPreview: {
            type: 'string',
            minLength: 20,
            maxLength: 20,
            description: 'First 20 characters of the key.',
          },
          status: schemaRef('KeyStatus'),
          lastUsedAt: { ...nullable(DATE_TIME), description: 'Updated at most once a minute per key.' },
          createdAt: DATE_TIME,
          expiresAt: { ...nullable(DATE_TIME), description: 'End of the rotation overlap, once rotated.' },
          pausedUntil: { ...nullable(DATE_TIME), description: 'Set while the key is PAUSED.' },
        },
      },
      CreatedKey: {
        type: 'object',
        required: ['id', 'key', 'name', 'status', 'createdAt'],
        properties: {
          id: id('key'),
          key: instanceKey,
          name: { type: 'string' },
          status: { type: 'string', const: 'ACTIVE' },
          createdAt: DATE_TIME,
        },
      },
      Rotation: {
        type: 'object',
        required: ['oldKeyId', 'newKeyId', 'newKey', 'overlapEndDate'],
        properties: {
          oldKeyId: id('key'),
          newKeyId: id('key'),
          newKey: instanceKey,
          overlapEndDate: {
            ...DATE_TIME,
            description: 'The old key authenticates (PENDING_ROTATION) until this time, then reads EXPIRED.',
          },
        },
      },
      Error: trussetErrorSchema(),
      KeyRevoked: message('API key revoked'),
      KeyDeleted: message('API key deleted'),
      CreateInstanceRequest: bodySchema(createInstanceBody),
      UpdateInstanceRequest: bodySchema(updateInstanceBody),
      CreateKeyRequest: bodySchema(createKeyBody),
      RotateKeyRequest: bodySchema(rotateKeyBody),
      PauseKeyRequest: bodySchema(pauseKeyBody),
      EmptyRequest: bodySchema(emptyBody),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the instance API (SPEC §4 and the §1 health routes), for
 * `openApiRoutes()`. Built once at app creation; the limits are the ones the app enforces.
 *
 * @example
 * app.use(openApiRoutes<AppState>(instanceApiDocument({ limits: { keyPerMin: 200, ipPerMin: 100, keyMgmtPerMin: 30, authPer15Min: 15 } })).routes());
 */
export function instanceApiDocument(options: InstanceApiDocumentOptions): OpenApiDocument {
  const { limits } = options;
  const unauthenticated = `Requests that do not authenticate with a key count against ${limits.ipPerMin} per minute per client address.`;
  const keyLimits = `Rate limit: ${limits.keyPerMin} per minute per key. ${unauthenticated}`;
  const managementLimits = `Rate limit: ${limits.keyMgmtPerMin} per minute per instance on \`/api/v2/instance*\` (the headers report this window), within ${limits.keyPerMin} per minute per key. ${unauthenticated}`;
  const adminLimits = `Failed operator authentications count against ${limits.authPer15Min} per 15 minutes per client address; an address past it is refused (429) even with the right token. Valid requests are not limited.`;

  const admin = (spec: Omit<OperationSpec, 'tag' | 'security' | 'limited' | 'description'>) =>
    operation({ ...spec, tag: 'instances', security: 'admin', limited: true, description: adminLimits });
  const management = (spec: Omit<OperationSpec, 'tag' | 'security' | 'limited'>) =>
    operation({
      ...spec,
      description:
        spec.description === undefined ? managementLimits : `${spec.description}\n\n${managementLimits}`,
      tag: 'api-keys',
      security: 'apiKey',
      limited: true,
    });
  const instanceNotFound = notFound('Instance not found');
  const keyNotFound = notFound('API key not found');
  const ref = schemaRef;
  const paths: Record<string, OpenApiPathItem> = {
    ...standardRoutePaths({
      errorSchema: (codes) => errorSchemaRef(codes),
      descriptions: {
        healthz: NOT_LIMITED,
        readyz: NOT_LIMITED,
        metrics: NOT_LIMITED,
        openapi: NOT_LIMITED,
      },
    }),
    '/admin/instances': {
      post: admin({
        operationId: 'createInstance',
        summary: 'Create an instance and its first key, `Default` (SPEC §4.3)',
        body: { schema: 'CreateInstanceRequest', required: true },
        ok: {
          status: 201,
          description: 'The instance and its first key, shown once.',
          data: ref('CreatedInstance'),
        },
        errors: [...JSON_BODY, ...ADMIN_AUTH],
      }),
      get: admin({
        operationId: 'listInstances',
        summary: 'Every instance with its key counts (SPEC §4.3)',
        ok: {
          status: 200,
          description: 'Instances; `metadata.total` is their number.',
          data: { type: 'array', items: ref('InstanceWithCounts') },
          total: true,
        },
        errors: ADMIN_AUTH,
      }),
    },
    '/admin/instances/{id}': {
      get: admin({
        operationId: 'getInstance',
        summary: 'One instance with its key counts (SPEC §4.3)',
        path: ['InstanceId'],
        ok: { status: 200, description: 'The instance.', data: ref('InstanceWithCounts') },
        errors: [instanceNotFound, ...ADMIN_AUTH],
      }),
      patch: admin({
        operationId: 'updateInstance',
        summary:
          "Rename an instance or set its services; its keys' cache entries are invalidated at once (SPEC §4.3)",
        path: ['InstanceId'],
        body: { schema: 'UpdateInstanceRequest', required: true },
        ok: { status: 200, description: 'The updated instance.', data: ref('Instance') },
        errors: [...JSON_BODY, instanceNotFound, ...ADMIN_AUTH],
      }),
    },
  };
  for (const [action, archived] of [
    ['archive', true],
    ['unarchive', false],
  ] as const) {
    paths[`/admin/instances/{id}/${action}`] = {
      post: admin({
        operationId: `${action}Instance`,
        summary: archived
          ? 'Archive an instance: its keys fail with `AUTH_FAILED` from now on (SPEC §4.3)'
          : 'Unarchive an instance: its keys authenticate again (SPEC §4.3)',
        path: ['InstanceId'],
        ok: { status: 200, description: 'The instance.', data: ref('Instance') },
        errors: [instanceNotFound, ...ADMIN_AUTH],
      }),
    };
  }

  paths['/api/v2/instance'] = {
    get: management({
      operationId: 'getOwnInstance',
      summary: "The caller's instance with key statistics (SPEC §4.4)",
      ok: { status: 200, description: 'The instance.', data: ref('InstanceWithStats') },
      errors: [instanceNotFound, ...KEY_AUTH],
    }),
  };
  paths['/api/v2/instance/api-keys'] = {
    get: management({
      operationId: 'listApiKeys',
      summary: "Keys of the caller's instance, never the keys themselves (SPEC §4.4)",
      ok: {
        status: 200,
        description: 'Keys; `metadata.total` is their number.',
        data: { type: 'array', items: ref('ApiKey') },
        total: true,
      },
      errors: KEY_AUTH,
    }),
    post: management({
      operationId: 'createApiKey',
      summary: 'Create a key (SPEC §4.4)',
      description: `At most ${MAX_ACTIVE_KEYS} keys in ACTIVE or PAUSED per instance; PENDING_ROTATION keys do not count.`,
      body: { schema: 'CreateKeyRequest', required: true },
      ok: { status: 201, description: 'The new key, shown in full only here.', data: ref('CreatedKey') },
      errors: [
        ...JSON_BODY,
        INVALID_STATE,
        ...catalogErrors(instanceApiErrors, 'LIMIT_EXCEEDED'),
        ...KEY_AUTH,
      ],
    }),
  };
  const keyAction = (
    action: 'rotate' | 'pause' | 'resume' | 'revoke',
    spec: Pick<OperationSpec, 'summary' | 'ok'> & {
      description?: string;
      body: NonNullable<OperationSpec['body']>;
    },
  ) => ({
    post: management({
      operationId: `${action}ApiKey`,
      path: ['KeyId'],
      ...spec,
      errors: [...JSON_BODY, INVALID_STATE, keyNotFound, ...KEY_AUTH],
    }),
  });
  paths['/api/v2/instance/api-keys/{keyId}/rotate'] = keyAction('rotate', {
    summary:
      'Rotate a key: a new ACTIVE key at once, the old one PENDING_ROTATION until the overlap ends (SPEC §4.4)',
    description:
      'Only an ACTIVE or PAUSED key can be rotated. `overlapSeconds: 0` expires the old key at once. A PAUSED key keeps its pause: it authenticates only after `pausedUntil` and before the overlap end. Of two concurrent rotations of one key exactly one succeeds.',
    body: { schema: 'RotateKeyRequest', required: false },
    ok: {
      status: 200,
      description: 'The old and the new key; the new key is shown only here.',
      data: ref('Rotation'),
    },
  });
  paths['/api/v2/instance/api-keys/{keyId}/pause'] = keyAction('pause', {
    summary: 'Pause an ACTIVE key for a while (SPEC §4.4, ours)',
    body: { schema: 'PauseKeyRequest', required: true },
    ok: { status: 200, description: 'The key, `status: "PAUSED"` with `pausedUntil`.', data: ref('ApiKey') },
  });
  paths['/api/v2/instance/api-keys/{keyId}/resume'] = keyAction('resume', {
    summary: 'Resume a PAUSED key (SPEC §4.4, ours)',
    body: { schema: 'EmptyRequest', required: false },
    ok: { status: 200, description: 'The key, `status: "ACTIVE"`.', data: ref('ApiKey') },
  });
  paths['/api/v2/instance/api-keys/{keyId}/revoke'] = keyAction('revoke', {
    summary: 'Revoke a key: immediate and irreversible; the record is kept (SPEC §4.4)',
    body: { schema: 'EmptyRequest', required: false },
    ok: { status: 200, description: 'Revoked.', data: ref('KeyRevoked') },
  });
  paths['/api/v2/instance/api-keys/{keyId}'] = {
    delete: management({
      operationId: 'deleteApiKey',
      summary: 'Delete a key: it stops working at once and its record is removed (SPEC §4.4)',
      path: ['KeyId'],
      ok: { status: 200, description: 'Deleted.', data: ref('KeyDeleted') },
      errors: [INVALID_STATE, keyNotFound, ...KEY_AUTH],
    }),
  };

  for (const service of SERVICES) {
    paths[`/api/v2/services/${service}`] = {
      get: operation({
        operationId: `checkService_${service}`,
        summary: `Whether the caller's instance may use \`${service}\` (ours)`,
        description: `Passes the same gate as every \`${service}\` route. ${keyLimits}`,
        tag: 'services',
        security: 'apiKey',
        limited: true,
        ok: {
          status: 200,
          description: 'The service is enabled for this instance.',
          data: {
            type: 'object',
            required: ['service', 'enabled'],
            properties: { service: { const: service }, enabled: { const: true } },
          },
        },
        errors: [...catalogErrors(instanceAuthErrors, 'SERVICE_NOT_ENABLED'), ...KEY_AUTH],
      }),
    };
  }

  return {
    openapi: '3.1.1',
    info: {
      title: 'Portcullis instance API',
      version: '0.1.0',
      description:
        'Instances with managed API keys (SPEC §4). Every JSON response is the envelope `{ success, data, error, metadata }`; `metadata.requestId` equals the `X-Request-Id` response header. No stack trace or internal message reaches a client: an unexpected failure is a 500 `INTERNAL_ERROR` (`AUTH_ERROR` inside authentication), a database outage a 503 `SERVICE_UNAVAILABLE`. An unknown route is a 404 `NOT_FOUND` "Route not found".',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: options.publicUrl ?? '/' }],
    tags: [
      {
        name: 'operations',
        description: 'Health, metrics and this document: no authentication, not rate limited.',
      },
      { name: 'instances', description: 'Operator API (SPEC §4.3), `Authorization: Bearer ADMIN_TOKEN`.' },
      {
        name: 'api-keys',
        description: "Key management of the caller's own instance (SPEC §4.4), `X-API-Key`.",
      },
      { name: 'services', description: 'Service gates (SPEC §4.2 `SERVICE_NOT_ENABLED`), `X-API-Key`.' },
    ],
    paths,
    components: components(),
  };
}
