// The closing table of `pnpm bench`: one line per SPEC §9 row, in the SPEC's order, whether or not
// it was measured in this run (a row without a suite says "not built yet"), printed as a
// Markdown table so it can be pasted as it is.

const fmt = (x, digits = 3) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : x === Number.POSITIVE_INFINITY
      ? '∞'
      : Number(x).toLocaleString('en-US', { maximumFractionDigits: digits });
const ms = (x) => (x === Number.POSITIVE_INFINITY ? 'failed' : `${fmt(x)} ms`);
const vs = (pair, unit) => (pair ? `${fmt(pair.variant, 0)} vs ${fmt(pair.baseline, 0)} ${unit}` : '–');
const cpuVs = (pair) => (pair ? `${fmt(pair.variant, 1)} vs ${fmt(pair.baseline, 1)}` : '–');

/** SPEC §9, in order. `key` names a suite result; rows without one are not built yet. */
export const SPEC_ROWS = [
  {
    measure: 'instance-key auth, L1 hit, req/s (vs same app, auth removed)',
    suite: 'instanceAuth',
    key: 'instanceAuthL1',
    bar: '≥ 0.90×',
    cells: (r) => ratioCells(r, vs(r.rps, 'req/s'), cpuVs(r.cpuUsPerRequest)),
  },
  {
    measure: 'instance-key auth, L2 hit (L1 off), req/s (vs same app, auth removed)',
    suite: 'instanceAuth',
    key: 'instanceAuthL2',
    bar: '≥ 0.75×',
    cells: (r) =>
      ratioCells(
        r,
        vs(r.rps, 'req/s'),
        `${cpuVs(r.cpuUsPerRequest)} (+ Redis ${fmt(r.redisCpuUsPerRequest, 1)})`,
      ),
  },
  {
    measure: 'whole app, authenticated route, req/s (vs bare Koa, same body)',
    suite: 'instanceAuth',
    key: 'wholeAppVsBareKoa',
    bar: '≥ 0.85× and ≤ +15 µs CPU',
    cells: (r) =>
      ratioCells(
        r,
        vs(r.rps, 'req/s'),
        `${cpuVs(r.cpuUsPerRequest)} (+${fmt(r.cpuUsPerRequestAdded.median, 1)}, spread ${fmt(r.cpuUsPerRequestAdded.min, 1)}–${fmt(r.cpuUsPerRequestAdded.max, 1)})`,
      ),
  },
  {
    measure: 'added p99 latency of auth, 50 connections (fixed offered load)',
    suite: 'instanceAuth',
    key: 'instanceAuthAddedP99Ms',
    bar: '≤ 1 ms',
    cells: (r) => ({
      median: ms(r.value.median),
      spread: `${fmt(r.value.min)} – ${fmt(r.value.max)} ms`,
      rate: `p99 ${fmt(r.p99Ms.variant)} vs ${fmt(r.p99Ms.baseline)} ms`,
      cpu: cpuVs(r.cpuUsPerRequest),
    }),
  },
  {
    measure: 'DPoP proof verification, ES256, proofs/s (vs bare crypto.verify)',
    suite: 'dpop',
    key: 'dpopVerifyES256',
    bar: '≥ 0.80×',
    cells: (r) => ratioCells(r, vs(r.proofsPerSecond, 'proofs/s'), 'n/a (in-process)'),
  },
  {
    measure: 'DPoP proof verification, EdDSA, proofs/s (vs bare crypto.verify)',
    suite: 'dpop',
    key: 'dpopVerifyEdDSA',
    bar: '≥ 0.80×',
    cells: (r) => ratioCells(r, vs(r.proofsPerSecond, 'proofs/s'), 'n/a (in-process)'),
  },
  {
    measure: 'key revoked on A → refused on B, p99',
    suite: 'revocation',
    key: 'revocationP99Ms',
    bar: '≤ 20 ms',
    cells: (r) => ({
      median: ms(r.value.p99),
      spread: `p50 ${ms(r.value.p50)}, max ${ms(r.value.max)}`,
      rate: `${r.trials} trials, ${r.failures} failed`,
      cpu: 'n/a',
    }),
  },
  {
    measure: 'p99 of /healthz during a login flood (vs without)',
    suite: 'loginFlood',
    key: 'loginFloodHealthzP99',
    bar: '≤ 3×',
    cells: (r) =>
      ratioCells(
        r,
        `p99 ${fmt(r.p99Ms.variant)} vs ${fmt(r.p99Ms.baseline)} ms`,
        `probe ${fmt(r.cpuUsPerRequest.baseline, 1)}; ${fmt(r.cpuUsPerLogin, 0)} per login`,
      ),
  },
  {
    measure: 'MiCA issuers list, cached, req/s (vs bare Koa JSON)',
    suite: 'mica',
    key: 'micaIssuersCached',
    bar: '≥ 0.70×',
    cells: (r) => ratioCells(r, vs(r.rps, 'req/s'), cpuVs(r.cpuUsPerRequest)),
  },
  {
    measure: 'POST /v1/credential with DPoP (es256_x509), credentials/s (vs its crypto floor)',
    suite: 'credential',
    key: 'credentialVsCryptoFloor',
    bar: '≥ 0.50× crypto floor',
    cells: (r) => ratioCells(r, vs(r.rps, 'credentials/s'), cpuVs(r.cpuUsPerRequest)),
  },
  {
    measure: 'status list fetch after a status change, req/s (vs bare Koa, same JWT bytes)',
    suite: 'statusList',
    key: 'statusListAfterChange',
    bar: '≥ 0.70× bare Koa',
    cells: (r) => ratioCells(r, vs(r.rps, 'req/s'), cpuVs(r.cpuUsPerRequest)),
  },
];

function ratioCells(r, rate, cpu) {
  return {
    median: `${fmt(r.ratio.median)}×`,
    spread: `${fmt(r.ratio.min)} – ${fmt(r.ratio.max)}×`,
    rate,
    cpu,
  };
}

/**
 * The table's lines. `outcomes` maps a suite name to `{ results }`, `{ skipped }` or `{ error }`;
 * a suite absent from it was not run.
 */
export function renderTable(outcomes) {
  const header = [
    'measure',
    'bar',
    'median',
    'spread',
    'req/s (or value)',
    'server CPU µs/request',
    'verdict',
  ];
  const rows = SPEC_ROWS.map((row) => {
    if (!row.key) return [row.measure, row.bar, '', '', '', '', 'not built yet'];
    const outcome = outcomes[row.suite];
    const result = outcome?.results?.[row.key];
    if (!outcome) return [row.measure, row.bar, '', '', '', '', 'not run'];
    if (outcome.skipped) return [row.measure, row.bar, '', '', '', '', `skipped: ${outcome.skipped}`];
    if (outcome.error || !result) return [row.measure, row.bar, '', '', '', '', 'error (see above)'];
    const c = row.cells(result);
    return [row.measure, row.bar, c.median, c.spread, c.rate, c.cpu, result.verdict];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}
