// The crypto floor of a credential request, as its own process pinned like the app: for each
// prepared request it does only the signature work the request cannot do without — verify the DPoP
// proof's ES256 signature, the access token's ES256 signature and the key proof's ES256 signature
// (node:crypto.verify), and sign one ES256 JWS of the size of a real credential — nothing else.
// Everything that is not a signature operation (splitting the compact JWS, base64url decoding,
// importing the public keys) is done when the requests are loaded, outside the measured run.
//
//   PUT  /items  { jwks, credentialSigningInput, sampleCredential, items: [{ dpop, token, keyProof }] }
//                → { count }
//   POST /run    { minMs, with? } → { count, passes, elapsedMs, cpuUs }   (passes over the loaded
//                items, as many as it takes to last minMs — at least one — timed in here)
//
// `with` adds, beside the floor (never part of the bar), the two things no implementation of the
// endpoint can leave out either, so a run shows how much of the bar's budget they take:
//   'keyImport'       the key proof's holder key imported from its JWK inside the loop (a wallet
//                     sends a new key per credential; the floor proper imports it before its clock)
//   'keyImportSdJwt'  that, and the credential built by the app's own SD-JWT VC issuance (the
//                     @sd-jwt library, the app's signer, the sample credential's claims, vct, issuer
//                     and x5c) in place of the bare signature
//
// Prints one JSON line { port, cpuPort } when ready.
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { createServer } from 'node:http';
import { issueSdJwtVc } from '../../apps/tcs-issuer/dist/issuance/sd-jwt-vc.js';
import { createCredentialSigner } from '../../apps/tcs-issuer/dist/issuance/signer.js';
import { serveCpuEndpoint } from './cpu-endpoint.mjs';

// The floor signs with a P-256 key of its own: the cost of an ES256 signature does not depend on
// whose key it is.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signKey = { key: privateKey, dsaEncoding: 'ieee-p1363' };

let loaded = [];
let credentialInput = Buffer.alloc(0);
/** What the 'keyImportSdJwt' run issues: the sample credential's frame and claims, our signer. */
let issuance;

/** A compact JWS split into what crypto.verify needs; `key` from the header's `jwk` or `keyOf(header)`. */
function decode(jws, keyOf) {
  const [header, payload, signature] = jws.split('.');
  const parsed = JSON.parse(Buffer.from(header, 'base64url').toString());
  const key = keyOf ? keyOf(parsed) : createPublicKey({ key: parsed.jwk, format: 'jwk' });
  return {
    input: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, 'base64url'),
    key: { key, dsaEncoding: 'ieee-p1363' },
    jwk: parsed.jwk,
  };
}

const decodeSegment = (segment) => JSON.parse(Buffer.from(segment, 'base64url').toString());

/** The sample credential's issuer, vct, status list, x5c and claims, and a signer like the app's. */
function issuanceOf(sampleCredential) {
  const [jwt, ...disclosures] = sampleCredential.split('~');
  const [header, payload] = jwt.split('.').map((part, i) => (i < 2 ? decodeSegment(part) : part));
  const claims = Object.fromEntries(
    disclosures.filter(Boolean).map((disclosure) => decodeSegment(disclosure).slice(1)),
  );
  // JWKs encoded by the generation itself (see the bench wallet's es256Key: exporting them from
  // the generated key objects can deadlock Node's garbage collector).
  const { privateKey: privateJwk, publicKey: publicJwk } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { format: 'jwk' },
    publicKeyEncoding: { format: 'jwk' },
  });
  const signer = createCredentialSigner({
    alg: 'ES256',
    issuer: payload.iss,
    header: { x5c: header.x5c },
    privateJwk,
    publicJwk,
  });
  return {
    signer,
    vct: payload.vct,
    uri: payload.status.status_list.uri,
    claims,
    iat: payload.iat,
    exp: payload.exp,
  };
}

function load({ jwks, credentialSigningInput, sampleCredential, items }) {
  const tokenKeys = new Map(jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  const tokenKey = (header) => {
    const key = tokenKeys.get(header.kid);
    if (!key) throw new Error('an access token signed by a key not in the JWKS');
    return key;
  };
  credentialInput = Buffer.from(credentialSigningInput);
  issuance = sampleCredential === undefined ? undefined : issuanceOf(sampleCredential);
  loaded = items.map((item) => ({
    dpop: decode(item.dpop),
    token: decode(item.token, tokenKey),
    keyProof: decode(item.keyProof),
  }));
  return { count: loaded.length };
}

// The floor does a round's work far faster than the app, so it goes over the same requests again
// until it has run as long as a round (verifying a signature twice costs what it cost once): its
// rate is then measured over seconds, not over a blip that a scheduler hiccup could halve.
async function run({ minMs = 0, with: extra }) {
  if (extra !== undefined && extra !== 'keyImport' && extra !== 'keyImportSdJwt') {
    throw new Error(`unknown run variant ${extra}`);
  }
  if (extra === 'keyImportSdJwt' && issuance === undefined) throw new Error('no sample credential loaded');
  const importKeys = extra !== undefined;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let passes = 0;
  let elapsedMs = 0;
  do {
    for (let i = 0; i < loaded.length; i += 1) {
      const item = loaded[i];
      for (const jws of [item.dpop, item.token, item.keyProof]) {
        const key =
          importKeys && jws === item.keyProof
            ? { key: createPublicKey({ key: jws.jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }
            : jws.key;
        if (!verify('sha256', jws.input, key, jws.signature)) throw new Error('a signature did not verify');
      }
      if (extra === 'keyImportSdJwt') {
        await issueSdJwtVc({
          signer: issuance.signer,
          vct: issuance.vct,
          claims: issuance.claims,
          holderJwk: item.keyProof.jwk,
          status: { idx: i, uri: issuance.uri },
          issuedAt: issuance.iat,
          expiresAt: issuance.exp,
        });
      } else {
        sign('sha256', credentialInput, signKey);
      }
    }
    passes += 1;
    elapsedMs = performance.now() - start;
  } while (elapsedMs < minMs);
  const cpu = process.cpuUsage(cpu0);
  return { count: loaded.length * passes, passes, elapsedMs, cpuUs: cpu.user + cpu.system };
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const out =
        req.method === 'PUT' && req.url === '/items'
          ? load(JSON.parse(Buffer.concat(chunks).toString()))
          : req.method === 'POST' && req.url === '/run'
            ? await run(JSON.parse(Buffer.concat(chunks).toString() || '{}'))
            : null;
      if (out === null) {
        res.writeHead(404).end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(out));
    } catch (error) {
      res.writeHead(500).end(error instanceof Error ? error.message : String(error));
    }
  });
});
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const cpuPort = await serveCpuEndpoint();
process.stdout.write(`${JSON.stringify({ port: server.address().port, cpuPort })}\n`);

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
