// SPEC §5.3 register endpoints over HTTP: every endpoint, filter, sort, projection, page and
// error, with totals checked against the records the importer gives for the same files.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '@portcullis/db';
import { renderTrussetSuccess } from '@portcullis/errors';
import { createFakeClock, readJson } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegisterRecord, toIssuer } from '../src/register/importer.js';
import { ISSUER_FIELDS } from '../src/register/model.js';
import { importFiles, SHIPPED_SNAPSHOT_DIR } from '../src/store/register.js';
import {
  copyShipped,
  csvFile,
  type EnvelopeBody,
  type ErrorBody,
  type IssuerBody,
  type ListBody,
  pgliteDatabase,
  type RegisterApp,
  recordsOf,
  SHIPPED_FILES,
  SYNTHETIC_ART,
  startRegisterApp,
  tempDir,
  writeCsv,
} from './register-harness.js';

const NOW = Date.UTC(2026, 1, 10, 12, 0, 0);
const clock = createFakeClock(NOW);
let db: Database;
let app: RegisterApp;
let dir: Awaited<ReturnType<typeof tempDir>>;
let records: RegisterRecord[];
let issuers: IssuerBody[];

beforeAll(async () => {
  db = await pgliteDatabase();
  dir = await tempDir();
  await copyShipped(dir.path, ['CASP', 'EMT', 'OTHER', 'NCASP']);
  await writeCsv(dir.path, 'ART20260301.csv', SYNTHETIC_ART);
  const report = await importFiles(db, [dir.path], { now: clock.now });
  expect(report.errors).toEqual([]);
  const contents: Record<string, Buffer | string> = { 'ART20260301.csv': SYNTHETIC_ART };
  for (const kind of ['CASP', 'EMT', 'OTHER', 'NCASP'] as const) {
    contents[SHIPPED_FILES[kind]] = await readFile(join(SHIPPED_SNAPSHOT_DIR, SHIPPED_FILES[kind]));
  }
  records = recordsOf(contents);
  issuers = records.map((record) => toIssuer(record, NOW));
  app = await startRegisterApp({ db, now: clock.now });
});
afterAll(async () => {
  await app?.close();
  await db?.close();
  await dir?.remove();
});

const BASE = '/api/mica/v1';
async function list(query = '', path = '/issuers'): Promise<{ res: Response; body: ListBody }> {
  const res = await app.get(`${BASE}${path}${query}`);
  const body = await readJson<ListBody>(res);
  if (res.status !== 200) throw new Error(`${path}${query}: ${res.status} ${JSON.stringify(body)}`);
  return { res, body };
}
async function invalid(path: string): Promise<ErrorBody> {
  const res = await app.get(`${BASE}${path}`);
  const body = await readJson<ErrorBody>(res);
  expect(res.status, path).toBe(400);
  expect(body).toMatchObject({ success: false, data: null, error: { code: 'VALIDATION_ERROR' } });
  expect(body.metadata.requestId).toBe(res.headers.get('x-request-id'));
  return body;
}
const fieldsOf = (body: ErrorBody) => body.error.details?.map((d) => d.field);

// The order the database must give, computed independently: UTF-8 byte order (COLLATE "C") of the
// lower-cased name, nulls last, then the id.
const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const nullsLast = <T>(a: T | null, b: T | null, cmp: (x: T, y: T) => number, dir: number) =>
  a === null ? (b === null ? 0 : 1) : b === null ? -1 : dir * cmp(a, b);
const sortName = (i: IssuerBody) => i.entityName?.toLowerCase() ?? null;
const byName = (a: IssuerBody, b: IssuerBody) =>
  nullsLast(sortName(a), sortName(b), bytes, 1) || bytes(a.id, b.id);
const ORDERS: Record<string, (dir: number) => (a: IssuerBody, b: IssuerBody) => number> = {
  entityName: (dir) => (a, b) => nullsLast(sortName(a), sortName(b), bytes, dir) || bytes(a.id, b.id),
  countryCode: (dir) => (a, b) => nullsLast(a.countryCode, b.countryCode, bytes, dir) || byName(a, b),
  licenseType: (dir) => (a, b) => dir * bytes(a.licenseType, b.licenseType) || byName(a, b),
  authorizationDate: (dir) => (a, b) =>
    nullsLast(a.authorizationDate, b.authorizationDate, bytes, dir) || byName(a, b),
  status: (dir) => (a, b) => dir * bytes(a.status, b.status) || byName(a, b),
};
const searchable = (i: IssuerBody) =>
  [i.entityName, i.entityIdentifier, i.nationalAuthority, i.commercialName]
    .filter((v) => v !== null)
    .join('\n')
    .toLowerCase();

async function allPages(query: string): Promise<IssuerBody[]> {
  const out: IssuerBody[] = [];
  for (let offset = 0; ; offset += 500) {
    const { body } = await list(`${query}${query ? '&' : '?'}limit=500&offset=${offset}`);
    out.push(...body.data);
    if (!body.pagination.hasMore) return out;
  }
}

describe('GET /issuers', () => {
  it('lists 100 issuers by name with the published envelope, pagination and headers', async () => {
    const { res, body } = await list();
    expect(Object.keys(body)).toEqual(['success', 'data', 'pagination', 'metadata']);
    expect(body.success).toBe(true);
    expect(body.pagination).toEqual({
      total: issuers.length,
      returned: 100,
      limit: 100,
      offset: 0,
      hasMore: true,
    });
    expect(body.metadata).toEqual({
      source: 'ESMA interim MiCA register',
      timestamp: new Date(NOW).toISOString(),
    });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-total-count')).toBe(String(issuers.length));
    expect(res.headers.get('x-data-source')).toBe('ESMA interim MiCA register');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(body.data).toEqual([...issuers].sort(ORDERS.entityName?.(1)).slice(0, 100));
  });

  it('serves one complete list body again within a second, with the time it was made, then a fresh one', async () => {
    try {
      const stamp = async () => (await list('?limit=7&sortOrder=desc')).body.metadata.timestamp;
      clock.set(NOW + 100);
      expect(await stamp()).toBe(new Date(NOW + 100).toISOString());
      clock.set(NOW + 1_099);
      expect(await stamp()).toBe(new Date(NOW + 100).toISOString());
      clock.set(NOW + 1_100);
      expect(await stamp()).toBe(new Date(NOW + 1_100).toISOString());
      // A clock that steps back never gets a timestamp from its future.
      clock.set(NOW + 500);
      expect(await stamp()).toBe(new Date(NOW + 500).toISOString());
    } finally {
      clock.set(NOW);
    }
  });

  it('answers each query string with its own parse, also when repeated and interleaved', async () => {
    for (let round = 0; round < 2; round += 1) {
      expect((await list('?limit=3')).body.pagination.returned).toBe(3);
      expect((await list('?limit=4')).body.pagination.returned).toBe(4);
      expect((await invalid('/issuers?limit=0')).error.details?.[0]?.field).toBe('limit');
    }
  });

  it('gives every issuer object exactly the published fields, in order', async () => {
    const { body } = await list('?limit=500');
    for (const issuer of body.data) expect(Object.keys(issuer)).toEqual([...ISSUER_FIELDS]);
    expect(issuers).toHaveLength(1015); // 1 013 from the shipped snapshot + 2 synthetic ART
  });

  it.each(
    Object.keys(ORDERS).flatMap((sortBy) => [
      [sortBy, 'asc'],
      [sortBy, 'desc'],
    ]),
  )('sorts by %s %s, ties by name then id, over every page', async (sortBy, order) => {
    const pages = await allPages(`?sortBy=${sortBy}&sortOrder=${order}`);
    const expected = [...issuers].sort(ORDERS[sortBy]?.(order === 'desc' ? -1 : 1));
    expect(pages.map((i) => i.id)).toEqual(expected.map((i) => i.id));
  });

  it('pages without overlap or gaps, and says when there is more', async () => {
    const first = await list('?limit=7&offset=0');
    const second = await list('?limit=7&offset=7');
    const sorted = [...issuers].sort(ORDERS.entityName?.(1));
    expect([...first.body.data, ...second.body.data].map((i) => i.id)).toEqual(
      sorted.slice(0, 14).map((i) => i.id),
    );
    const last = await list(`?limit=10&offset=${issuers.length - 3}`);
    expect(last.body.pagination).toEqual({
      total: issuers.length,
      returned: 3,
      limit: 10,
      offset: issuers.length - 3,
      hasMore: false,
    });
    const beyond = await list('?offset=5000');
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.pagination).toMatchObject({ total: issuers.length, returned: 0, hasMore: false });
  });

  it.each([
    ['CASP', 150],
    ['EMT', 32],
    ['ART', 2],
    ['OTHER', 731],
    ['NON_COMPLIANT', 100],
    ['casp,emt', 182],
    ['ART,ART,OTHER', 733],
  ])('filters licenseType=%s to %i issuers', async (licenseType, count) => {
    const wanted = licenseType.toUpperCase().split(',');
    expect(issuers.filter((i) => wanted.includes(i.licenseType))).toHaveLength(count);
    const { body } = await list(`?licenseType=${licenseType}&limit=500`);
    expect(body.pagination.total).toBe(count);
    expect(body.data.every((i) => wanted.includes(i.licenseType))).toBe(true);
  });

  it('filters country by code (exactly, any case) and by part of the name', async () => {
    const count = (pred: (i: IssuerBody) => boolean) => issuers.filter(pred).length;
    expect((await list('?country=AT')).body.pagination.total).toBe(count((i) => i.countryCode === 'AT'));
    expect((await list('?country=at')).body.pagination.total).toBe(count((i) => i.countryCode === 'AT'));
    expect((await list('?country=ger')).body.pagination.total).toBe(count((i) => i.country === 'Germany'));
    const both = (await list('?country=AT,germany')).body.pagination.total;
    expect(both).toBe(count((i) => i.countryCode === 'AT' || i.country === 'Germany'));
    // "land" is part of Finland, Ireland, Iceland, Netherlands, Poland: a name match, not a code.
    const land = (await list('?country=LAND')).body.pagination.total;
    expect(land).toBe(count((i) => i.country?.toLowerCase().includes('land') === true));
    expect(land).toBeGreaterThan(300);
    // Two letters are a code even when they are part of a name ("IT" is Italy, not "LiThuania").
    expect((await list('?country=it')).body.pagination.total).toBe(count((i) => i.countryCode === 'IT'));
    expect((await list('?country=ZZ')).body.pagination.total).toBe(0);
  });

  it('filters status, evaluated against the clock', async () => {
    const by = (status: string) => issuers.filter((i) => i.status === status).length;
    expect(by('expired')).toBe(1);
    expect((await list('?status=active')).body.pagination.total).toBe(by('active'));
    expect((await list('?status=expired')).body.data.map((i) => i.entityName)).toEqual([
      'Expired Reference Token Ltd',
    ]);
    expect((await list('?status=non_compliant')).body.pagination.total).toBe(100);
    expect((await list('?status=expired,non_compliant')).body.pagination.total).toBe(101);
  });

  it('filters entityType', async () => {
    expect((await list('?entityType=issuer')).body.pagination.total).toBe(34);
    expect((await list('?entityType=provider,whitepaper')).body.pagination.total).toBe(881);
    expect((await list('?entityType=non_compliant')).body.pagination.total).toBe(100);
  });

  it('searches name, LEI, authority and commercial name, case-insensitively', async () => {
    for (const q of ['bybit', 'BYBIT', '5299005V5GBSN2A4C303', 'bafin', 'Bitpanda', 'crypto', 'gmbh']) {
      const expected = issuers.filter((i) => searchable(i).includes(q.toLowerCase())).length;
      expect((await list(`?search=${encodeURIComponent(q)}`)).body.pagination.total, q).toBe(expected);
    }
    // Not the address or the comments.
    expect((await list('?search=Donau-City')).body.pagination.total).toBe(0);
  });

  it('combines filters with AND, and totals agree with the data', async () => {
    const { body } = await list(
      '?licenseType=CASP&country=DE&search=ag&sortBy=authorizationDate&sortOrder=desc',
    );
    const expected = issuers
      .filter((i) => i.licenseType === 'CASP' && i.countryCode === 'DE' && searchable(i).includes('ag'))
      .sort(ORDERS.authorizationDate?.(-1));
    expect(body.pagination.total).toBe(expected.length);
    expect(body.data.map((i) => i.id)).toEqual(expected.map((i) => i.id));
  });

  it('projects fields, in published order, always with the id', async () => {
    const { body } = await list('?fields=countryCode,entityName&limit=3');
    for (const issuer of body.data) expect(Object.keys(issuer)).toEqual(['id', 'entityName', 'countryCode']);
    const repeated = await list('?fields=status&fields=ENTITYNAME&limit=1');
    expect(Object.keys(repeated.body.data[0] ?? {})).toEqual(['id', 'entityName', 'status']);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?limit=-1', 'limit'],
    ['?limit=1e2', 'limit'],
    ['?limit=abc', 'limit'],
    ['?offset=-5', 'offset'],
    ['?offset=99999999999', 'offset'],
    ['?limit=1&limit=2', 'limit'],
    ['?sortBy=address', 'sortBy'],
    ['?sortOrder=up', 'sortOrder'],
    ['?licenseType=BANK', 'licenseType'],
    ['?status=revoked', 'status'],
    ['?entityType=person', 'entityType'],
    ['?country=D', 'country'],
    ['?country=12', 'country'],
    ['?country=%3Cscript%3E', 'country'],
    [`?search=${'x'.repeat(201)}`, 'search'],
    ['?search=a%00b', 'search'],
    ['?fields=entityName,password', 'fields'],
    [`?country=${Array.from({ length: 51 }, (_, i) => `c${i}x`).join(',')}`, 'country'],
  ])('answers %s with 400 VALIDATION_ERROR naming %s', async (query, field) => {
    const body = await invalid(`/issuers${query}`);
    expect(fieldsOf(body)).toEqual([field]);
  });

  it('names every bad parameter at once', async () => {
    const body = await invalid('/issuers?limit=0&offset=x&sortBy=y&status=z');
    expect(fieldsOf(body)?.sort()).toEqual(['limit', 'offset', 'sortBy', 'status']);
  });

  it('ignores unknown parameters and treats empty values as absent', async () => {
    const { body } = await list('?foo=bar&limit=&search=&_=123');
    expect(body.pagination).toMatchObject({ total: issuers.length, limit: 100 });
  });
});

describe('GET /issuers/:id', () => {
  it('gives one issuer in the §4.1 envelope', async () => {
    const bybit = issuers.find((i) => i.entityIdentifier === '5299005V5GBSN2A4C303') as IssuerBody;
    const res = await app.get(`${BASE}/issuers/${bybit.id}`, { 'x-request-id': 'req-12345678' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('x-data-source')).toBe('ESMA interim MiCA register');
    const body = await readJson<EnvelopeBody<IssuerBody>>(res);
    expect(body).toEqual(
      renderTrussetSuccess(bybit, { requestId: 'req-12345678', timestamp: new Date(NOW).toISOString() }),
    );
    expect(body.data.authorizationDate).toBe('2025-05-28');
  });

  it('answers 404 NOT_FOUND for an unknown or malformed id', async () => {
    for (const id of ['mica_00000000000000000000', 'mica_XYZ', 'x'.repeat(300), '%00', '%E0%A4%A']) {
      const res = await app.get(`${BASE}/issuers/${id}`);
      expect(res.status, id).toBe(404);
      const body = await readJson<ErrorBody>(res);
      expect(body.error).toEqual({ code: 'NOT_FOUND', message: 'Issuer not found' });
      expect(res.headers.get('cache-control')).toBeNull();
    }
  });
});

describe('GET /search', () => {
  it('finds by name, ranks an exact LEI first, 20 by default', async () => {
    const { res, body } = await list('?q=euwax', '/search');
    expect(res.headers.get('cache-control')).toBe('public, max-age=120');
    expect(res.headers.get('x-total-count')).toBe('2');
    expect(body.data.map((i) => i.entityName)).toEqual(['EUWAX AG', 'EUWAX AG']);
    expect(body.pagination).toEqual({ total: 2, returned: 2, limit: 20, offset: 0, hasMore: false });

    const lei = await list('?q=5299005v5gbsn2a4c303', '/search');
    expect(lei.body.data[0]?.entityName).toBe('Bybit EU GmbH');

    const many = await list('?q=gmbh', '/search');
    expect(many.body.pagination.total).toBe(issuers.filter((i) => searchable(i).includes('gmbh')).length);
    expect(many.body.data).toHaveLength(20);
    const starts = many.body.data.filter((i) => sortName(i)?.startsWith('gmbh'));
    expect(starts).toHaveLength(0);
    // Names containing the text come before matches in the other fields only.
    const inName = many.body.data.map((i) => sortName(i)?.includes('gmbh') === true);
    expect(inName.indexOf(false) === -1 || inName.slice(inName.indexOf(false)).every((x) => !x)).toBe(true);
    expect((await list('?q=gmbh&limit=100&offset=20', '/search')).body.data[0]?.id).not.toBe(
      many.body.data[0]?.id,
    );
  });

  it.each([
    ['', 'q'],
    ['?q=a', 'q'],
    ['?q=%20a%20', 'q'],
    [`?q=${'y'.repeat(201)}`, 'q'],
    ['?q=ab&limit=101', 'limit'],
    ['?q=ab&q=cd', 'q'],
    ['?q=a%00', 'q'],
  ])('answers %j with 400 VALIDATION_ERROR naming %s', async (query, field) => {
    expect(fieldsOf(await invalid(`/search${query}`))).toEqual([field]);
  });
});

describe('reference data', () => {
  // The published summaries (SPEC §5.3), computed here from the importer's records: the published
  // fields first and in order, counts most first, equal counts by type / code in code-point order.
  const LABELS: Record<string, string> = {
    CASP: 'Crypto-Asset Service Provider',
    EMT: 'E-Money Token Issuer',
    ART: 'Asset-Referenced Token Issuer',
    OTHER: 'Other Crypto-Asset White Paper',
    NON_COMPLIANT: 'Non-Compliant Entity',
  };
  const mostFirst =
    <T extends { count: number }>(key: (item: T) => string) =>
    (a: T, b: T) =>
      b.count - a.count || bytes(key(a), key(b));
  const expectedLicenseTypes = () =>
    Object.entries(LABELS)
      .map(([type, label]) => ({ type, label, count: issuers.filter((i) => i.licenseType === type).length }))
      .sort(mostFirst((t) => t.type));
  const expectedCountries = () =>
    [...new Set(issuers.flatMap((i) => (i.countryCode === null ? [] : [i.countryCode])))]
      .map((code) => {
        const of = issuers.filter((i) => i.countryCode === code);
        return { code, name: of[0]?.country, count: of.length };
      })
      .sort(mostFirst((c) => c.code));
  const TODAY = new Date(NOW).toISOString().slice(0, 10);

  it("GET /statistics answers the published shape with the register's counts", async () => {
    const res = await app.get(`${BASE}/statistics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
    expect(res.headers.get('x-data-source')).toBe('ESMA interim MiCA register');
    const body = await readJson<EnvelopeBody<Record<string, unknown>>>(res);
    expect(Object.keys(body)).toEqual(['success', 'data', 'error', 'metadata']);
    const { data } = body;
    expect(Object.keys(data)).toEqual([
      'totalEntities',
      'licenseTypes',
      'countries',
      'byStatus',
      'recentAuthorizations',
      'lastSync',
    ]);
    const count = (pred: (i: IssuerBody) => boolean) => issuers.filter(pred).length;
    expect(data.totalEntities).toBe(1015);
    expect(data.licenseTypes).toEqual(expectedLicenseTypes());
    for (const item of data.licenseTypes as object[])
      expect(Object.keys(item)).toEqual(['type', 'label', 'count']);
    expect(data.countries).toEqual(expectedCountries());
    for (const item of data.countries as object[])
      expect(Object.keys(item)).toEqual(['code', 'name', 'count']);
    expect(data.byStatus).toEqual({
      active: count((i) => i.status === 'active'),
      expired: 1,
      non_compliant: 100,
    });
    expect(Object.keys(data.byStatus as object)).toEqual(['active', 'expired', 'non_compliant']);
    expect(data.lastSync).toBe(new Date(NOW).toISOString());
  });

  it("GET /statistics lists the ten latest authorisations, newest first, one day's by name then id", async () => {
    const { data } = await readJson<EnvelopeBody<{ recentAuthorizations: Record<string, unknown>[] }>>(
      await app.get(`${BASE}/statistics`),
    );
    const latest = issuers
      .filter(
        (i) =>
          ['CASP', 'EMT', 'ART'].includes(i.licenseType) &&
          i.authorizationDate !== null &&
          i.authorizationDate <= TODAY,
      )
      .sort((a, b) => bytes(b.authorizationDate ?? '', a.authorizationDate ?? '') || byName(a, b))
      .slice(0, 10);
    expect(data.recentAuthorizations).toEqual(
      latest.map((i) => ({
        entityName: i.entityName,
        licenseType: i.licenseType,
        countryCode: i.countryCode,
        authorizationDate: i.authorizationDate,
        id: i.id,
      })),
    );
    for (const item of data.recentAuthorizations)
      expect(Object.keys(item)).toEqual([
        'entityName',
        'licenseType',
        'countryCode',
        'authorizationDate',
        'id',
      ]);
    // Two CASPs of the snapshot were authorised on 2025-12-22, the day that fills the list.
    expect(data.recentAuthorizations.slice(8).map((a) => [a.authorizationDate, a.entityName])).toEqual([
      ['2025-12-22', 'Alaric Securities OOD'],
      ['2025-12-22', 'PELICAN EXCHANGE EUROPE (CY) LTD'],
    ]);
  });

  it('GET /license-types lists all five types, most records first, zeros included', async () => {
    const res = await app.get(`${BASE}/license-types`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
    const { data } = await readJson<EnvelopeBody<Record<string, unknown>[]>>(res);
    expect(data.map(({ type, label, count }) => ({ type, label, count }))).toEqual(expectedLicenseTypes());
    expect(data.map((t) => [t.type, t.entityType])).toEqual([
      ['OTHER', 'whitepaper'],
      ['CASP', 'provider'],
      ['NON_COMPLIANT', 'non_compliant'],
      ['EMT', 'issuer'],
      ['ART', 'issuer'],
    ]);
    for (const item of data) {
      expect(Object.keys(item)).toEqual(['type', 'label', 'count', 'entityType', 'description', 'source']);
      expect(item.description).toEqual(expect.any(String));
    }
    expect(data.find((t) => t.type === 'ART')?.source).toEqual({
      fileName: 'ART20260301.csv',
      records: 2,
      skippedRows: 0,
      importedAt: new Date(NOW).toISOString(),
    });
  });

  it('GET /countries lists the home member states with records, most records first', async () => {
    const res = await app.get(`${BASE}/countries`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
    const { data } =
      await readJson<EnvelopeBody<{ code: string; name: string; count: number; byLicenseType: object }[]>>(
        res,
      );
    expect(data.map(({ code, name, count }) => ({ code, name, count }))).toEqual(expectedCountries());
    for (const c of data) {
      expect(Object.keys(c)).toEqual(['code', 'name', 'count', 'byLicenseType']);
      expect(c.count).toBeGreaterThanOrEqual(1);
      expect(c.byLicenseType).toEqual(
        Object.fromEntries(
          Object.keys(LABELS).map((type) => [
            type,
            issuers.filter((i) => i.countryCode === c.code && i.licenseType === type).length,
          ]),
        ),
      );
    }
    expect(data.find((c) => c.code === 'AT')).toMatchObject({ name: 'Austria' });
    // Equal counts by code: the snapshot has four countries with one record each.
    expect(data.filter((c) => c.count === 1).map((c) => c.code)).toEqual(['BE', 'BG', 'PL', 'SE']);
  });

  it('GET /health reports the register', async () => {
    const res = await app.get(`${BASE}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await readJson(res)).toEqual({
      status: 'operational',
      totalIssuers: 1015,
      lastSync: new Date(NOW).toISOString(),
      apiVersion: 'v1',
    });
  });

  it('answers an unknown register path with 404 in the envelope', async () => {
    const res = await app.get(`${BASE}/issuerz`);
    expect(res.status).toBe(404);
    expect((await readJson<ErrorBody>(res)).error.code).toBe('NOT_FOUND');
  });
});

describe('response cache', () => {
  it('serves an import by this process at once, and one by another process within the TTL', async () => {
    const local = await pgliteDatabase();
    const tick = createFakeClock(NOW);
    const served = await startRegisterApp({ db: local, now: tick.now, cacheTtlMs: 60_000 });
    try {
      const art = async () =>
        (await readJson<ListBody>(await served.get(`${BASE}/issuers?licenseType=ART`))).pagination.total;
      const stats = async () =>
        (await readJson<EnvelopeBody<{ totalEntities: number }>>(await served.get(`${BASE}/statistics`))).data
          .totalEntities;
      expect([await art(), await stats()]).toEqual([0, 0]);

      // This process imports: it clears its cache.
      const sub = await tempDir();
      try {
        await writeCsv(sub.path, 'ART20260301.csv', SYNTHETIC_ART);
        await importFiles(local, [sub.path], { now: tick.now, onImported: () => served.cache.clear() });
        expect([await art(), await stats()]).toEqual([2, 2]);

        // Another process (the CLI) imports: seen once the entries expire.
        const one = csvFile('ART', [{ ae_lei_name: 'Only One', ae_homeMemberState: 'DE' }]);
        await writeCsv(sub.path, 'ART20260302.csv', one);
        await importFiles(local, [sub.path], { now: tick.now });
        tick.advance(59_999);
        expect(await art()).toBe(2);
        tick.advance(1);
        expect([await art(), await stats()]).toEqual([1, 1]);
      } finally {
        await sub.remove();
      }
    } finally {
      await served.close();
      await local.close();
    }
  });

  it('re-evaluates statuses when the UTC day changes, without waiting for the TTL', async () => {
    const local = await pgliteDatabase();
    const tick = createFakeClock(Date.UTC(2030, 11, 31, 23, 59, 59));
    const served = await startRegisterApp({ db: local, now: tick.now, cacheTtlMs: 3_600_000 });
    const sub = await tempDir();
    try {
      await writeCsv(sub.path, 'ART20260301.csv', SYNTHETIC_ART);
      await importFiles(local, [sub.path], { now: tick.now });
      const expired = async () =>
        (await readJson<ListBody>(await served.get(`${BASE}/issuers?status=expired`))).pagination.total;
      expect(await expired()).toBe(1);
      tick.advance(1000); // 2031-01-01: the 2030-12-31 authorisation has ended
      expect(await expired()).toBe(2);
    } finally {
      await sub.remove();
      await served.close();
      await local.close();
    }
  });
});
