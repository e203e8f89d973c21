import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  detectKind,
  EXPECTED_COLUMNS,
  issuerStatus,
  MAX_SKIPPED_ROWS,
  type ParseFileResult,
  parseEsmaDate,
  parseRegisterFile,
  type RegisterRecord,
  toIssuer,
} from './importer.js';

const DATA = fileURLToPath(new URL('../../data/esma/', import.meta.url));
const FILES = {
  CASP: 'CASP20260209.csv',
  EMT: 'EMT20260209.csv',
  ART: 'ART20260209.csv',
  OTHER: 'OTHER20260209.csv',
  NCASP: 'NCASP20260209.csv',
} as const;
const bytes = (name: string) => readFileSync(`${DATA}${name}`);
const text = (name: string) => bytes(name).toString('utf8');

function parsed(name: string, content: Uint8Array | string = bytes(name)) {
  const result = parseRegisterFile(name, content);
  if (!result.ok) throw new Error(`${name} rejected: ${result.reason}`);
  return result;
}

function rejected(result: ParseFileResult) {
  if (result.ok) throw new Error(`${result.file} was not rejected`);
  return result;
}

const CASP_HEADER = EXPECTED_COLUMNS.CASP.join(',');
const caspRow = (overrides: Partial<Record<string, string>> = {}) =>
  EXPECTED_COLUMNS.CASP.map((column) => {
    const value =
      overrides[column] ??
      {
        ae_competentAuthority: 'Test Authority',
        ae_homeMemberState: 'DE',
        ae_lei_name: 'Test GmbH',
        ae_lei: '5299000000000000TEST',
        ac_authorisationNotificationDate: '01/02/2025',
      }[column] ??
      '';
    return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  }).join(',');

describe('the shipped ESMA snapshot', () => {
  it('gives CASP 150, EMT 32, ART 0 and OTHER 731 records, no row skipped', () => {
    expect(parsed(FILES.CASP).records).toHaveLength(150);
    expect(parsed(FILES.EMT).records).toHaveLength(32);
    expect(parsed(FILES.ART).records).toHaveLength(0);
    expect(parsed(FILES.OTHER).records).toHaveLength(731);
    for (const name of Object.values(FILES)) expect(parsed(name).skipped).toEqual([]);
  });

  it('gives NCASP 100 records: its rows 84 and 85 are byte-identical and are one record', () => {
    const ncasp = parsed(FILES.NCASP);
    expect(ncasp.rows).toBe(101);
    expect(ncasp.records).toHaveLength(100);
    expect(ncasp.duplicates).toEqual([{ line: 85, firstLine: 84 }]);
    const lines = text(FILES.NCASP).split('\r\n');
    expect(lines[83]).toBe(lines[84]);
  });

  it('counts records, not lines: quoted fields span lines', () => {
    const casp = parsed(FILES.CASP);
    expect(text(FILES.CASP).split('\n').length - 2).toBe(152); // 151 CRLF lines + 2 embedded LFs
    expect(casp.rows).toBe(150);
    const other = parsed(FILES.OTHER);
    expect(other.rows).toBe(732);
    expect(other.duplicates).toEqual([{ line: 151, firstLine: 150 }]);
    expect(parsed(FILES.EMT).duplicates).toEqual([{ line: 25, firstLine: 24 }]);
  });

  it('maps Bybit EU GmbH (CASP, LEI 5299005V5GBSN2A4C303) field by field', () => {
    const bybit = parsed(FILES.CASP).records.filter((r) => r.entityIdentifier === '5299005V5GBSN2A4C303');
    expect(bybit).toHaveLength(1);
    const issuer = toIssuer(bybit[0] as RegisterRecord, Date.parse('2026-02-09T12:00:00Z'));
    expect(issuer).toEqual({
      id: expect.stringMatching(/^mica_[0-9a-f]{20}$/),
      entityName: 'Bybit EU GmbH',
      entityIdentifier: '5299005V5GBSN2A4C303',
      licenseType: 'CASP',
      entityType: 'provider',
      country: 'Austria',
      countryCode: 'AT',
      nationalAuthority: 'Austrian Financial Market Authority (FMA)',
      commercialName: 'Bybit',
      address: 'Donau-City-Stra\uFFFDe 7, 1220 Vienna, Austria',
      website: 'https://www.bybit.eu',
      websitePlatform: null,
      authorizationDate: '2025-05-28',
      authorizationEndDate: null,
      services: [
        'a. providing custody and administration of crypto-assets on behalf of clients',
        'c. exchange of crypto-assets for funds',
        'd. exchange of crypto-assets for other crypto-assets',
        'f. placing of crypto-assets',
        'j. providing transfer services for crypto-assets on behalf of clients',
      ],
      passportedCountries:
        'BE|BG|CY|CZ|DE|DK|EE|ES|FI|FR|GR|HR|HU|IE|IS|IT|LI|LT|LU|LV|NL|NO|PL|PT|RO|SE|SI|SK'.split('|'),
      status: 'active',
      comments: null,
    });
    expect(bybit[0]?.sourceLine).toBe(2);
  });

  it('keeps the two CASP authorisations of EUWAX AG as two records', () => {
    const euwax = parsed(FILES.CASP).records.filter((r) => r.entityIdentifier === '529900032TYR45XIEW79');
    expect(euwax).toHaveLength(2);
    expect(new Set(euwax.map((r) => r.id)).size).toBe(2);
    expect(euwax.map((r) => r.authorizationDate).sort()).toEqual(['2025-04-01', '2025-11-21']);
    expect(euwax.find((r) => r.authorizationDate === '2025-11-21')?.services).toEqual([
      'e. execution of orders for crypto-assets on behalf of clients',
    ]);
  });

  it('keeps several white papers of one issuer as several records', () => {
    const lcx = parsed(FILES.OTHER).records.filter((r) => r.entityIdentifier === '529900SN07Z6RTX8R418');
    expect(lcx.length).toBeGreaterThan(5);
    expect(new Set(lcx.map((r) => r.websitePlatform)).size).toBe(lcx.length);
    // No offeror named: the CASP that notified the white paper is the entity.
    expect(lcx[0]?.entityName).toBe('LCX AG');
  });

  it('names the CASP of a white paper in comments, unless it is the entity itself', () => {
    const other = parsed(FILES.OTHER).records;
    const biogena = other.find((r) => r.entityName === 'Biogena GmbH & Co KG');
    expect(biogena?.comments).toBe('Crypto-asset service provider: Tangany GmbH, LEI 529900WKXS5ZPJY9W498');
    const bitstamp = other.filter((r) => r.entityIdentifier === '549300XIBGTJ0PLIEO72');
    expect(bitstamp.length).toBeGreaterThan(1);
    expect(bitstamp.some((r) => r.comments?.includes('Crypto-asset service provider'))).toBe(false);
    // Two rows name no entity at all: the register publishes none.
    expect(other.filter((r) => r.entityName === null).map((r) => r.sourceLine)).toHaveLength(
      other.filter((r) => r.sourceFields.ae_lei_name === '' && r.sourceFields.ae_lei_name_casp === '').length,
    );
  });

  it('gives the same ids on every parse, and different ids to different rows', () => {
    const all = Object.values(FILES).flatMap((name) => parsed(name).records);
    const again = Object.values(FILES).flatMap((name) => parsed(name).records);
    expect(again.map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
  });

  it('parses bytes and decoded text alike, BOM or not', () => {
    const fromBytes = parsed(FILES.CASP);
    const fromText = parsed(FILES.CASP, text(FILES.CASP));
    const withoutBom = parsed(FILES.CASP, text(FILES.CASP).replace(/^\uFEFF/, ''));
    expect(fromText.records).toEqual(fromBytes.records);
    expect(withoutBom.records).toEqual(fromBytes.records);
  });

  it('normalises messy published cells', () => {
    const casp = parsed(FILES.CASP).records;
    const all = casp.flatMap((r) => r.services);
    expect(all.some((s) => /\t|^[a-j]\.\S|[.;]$/.test(s))).toBe(false);
    const codes = casp.flatMap((r) => r.passportedCountries);
    expect(codes.every((c) => /^[A-Z]{2}$/.test(c))).toBe(true);
    expect(codes).not.toContain('EL');
    expect(casp.find((r) => r.entityName === 'Cryptonow GmbH')?.countryCode).toBe('AT');
    const skrill = casp.find((r) => r.website?.includes('skrill'));
    expect(skrill?.website).toBe('www.skrill.com | www.neteller.com');
    const emt = parsed(FILES.EMT).records;
    expect(emt.every((r) => r.authorizationEndDate === null)).toBe(true); // includes 'n/a'
  });

  it('maps NCASP decisions into comments and marks them non_compliant', () => {
    const mexc = parsed(FILES.NCASP).records.find((r) => r.comments?.includes('MEXC'));
    expect(mexc?.licenseType).toBe('NON_COMPLIANT');
    expect(mexc?.entityType).toBe('non_compliant');
    expect(mexc?.comments).toMatch(/^Decision date: \d{4}-\d{2}-\d{2}\nInfringement: No\nReason: MEXC/);
    expect(issuerStatus(mexc as RegisterRecord, Date.now())).toBe('non_compliant');
  });
});

describe('issuerStatus', () => {
  const now = Date.parse('2026-02-09T10:00:00Z');
  it('is active without an end date, and through the end date itself', () => {
    expect(issuerStatus({ kind: 'CASP', authorizationEndDate: null }, now)).toBe('active');
    expect(issuerStatus({ kind: 'CASP', authorizationEndDate: '2026-02-09' }, now)).toBe('active');
  });
  it('is expired from the day after the end date (UTC)', () => {
    expect(issuerStatus({ kind: 'EMT', authorizationEndDate: '2026-02-08' }, now)).toBe('expired');
  });
  it('is non_compliant for the NCASP register whatever the dates', () => {
    expect(issuerStatus({ kind: 'NCASP', authorizationEndDate: '2000-01-01' }, now)).toBe('non_compliant');
  });
});

describe('detectKind', () => {
  it.each([
    ['CASP20260209.csv', 'CASP'],
    ['dir/NCASP20260209.csv', 'NCASP'],
    ['C:\\esma\\other20260209.CSV', 'OTHER'],
    ['EMT.csv', 'EMT'],
    ['ART_2026.csv', 'ART'],
  ])('reads %s as %s', (name, kind) => {
    expect(detectKind(name)).toBe(kind);
  });
  it.each(['CASPX2026.csv', 'notes.csv', 'CASP20260209.txt', 'XCASP2026.csv', ''])('refuses %j', (name) => {
    expect(detectKind(name)).toBeUndefined();
  });
});

describe('parseEsmaDate', () => {
  it('turns DD/MM/YYYY into YYYY-MM-DD', () => {
    expect(parseEsmaDate('28/05/2025')).toBe('2025-05-28');
    expect(parseEsmaDate(' 1/2/2025 ')).toBe('2025-02-01');
    expect(parseEsmaDate('29/02/2024')).toBe('2024-02-29');
  });
  it('reads blanks and placeholders as no date', () => {
    for (const v of ['', ' ', 'n/a', 'N/A', '-', 'None']) expect(parseEsmaDate(v)).toBeNull();
  });
  it('refuses impossible or foreign dates', () => {
    for (const v of [
      '31/02/2025',
      '29/02/2025',
      '00/01/2025',
      '12/13/2025',
      '2025-05-28',
      '28.05.2025',
      '1/1/25',
    ])
      expect(parseEsmaDate(v)).toBeUndefined();
  });
});

describe('corrupted files', () => {
  const good = (n: number) =>
    caspRow({ ae_lei_name: `Good ${n}`, ae_lei: `GOOD${String(n).padStart(16, '0')}` });

  it('rejects a file whose header is not the register of its name, whole', () => {
    const file = `${EXPECTED_COLUMNS.EMT.join(',')}\n`;
    const result = rejected(parseRegisterFile('CASP20260209.csv', file));
    expect(result.reason).toMatch(/^header does not match the CASP register: column 9 is "ac_authorisation/);
    expect(rejected(parseRegisterFile('CASP1.csv', `${CASP_HEADER},extra\n${good(1)}`)).reason).toMatch(
      /unexpected column 16 "extra"/,
    );
    expect(
      rejected(parseRegisterFile('CASP1.csv', EXPECTED_COLUMNS.CASP.slice(0, 14).join(','))).reason,
    ).toMatch(/column 15 ac_lastupdate is missing/);
  });

  it('rejects empty files and files with an unknown name', () => {
    expect(rejected(parseRegisterFile('CASP1.csv', '')).reason).toBe('file is empty');
    expect(rejected(parseRegisterFile('CASP1.csv', new Uint8Array())).reason).toBe('file is empty');
    expect(rejected(parseRegisterFile('register.csv', CASP_HEADER)).kind).toBeNull();
  });

  it('accepts a header-only file as an empty register (ART today)', () => {
    const result = parsed('ART1.csv', EXPECTED_COLUMNS.ART.join(','));
    expect(result.records).toEqual([]);
    expect(result.rows).toBe(0);
  });

  it('reports a row with the wrong number of fields and keeps the others', () => {
    const file = [CASP_HEADER, good(1), 'a,b,c', good(2), `${good(3)},unexpected`, `${good(4)},,  ,`].join(
      '\r\n',
    );
    const result = parsed('CASP1.csv', file);
    expect(result.records.map((r) => r.entityName)).toEqual(['Good 1', 'Good 2', 'Good 4']);
    expect(result.skipped).toEqual([
      { line: 3, reason: 'expected 15 fields, found 3' },
      { line: 5, reason: 'unexpected value after the last column (16 fields)' },
    ]);
  });

  it('reports an unclosed quote on its line and still reads every row after it', () => {
    const file = [
      CASP_HEADER,
      good(1),
      caspRow({ ae_address: 'x' }).replace(',x,', ',"x,'),
      good(2),
      good(3),
    ].join('\n');
    const result = parsed('CASP1.csv', file);
    expect(result.records.map((r) => r.entityName)).toEqual(['Good 1', 'Good 2', 'Good 3']);
    expect(result.skipped).toEqual([{ line: 3, reason: expect.stringMatching(/quot/) }]);
    expect(result.rows).toBe(4);
  });

  it('reports a stray quote inside a field and a quote closed too early', () => {
    const stray = caspRow({ ae_address: 'x' }).replace(',x,', ',ab"c,');
    const early = caspRow({ ae_address: 'x' }).replace(',x,', ',"ab"c,');
    const result = parsed('CASP1.csv', [CASP_HEADER, stray, good(1), early, good(2)].join('\n'));
    expect(result.records.map((r) => r.entityName)).toEqual(['Good 1', 'Good 2']);
    expect(result.skipped.map((s) => s.line)).toEqual([2, 4]);
  });

  it('keeps quoted fields that span lines, and reports lines after them correctly', () => {
    const multi = caspRow({ ae_address: 'Street 1\r\nCity', ac_comments: 'a\nb\nc' });
    const file = [CASP_HEADER, multi, 'broken', good(1)].join('\r\n');
    const result = parsed('CASP1.csv', file);
    expect(result.records[0]?.address).toBe('Street 1\nCity');
    expect(result.records[0]?.comments).toBe('a\nb\nc');
    // The quoted row spans lines 2–5.
    expect(result.skipped).toEqual([{ line: 6, reason: 'expected 15 fields, found 1' }]);
    expect(result.records[1]?.sourceLine).toBe(7);
  });

  it('reports a bad date by column and skips only that row', () => {
    const file = [CASP_HEADER, caspRow({ ac_authorisationNotificationDate: '31/02/2025' }), good(1)].join(
      '\n',
    );
    const result = parsed('CASP1.csv', file);
    expect(result.skipped).toEqual([
      { line: 2, reason: 'ac_authorisationNotificationDate: "31/02/2025" is not a DD/MM/YYYY date' },
    ]);
    expect(result.records).toHaveLength(1);
  });

  it('reports binary junk rows and keeps the readable ones', () => {
    const junk = Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x2c, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const file = Buffer.concat([
      Buffer.from(`\uFEFF${CASP_HEADER}\r\n${good(1)}\r\n`),
      junk,
      Buffer.from(`\r\n${caspRow({ ae_address: 'a\u0000b' })}\r\n${good(2)}\r\n`),
    ]);
    const result = parsed('CASP1.csv', file);
    expect(result.records.map((r) => r.entityName)).toEqual(['Good 1', 'Good 2']);
    expect(result.skipped.length).toBeGreaterThanOrEqual(2);
    expect(result.skipped.every((s) => s.line >= 3 && s.line <= 6)).toBe(true);
    expect(result.skipped.find((s) => s.reason.startsWith('ae_address'))?.reason).toBe(
      'ae_address: control characters (binary data)',
    );
  });

  it('reports a row of undecodable bytes', () => {
    const file = `${CASP_HEADER}\n${caspRow({ ae_address: '\uFFFD'.repeat(40) })}\n${good(1)}`;
    expect(parsed('CASP1.csv', file).skipped).toEqual([
      { line: 2, reason: 'undecodable bytes (binary data)' },
    ]);
  });

  it('keeps a stray U+FFFD as published', () => {
    const file = `${CASP_HEADER}\n${caspRow({ ae_address: 'Donau-City-Stra\uFFFDe 7' })}`;
    expect(parsed('CASP1.csv', file).records[0]?.address).toBe('Donau-City-Stra\uFFFDe 7');
  });

  it('reads a file truncated mid-row: the cut row is reported, the rest kept', () => {
    const whole = text(FILES.CASP);
    const cut = whole.slice(0, whole.indexOf('Bitpanda') + 30);
    const result = parsed(FILES.CASP, cut);
    expect(result.records.map((r) => r.entityName)).toEqual(['Bybit EU GmbH']);
    expect(result.skipped).toEqual([{ line: 3, reason: expect.any(String) }]);
    const inQuotes = whole.slice(0, whole.indexOf('Stella-Klein') + 5);
    expect(parsed(FILES.CASP, inQuotes).skipped).toEqual([{ line: 3, reason: 'unclosed quoted field' }]);
  });

  it('rejects a file whose every data row is bad, so a broken download cannot empty a register', () => {
    const result = rejected(parseRegisterFile('CASP1.csv', `${CASP_HEADER}\nx\ny\n`));
    expect(result.reason).toBe('no valid rows: every data row was rejected');
    expect(result.skipped.map((s) => s.line)).toEqual([2, 3]);
  });

  it(`rejects a file with more than ${MAX_SKIPPED_ROWS} malformed rows`, () => {
    const bad = Array.from({ length: MAX_SKIPPED_ROWS + 1 }, () => '"unclosed').join('\n');
    const result = rejected(parseRegisterFile('CASP1.csv', `${CASP_HEADER}\n${good(1)}\n${bad}`));
    expect(result.reason).toMatch(/^more than 1000 malformed rows/);
  });

  it('ignores blank lines without reporting them', () => {
    const result = parsed('CASP1.csv', `${CASP_HEADER}\n\n${good(1)}\n,,,\n\n`);
    expect(result.records).toHaveLength(1);
    expect(result.skipped).toEqual([]);
    expect(result.rows).toBe(1);
  });

  it('collapses rows that differ only in surrounding whitespace', () => {
    const padded = good(1).replace('Good 1', '  Good 1\t');
    const result = parsed('CASP1.csv', [CASP_HEADER, good(1), padded].join('\n'));
    expect(result.records).toHaveLength(1);
    expect(result.duplicates).toEqual([{ line: 3, firstLine: 2 }]);
  });

  it('never throws, whatever the bytes: a typed result comes back', () => {
    const header = Buffer.from(`${CASP_HEADER}\n`);
    fc.assert(
      fc.property(
        fc.constantFrom('CASP1.csv', 'OTHER1.csv', 'x.csv'),
        fc.boolean(),
        fc.uint8Array({ maxLength: 2000 }),
        (name, withHeader, body) => {
          const content = withHeader ? Buffer.concat([header, body]) : body;
          const result = parseRegisterFile(name, content);
          expect(typeof result.ok).toBe('boolean');
          if (result.ok) {
            for (const r of result.records) expect(r.id).toMatch(/^mica_[0-9a-f]{20}$/);
            for (const s of result.skipped) expect(s.line).toBeGreaterThan(1);
          } else expect(result.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never throws on CSV-shaped noise, and every reported line is a line of the file', () => {
    const cell = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        '"',
        '""',
        '"a"',
        '"a\nb"',
        'a"b',
        '\r\n',
        '01/02/2025',
        '31/02/2025',
        '\u0000',
        '\uFFFD',
      ),
    );
    const row = fc.array(cell, { maxLength: 18 }).map((cells) => cells.join(','));
    fc.assert(
      fc.property(fc.array(row, { maxLength: 30 }), (rows) => {
        const file = [CASP_HEADER, ...rows].join('\n');
        const lines = file.replace(/\r\n?/g, '\n').split('\n').length;
        const result = parseRegisterFile('CASP1.csv', file);
        for (const s of result.skipped) {
          expect(s.line).toBeGreaterThanOrEqual(2);
          expect(s.line).toBeLessThanOrEqual(lines);
        }
        if (result.ok) expect(result.records.length + result.skipped.length).toBeLessThanOrEqual(result.rows);
      }),
      { numRuns: 1000 },
    );
  });
});
