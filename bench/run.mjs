// `pnpm bench`: the SPEC §9 benchmarks, side by side in one run. Prints each ratio against its
// bar and writes bench/results/latest.json. Bars are judged on the median of the rounds.
//   BENCH_ROUNDS (default 5), BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 50)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cores, hasTaskset, hasWrk, pinSelf } from './lib/harness.mjs';
import { dpopSuite } from './suites/dpop.mjs';
import { instanceAuthSuite } from './suites/instance-auth.mjs';
import { loginFloodSuite } from './suites/login-flood.mjs';
import { micaSuite } from './suites/mica.mjs';

const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  durationSeconds: Number(process.env.BENCH_SECONDS ?? 5),
  warmupSeconds: 2,
  connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
};
const pinned = pinSelf();

const suites = {
  instanceAuth: instanceAuthSuite,
  mica: micaSuite,
  dpop: dpopSuite,
  loginFlood: loginFloodSuite,
};
const only = process.argv.slice(2);
const report = {
  createdAt: new Date().toISOString(),
  node: process.version,
  cores,
  pinned,
  taskset: hasTaskset,
  loadGenerator: hasWrk ? 'wrk' : 'autocannon',
  settings,
  results: {},
  detail: {},
};

for (const [name, suite] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stdout.write(`\n# ${name}\n`);
  const { results, detail } = await suite(settings);
  Object.assign(report.results, results);
  report.detail[name] = detail;
  for (const [key, r] of Object.entries(results)) {
    const value = r.ratio ? `${r.ratio.median}× (spread ${r.ratio.min}–${r.ratio.max})` : `${r.value} ms`;
    const bar = r.ratio ? `${r.lowerIsBetter ? '≤' : '≥'} ${r.bar}×` : `≤ ${r.bar} ms`;
    process.stdout.write(
      `${key.padEnd(28)} ${value.padEnd(32)} bar ${bar.padEnd(10)} ${r.pass ? 'PASS' : 'MISS'}\n`,
    );
  }
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write('\nwrote bench/results/latest.json\n');
