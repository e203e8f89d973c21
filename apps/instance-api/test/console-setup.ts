// Global setup of this app's tests: bundles the web console once per run into a temporary
// directory (as `pnpm build` does into dist/console), and hands its path to every test file.
// A global setup is loaded before vitest applies the `@portcullis/source` condition, so it uses
// the workspace packages' builds: this app's turbo.json makes `test` depend on `^build`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '@portcullis/console-ui';
import type { TestProject } from 'vitest/node';
import { consoleBuildOptions } from '../console/options.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The console built for this run (`index.html` and `assets/`). */
    consoleDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'instance-console-'));
  const dir = join(root, 'console');
  await buildConsole(consoleBuildOptions(dir));
  project.provide('consoleDir', dir);
  return () => rm(root, { recursive: true, force: true });
}
