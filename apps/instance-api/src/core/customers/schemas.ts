import { singleLineText } from '@portcullis/routes';
import countries from 'i18n-iso-countries';
import { z } from 'zod';
import { resourceIdPattern } from '../../ids.js';
import { addressOut, addressSchema, booleanQuery, pageQuery } from '../common.js';

// The customer object and its requests (SPEC §4.5, service `customers`).

export const CUSTOMER_TYPES = ['INDIVIDUAL', 'COMPANY'] as const;
const INVESTOR_TYPES = ['RETAIL', 'PROFESSIONAL', 'ELIGIBLE_COUNTERPARTY'] as const;

export const customerIdSchema = z
  .string()
  .regex(resourceIdPattern('cus'))
  .meta({ description: 'Customer id, `cus_` + 24 hex.' });

const COUNTRY_MESSAGE =
  'must be an ISO 3166-1 alpha-2 or alpha-3 country code in upper case (e.g. DE or DEU)';
const country = z
  .string({ message: COUNTRY_MESSAGE })
  .regex(/^[A-Z]{2,3}$/, COUNTRY_MESSAGE)
  .refine((code) => countries.isValid(code), COUNTRY_MESSAGE);

/** Most bytes of a customer's `metadata` as JSON text. */
const MAX_METADATA_BYTES = 16_384;
const METADATA_MESSAGE = `must be a JSON object of at most 50 keys and ${MAX_METADATA_BYTES} bytes`;
const metadata = z
  .record(z.string().min(1).max(100), z.unknown(), { message: METADATA_MESSAGE })
  .refine(
    (value) =>
      Object.keys(value).length <= 50 && Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES,
    METADATA_MESSAGE,
  )
  .meta({ description: METADATA_MESSAGE.replace('must be', 'Free data of the integrator:') });

const customerType = z.enum(CUSTOMER_TYPES, { message: 'must be INDIVIDUAL or COMPANY' });
const investorType = z.enum(INVESTOR_TYPES, {
  message: 'must be RETAIL, PROFESSIONAL or ELIGIBLE_COUNTERPARTY',
});
const name = singleLineText({ min: 1, max: 200 });
const externalId = singleLineText({ min: 1, max: 200 });

export const createCustomerBody = z
  .strictObject({
    name,
    customerType: customerType.default('INDIVIDUAL'),
    investorType: investorType.default('RETAIL'),
    country: country.optional(),
    walletAddress: addressSchema.optional(),
    externalId: externalId.optional(),
    metadata: metadata.optional(),
  })
  .meta({
    id: 'CreateCustomerRequest',
    description:
      'Without `walletAddress` the customer gets a `referenceKey` (`ref_` + 32 hex). A wallet or external id already used by a customer of the instance (archived ones included) is a 409 `CUSTOMER_EXISTS`.',
  });

export const updateCustomerBody = z
  .strictObject({
    name: name.optional(),
    customerType: customerType.optional(),
    investorType: investorType.optional(),
    country: country.nullable().optional(),
    walletAddress: addressSchema.optional(),
    externalId: externalId.nullable().optional(),
    metadata: metadata.optional(),
  })
  .meta({
    id: 'UpdateCustomerRequest',
    description:
      'A partial update: only the fields given change; `null` clears `country` or `externalId`. A customer keeps its reference key when it gets a wallet.',
  });

export const listCustomersQuery = z.object({
  search: singleLineText({ min: 1, max: 100 })
    .optional()
    .meta({ description: 'Part of the name, id, wallet address, reference key or external id (any case).' }),
  includeArchived: booleanQuery.meta({ description: 'Also list archived customers. Default false.' }),
  customerType: customerType.optional(),
  ...pageQuery,
});

export const customerSchema = z
  .object({
    id: customerIdSchema,
    name: z.string(),
    customerType,
    investorType,
    country: z.string().nullable(),
    walletAddress: addressOut.nullable(),
    referenceKey: z
      .string()
      .regex(/^ref_[0-9a-f]{32}$/)
      .nullable(),
    externalId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    archived: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Customer', description: 'A customer of the instance.' });
export type CustomerView = z.infer<typeof customerSchema>;

export const archivedCustomerSchema = z
  .object({ id: customerIdSchema, archived: z.literal(true) })
  .meta({ id: 'ArchivedCustomer', description: 'The customer is archived (a soft delete).' });
