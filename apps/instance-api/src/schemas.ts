import { singleLineText } from '@portcullis/routes';
import { z } from 'zod';
import {
  INSTANCE_TYPES,
  KEY_STATUSES,
  MAX_ACTIVE_KEYS,
  OVERLAP_SECONDS,
  PAUSE_SECONDS,
  SERVICES,
} from './domain.js';

// The published shapes of the instance API, once: request schemas validate what clients send,
// response schemas are the objects the routes answer with (the store's view types are inferred
// from them), and both become the OpenAPI document.

// ---------------------------------------------------------------------------------------------
// Ids and values
// ---------------------------------------------------------------------------------------------

/** `inst_` + 24 lowercase hex (see `newInstanceId`). */
const INSTANCE_ID = /^inst_[0-9a-f]{24}$/;
/** `key_` + 24 lowercase hex (see `newKeyId`). */
const KEY_ID = /^key_[0-9a-f]{24}$/;

export const instanceIdSchema = z.string().regex(INSTANCE_ID).meta({ description: 'Instance id.' });
export const keyIdSchema = z.string().regex(KEY_ID).meta({ description: 'Key id.' });

// One component for every time of the published objects: ISO-8601 in UTC, as `toISOString()` writes it.
const dateTime = z.iso.datetime().meta({ id: 'DateTime', description: 'ISO-8601, UTC.' });

const instanceKeySchema = z
  .string()
  .regex(/^trusset_[A-Za-z0-9]{8}_[0-9a-f]{64}$/)
  .meta({ description: 'The full key: shown in this response only, never again.' });

const keyStatusSchema = z.enum(KEY_STATUSES).meta({
  id: 'KeyStatus',
  description:
    'Evaluated at request time: a PAUSED key past `pausedUntil` is ACTIVE, a PENDING_ROTATION key past its overlap end is EXPIRED. A key rotated while PAUSED keeps its pause: it is PAUSED (with `expiresAt` set) until `pausedUntil`, then PENDING_ROTATION until `expiresAt`.',
});

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

// Instance and key names: single-line text (no control characters once trimmed).
const name = singleLineText({ min: 1, max: 100 });
const services = z
  .array(z.enum(SERVICES, { message: `must be one of ${SERVICES.join(', ')}` }))
  .max(SERVICES.length)
  .transform((list) => [...new Set(list)]);

// A request without a body is an empty object for schemas whose fields are all optional.
const orEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === undefined ? {} : v), schema);

export const createInstanceBody = z
  .strictObject({
    name,
    type: z.enum(INSTANCE_TYPES, { message: 'must be DEVELOPMENT or PRODUCTION' }).default('DEVELOPMENT'),
    services: services.default([...SERVICES]),
  })
  .meta({ id: 'CreateInstanceRequest' });

export const updateInstanceBody = z
  .strictObject({ name: name.optional(), services: services.optional() })
  .meta({ id: 'UpdateInstanceRequest' });

export const createKeyBody = z.strictObject({ name }).meta({ id: 'CreateKeyRequest' });

export const rotateKeyBody = orEmpty(
  z
    .strictObject({
      overlapSeconds: z
        .number({ message: 'must be a whole number of seconds' })
        .int('must be a whole number of seconds')
        .min(OVERLAP_SECONDS.min, `must be between ${OVERLAP_SECONDS.min} and ${OVERLAP_SECONDS.max}`)
        .max(OVERLAP_SECONDS.max, `must be between ${OVERLAP_SECONDS.min} and ${OVERLAP_SECONDS.max}`)
        .default(OVERLAP_SECONDS.default),
    })
    .meta({ id: 'RotateKeyRequest', description: 'May be omitted: an absent body is `{}`.' }),
);

export const pauseKeyBody = z
  .strictObject({
    durationSeconds: z
      .number({ message: 'must be a whole number of seconds' })
      .int('must be a whole number of seconds')
      .min(PAUSE_SECONDS.min, `must be between ${PAUSE_SECONDS.min} and ${PAUSE_SECONDS.max}`)
      .max(PAUSE_SECONDS.max, `must be between ${PAUSE_SECONDS.min} and ${PAUSE_SECONDS.max}`),
  })
  .meta({ id: 'PauseKeyRequest' });

export const emptyBody = orEmpty(
  z.strictObject({}).meta({ id: 'EmptyRequest', description: 'May be omitted: an absent body is `{}`.' }),
);

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const keyCountsSchema = z
  .object({
    total: z.int().min(0),
    active: z.int().min(0),
    paused: z.int().min(0),
    pendingRotation: z.int().min(0),
    expired: z.int().min(0),
    revoked: z.int().min(0),
  })
  .meta({ id: 'KeyCounts', description: 'Keys of the instance by the status they have at request time.' });
/** Keys of an instance by the status they have at request time. */
export type KeyCounts = z.infer<typeof keyCountsSchema>;

export const instanceSchema = z
  .object({
    id: instanceIdSchema,
    name: z.string().min(1).max(100),
    type: z.enum(INSTANCE_TYPES),
    instanceRef: z.string().regex(/^[A-Za-z0-9]{8}$/),
    services: z
      .array(z.object({ id: z.enum(SERVICES), enabled: z.boolean() }))
      .meta({ description: 'Every service, in a fixed order, with whether this instance has it on.' }),
    archived: z.boolean(),
    createdAt: dateTime,
    limits: z.object({ maxApiKeys: z.literal(MAX_ACTIVE_KEYS) }),
  })
  .meta({ id: 'Instance', description: 'An instance: its services, whether it is archived, its key cap.' });
/** The published instance object. */
export type InstanceView = z.infer<typeof instanceSchema>;

export const instanceWithCountsSchema = instanceSchema
  .extend({ keys: keyCountsSchema })
  .meta({ id: 'InstanceWithCounts', description: 'An instance with its key counts (operator API).' });
export type InstanceWithCountsView = z.infer<typeof instanceWithCountsSchema>;

export const instanceWithStatsSchema = instanceSchema
  .extend({ stats: z.object({ apiKeys: keyCountsSchema }) })
  .meta({ id: 'InstanceWithStats', description: "The caller's instance with its key statistics." });
export type InstanceWithStatsView = z.infer<typeof instanceWithStatsSchema>;

export const createdInstanceSchema = z
  .object({
    instance: instanceSchema,
    apiKey: instanceKeySchema.meta({ description: 'The first key, named `Default`: shown once.' }),
  })
  .meta({ id: 'CreatedInstance', description: 'A new instance and its first key.' });
export type CreatedInstanceView = z.infer<typeof createdInstanceSchema>;

export const apiKeySchema = z
  .object({
    id: keyIdSchema,
    name: z.string(),
    keyPreview: z.string().length(20).meta({ description: 'First 20 characters of the key.' }),
    status: keyStatusSchema,
    lastUsedAt: dateTime.nullable().meta({ description: 'Updated at most once a minute per key.' }),
    createdAt: dateTime,
    expiresAt: dateTime.nullable().meta({ description: 'End of the rotation overlap, once rotated.' }),
    pausedUntil: dateTime.nullable().meta({ description: 'Set while the key is PAUSED.' }),
  })
  .meta({ id: 'ApiKey', description: 'A key of the instance, never the key itself.' });
/** The published key object, with the status it has at request time. */
export type ApiKeyView = z.infer<typeof apiKeySchema>;

export const createdKeySchema = z
  .object({
    id: keyIdSchema,
    key: instanceKeySchema,
    name: z.string(),
    status: z.literal('ACTIVE'),
    createdAt: dateTime,
  })
  .meta({ id: 'CreatedKey', description: 'A new key, shown in full only here.' });
export type CreatedKeyView = z.infer<typeof createdKeySchema>;

export const rotationSchema = z
  .object({
    oldKeyId: keyIdSchema,
    newKeyId: keyIdSchema,
    newKey: instanceKeySchema,
    overlapEndDate: dateTime.meta({
      description: 'The old key authenticates (PENDING_ROTATION) until this time, then reads EXPIRED.',
    }),
  })
  .meta({ id: 'Rotation', description: 'The old and the new key of a rotation.' });
export type RotationView = z.infer<typeof rotationSchema>;

/** `{ message }` of an answer that has nothing else to say (`API key revoked`). */
export const messageSchema = <M extends string>(message: M, id: string) =>
  z.object({ message: z.literal(message) }).meta({ id });
export type MessageView = z.infer<ReturnType<typeof messageSchema>>;

export const serviceCheckSchema = z
  .object({ service: z.enum(SERVICES), enabled: z.literal(true) })
  .meta({ id: 'ServiceCheck', description: "The service is enabled for the caller's instance." });
