// SPEC §9 row 10: `POST /v1/credential` with DPoP on an `es256_x509` tenant, credentials/s, against
// the crypto floor of the same requests: a process doing only each request's signature checks (DPoP
// proof, access token, key proof) and the credential's signature.
//
// Method, and why:
// - A credential request cannot be replayed: each needs a fresh DPoP proof (unique jti, the token's
//   `ath`, a server nonce) and a fresh single-use c_nonce in its key proof. So before every round
//   the bench prepares that round's requests — TOKENS access tokens (each from its own offer, bound
//   to its own DPoP key, good for any number of requests for 300 s), one c_nonce per request from
//   /v1/nonce, a fresh holder key and key proof, a DPoP proof — and only then starts the clock.
//   Preparing is outside the measured window (its server CPU too); a round is over well within
//   the 300 s the proofs, nonces and tokens are valid.
// - The app is the real TCS issuer as one process of a multi-process deployment (Postgres in a
//   fresh schema, a pinned Redis of its own for c_nonces, DPoP jtis and the key cache), or of a
//   single-node one (embedded database in memory) when no Postgres answers, pinned to the server core.
//   The bench process (load core) sends the prepared requests on CONCURRENCY keep-alive
//   connections, one credential per request; every answer must be a 200 with one credential.
// - The floor is its own process, pinned to the same core, given the very same requests after
//   the app answered them: it verifies the three ES256 signatures with node:crypto.verify and
//   signs one ES256 JWS over a real credential's signing input (captured once at start) — nothing
//   else. Splitting, decoding and key import happen when it loads the requests, unmeasured. It goes
//   over the requests again until it has run BENCH_SECONDS, so its rate is not a blip.
// - Beside the bar (not judged), the floor process also runs the same requests with the holder key
//   imported inside its loop, then with that and the credential built by the app's own SD-JWT VC
//   issuance: work no implementation can leave out, so their rate against the floor's is the most
//   the bar's ratio could be if the app did nothing else.
// - Round size: the warm-up measures the app's rate; every round then holds about BENCH_SECONDS
//   of the app's work, the same count for both variants. Rounds interleave (app, floor, app, …);
//   the bar is judged on the median of the per-round ratios app / floor of credentials/s.
// - CPU per credential for both: the process's CPU over the round (from /proc, as the other
//   suites) ÷ credentials.
import { fileURLToPath } from 'node:url';
import { createPostgresSchema } from '@portcullis/testing';
import {
  coreBusyBetween,
  coreTicks,
  median,
  round3,
  spread,
  startPinnedRedis,
  startServer,
  summarize,
  verdict,
} from '../lib/harness.mjs';
import { createWallet, httpRequest, pool } from '../lib/issuance-wallet.mjs';

const appServer = fileURLToPath(new URL('../servers/tcs-issuance.mjs', import.meta.url));
const floorServer = fileURLToPath(new URL('../servers/credential-floor.mjs', import.meta.url));
const BAR = 0.5;
/** Connections the credential requests are sent on. */
const CONCURRENCY = 16;
/** Access tokens per round (requests are spread over them round-robin). */
const TOKENS = 16;
const FIRST_WARMUP_REQUESTS = 200;
const MIN_ROUND_REQUESTS = 200;
const MAX_ROUND_REQUESTS = 50_000;
/** The floor's reported extras (no bar), run after the floor proper in every round. */
const FLOOR_EXTRAS = [undefined, 'keyImport', 'keyImportSdJwt'];

/** The requests of one round, prepared: tokens, c_nonces, holder keys, key proofs, DPoP proofs. */
async function prepare(wallet, count) {
  const tokens = await pool(TOKENS, 4, () => wallet.accessToken());
  const nonces = await wallet.nonces(count);
  return nonces.map(({ cNonce, dpopNonce }, i) => {
    const { token, dpopKey } = tokens[i % TOKENS];
    return wallet.credentialRequest({ token, dpopKey, cNonce, dpopNonce });
  });
}

/** Sends every prepared request to the app; credentials/s and the app's CPU µs per credential. */
async function appRound(wallet, app, requests) {
  const cores0 = coreTicks();
  const cpu0 = await app.cpuUs();
  const start = performance.now();
  const answers = await pool(requests.length, CONCURRENCY, (i) => wallet.sendCredential(requests[i]));
  const elapsedMs = performance.now() - start;
  const cpu1 = await app.cpuUs();
  const coreBusy = coreBusyBetween(cores0, coreTicks());
  const failed = answers.filter((a) => a.status !== 200);
  if (failed.length > 0) {
    // An OAuth error body names the refused rule, never a token or proof.
    throw new Error(
      `/v1/credential: ${failed.length} of ${answers.length} answers failed, e.g. ${failed[0].status} ${failed[0].body.slice(0, 200)}`,
    );
  }
  for (const answer of [answers[0], answers[answers.length - 1]]) {
    const issued = JSON.parse(answer.body).credentials;
    if (!Array.isArray(issued) || issued.length !== 1) throw new Error('/v1/credential: not one credential');
  }
  const requestsDone = requests.length;
  return {
    rps: round3((requestsDone / elapsedMs) * 1000),
    requests: requestsDone,
    seconds: round3(elapsedMs / 1000),
    cpuUs: Math.round(cpu1.us - cpu0.us),
    cpuUsPerRequest: round3((cpu1.us - cpu0.us) / requestsDone),
    ...(cpu1.ticksUs === undefined ? {} : { cpuUsFromTicks: Math.round(cpu1.ticksUs - cpu0.ticksUs) }),
    coreBusy,
  };
}

/** Gives the floor process the same requests (unmeasured). */
async function loadFloor(floor, agent, requests, { jwks, credentialSigningInput, sampleCredential }) {
  const loaded = await httpRequest(agent, `http://127.0.0.1:${floor.port}/items`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jwks,
      credentialSigningInput,
      sampleCredential,
      items: requests.map(({ dpop, token, keyProof }) => ({ dpop, token, keyProof })),
    }),
    timeoutMs: 120_000,
  });
  if (loaded.status !== 200) throw new Error(`floor refused the requests: ${loaded.status} ${loaded.body}`);
}

/**
 * Runs the floor process over the loaded requests for at least `minSeconds`; `extra` adds the
 * holder key import ('keyImport') or that and the app's SD-JWT VC issuance ('keyImportSdJwt').
 */
async function floorRound(floor, agent, minSeconds, extra) {
  const cores0 = coreTicks();
  const cpu0 = await floor.cpuUs();
  const ran = await httpRequest(agent, `http://127.0.0.1:${floor.port}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ minMs: minSeconds * 1000, with: extra }),
    timeoutMs: 600_000,
  });
  const cpu1 = await floor.cpuUs();
  const coreBusy = coreBusyBetween(cores0, coreTicks());
  if (ran.status !== 200) throw new Error(`floor run failed: ${ran.status} ${ran.body}`);
  const { count, passes, elapsedMs, cpuUs } = JSON.parse(ran.body);
  return {
    rps: round3((count / elapsedMs) * 1000),
    requests: count,
    passes,
    seconds: round3(elapsedMs / 1000),
    cpuUs: Math.round(cpu1.us - cpu0.us),
    cpuUsPerRequest: round3((cpu1.us - cpu0.us) / count),
    // The floor's own process.cpuUsage() over its loop, as a check of the /proc figure.
    selfCpuUsPerRequest: round3(cpuUs / count),
    ...(cpu1.ticksUs === undefined ? {} : { cpuUsFromTicks: Math.round(cpu1.ticksUs - cpu0.ticksUs) }),
    coreBusy,
  };
}

export async function credentialSuite(settings) {
  // A process of a multi-process deployment, as production runs it: Postgres (a fresh schema) and
  // its own pinned Redis for c_nonces, DPoP jtis and the key cache. Without a reachable Postgres,
  // the single-node default (embedded database, no Redis), said in the results.
  let schema;
  let redis;
  let database;
  try {
    schema = await createPostgresSchema(settings.databaseUrl, {
      prefix: 'bench_cred',
      connectTimeoutMs: 3_000,
    });
    redis = await startPinnedRedis('redis (credential)');
    database = 'postgres (fresh schema) and redis (c_nonces, DPoP jtis, key cache)';
  } catch (error) {
    await schema?.drop();
    schema = undefined;
    // Never echo the URL: it may hold a password.
    database = `embedded (in memory), no Redis (Postgres or Redis not available: ${error.message})`;
    process.stdout.write(`credential: ${database}\n`);
  }
  const args = schema && redis ? ['--database-url', schema.url, '--redis-url', redis.url] : [];
  const app = await startServer(
    appServer,
    args,
    `tcs-issuer (es256_x509 tenant, ${schema ? 'postgres + redis' : 'embedded database'})`,
  ).catch(async (error) => {
    await schema?.drop();
    await redis?.stop();
    throw error;
  });
  let floor;
  const wallet = createWallet({
    publicUrl: app.publicUrl,
    slug: app.slug,
    apiKey: app.apiKey,
    concurrency: CONCURRENCY,
  });
  try {
    floor = await startServer(floorServer, [], 'credential crypto floor');
    const jwks = JSON.parse((await httpRequest(wallet.agent, `${app.publicUrl}/.well-known/jwks.json`)).body);
    // One real credential: its issuer-signed JWT's signing input is what the floor signs, so the
    // floor's signature hashes as many bytes as the app's.
    const [sample] = await prepare(wallet, 1);
    const sampleAnswer = await wallet.sendCredential(sample);
    if (sampleAnswer.status !== 200) throw new Error(`/v1/credential answered ${sampleAnswer.status}`);
    const credential = JSON.parse(sampleAnswer.body).credentials[0].credential;
    const issuerJwt = credential.split('~')[0];
    const credentialSigningInput = issuerJwt.slice(0, issuerJwt.lastIndexOf('.'));
    const header = JSON.parse(Buffer.from(issuerJwt.split('.')[0], 'base64url').toString());
    if (header.alg !== 'ES256' || !Array.isArray(header.x5c))
      throw new Error('the sample is not ES256 with x5c');
    const inputs = { jwks, credentialSigningInput, sampleCredential: credential };

    // Warm-up: a small round to estimate the app's rate, then about warmupSeconds of each variant.
    const first = await prepare(wallet, FIRST_WARMUP_REQUESTS);
    const firstRate = (await appRound(wallet, app, first)).rps;
    await loadFloor(floor, wallet.agent, first, inputs);
    for (const extra of FLOOR_EXTRAS) await floorRound(floor, wallet.agent, 0, extra);
    const warm = await prepare(
      wallet,
      Math.max(MIN_ROUND_REQUESTS, Math.round(firstRate * settings.warmupSeconds)),
    );
    const warmRate = (await appRound(wallet, app, warm)).rps;
    await loadFloor(floor, wallet.agent, warm, inputs);
    for (const extra of FLOOR_EXTRAS) await floorRound(floor, wallet.agent, settings.warmupSeconds, extra);
    const perRound = Math.min(
      MAX_ROUND_REQUESTS,
      Math.max(MIN_ROUND_REQUESTS, Math.round(warmRate * settings.durationSeconds)),
    );

    const samples = { credential: [], floor: [], floorKeyImport: [], floorKeyImportSdJwt: [] };
    const prepareSeconds = [];
    for (let round = 0; round < settings.rounds; round += 1) {
      const started = performance.now();
      const requests = await prepare(wallet, perRound);
      prepareSeconds.push(round3((performance.now() - started) / 1000));
      samples.credential.push(await appRound(wallet, app, requests));
      await loadFloor(floor, wallet.agent, requests, inputs);
      samples.floor.push(await floorRound(floor, wallet.agent, settings.durationSeconds));
      samples.floorKeyImport.push(
        await floorRound(floor, wallet.agent, settings.durationSeconds, 'keyImport'),
      );
      samples.floorKeyImportSdJwt.push(
        await floorRound(floor, wallet.agent, settings.durationSeconds, 'keyImportSdJwt'),
      );
    }
    const s = summarize(samples);
    const r = spread(samples.credential.map((a, i) => a.rps / samples.floor[i].rps));
    // Beside the bar: the floor plus work no implementation can leave out, as a ratio to the floor —
    // the most the bar's ratio could be if the app did nothing else (no HTTP, JSON, DPoP claims,
    // nonce or replay store, database).
    const ceiling = (name) => ({
      ratioToFloor: spread(samples[name].map((x, i) => x.rps / samples.floor[i].rps)),
      rps: s[name].medianRps,
      cpuUsPerRequest: s[name].medianCpuUsPerRequest,
    });
    return {
      results: {
        credentialVsCryptoFloor: {
          ratio: r,
          bar: BAR,
          rps: { variant: s.credential.medianRps, baseline: s.floor.medianRps },
          cpuUsPerRequest: {
            variant: s.credential.medianCpuUsPerRequest,
            baseline: s.floor.medianCpuUsPerRequest,
          },
          ...verdict(r.median >= BAR),
          unavoidable: {
            floorWithHolderKeyImport: ceiling('floorKeyImport'),
            floorWithHolderKeyImportAndSdJwtVc: ceiling('floorKeyImportSdJwt'),
          },
        },
      },
      detail: {
        connections: CONCURRENCY,
        accessTokensPerRound: TOKENS,
        credentialsPerRound: perRound,
        credentialBytes: credential.length,
        credentialSigningInputBytes: credentialSigningInput.length,
        database,
        floor:
          'per request: 3 × ES256 crypto.verify (DPoP proof, access token, key proof) + 1 × ES256 crypto.sign of a credential-sized input; decoding and key import before the run',
        floorKeyImport: 'the floor, the key proof’s holder JWK imported (createPublicKey) inside the loop',
        floorKeyImportSdJwt:
          'that, with the credential built by the app’s issueSdJwtVc (@sd-jwt, the app’s signer, the sample’s claims and x5c) instead of the bare signature',
        prepareSeconds: { median: round3(median(prepareSeconds)), rounds: prepareSeconds },
        warmupRates: { first: firstRate, warm: warmRate },
        ...s,
      },
    };
  } finally {
    wallet.close();
    await floor?.stop();
    await app.stop();
    await schema?.drop();
    await redis?.stop();
  }
}
