// SPEC §9 row 6: the MiCA `issuers` list, cached, against bare Koa serving the same JSON.
import { fileURLToPath } from 'node:url';
import { interleave, medianOf, ratio, startServer } from '../lib/harness.mjs';

const server = fileURLToPath(new URL('../servers/mica-register.mjs', import.meta.url));

export async function micaSuite(settings) {
  const app = await startServer(server);
  try {
    const variants = [
      { name: 'bareKoa', url: `http://127.0.0.1:${app.barePort}/` },
      { name: 'bareKoaBytes', url: `http://127.0.0.1:${app.bareBytesPort}/` },
      {
        name: 'issuers',
        url: `http://127.0.0.1:${app.port}/api/mica/v1/issuers`,
        headers: { 'x-api-key': app.key },
      },
    ];
    const samples = await interleave(variants, settings);
    const r = ratio(samples, 'issuers', 'bareKoa');
    const againstBytes = ratio(samples, 'issuers', 'bareKoaBytes');
    return {
      results: { micaIssuersCached: { ratio: r, bar: 0.7, pass: r.median >= 0.7 } },
      detail: {
        payloadBytes: app.bytes,
        // Not a SPEC bar: the same route against bare Koa serving pre-encoded bytes.
        ratioAgainstBareKoaBytes: againstBytes,
        ...Object.fromEntries(
          Object.keys(samples).map((name) => [
            name,
            {
              medianRps: medianOf(samples, name, 'rps'),
              medianP99Ms: medianOf(samples, name, 'p99Ms'),
              rounds: samples[name],
            },
          ]),
        ),
      },
    };
  } finally {
    await app.stop();
  }
}
