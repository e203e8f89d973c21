import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** One finding of the linter. */
export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  /** JSON pointer of the finding in the document, e.g. `#/paths/~1x/get`. */
  pointer: string;
}

/** What {@link lintOpenApi} found. */
export interface LintReport {
  errors: LintProblem[];
  warnings: LintProblem[];
}

const run = promisify(execFile);

/**
 * Lints an OpenAPI document with `redocly lint` (Redocly CLI, its `recommended` rules) and returns
 * its findings. The document is written to a temporary file, which is removed afterwards. Rejects
 * only when the linter itself cannot run.
 *
 * @example
 * const report = await lintOpenApi(await readJson(await fetch(`${url}/openapi.json`)));
 * expect(report.errors).toEqual([]);
 */
export async function lintOpenApi(document: unknown): Promise<LintReport> {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document));
    // Exit code 1 means "problems found": the JSON report on stdout is the answer either way.
    const { stdout } = await run(process.execPath, [cli, 'lint', file, '--format=json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; code?: number }) => {
      if (typeof error.stdout === 'string' && error.stdout.trim().startsWith('{'))
        return { stdout: error.stdout };
      throw error;
    });
    const report = JSON.parse(stdout) as {
      problems: Array<{
        ruleId: string;
        severity: string;
        message: string;
        location?: Array<{ pointer?: string }>;
      }>;
    };
    const problems = report.problems.map((p) => ({
      ruleId: p.ruleId,
      severity: p.severity === 'error' ? ('error' as const) : ('warn' as const),
      message: p.message,
      pointer: p.location?.[0]?.pointer ?? '',
    }));
    return {
      errors: problems.filter((p) => p.severity === 'error'),
      warnings: problems.filter((p) => p.severity === 'warn'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
