import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { micaDeveloperErrors, renderTrusset } from '@portcullis/errors';
import { errorHandler, requestId } from '@portcullis/koa-auth';
import { listen, type Served } from '@portcullis/testing';
import Koa from 'koa';
import type { z } from 'zod';
import { type AppState, createMicaKit } from '../src/http.js';
import { EXPECTED_COLUMNS, parseRegisterFile, type RegisterRecord } from '../src/register/importer.js';
import type { Issuer, RegisterKind } from '../src/register/model.js';
import type { listSchema } from '../src/respond.js';
import { createRegisterCache, type RegisterCache, registerRoutes } from '../src/routes/register.js';
import { SHIPPED_SNAPSHOT_DIR } from '../src/store/register.js';

export type { TrussetSuccessBody as EnvelopeBody } from '@portcullis/errors';
export type { ErrorBody } from '../src/http.js';
/** An issuer as the register routes answer it. */
export type IssuerBody = Issuer;
/** A list answer of the register routes, around items of `T`. */
export type ListBody<T = Issuer> = z.infer<ReturnType<typeof listSchema<z.ZodType<T>>>>;

export const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

export const SHIPPED_FILES: Readonly<Record<RegisterKind, string>> = {
  CASP: 'CASP20260209.csv',
  EMT: 'EMT20260209.csv',
  ART: 'ART20260209.csv',
  OTHER: 'OTHER20260209.csv',
  NCASP: 'NCASP20260209.csv',
};

/** A migrated embedded database in memory. */
export async function pgliteDatabase(): Promise<Database> {
  const db = await createDatabase({ dataDir: 'memory://' });
  await migrate(db, { directory: MIGRATIONS });
  return db;
}

/** A temporary directory, removed by `remove()`. */
export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'mica-register-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Copies shipped snapshot files into `dir`. */
export async function copyShipped(dir: string, kinds: readonly RegisterKind[]): Promise<void> {
  for (const kind of kinds)
    await copyFile(join(SHIPPED_SNAPSHOT_DIR, SHIPPED_FILES[kind]), join(dir, SHIPPED_FILES[kind]));
}

/** One CSV row of `kind` from named cells (every other column empty), quoted as needed. */
function csvRow(kind: RegisterKind, cells: Partial<Record<string, string>>): string {
  return EXPECTED_COLUMNS[kind]
    .map((column) => {
      const value = cells[column] ?? '';
      return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
    })
    .join(',');
}

/** A whole CSV file of `kind`: BOM, header and rows, CRLF like ESMA's. */
export function csvFile(kind: RegisterKind, rows: readonly Partial<Record<string, string>>[]): string {
  return `\uFEFF${[EXPECTED_COLUMNS[kind].join(','), ...rows.map((row) => csvRow(kind, row))].join('\r\n')}\r\n`;
}

/**
 * A synthetic ART register (ESMA's is empty today): one authorisation ended on 2025-12-31, one
 * ending in 2030, so `expired` and end dates can be tested.
 */
export const SYNTHETIC_ART = csvFile('ART', [
  {
    ae_competentAuthority: 'Central Bank of Ireland (CBI)',
    ae_homeMemberState: 'IE',
    ae_lei_name: 'Expired Reference Token Ltd',
    ae_lei: '635400EXPIREDART0001',
    ae_commercial_name: 'XART',
    ac_authorisationNotificationDate: '01/03/2025',
    ac_authorisationEndDate: '31/12/2025',
    wp_url: 'https://example.eu/xart.pdf',
    wp_url_cou: 'IE|FR|EL',
  },
  {
    ae_competentAuthority: 'Banque de France',
    ae_homeMemberState: 'FR',
    ae_lei_name: 'Living Reference Token SA',
    ae_lei: '969500LIVINGART00002',
    ac_authorisationNotificationDate: '15/06/2025',
    ac_authorisationEndDate: '31/12/2030',
    wp_url: 'https://example.eu/lart.pdf',
  },
]);

/** Parses files as the importer does: the records the database should hold for them. */
export function recordsOf(files: Readonly<Record<string, string | Uint8Array>>): RegisterRecord[] {
  return Object.entries(files).flatMap(([name, content]) => {
    const result = parseRegisterFile(name, content);
    if (!result.ok) throw new Error(`${name}: ${result.reason}`);
    return result.records;
  });
}

export interface RegisterApp {
  url: string;
  cache: RegisterCache;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * A bare Koa app serving `registerRoutes`, with the request id and Trusset error rendering an
 * app would put in front (no authentication nor per-key limits: the routes do not depend on
 * them). The full app's answers, these routes' among them, are held against its document by the
 * test harness.
 */
export async function startRegisterApp(options: {
  db: Database;
  now: () => number;
  cacheTtlMs?: number;
}): Promise<RegisterApp> {
  const cache = createRegisterCache({ now: options.now, ttlMs: options.cacheTtlMs ?? 60_000 });
  const app = new Koa<AppState>();
  app.silent = true;
  app.use(requestId());
  app.use(
    errorHandler<AppState>(
      (err, ctx) =>
        renderTrusset(err, {
          requestId: ctx.state.requestId,
          timestamp: new Date(options.now()).toISOString(),
        }),
      { notFound: () => micaDeveloperErrors.error('NOT_FOUND', { message: 'Route not found' }) },
    ),
  );
  const router = registerRoutes(createMicaKit<AppState>(), { db: options.db, now: options.now, cache });
  app.use(router.routes());
  app.use(router.allowedMethods());
  const served: Served = await listen(app.callback());
  return {
    url: served.url,
    cache,
    get: (path, headers = {}) => fetch(`${served.url}${path}`, { headers }),
    close: () => served.close(),
  };
}

/** Writes `content` to `dir/name` and returns the path. */
export async function writeCsv(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
