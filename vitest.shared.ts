// Shared vitest settings for every workspace package and app.
// Tests run from `src` through the `@portcullis/source` export condition, so no build is needed.
// When VITEST_JSON_DIR is set (CI), each package also writes vitest's JSON report there so
// `.ci/run` can sum the workspace total.
import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';

// Source first, then what Node itself would pick. `import` must not be listed: vitest hands these
// to the worker as `node --conditions`, and CommonJS packages that `require()` a dual package
// (pg → pg-pool) would then load its ESM build and break.
const conditions = ['@portcullis/source', 'node', 'development|production'];

export function portcullisVitestConfig(packageDir: string) {
  const jsonDir = process.env.VITEST_JSON_DIR;
  const reporters: Array<string | [string, Record<string, unknown>]> = ['default'];
  if (jsonDir) {
    reporters.push(['json', { outputFile: `${jsonDir}/${basename(packageDir)}.json` }]);
  }
  return defineConfig({
    resolve: { conditions: [...conditions, 'import', 'module', 'default'] },
    ssr: { resolve: { conditions, externalConditions: ['@portcullis/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      reporters,
      testTimeout: 20_000,
      hookTimeout: 60_000,
    },
  });
}
