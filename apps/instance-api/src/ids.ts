import { randomBytes } from 'node:crypto';

/** `inst_` + 24 lowercase hex (96 random bits). */
export function newInstanceId(): string {
  return `inst_${randomBytes(12).toString('hex')}`;
}

/** `key_` + 24 lowercase hex (96 random bits). */
export function newKeyId(): string {
  return `key_${randomBytes(12).toString('hex')}`;
}

/** Prefixes of the core resources' ids (SPEC §4.5), each followed by 24 lowercase hex. */
export type ResourcePrefix = 'cus' | 'ctx' | 'ob' | 'ord' | 'trd' | 'mkt' | 'loan';

/**
 * `<prefix>_` + 24 lowercase hex (96 random bits): the id of a core resource.
 *
 * @example
 * newResourceId('cus') // 'cus_3f9c…'
 */
export function newResourceId(prefix: ResourcePrefix): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/**
 * The schema pattern of ids made by {@link newResourceId} with `prefix`.
 *
 * @example
 * resourceIdPattern('cus').test('cus_0123456789abcdef01234567') // true
 */
export function resourceIdPattern(prefix: ResourcePrefix): RegExp {
  return new RegExp(`^${prefix}_[0-9a-f]{24}$`);
}

/** `ref_` + 32 lowercase hex (128 random bits): a customer's reference key when it has no wallet. */
export function newReferenceKey(): string {
  return `ref_${randomBytes(16).toString('hex')}`;
}
