import { existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { makeTempDir, releaseTempDir, removeTempDir } from './temp-dirs.js';

/** Options of {@link createPgliteDataDir}. */
export interface CreatePgliteDataDirOptions {
  /**
   * Copy an already initialised cluster instead of leaving the directory empty. Opening a copy
   * takes about a quarter of the time of a fresh `initdb`. Default true.
   */
  fromTemplate?: boolean;
}

/** A temporary PGlite data directory. */
export interface PgliteDataDir {
  /** Absolute path; pass it as `dataDir` to PGlite / `createDatabase`. */
  readonly dataDir: string;
  /** Removes the directory. Close the database that uses it first. Idempotent. */
  cleanup(): Promise<void>;
}

const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;
let template: Promise<string> | undefined;

/** The installed PGlite version, used to key the shared template (clusters are version-specific). */
function pgliteVersion(): string | undefined {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    for (let depth = 0; depth < 4; depth++, dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name !== '@electric-sql/pglite') continue;
      return typeof manifest.version === 'string' && VERSION.test(manifest.version)
        ? manifest.version
        : undefined;
    }
  } catch {
    // No version: fall back to a per-process template.
  }
  return undefined;
}

/**
 * Only trust a shared template that we own and nobody else can write: tmpdir is shared by
 * every user, and a planted directory must not become our database.
 */
function usableTemplate(sharedDir: string): boolean {
  try {
    const stats = statSync(sharedDir);
    const uid = process.getuid?.();
    return (
      stats.isDirectory() &&
      (uid === undefined || stats.uid === uid) &&
      (stats.mode & 0o022) === 0 &&
      existsSync(join(sharedDir, 'pgdata', 'PG_VERSION'))
    );
  } catch {
    return false;
  }
}

/**
 * An initialised cluster to copy from: shared across processes in
 * `<tmpdir>/portcullis-pglite-template-<version>` (built once, then renamed into place
 * atomically, so concurrent test files never see a half-built one), else per process.
 */
function templateDataDir(): Promise<string> {
  template ??= (async () => {
    const version = pgliteVersion();
    const shared =
      version === undefined ? undefined : join(tmpdir(), `portcullis-pglite-template-${version}`);
    if (shared !== undefined && usableTemplate(shared)) return join(shared, 'pgdata');

    const build = await makeTempDir('pglite-build');
    const pgdata = join(build, 'pgdata');
    await mkdir(pgdata);
    const db = await PGlite.create(pgdata);
    await db.close();
    if (shared === undefined) return pgdata;
    try {
      await rename(build, shared);
      releaseTempDir(build);
    } catch {
      // Another process finished first (or the name is taken): use theirs if trustworthy.
      if (!usableTemplate(shared)) return pgdata;
      await removeTempDir(build);
    }
    return join(shared, 'pgdata');
  })();
  return template;
}

/**
 * Creates a temporary directory for an embedded PGlite database (for in-memory use, pass
 * `'memory://'` as the data dir instead). By default it holds a copy of an initialised
 * cluster, so each fresh database opens in about a second. Directories are removed by
 * `cleanup()`, at normal exit, or — if the process was killed — by the next process that
 * uses this package.
 *
 * @param options - whether to start from the template (default true).
 * @example
 * ```ts
 * const dir = await createPgliteDataDir();
 * const db = await createDatabase({ dataDir: dir.dataDir });
 * afterAll(async () => { await db.close(); await dir.cleanup(); });
 * ```
 */
export async function createPgliteDataDir(options: CreatePgliteDataDirOptions = {}): Promise<PgliteDataDir> {
  const source = options.fromTemplate === false ? undefined : await templateDataDir();
  const dataDir = await makeTempDir('pglite-data');
  if (source !== undefined) await cp(source, dataDir, { recursive: true });
  let removed: Promise<void> | undefined;
  return {
    dataDir,
    cleanup() {
      removed ??= removeTempDir(dataDir);
      return removed;
    },
  };
}
