// SPEC §9 rows 1–3: instance-key auth with an L1 hit, with an L2 hit (L1 off), against the same
// app with auth removed; and the p99 latency auth adds at 50 connections.
//
// The baseline is the authenticated route's own handler, mounted in the same app after its
// routers (so it pays the same routing, request-id, error handling, access log and the per-address
// limit that an unauthenticated request pays), with no instanceKeyAuth, per-key limiter or
// service gate: "the same Koa app with auth removed". Throughput is measured at saturation; the
// added p99 at a fixed offered load below saturation (each of the 50 connections waits
// LATENCY_DELAY_MS between requests), because at saturation a p99 measures queueing, not auth.
import { fileURLToPath } from 'node:url';
import { startRedis } from '@portcullis/testing';
import { interleave, medianOf, ratio, round3, startServer } from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/instance-api.mjs', import.meta.url));
const AUTH_ROUTE = '/api/v2/services/custody';
const BASELINE_ROUTE = '/bench/services/custody';
const LATENCY_DELAY_MS = 10;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const summary = (samples) =>
  Object.fromEntries(
    Object.keys(samples).map((name) => [
      name,
      {
        medianRps: medianOf(samples, name, 'rps'),
        medianP99Ms: medianOf(samples, name, 'p99Ms'),
        rounds: samples[name],
      },
    ]),
  );

export async function instanceAuthSuite(settings) {
  const redis = await startRedis();
  const withoutL1 = await startServer(server, ['--redis', redis.url, '--l1', 'off']);
  const withL1 = await startServer(server, ['--redis', redis.url]);
  try {
    // Every variant sends the key, so request sizes are equal.
    const at = (app, path) => ({
      url: `http://127.0.0.1:${app.port}${path}`,
      headers: { 'x-api-key': app.key },
    });
    const throughput = await interleave(
      [
        { name: 'noAuth', ...at(withL1, BASELINE_ROUTE) },
        { name: 'authL1', ...at(withL1, AUTH_ROUTE) },
        { name: 'noAuthL1Off', ...at(withoutL1, BASELINE_ROUTE) },
        { name: 'authL2', ...at(withoutL1, AUTH_ROUTE) },
      ],
      settings,
    );
    const latency = await interleave(
      [
        { name: 'noAuth', ...at(withL1, BASELINE_ROUTE), delayMs: LATENCY_DELAY_MS },
        { name: 'authL1', ...at(withL1, AUTH_ROUTE), delayMs: LATENCY_DELAY_MS },
      ],
      settings,
    );
    const l1 = ratio(throughput, 'authL1', 'noAuth');
    const l2 = ratio(throughput, 'authL2', 'noAuthL1Off');
    // Per round, the p99 difference of the two variants measured back to back; the median of those.
    const added = latency.authL1.map((s, i) => s.p99Ms - latency.noAuth[i].p99Ms);
    const addedP99 = round3(median(added));
    return {
      results: {
        instanceAuthL1: { ratio: l1, bar: 0.9, pass: l1.median >= 0.9 },
        instanceAuthL2: { ratio: l2, bar: 0.75, pass: l2.median >= 0.75 },
        instanceAuthAddedP99Ms: { value: addedP99, bar: 1, pass: addedP99 <= 1 },
      },
      detail: {
        baselineRoute: BASELINE_ROUTE,
        authRoute: AUTH_ROUTE,
        throughput: summary(throughput),
        latency: {
          delayMsPerConnection: LATENCY_DELAY_MS,
          addedP99MsPerRound: added.map(round3),
          ...summary(latency),
        },
      },
    };
  } finally {
    await withL1.stop();
    await withoutL1.stop();
    await redis.stop();
  }
}
