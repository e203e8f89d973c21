// SPEC §9 row 11: `GET /v1/status-lists/:tenant/:list` just after a status change, req/s, against
// bare Koa serving the same JWT bytes with the same Content-Type. Both run in one server process
// (servers/tcs-issuance.mjs), pinned to the server core; wrk (or autocannon) from the load core.
//
// Method, and why:
// - The app is the real TCS issuer (single node: embedded database in memory, no Redis) with an
//   approved `es256_x509` tenant and ISSUED credentials issued through the real OpenID4VCI flow
//   (offer, DPoP-bound token, c_nonce, key proof), so the list has real entries.
// - Before every app round (warm-up included) one credential's status is changed through the API
//   (valid ⇄ suspended, alternately), so the round's first fetch signs the list anew (ES256, the
//   tenant's key) and the rest are served from the process's cache after the one indexed query
//   every fetch makes to check the list's version. The suite checks that the token served after
//   the round is a new one.
// - The baseline is a bare Koa app in the same process answering the very token the app served in
//   the round before (the bench hands it over between rounds, outside any measured window), as
//   bytes, with `Content-Type: application/statuslist+jwt`.
// - Rounds interleave (app, bare, app, …); the bar is judged on the median of the per-round ratios
//   of req/s; the server's CPU µs per request is recorded for both.
import { fileURLToPath } from 'node:url';
import { load, ratio, round3, startServer, summarize, verdict } from '../lib/harness.mjs';
import { createWallet, httpRequest } from '../lib/issuance-wallet.mjs';

const server = fileURLToPath(new URL('../servers/tcs-issuance.mjs', import.meta.url));
const BAR = 0.7;
/** Credentials issued before the rounds (one offer, one access token). */
const ISSUED = 8;

export async function statusListSuite(settings) {
  const app = await startServer(
    server,
    [],
    'tcs-issuer (es256_x509 tenant, embedded database) and its bare Koa',
  );
  const wallet = createWallet({
    publicUrl: app.publicUrl,
    slug: app.slug,
    apiKey: app.apiKey,
    concurrency: 4,
  });
  try {
    // Issue ISSUED credentials through the real flow.
    const { offerId, token, dpopKey } = await wallet.accessToken();
    const nonces = await wallet.nonces(ISSUED);
    for (const { cNonce, dpopNonce } of nonces) {
      const answer = await wallet.sendCredential(
        wallet.credentialRequest({ token, dpopKey, cNonce, dpopNonce }),
      );
      if (answer.status !== 200)
        throw new Error(`/v1/credential answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
    const { credentials } = await wallet.getJson(`/v1/credentials?offer_id=${offerId}`);
    if (credentials.length !== ISSUED)
      throw new Error(`${credentials.length} credentials listed, ${ISSUED} issued`);
    const changed = credentials[0];
    const listPath = new URL(changed.status_list.uri).pathname;
    const appUrl = `${app.publicUrl}${listPath}`;
    const bareUrl = `http://127.0.0.1:${app.barePort}/`;

    let status = changed.status;
    let served = await fetchList(wallet, appUrl);
    const headers = {};
    /** One status change, then the app round; then the token it served goes to the bare app. */
    const appRun = async (durationSeconds) => {
      status = status === 'valid' ? 'suspended' : 'valid';
      await wallet.changeStatus(changed.credential_id, status);
      const result = await load({
        url: appUrl,
        server: app,
        connections: settings.connections,
        durationSeconds,
      });
      const after = await fetchList(wallet, appUrl);
      if (after.body === served.body)
        throw new Error('the status list was not signed anew after a status change');
      served = after;
      headers.app = after.contentType;
      const set = await httpRequest(wallet.agent, `http://127.0.0.1:${app.controlPort}/`, {
        method: 'PUT',
        body: after.body,
      });
      if (set.status !== 200) throw new Error(`control port answered ${set.status}`);
      return { ...result, resigned: true, statusSetTo: status };
    };
    const bareRun = async (durationSeconds) =>
      load({ url: bareUrl, server: app, connections: settings.connections, durationSeconds });

    await appRun(settings.warmupSeconds);
    await bareRun(settings.warmupSeconds);
    const bareSample = await fetchList(wallet, bareUrl);
    headers.bare = bareSample.contentType;
    if (bareSample.body !== served.body) throw new Error('the bare app does not serve the app’s token');
    if (headers.bare !== headers.app)
      throw new Error(`Content-Type differs: ${headers.app} vs ${headers.bare}`);

    const samples = { statusList: [], bareKoa: [] };
    for (let round = 0; round < settings.rounds; round += 1) {
      samples.statusList.push(await appRun(settings.durationSeconds));
      samples.bareKoa.push(await bareRun(settings.durationSeconds));
    }
    const s = summarize(samples);
    const r = ratio(samples, 'statusList', 'bareKoa');
    return {
      results: {
        statusListAfterChange: {
          ratio: r,
          bar: BAR,
          rps: { variant: s.statusList.medianRps, baseline: s.bareKoa.medianRps },
          cpuUsPerRequest: {
            variant: s.statusList.medianCpuUsPerRequest,
            baseline: s.bareKoa.medianCpuUsPerRequest,
          },
          ...verdict(r.median >= BAR),
        },
      },
      detail: {
        connections: settings.connections,
        database: 'embedded (in memory), no Redis',
        issuedCredentials: ISSUED,
        tokenBytes: Buffer.byteLength(served.body),
        contentType: headers.app,
        cpuUsPerRequestAdded: round3(s.statusList.medianCpuUsPerRequest - s.bareKoa.medianCpuUsPerRequest),
        ...s,
      },
    };
  } finally {
    wallet.close();
    await app.stop();
  }
}

async function fetchList(wallet, url) {
  const res = await httpRequest(wallet.agent, url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return { body: res.body, contentType: res.headers['content-type'] };
}
