import { singleLineText } from '@portcullis/service';
import { z } from 'zod';
import { INSTANCE_TYPES, OVERLAP_SECONDS, PAUSE_SECONDS, SERVICES } from './domain.js';

// Instance and key names: single-line text (SPEC §8: no control characters once trimmed).
const name = singleLineText({ min: 1, max: 100 });
const services = z
  .array(z.enum(SERVICES, { message: `must be one of ${SERVICES.join(', ')}` }))
  .max(SERVICES.length)
  .transform((list) => [...new Set(list)]);

// A request without a body is an empty object for schemas whose fields are all optional.
const orEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === undefined ? {} : v), schema);

export const createInstanceBody = z.strictObject({
  name,
  type: z.enum(INSTANCE_TYPES, { message: 'must be DEVELOPMENT or PRODUCTION' }).default('DEVELOPMENT'),
  services: services.default([...SERVICES]),
});

export const updateInstanceBody = z.strictObject({ name: name.optional(), services: services.optional() });

export const createKeyBody = z.strictObject({ name });

export const rotateKeyBody = orEmpty(
  z.strictObject({
    overlapSeconds: z
      .number({ message: 'must be a whole number of seconds' })
      .int('must be a whole number of seconds')
      .min(OVERLAP_SECONDS.min, `must be between ${OVERLAP_SECONDS.min} and ${OVERLAP_SECONDS.max}`)
      .max(OVERLAP_SECONDS.max, `must be between ${OVERLAP_SECONDS.min} and ${OVERLAP_SECONDS.max}`)
      .default(OVERLAP_SECONDS.default),
  }),
);

export const pauseKeyBody = z.strictObject({
  durationSeconds: z
    .number({ message: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .min(PAUSE_SECONDS.min, `must be between ${PAUSE_SECONDS.min} and ${PAUSE_SECONDS.max}`)
    .max(PAUSE_SECONDS.max, `must be between ${PAUSE_SECONDS.min} and ${PAUSE_SECONDS.max}`),
});

export const emptyBody = orEmpty(z.strictObject({}));
