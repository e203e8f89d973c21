// SPEC §9 rows 1–3: instance-key auth with an L1 hit, with an L2 hit (L1 off), against the same
// app's unauthenticated route; and the p99 latency auth adds at 50 connections.
import { fileURLToPath } from 'node:url';
import { startRedis } from '@portcullis/testing';
import { interleave, medianOf, ratio, round3, startServer } from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/instance-api.mjs', import.meta.url));

export async function instanceAuthSuite(settings) {
  const redis = await startRedis();
  const withoutL1 = await startServer(server, ['--redis', redis.url, '--l1', 'off']);
  const withL1 = await startServer(server, ['--redis', redis.url]);
  try {
    // Same app, same stack: the authenticated route runs instanceKeyAuth, the per-key limiter and
    // requireService; /healthz runs none of them. Both answer a small success envelope.
    const authRoute = '/api/v2/services/custody';
    const variants = [
      { name: 'noAuth', url: `http://127.0.0.1:${withL1.port}/healthz` },
      {
        name: 'authL1',
        url: `http://127.0.0.1:${withL1.port}${authRoute}`,
        headers: { 'x-api-key': withL1.key },
      },
      { name: 'noAuthL1Off', url: `http://127.0.0.1:${withoutL1.port}/healthz` },
      {
        name: 'authL2',
        url: `http://127.0.0.1:${withoutL1.port}${authRoute}`,
        headers: { 'x-api-key': withoutL1.key },
      },
    ];
    const samples = await interleave(variants, settings);
    const l1 = ratio(samples, 'authL1', 'noAuth');
    const l2 = ratio(samples, 'authL2', 'noAuthL1Off');
    const addedP99 = round3(medianOf(samples, 'authL1', 'p99Ms') - medianOf(samples, 'noAuth', 'p99Ms'));
    return {
      results: {
        instanceAuthL1: { ratio: l1, bar: 0.9, pass: l1.median >= 0.9 },
        instanceAuthL2: { ratio: l2, bar: 0.75, pass: l2.median >= 0.75 },
        instanceAuthAddedP99Ms: { value: addedP99, bar: 1, pass: addedP99 <= 1 },
      },
      detail: Object.fromEntries(
        Object.keys(samples).map((name) => [
          name,
          {
            medianRps: medianOf(samples, name, 'rps'),
            medianP99Ms: medianOf(samples, name, 'p99Ms'),
            rounds: samples[name],
          },
        ]),
      ),
    };
  } finally {
    await withL1.stop();
    await withoutL1.stop();
    await redis.stop();
  }
}
