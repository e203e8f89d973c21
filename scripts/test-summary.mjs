#!/usr/bin/env node
// Sums the vitest JSON reports written by every workspace package (VITEST_JSON_DIR) and prints
// the workspace total alone on the last line: "N passed, N failed[, N skipped]".
// Exits 1 when nothing was tested or a report is missing or unreadable.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: test-summary.mjs <dir-with-vitest-json-reports>');
  process.exit(2);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  reports += 1;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A test file that fails to load has no failing test, but is a failure all the same.
  for (const result of report.testResults ?? []) {
    const anyTestFailed = (result.assertionResults ?? []).some((a) => a.status === 'failed');
    if (result.status === 'failed' && !anyTestFailed) failed += 1;
  }
  console.log(
    `${file.replace(/\.json$/, '')}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
  );
}

const total = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
console.log(`${reports} packages reported`);
console.log(total);
process.exit(reports === 0 || passed === 0 || failed > 0 ? 1 : 0);
