import { rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Kinds of temporary directory this package creates; the owner's pid is part of the name. */
export type TempDirKind = 'pglite-data' | 'pglite-build' | 'redis';

const OWNED = /^portcullis-(pglite-data|pglite-build|redis)-(\d+)-[A-Za-z0-9]{6}$/;
const live = new Set<string>();
let exitHookInstalled = false;
let swept: Promise<void> | undefined;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else — alive, not ours to clean.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes this package's directories in `root` whose owner pid is no longer running. vitest
 * ends its workers with SIGTERM, which skips `process.on('exit')`, so a killed worker's
 * directories are left for the next process to sweep.
 */
export async function removeDeadOwnerDirs(root: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (name) => {
      const pid = Number(OWNED.exec(name)?.[2]);
      if (!Number.isSafeInteger(pid) || pid === process.pid || isAlive(pid)) return;
      await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
    }),
  );
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of live) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Best effort at exit; the next process sweeps what is left.
      }
    }
  });
}

/** Creates `<tmpdir>/portcullis-<kind>-<pid>-XXXXXX`, removed at exit or by a later sweep. */
export async function makeTempDir(kind: TempDirKind): Promise<string> {
  installExitHook();
  swept ??= removeDeadOwnerDirs(tmpdir());
  await swept;
  const dir = await mkdtemp(join(tmpdir(), `portcullis-${kind}-${process.pid}-`));
  live.add(dir);
  return dir;
}

/** Removes a directory made by {@link makeTempDir}. Idempotent. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Forgets a directory without removing it (it was renamed into a shared cache). */
export function releaseTempDir(dir: string): void {
  live.delete(dir);
}
