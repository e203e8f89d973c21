// SPEC §9 row 8: the MiCA `issuers` list, cached, against bare Koa serving the same JSON, each
// req/s figure with the server's CPU µs per request (all three run in the one server process).
import { fileURLToPath } from 'node:url';
import { interleave, ratio, startServer, summarize, verdict } from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/mica-register.mjs', import.meta.url));
const BAR = 0.7;

export async function micaSuite(settings) {
  const app = await startServer(server, [], 'mica-register and its bare Koa baselines');
  try {
    const variants = [
      { name: 'bareKoa', url: `http://127.0.0.1:${app.barePort}/`, server: app },
      { name: 'bareKoaBytes', url: `http://127.0.0.1:${app.bareBytesPort}/`, server: app },
      {
        name: 'issuers',
        url: `http://127.0.0.1:${app.port}/api/mica/v1/issuers`,
        headers: { 'x-api-key': app.key },
        server: app,
      },
    ];
    const samples = await interleave(variants, settings);
    const s = summarize(samples);
    const r = ratio(samples, 'issuers', 'bareKoa');
    const againstBytes = ratio(samples, 'issuers', 'bareKoaBytes');
    return {
      results: {
        micaIssuersCached: {
          ratio: r,
          bar: BAR,
          rps: { variant: s.issuers.medianRps, baseline: s.bareKoa.medianRps },
          cpuUsPerRequest: {
            variant: s.issuers.medianCpuUsPerRequest,
            baseline: s.bareKoa.medianCpuUsPerRequest,
          },
          ...verdict(r.median >= BAR),
        },
      },
      detail: {
        payloadBytes: app.bytes,
        // Not a SPEC bar: the same route against bare Koa serving pre-encoded bytes.
        ratioAgainstBareKoaBytes: againstBytes,
        ...s,
      },
    };
  } finally {
    await app.stop();
  }
}
