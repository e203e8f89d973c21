import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The web console built for this run (`index.html` and `assets/`); see {@link consoleGlobalSetup}. */
    consoleDir: string;
  }
}

/** What vitest calls a global setup with, as far as {@link consoleGlobalSetup} needs it. */
export type ConsoleSetupProject = Pick<TestProject, 'provide'>;

/**
 * The global setup of an app whose tests serve its web console: bundles the console once per
 * run into a fresh temporary directory (as the app's `pnpm build` does into `dist/console`), hands
 * its path to every test file as `inject('consoleDir')`, and removes it after the run.
 *
 * A global setup is loaded before vitest applies the `@portcullis/source` condition, so it, and
 * whatever `build` imports, runs from the workspace packages' builds: the app's `test` task
 * depends on `^build`.
 *
 * @example
 * // test/console-setup.ts, listed in vitest.config.ts as `globalSetup`
 * export default consoleGlobalSetup('mica-console-', (dir) => buildConsole(consoleBuildOptions(dir)));
 */
export function consoleGlobalSetup(
  prefix: string,
  build: (outDir: string) => Promise<unknown>,
): (project: ConsoleSetupProject) => Promise<() => Promise<void>> {
  return async (project) => {
    const root = await mkdtemp(join(tmpdir(), prefix));
    const remove = () => rm(root, { recursive: true, force: true });
    const dir = join(root, 'console');
    try {
      await build(dir);
    } catch (error) {
      await remove();
      throw error;
    }
    project.provide('consoleDir', dir);
    return remove;
  };
}
