// Home member states of the MiCA register: the 27 EU member states and the three EEA EFTA states
// (MiCA applies in the EEA). English short names after ISO 3166-1; `country` of an issuer is the
// name of its `countryCode` (SPEC §5.3).

const NAMES: Readonly<Record<string, string>> = {
  AT: 'Austria',
  BE: 'Belgium',
  BG: 'Bulgaria',
  CY: 'Cyprus',
  CZ: 'Czechia',
  DE: 'Germany',
  DK: 'Denmark',
  EE: 'Estonia',
  ES: 'Spain',
  FI: 'Finland',
  FR: 'France',
  GR: 'Greece',
  HR: 'Croatia',
  HU: 'Hungary',
  IE: 'Ireland',
  IS: 'Iceland',
  IT: 'Italy',
  LI: 'Liechtenstein',
  LT: 'Lithuania',
  LU: 'Luxembourg',
  LV: 'Latvia',
  MT: 'Malta',
  NL: 'Netherlands',
  NO: 'Norway',
  PL: 'Poland',
  PT: 'Portugal',
  RO: 'Romania',
  SE: 'Sweden',
  SI: 'Slovenia',
  SK: 'Slovakia',
};

// EU institutions write Greece as EL; ISO 3166-1 (and most of ESMA's own cells) say GR.
const ALIASES: Readonly<Record<string, string>> = { EL: 'GR' };

const TWO_LETTERS = /^[A-Za-z]{2}$/;

/**
 * Normalises a two-letter country cell to ISO 3166-1 alpha-2 upper case (`el` → `GR`), or
 * `undefined` when it is not two letters. Codes outside the EU/EEA are kept: they are published.
 *
 * @example
 * normaliseCountryCode(' el ') // 'GR'
 */
export function normaliseCountryCode(value: string): string | undefined {
  const trimmed = value.trim();
  if (!TWO_LETTERS.test(trimmed)) return undefined;
  const upper = trimmed.toUpperCase();
  return ALIASES[upper] ?? upper;
}

/**
 * English name of an EU/EEA country code, or `null` for any other code.
 *
 * @example
 * countryName('AT') // 'Austria'
 */
export function countryName(code: string): string | null {
  return Object.hasOwn(NAMES, code) ? (NAMES[code] ?? null) : null;
}

/** True for the 30 EU/EEA codes (after {@link normaliseCountryCode}). */
export function isEeaCountry(code: string): boolean {
  return Object.hasOwn(NAMES, code);
}
