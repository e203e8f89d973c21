#!/usr/bin/env node
// Sums the vitest JSON reports written by every workspace package (VITEST_JSON_DIR) and prints
// the workspace total alone on the last line: "N passed, N failed[, N skipped]".
//
//   test-summary.mjs <dir>                           one run
//   test-summary.mjs "node 20=<dir>" "node 24=<dir>"  one run per runtime: a line per runtime
//                                                    ("node 20: N passed, N failed"), then the
//                                                    combined total
//
// Exits 1 when a run tested nothing, when a run has fewer reports than another (a package that
// never wrote its report), when a report is unreadable, or when anything failed (a package whose
// run failed before any test, e.g. in its global setup, counts as one failure).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const runs = process.argv.slice(2).map((arg) => {
  const at = arg.indexOf('=');
  return at === -1 ? { label: '', dir: arg } : { label: arg.slice(0, at), dir: arg.slice(at + 1) };
});
if (runs.length === 0) {
  console.error('usage: test-summary.mjs <dir-with-vitest-json-reports> | <label>=<dir>...');
  process.exit(2);
}

const counts = (passed, failed, skipped) =>
  `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;

/** The totals of one run's reports, printing one line per package. */
function summarise({ label, dir }) {
  const run = { label, passed: 0, failed: 0, skipped: 0, reports: 0 };
  const prefix = label ? `${label} › ` : '';
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    run.reports += 1;
    run.passed += report.numPassedTests;
    run.failed += report.numFailedTests;
    run.skipped += report.numPendingTests + report.numTodoTests;
    // A test file that fails to load has no failing test, but is a failure all the same.
    for (const result of report.testResults ?? []) {
      const anyTestFailed = (result.assertionResults ?? []).some((a) => a.status === 'failed');
      if (result.status === 'failed' && !anyTestFailed) run.failed += 1;
    }
    // A package whose run failed before any file ran (a global setup that threw, no test file)
    // reports no test at all: counted as one failure, so its total cannot read as clean.
    if (report.success === false && report.numFailedTests === 0 && report.numFailedTestSuites === 0) {
      run.failed += 1;
    }
    console.log(
      `${prefix}${file.replace(/\.json$/, '')}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
    );
  }
  return run;
}

const results = runs.map(summarise);
const mostReports = Math.max(...results.map((r) => r.reports));
let ok = true;
for (const run of results) {
  const prefix = run.label ? `${run.label}: ` : '';
  console.log(`${prefix}${run.reports} packages reported`);
  if (run.reports === 0 || run.passed === 0) {
    console.log(`${prefix}nothing was tested`);
    ok = false;
  } else if (run.reports < mostReports) {
    console.log(`${prefix}${mostReports - run.reports} package reports missing`);
    ok = false;
  }
  if (run.failed > 0) ok = false;
}
if (results.length > 1) {
  for (const run of results) console.log(`${run.label}: ${counts(run.passed, run.failed, run.skipped)}`);
}
const sum = (key) => results.reduce((total, run) => total + run[key], 0);
console.log(counts(sum('passed'), sum('failed'), sum('skipped')));
process.exit(ok ? 0 : 1);
