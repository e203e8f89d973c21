// Shared vitest settings for every workspace package and app.
// Tests run from `src` through the `@portcullis/source` export condition, so no build is needed.
// When VITEST_JSON_DIR is set (CI), each package also writes vitest's JSON report there so
// `.ci/run` can sum the workspace total.
import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';

const conditions = ['@portcullis/source', 'import', 'module', 'node', 'default'];

export function portcullisVitestConfig(packageDir: string) {
  const jsonDir = process.env.VITEST_JSON_DIR;
  const reporters: Array<string | [string, Record<string, unknown>]> = ['default'];
  if (jsonDir) {
    reporters.push(['json', { outputFile: `${jsonDir}/${basename(packageDir)}.json` }]);
  }
  return defineConfig({
    resolve: { conditions },
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
