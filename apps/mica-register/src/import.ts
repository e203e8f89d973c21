// `pnpm --filter mica-register import <dir-or-files…>`: re-imports ESMA register downloads
// (SPEC §5.3). Each file replaces its kind in one transaction; a rejected file leaves its kind as
// it was. Exit status: 0 when every file was imported, 1 when one was rejected or the import
// failed, 2 on a usage error.
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, migrate } from '@portcullis/db';
import { readRegisterImportEnv } from './env.js';
import { type ImportReport, importFiles } from './store/register.js';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));
const USAGE = 'usage: pnpm --filter mica-register import <directory-or-file.csv>…\n';

/**
 * Renders an import report for a terminal: one line per file, then its skipped rows.
 *
 * @example
 * process.stdout.write(formatImportReport(report));
 */
export function formatImportReport(report: ImportReport): string {
  const lines: string[] = [];
  for (const file of report.files) {
    const kind = file.kind ?? '-';
    const head =
      file.status === 'imported'
        ? `imported   ${kind.padEnd(5)} ${file.file}: ${file.records} records from ${file.rows} rows` +
          (file.duplicates.length > 0 ? ` (${file.duplicates.length} duplicate rows)` : '') +
          (file.skipped.length > 0 ? `, ${file.skipped.length} rows skipped` : '')
        : `${file.status.padEnd(10)} ${kind.padEnd(5)} ${file.file}: ${file.reason ?? ''}`;
    lines.push(head);
    for (const row of file.skipped) lines.push(`  line ${row.line}: ${row.reason}`);
    for (const dup of file.duplicates) lines.push(`  line ${dup.line}: same as line ${dup.firstLine}`);
  }
  if (report.files.length === 0) lines.push('no files found');
  lines.push(
    report.errors.length === 0
      ? 'import complete'
      : `import finished with ${report.errors.length} rejected file(s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** Where the CLI writes; the process's streams by default. */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Runs the import command: migrates the database, imports `argv`'s files and directories (relative
 * paths from where `pnpm` was started), prints the report. Resolves to the exit status: 0 when every
 * file was imported, 1 when one was rejected, 2 on a usage error; rejects on infrastructure errors.
 *
 * @param env - the environment, read only through `readRegisterImportEnv` (default `process.env`)
 * @example
 * process.exitCode = await runImportCli(process.argv.slice(2));
 */
export async function runImportCli(
  argv: readonly string[],
  output: CliOutput = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  env?: NodeJS.ProcessEnv,
): Promise<number> {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    output.stderr(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const config = readRegisterImportEnv(env);
  const paths = argv.map((path) => (isAbsolute(path) ? path : resolve(config.invocationDir, path)));
  const db = await createDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: config.dataDir },
  );
  try {
    await migrate(db, { directory: MIGRATIONS });
    const report = await importFiles(db, paths, { now: Date.now });
    output.stdout(formatImportReport(report));
    return report.errors.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

// Run only as the entry point, so tests can import this module.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runImportCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // Name and message only: driver errors can carry connection details in other fields.
      const message = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error';
      process.stderr.write(`import failed: ${message}\n`);
      process.exitCode = 1;
    },
  );
}
