// Global setup of this app's tests: bundles the web console once per run into a temporary
// directory (as `pnpm build` does into dist/console), and hands its path to every test file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { consoleBuildOptions } from '../console/options.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The console built for this run (`index.html` and `assets/`). */
    consoleDir: string;
  }
}

// The package's source entry, as the tests use every workspace package: a global setup is loaded
// before vitest applies the `@portcullis/source` condition, so the bare specifier would need the
// package built first.
const CONSOLE_UI_SOURCE = fileURLToPath(
  new URL('../node_modules/@portcullis/console-ui/src/index.ts', import.meta.url),
);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { buildConsole } = (await import(CONSOLE_UI_SOURCE)) as typeof import('@portcullis/console-ui');
  const root = await mkdtemp(join(tmpdir(), 'instance-console-'));
  const dir = join(root, 'console');
  await buildConsole(consoleBuildOptions(dir));
  project.provide('consoleDir', dir);
  return () => rm(root, { recursive: true, force: true });
}
