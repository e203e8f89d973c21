// The register's vocabulary (SPEC §5.3): ESMA file kinds, the published license and entity types,
// and the published issuer object. Shared by the importer, the store, the queries and the routes.
import { z } from 'zod';

/** The five ESMA interim MiCA register files, named by their file-name prefix (`CASP20260209.csv`). */
export const REGISTER_KINDS = ['CASP', 'EMT', 'ART', 'OTHER', 'NCASP'] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];

/** SPEC §5.3 `licenseType` values. */
export const LICENSE_TYPES = ['CASP', 'EMT', 'ART', 'OTHER', 'NON_COMPLIANT'] as const;
export type LicenseType = (typeof LICENSE_TYPES)[number];

/** SPEC §5.3 `entityType` values. */
const ENTITY_TYPES = ['provider', 'issuer', 'whitepaper', 'non_compliant'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** SPEC §5.3 `status` values. `expired` is evaluated at request time against the clock. */
export const ISSUER_STATUSES = ['active', 'expired', 'non_compliant'] as const;
export type IssuerStatus = (typeof ISSUER_STATUSES)[number];

/** What each ESMA file is, and how its rows are published (data/esma/README.md). */
export interface KindInfo {
  readonly kind: RegisterKind;
  readonly licenseType: LicenseType;
  readonly entityType: EntityType;
  /**
   * What one record of this kind is, in title case after ESMA's register names: the `label` of
   * the published `{ type, label, count }` summaries (SPEC §5.3).
   */
  readonly label: string;
  readonly description: string;
}

export const KIND_INFO: Readonly<Record<RegisterKind, KindInfo>> = {
  CASP: {
    kind: 'CASP',
    licenseType: 'CASP',
    entityType: 'provider',
    label: 'Crypto-Asset Service Provider',
    description: 'Crypto-asset service providers authorised under MiCA Title V (ESMA CASP register).',
  },
  EMT: {
    kind: 'EMT',
    licenseType: 'EMT',
    entityType: 'issuer',
    label: 'E-Money Token Issuer',
    description: 'Issuers of e-money tokens and their white papers, MiCA Title IV (ESMA EMT register).',
  },
  ART: {
    kind: 'ART',
    licenseType: 'ART',
    entityType: 'issuer',
    label: 'Asset-Referenced Token Issuer',
    description: 'Issuers of asset-referenced tokens authorised under MiCA Title III (ESMA ART register).',
  },
  OTHER: {
    kind: 'OTHER',
    licenseType: 'OTHER',
    entityType: 'whitepaper',
    label: 'Other Crypto-Asset White Paper',
    description:
      'White papers for crypto-assets other than ARTs and EMTs, MiCA Title II (ESMA OTHER register).',
  },
  NCASP: {
    kind: 'NCASP',
    licenseType: 'NON_COMPLIANT',
    entityType: 'non_compliant',
    label: 'Non-Compliant Entity',
    description: 'Entities providing crypto-asset services without authorisation (ESMA NCASP register).',
  },
};

/** A `licenseType` value (a shared component of the document). */
export const licenseTypeSchema = z.enum(LICENSE_TYPES).meta({ id: 'LicenseType' });
/** An `entityType` value. */
export const entityTypeSchema = z.enum(ENTITY_TYPES).meta({ id: 'EntityType' });
/** A `status` value. */
export const issuerStatusSchema = z.enum(ISSUER_STATUSES).meta({
  id: 'IssuerStatus',
  description: '`expired` is evaluated at request time from `authorizationEndDate`.',
});
/** The id of a register record. */
export const issuerIdSchema = z.string().regex(/^mica_[0-9a-f]{20}$/);

const nullableText = z.string().nullable();
const day = z.iso.date().nullable();

/**
 * The published issuer object, fields in their published order: the shape of every issuer the
 * register routes answer (and of the records the importer makes).
 */
export const issuerSchema = z
  .object({
    id: issuerIdSchema.meta({ description: 'Stable across re-imports of an unchanged row.' }),
    entityName: nullableText,
    entityIdentifier: nullableText.meta({
      description: 'The LEI as ESMA publishes it (not always a well-formed LEI).',
    }),
    licenseType: licenseTypeSchema,
    entityType: entityTypeSchema,
    country: nullableText.meta({ description: 'English short name of `countryCode`.' }),
    countryCode: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .nullable()
      .meta({ description: "ISO 3166-1 alpha-2 home member state (ESMA's `EL` is given as `GR`)." }),
    nationalAuthority: nullableText,
    commercialName: nullableText,
    address: nullableText,
    website: nullableText,
    websitePlatform: nullableText,
    authorizationDate: day,
    authorizationEndDate: day,
    services: z.array(z.string()),
    passportedCountries: z.array(z.string()),
    status: issuerStatusSchema,
    comments: nullableText,
  })
  .meta({ id: 'Issuer', description: 'The published issuer object, fields in published order.' });
export type Issuer = z.infer<typeof issuerSchema>;

/** Every field of {@link Issuer}, in published order (the `fields` projection keeps this order). */
export const ISSUER_FIELDS = [
  'id',
  'entityName',
  'entityIdentifier',
  'licenseType',
  'entityType',
  'country',
  'countryCode',
  'nationalAuthority',
  'commercialName',
  'address',
  'website',
  'websitePlatform',
  'authorizationDate',
  'authorizationEndDate',
  'services',
  'passportedCountries',
  'status',
  'comments',
] as const satisfies readonly (keyof Issuer)[];
export type IssuerField = (typeof ISSUER_FIELDS)[number];
type AssertNever<T extends never> = T;
/** @public Compile-time check that ISSUER_FIELDS lists every field of Issuer (used by nothing at run time). */
export type IssuerFieldsAreComplete = AssertNever<Exclude<keyof Issuer, IssuerField>>;

/** `metadata.source` and `X-Data-Source` of every register response. */
export const DATA_SOURCE = 'ESMA interim MiCA register';
