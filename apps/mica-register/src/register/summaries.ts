import { z } from 'zod';
import {
  entityTypeSchema,
  ISSUER_STATUSES,
  issuerIdSchema,
  KIND_INFO,
  LICENSE_TYPES,
  type LicenseType,
  licenseTypeSchema,
  REGISTER_KINDS,
} from './model.js';

// The register's summaries as zod schemas: the published fields first and in their order, ours
// after them. The queries build these values, the routes declare them, and the generated document
// describes them; every field is required and no other is sent.

/**
 * The license types whose records are authorisations, the ones `recentAuthorizations` lists.
 * An OTHER record's date is its white paper's last update (white papers are notified, not
 * authorised; ESMA even dates some in the future), and a NON_COMPLIANT record has none.
 */
export const AUTHORISATION_LICENSE_TYPES = ['CASP', 'EMT', 'ART'] as const satisfies readonly LicenseType[];

/** How many authorisations `statistics.recentAuthorizations` lists. */
export const RECENT_AUTHORIZATIONS = 10;

const count = z.int().min(0);
const timestamp = z.iso.datetime();
const countryCode = z.string().regex(/^[A-Z]{2}$/);

/** `{ key: count }` for every key, zeros included. */
function countsBy<const K extends string>(keys: readonly K[]) {
  return z.object(Object.fromEntries(keys.map((key) => [key, count])) as Record<K, typeof count>);
}

const labels = REGISTER_KINDS.map((kind) => `${KIND_INFO[kind].licenseType} "${KIND_INFO[kind].label}"`);

/** One license type and how many records it has: the published `{ type, label, count }`. */
const licenseTypeCountSchema = z
  .object({
    type: licenseTypeSchema,
    label: z
      .string()
      .min(1)
      .meta({ description: `What one record of the type is: ${labels.join(', ')}.` }),
    count,
  })
  .meta({ id: 'LicenseTypeCount' });
export type LicenseTypeCount = z.infer<typeof licenseTypeCountSchema>;

/** One home member state and how many records it has: the published `{ code, name, count }`. */
const countryCountSchema = z
  .object({
    code: countryCode.meta({ description: 'ISO 3166-1 alpha-2: the `countryCode` of its records.' }),
    name: z.string().min(1).meta({
      description:
        'The `country` of its records (English short name); the code itself for a code outside the EU/EEA, which the register has no name for.',
    }),
    count: z.int().min(1),
  })
  .meta({ id: 'CountryCount' });

/** The file a license type was last imported from. */
const sourceSchema = z
  .object({ fileName: z.string(), records: count, skippedRows: count, importedAt: timestamp })
  .nullable()
  .meta({ description: 'The file last imported; `null` before the first import.' });

/** One item of `GET /license-types`: the published fields, then its entity type, description and source. */
const licenseTypeSummarySchema = licenseTypeCountSchema
  .extend({ entityType: entityTypeSchema, description: z.string(), source: sourceSchema })
  .meta({ id: 'LicenseTypeSummary' });
export type LicenseTypeSummary = z.infer<typeof licenseTypeSummarySchema>;

/** One item of `GET /countries`: the published fields, then the records per license type. */
const countrySummarySchema = countryCountSchema
  .extend({ byLicenseType: countsBy(LICENSE_TYPES) })
  .meta({ id: 'CountrySummary' });
export type CountrySummary = z.infer<typeof countrySummarySchema>;

/** One of `statistics.recentAuthorizations`: the published fields, then the record's `id`. */
const recentAuthorizationSchema = z
  .object({
    entityName: z.string().nullable(),
    licenseType: z
      .enum(AUTHORISATION_LICENSE_TYPES)
      .meta({ description: 'Only these types are authorisations.' }),
    countryCode: countryCode.nullable(),
    authorizationDate: z.iso.date().meta({ description: 'Never after the day of the request (UTC).' }),
    id: issuerIdSchema.meta({ description: 'For `GET /issuers/{id}`.' }),
  })
  .meta({ id: 'RecentAuthorization' });
export type RecentAuthorization = z.infer<typeof recentAuthorizationSchema>;

const BY_COUNT = 'most records first, equal counts by';

/** `GET /statistics`: the published fields in their order, then `lastSync`. */
export const registerStatisticsSchema = z
  .object({
    totalEntities: count.meta({ description: 'Every record of the register.' }),
    licenseTypes: z
      .array(licenseTypeCountSchema)
      .length(LICENSE_TYPES.length)
      .meta({ description: `Every license type, zeros included: ${BY_COUNT} \`type\` in code-point order.` }),
    countries: z.array(countryCountSchema).meta({
      description: `Home member states with at least one record: ${BY_COUNT} \`code\`. Records without a country count in \`totalEntities\` only.`,
    }),
    byStatus: countsBy(ISSUER_STATUSES),
    recentAuthorizations: z
      .array(recentAuthorizationSchema)
      .max(RECENT_AUTHORIZATIONS)
      .meta({
        description: `The ${RECENT_AUTHORIZATIONS} latest authorisations (${AUTHORISATION_LICENSE_TYPES.join(', ')} records dated no later than today, UTC): newest first, one day's by name (lower-cased, code-point order), then \`id\`.`,
      }),
    lastSync: timestamp.nullable().meta({ description: 'The latest import; `null` before the first.' }),
  })
  .meta({ id: 'RegisterStatistics' });
export type RegisterStatistics = z.infer<typeof registerStatisticsSchema>;

/** `GET /license-types`: every license type. */
export const licenseTypeSummariesSchema = z
  .array(licenseTypeSummarySchema)
  .length(LICENSE_TYPES.length)
  .meta({ description: `Every license type, zeros included: ${BY_COUNT} \`type\` in code-point order.` });

/** `GET /countries`: the home member states with records. */
export const countrySummariesSchema = z
  .array(countrySummarySchema)
  .meta({ description: `Home member states with at least one record: ${BY_COUNT} \`code\`.` });

/** `GET /health` of the register: its whole body (no envelope). */
export const registerHealthSchema = z
  .object({
    status: z.literal('operational'),
    totalIssuers: count,
    lastSync: timestamp.nullable().meta({ description: 'The latest import; `null` before the first.' }),
    apiVersion: z.literal('v1'),
  })
  .meta({ id: 'RegisterHealth' });
export type RegisterHealth = z.infer<typeof registerHealthSchema>;
