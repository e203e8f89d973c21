// SPEC §9 row 4: DPoP proof verification, proofs/s, against bare `crypto.verify` of the same
// signatures (same keys, same signing input). One ratio per algorithm, each judged on its median.
//
// Both variants run in this process, which run.mjs pins to one core, so neither gets more CPU than
// the other. Each round verifies every pre-generated proof once with each variant, in alternating
// chunks (A B, then B A, …) so that load from elsewhere on the machine hits both alike; the
// round's ratio is (proofs/s of verifyDpopProof) / (proofs/s of crypto.verify).
//
// verifyDpopProof runs every rule: an in-memory replay store (fresh per round, so each jti is new
// to it and every proof is accepted and recorded), no nonce, a fixed clock at the proofs' iat.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { createMemoryReplayStore, verifyDpopProof } from '@portcullis/dpop';
import { round3, verdict } from '../lib/harness.mjs';

const URL_ = 'https://issuer.example/v1/token';
const NOW_MS = Date.UTC(2026, 0, 1);
const KEYS_PER_ALG = 8;
const CHUNK = 50;
const BAR = 0.8;

// JWKs encoded by the generation itself, the key objects imported from them: exporting a JWK from
// a key object generateKeyPairSync returned can deadlock Node's garbage collector (seen on Node 20).
const JWK_ENCODINGS = { privateKeyEncoding: { format: 'jwk' }, publicKeyEncoding: { format: 'jwk' } };

const ALGORITHMS = {
  ES256: {
    generate: () => generateKeyPairSync('ec', { namedCurve: 'P-256', ...JWK_ENCODINGS }),
    digest: 'sha256',
    signKey: (privateKey) => ({ key: privateKey, dsaEncoding: 'ieee-p1363' }),
    verifyKey: (publicKey) => ({ key: publicKey, dsaEncoding: 'ieee-p1363' }),
    jwk: ({ kty, crv, x, y }) => ({ kty, crv, x, y }),
  },
  EdDSA: {
    generate: () => generateKeyPairSync('ed25519', JWK_ENCODINGS),
    digest: null,
    signKey: (privateKey) => privateKey,
    verifyKey: (publicKey) => publicKey,
    jwk: ({ kty, crv, x }) => ({ kty, crv, x }),
  },
};

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `count` proofs with unique jtis, each with what bare crypto.verify needs, pre-decoded. */
function makeProofs(alg, count) {
  const spec = ALGORITHMS[alg];
  const keys = Array.from({ length: KEYS_PER_ALG }, () => {
    const jwks = spec.generate();
    const privateKey = createPrivateKey({ key: jwks.privateKey, format: 'jwk' });
    const publicKey = createPublicKey({ key: jwks.publicKey, format: 'jwk' });
    const header = b64({ typ: 'dpop+jwt', alg, jwk: spec.jwk(jwks.publicKey) });
    return { header, signKey: spec.signKey(privateKey), verifyKey: spec.verifyKey(publicKey) };
  });
  return Array.from({ length: count }, (_, i) => {
    const key = keys[i % keys.length];
    const claims = b64({ jti: randomUUID(), htm: 'POST', htu: URL_, iat: NOW_MS / 1000 });
    const signingInput = Buffer.from(`${key.header}.${claims}`);
    const signature = sign(spec.digest, signingInput, key.signKey);
    return {
      proof: `${key.header}.${claims}.${signature.toString('base64url')}`,
      signingInput,
      signature,
      verifyKey: key.verifyKey,
    };
  });
}

function bareChunk(digest, proofs, from, to) {
  const start = performance.now();
  for (let i = from; i < to; i += 1) {
    const p = proofs[i];
    if (!verify(digest, p.signingInput, p.verifyKey, p.signature)) throw new Error('bare verify failed');
  }
  return performance.now() - start;
}

async function dpopChunk(replay, proofs, from, to) {
  const start = performance.now();
  for (let i = from; i < to; i += 1) {
    const result = await verifyDpopProof({
      proof: proofs[i].proof,
      method: 'POST',
      url: URL_,
      replay,
      now: () => NOW_MS,
    });
    if (!result.ok) throw new Error(`verifyDpopProof refused a bench proof: ${result.rule}`);
  }
  return performance.now() - start;
}

/** Verifies every proof once with each variant, interleaved; returns both rates in proofs/s. */
async function round(alg, proofs) {
  const { digest } = ALGORITHMS[alg];
  const replay = createMemoryReplayStore({ maxEntries: proofs.length, now: () => NOW_MS });
  let bareMs = 0;
  let dpopMs = 0;
  for (let from = 0, n = 0; from < proofs.length; from += CHUNK, n += 1) {
    const to = Math.min(from + CHUNK, proofs.length);
    if (n % 2 === 0) {
      bareMs += bareChunk(digest, proofs, from, to);
      dpopMs += await dpopChunk(replay, proofs, from, to);
    } else {
      dpopMs += await dpopChunk(replay, proofs, from, to);
      bareMs += bareChunk(digest, proofs, from, to);
    }
  }
  return { bare: (proofs.length / bareMs) * 1000, dpop: (proofs.length / dpopMs) * 1000 };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export async function dpopSuite(settings) {
  // About one second of work per variant and round for each second of BENCH_SECONDS.
  const perRound = Math.max(1_000, Math.round(settings.durationSeconds * 2_000));
  const results = {};
  const detail = { proofsPerRound: perRound, keysPerAlgorithm: KEYS_PER_ALG, chunk: CHUNK };
  for (const alg of Object.keys(ALGORITHMS)) {
    const proofs = makeProofs(alg, perRound);
    // Warm-up: JIT, key imports and header cache, on a store of its own.
    await round(alg, proofs.slice(0, Math.min(2_000, perRound)));
    const samples = [];
    for (let r = 0; r < settings.rounds; r += 1) samples.push(await round(alg, proofs));
    const ratios = samples.map((s) => s.dpop / s.bare);
    const ratio = {
      median: round3(median(ratios)),
      min: round3(Math.min(...ratios)),
      max: round3(Math.max(...ratios)),
    };
    const bare = Math.round(median(samples.map((s) => s.bare)));
    const dpop = Math.round(median(samples.map((s) => s.dpop)));
    results[`dpopVerify${alg}`] = {
      ratio,
      bar: BAR,
      // Both variants run in this process: no server, so no server CPU per request.
      proofsPerSecond: { variant: dpop, baseline: bare },
      ...verdict(ratio.median >= BAR),
    };
    detail[alg] = {
      medianBareProofsPerSecond: bare,
      medianDpopProofsPerSecond: dpop,
      rounds: samples.map((s) => ({ bare: Math.round(s.bare), dpop: Math.round(s.dpop) })),
    };
  }
  return { results, detail };
}
