// SPEC §5.3 summary shapes, which integrators parse: `statistics`, `license-types` and `countries`
// over HTTP, on the shipped snapshot and on a small register built to decide every tie.
import type { Database } from '@portcullis/db';
import { createFakeClock, readJson } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles, SHIPPED_SNAPSHOT_DIR } from '../src/store/register.js';
import {
  csvFile,
  type EnvelopeBody,
  pgliteDatabase,
  startRegisterApp,
  tempDir,
  writeCsv,
} from './register-harness.js';

const NOW = Date.UTC(2026, 1, 10, 12, 0, 0); // the snapshot is of 2026-02-09
const BASE = '/api/mica/v1';

interface TypeCount {
  type: string;
  label: string;
  count: number;
}
interface CountryCount {
  code: string;
  name: string;
  count: number;
}
interface RecentAuthorization {
  entityName: string | null;
  licenseType: string;
  countryCode: string | null;
  authorizationDate: string;
  id: string;
}
interface Statistics {
  totalEntities: number;
  licenseTypes: TypeCount[];
  countries: CountryCount[];
  byStatus: Record<string, number>;
  recentAuthorizations: RecentAuthorization[];
  lastSync: string | null;
}

/** A register app over a fresh database holding the shipped snapshot or the given CSV files. */
async function served(files: Record<string, string> | 'shipped') {
  const clock = createFakeClock(NOW);
  const db: Database = await pgliteDatabase();
  if (files === 'shipped') {
    const report = await importFiles(db, [SHIPPED_SNAPSHOT_DIR], { now: clock.now });
    expect(report.errors).toEqual([]);
  } else {
    const dir = await tempDir();
    try {
      for (const [name, content] of Object.entries(files)) await writeCsv(dir.path, name, content);
      const report = await importFiles(db, [dir.path], { now: clock.now });
      expect(report.errors).toEqual([]);
    } finally {
      await dir.remove();
    }
  }
  const app = await startRegisterApp({ db, now: clock.now });
  const data = async <T>(path: string): Promise<T> => {
    const res = await app.get(`${BASE}/${path}`);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('cache-control'), path).toBe('public, max-age=600');
    return (await readJson<EnvelopeBody<T>>(res)).data;
  };
  return {
    app,
    db,
    data,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

const pick = <T extends object, K extends keyof T>(items: readonly T[], ...keys: K[]) =>
  items.map((item) => Object.fromEntries(keys.map((key) => [key, item[key]])));

describe('on the shipped snapshot', () => {
  let register: Awaited<ReturnType<typeof served>>;
  beforeAll(async () => {
    register = await served('shipped');
  });
  afterAll(async () => {
    await register?.close();
  });

  it('counts 1 013 records: OTHER 731, CASP 150, NON_COMPLIANT 100, EMT 32, ART 0', async () => {
    const expected = [
      { type: 'OTHER', label: 'Other Crypto-Asset White Paper', count: 731 },
      { type: 'CASP', label: 'Crypto-Asset Service Provider', count: 150 },
      { type: 'NON_COMPLIANT', label: 'Non-Compliant Entity', count: 100 },
      { type: 'EMT', label: 'E-Money Token Issuer', count: 32 },
      { type: 'ART', label: 'Asset-Referenced Token Issuer', count: 0 },
    ];
    const statistics = await register.data<Statistics>('statistics');
    expect(statistics.totalEntities).toBe(1013);
    expect(statistics.licenseTypes).toEqual(expected);
    const types = await register.data<TypeCount[]>('license-types');
    expect(pick(types, 'type', 'label', 'count')).toEqual(expected);
  });

  it('counts the home member states, most records first, and lists none without records', async () => {
    const statistics = await register.data<Statistics>('statistics');
    const countries = await register.data<CountryCount[]>('countries');
    expect(pick(countries, 'code', 'name', 'count')).toEqual(statistics.countries);
    expect(statistics.countries.slice(0, 3)).toEqual([
      { code: 'IE', name: 'Ireland', count: 288 },
      { code: 'MT', name: 'Malta', count: 156 },
      { code: 'DE', name: 'Germany', count: 139 },
    ]);
    for (const country of countries) expect(country.count).toBeGreaterThanOrEqual(1);
    const counts = countries.map((c) => c.count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    // Every record of the snapshot has a home member state.
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(1013);
  });

  it('gives the statuses and the ten latest authorisations, newest first', async () => {
    const statistics = await register.data<Statistics>('statistics');
    expect(statistics.byStatus).toEqual({ active: 913, expired: 0, non_compliant: 100 });
    const recent = statistics.recentAuthorizations;
    expect(recent).toHaveLength(10);
    expect(recent[0]).toMatchObject({
      entityName: 'Damex Digital LTD',
      licenseType: 'CASP',
      countryCode: 'MT',
      authorizationDate: '2026-01-29',
    });
    const dates = recent.map((a) => a.authorizationDate);
    expect(dates).toEqual([...dates].sort().reverse());
    // ESMA dates some OTHER white papers 2026-07-01; white papers are not authorisations.
    expect(recent.every((a) => ['CASP', 'EMT', 'ART'].includes(a.licenseType))).toBe(true);
  });
});

describe('on a register built to decide the ties', () => {
  // CASP: DE ×5, AT ×5, FR ×5. Three authorised the same day, in the file in reverse name order
  // (one name lower-case, so code-point order of the names as published would differ); one dated
  // today, one tomorrow, one undated; one authorisation ended yesterday.
  const casp = (name: string, country: string, date: string, end = '') => ({
    ae_homeMemberState: country,
    ae_lei_name: name,
    ac_authorisationNotificationDate: date,
    ac_authorisationEndDate: end,
  });
  const FILES = {
    'CASP20260209.csv': csvFile('CASP', [
      casp('ZETA Markets GmbH', 'DE', '05/01/2026'),
      casp('beta Exchange GmbH', 'DE', '05/01/2026'),
      casp('alpha Custody GmbH', 'DE', '05/01/2026'),
      casp('Today Broker GmbH', 'DE', '10/02/2026'),
      casp('Future Broker GmbH', 'DE', '11/02/2026'),
      casp('Undated Broker AG', 'AT', ''),
      casp('Older One AG', 'AT', '01/09/2025', '09/02/2026'),
      casp('Older Two AG', 'AT', '01/08/2025'),
      casp('Older Three AG', 'AT', '01/07/2025'),
      casp('Older Four AG', 'AT', '01/06/2025'),
      casp('Older Five SA', 'FR', '01/05/2025'),
      casp('Older Six SA', 'FR', '01/04/2025'),
      casp('Older Seven SA', 'FR', '01/03/2025'),
      casp('Older Eight SA', 'FR', '01/02/2025'),
      casp('Older Nine SA', 'FR', '01/01/2025'),
    ]),
    'EMT20260209.csv': csvFile('EMT', [
      {
        ae_homeMemberState: 'DE',
        ae_lei_name: 'Euro Coin GmbH',
        ac_authorisationNotificationDate: '06/01/2026',
      },
      {
        ae_homeMemberState: 'AT',
        ae_lei_name: 'Schilling Coin AG',
        ac_authorisationNotificationDate: '01/01/2024',
      },
    ]),
    'ART20260209.csv': csvFile('ART', []),
    // A white paper updated yesterday (not an authorisation), and one with no country at all.
    'OTHER20260209.csv': csvFile('OTHER', [
      { ae_homeMemberState: 'IE', ae_lei_name: 'Fresh Paper Foundation', wp_lastupdate: '09/02/2026' },
      { ae_lei_name: 'Nowhere Foundation', wp_lastupdate: '01/01/2026' },
    ]),
    // A home member state outside the EU/EEA, which the register has no name for.
    'NCASP20260209.csv': csvFile('NCASP', [
      { ae_homeMemberState: 'CH', ae_lei_name: 'Alpine Unlicensed AG' },
      { ae_homeMemberState: 'IT', ae_lei_name: 'Unlicensed SRL' },
    ]),
  };
  let register: Awaited<ReturnType<typeof served>>;
  beforeAll(async () => {
    register = await served(FILES);
  });
  afterAll(async () => {
    await register?.close();
  });

  it('answers GET /statistics with the published fields in order, then lastSync', async () => {
    const res = await register.app.get(`${BASE}/statistics`);
    const body = await readJson<EnvelopeBody<Statistics>>(res);
    expect(Object.keys(body)).toEqual(['success', 'data', 'error', 'metadata']);
    expect(Object.keys(body.data)).toEqual([
      'totalEntities',
      'licenseTypes',
      'countries',
      'byStatus',
      'recentAuthorizations',
      'lastSync',
    ]);
    expect(body.data.totalEntities).toBe(21);
    expect(body.data.byStatus).toEqual({ active: 18, expired: 1, non_compliant: 2 });
    expect(Object.keys(body.data.byStatus)).toEqual(['active', 'expired', 'non_compliant']);
    expect(body.data.lastSync).toBe(new Date(NOW).toISOString());
  });

  it('lists every license type by count, equal counts by type, zeros last and included', async () => {
    const expected = [
      { type: 'CASP', label: 'Crypto-Asset Service Provider', count: 15 },
      { type: 'EMT', label: 'E-Money Token Issuer', count: 2 },
      { type: 'NON_COMPLIANT', label: 'Non-Compliant Entity', count: 2 },
      { type: 'OTHER', label: 'Other Crypto-Asset White Paper', count: 2 },
      { type: 'ART', label: 'Asset-Referenced Token Issuer', count: 0 },
    ];
    const statistics = await register.data<Statistics>('statistics');
    expect(statistics.licenseTypes).toEqual(expected);
    for (const item of statistics.licenseTypes) expect(Object.keys(item)).toEqual(['type', 'label', 'count']);

    const types = await register.data<Array<TypeCount & Record<string, unknown>>>('license-types');
    expect(pick(types, 'type', 'label', 'count')).toEqual(expected);
    for (const item of types) {
      expect(Object.keys(item)).toEqual(['type', 'label', 'count', 'entityType', 'description', 'source']);
    }
    expect(types.map((t) => t.entityType)).toEqual([
      'provider',
      'issuer',
      'non_compliant',
      'whitepaper',
      'issuer',
    ]);
    expect(types.find((t) => t.type === 'ART')?.source).toEqual({
      fileName: 'ART20260209.csv',
      records: 0,
      skippedRows: 0,
      importedAt: new Date(NOW).toISOString(),
    });
  });

  it('lists the countries with records by count, equal counts by code, a nameless code by its code', async () => {
    const expected = [
      { code: 'AT', name: 'Austria', count: 6 },
      { code: 'DE', name: 'Germany', count: 6 },
      { code: 'FR', name: 'France', count: 5 },
      { code: 'CH', name: 'CH', count: 1 },
      { code: 'IE', name: 'Ireland', count: 1 },
      { code: 'IT', name: 'Italy', count: 1 },
    ];
    const statistics = await register.data<Statistics>('statistics');
    expect(statistics.countries).toEqual(expected);
    for (const item of statistics.countries) expect(Object.keys(item)).toEqual(['code', 'name', 'count']);

    const countries = await register.data<Array<CountryCount & { byLicenseType: object }>>('countries');
    expect(pick(countries, 'code', 'name', 'count')).toEqual(expected);
    for (const item of countries)
      expect(Object.keys(item)).toEqual(['code', 'name', 'count', 'byLicenseType']);
    expect(countries.find((c) => c.code === 'AT')?.byLicenseType).toEqual({
      CASP: 5,
      EMT: 1,
      ART: 0,
      OTHER: 0,
      NON_COMPLIANT: 0,
    });
  });

  it('lists the ten latest authorisations: none undated, none yet to come, no white paper, ties by name', async () => {
    const { recentAuthorizations } = await register.data<Statistics>('statistics');
    expect(recentAuthorizations.map((a) => [a.authorizationDate, a.entityName, a.licenseType])).toEqual([
      ['2026-02-10', 'Today Broker GmbH', 'CASP'],
      ['2026-01-06', 'Euro Coin GmbH', 'EMT'],
      ['2026-01-05', 'alpha Custody GmbH', 'CASP'],
      ['2026-01-05', 'beta Exchange GmbH', 'CASP'],
      ['2026-01-05', 'ZETA Markets GmbH', 'CASP'],
      ['2025-09-01', 'Older One AG', 'CASP'],
      ['2025-08-01', 'Older Two AG', 'CASP'],
      ['2025-07-01', 'Older Three AG', 'CASP'],
      ['2025-06-01', 'Older Four AG', 'CASP'],
      ['2025-05-01', 'Older Five SA', 'CASP'],
    ]);
    const first = recentAuthorizations[0];
    expect(Object.keys(first ?? {})).toEqual([
      'entityName',
      'licenseType',
      'countryCode',
      'authorizationDate',
      'id',
    ]);
    expect(first).toMatchObject({ countryCode: 'DE', id: expect.stringMatching(/^mica_[0-9a-f]{20}$/) });
    // The id leads to the record.
    const detail = await register.app.get(`${BASE}/issuers/${first?.id}`);
    expect((await readJson<EnvelopeBody<{ entityName: string }>>(detail)).data.entityName).toBe(
      'Today Broker GmbH',
    );
  });

  it('lists fewer than ten when fewer are authorised, and none on an empty register', async () => {
    const small = await served({
      'CASP20260209.csv': csvFile('CASP', [casp('Only Broker GmbH', 'DE', '01/01/2026')]),
    });
    try {
      const statistics = await small.data<Statistics>('statistics');
      expect(statistics.recentAuthorizations.map((a) => a.entityName)).toEqual(['Only Broker GmbH']);
      expect(statistics.countries).toEqual([{ code: 'DE', name: 'Germany', count: 1 }]);
      expect(await small.data<CountryCount[]>('countries')).toEqual([
        {
          code: 'DE',
          name: 'Germany',
          count: 1,
          byLicenseType: { CASP: 1, EMT: 0, ART: 0, OTHER: 0, NON_COMPLIANT: 0 },
        },
      ]);
    } finally {
      await small.close();
    }
    const empty = await served({});
    try {
      const statistics = await empty.data<Statistics>('statistics');
      expect(statistics).toEqual({
        totalEntities: 0,
        licenseTypes: [
          { type: 'ART', label: 'Asset-Referenced Token Issuer', count: 0 },
          { type: 'CASP', label: 'Crypto-Asset Service Provider', count: 0 },
          { type: 'EMT', label: 'E-Money Token Issuer', count: 0 },
          { type: 'NON_COMPLIANT', label: 'Non-Compliant Entity', count: 0 },
          { type: 'OTHER', label: 'Other Crypto-Asset White Paper', count: 0 },
        ],
        countries: [],
        byStatus: { active: 0, expired: 0, non_compliant: 0 },
        recentAuthorizations: [],
        lastSync: null,
      });
      expect(await empty.data('countries')).toEqual([]);
      expect((await empty.data<TypeCount[]>('license-types')).map((t) => [t.type, t.count])).toEqual([
        ['ART', 0],
        ['CASP', 0],
        ['EMT', 0],
        ['NON_COMPLIANT', 0],
        ['OTHER', 0],
      ]);
    } finally {
      await empty.close();
    }
  });
});
