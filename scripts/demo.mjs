#!/usr/bin/env node
// `pnpm demo`: one scripted walkthrough against the apps `pnpm start` runs. It plays the operator,
// an integrator and a wallet: instance keys (create, use, rotate with overlap, revoke), a MiCA
// developer (register, query, rotate), and a credential issued end to end by a tenant of each
// signing profile (offer, pre-authorized code with a transaction code, DPoP-bound token,
// credential, suspension seen on the status list). One numbered line per HTTP exchange, with its
// status; the first unexpected answer ends the run with exit code 1.
//
// Plain Node (20+), no dependencies: the wallet's JWTs (DPoP proofs, key proofs) are signed with
// node:crypto, so the script runs from the repository root without a build or an install.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  verify,
  X509Certificate,
} from 'node:crypto';
import { parseArgs } from 'node:util';
import { inflateSync } from 'node:zlib';

const USAGE = `Usage: pnpm demo [options]    (with \`pnpm start\` running in another terminal)

Options (each also read from the environment variable named after it):
  --admin-token <token>           operator token of the instance API and the TCS issuer
                                  (PORTCULLIS_ADMIN_TOKEN, else ADMIN_TOKEN)
  --instance-admin-token <token>  the instance API's own, when the apps' tokens differ
                                  (PORTCULLIS_INSTANCE_ADMIN_TOKEN)
  --tcs-admin-token <token>       the TCS issuer's own (PORTCULLIS_TCS_ADMIN_TOKEN)
  --instance-url <url>            default http://127.0.0.1:3001 (PORTCULLIS_INSTANCE_URL)
  --mica-url <url>                default http://127.0.0.1:3002 (PORTCULLIS_MICA_URL)
  --tcs-url <url>                 default http://127.0.0.1:3003 (PORTCULLIS_TCS_URL)
  --only <parts>                  a comma-separated subset of instance,mica,tcs, default all
                                  (PORTCULLIS_ONLY)
  -h, --help                      this text

\`pnpm start\` prints each app's admin token when ADMIN_TOKEN is unset (one per app: pass both
with --instance-admin-token and --tcs-admin-token); start it with ADMIN_TOKEN=… to share one.`;

const PARTS = ['instance', 'mica', 'tcs'];
const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const CONFIG_ID = 'TuringCerts_Standard_Credential_v2_sd_jwt';
const STATUS_NAMES = ['valid', 'invalid', 'suspended', 'application-specific'];

const ADMIN_TOKEN_HINT =
  'is the admin token the one this app printed at start, or the ADMIN_TOKEN it was started with? Failed attempts are limited per address';

/** The first unexpected answer (or an unreachable app): ends the run with its message. */
class DemoError extends Error {}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

function readOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        'admin-token': { type: 'string' },
        'instance-admin-token': { type: 'string' },
        'tcs-admin-token': { type: 'string' },
        'instance-url': { type: 'string' },
        'mica-url': { type: 'string' },
        'tcs-url': { type: 'string' },
        only: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      // `pnpm demo -- --only mica` passes its `--` on to the script.
      args: process.argv.slice(2).filter((arg, index) => !(index === 0 && arg === '--')),
    }).values;
  } catch (error) {
    throw new DemoError(`${error.message}\n\n${USAGE}`);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const env = process.env;
  const pick = (...values) =>
    values.find((value) => typeof value === 'string' && value.trim() !== '')?.trim();
  const sharedToken = pick(parsed['admin-token'], env.PORTCULLIS_ADMIN_TOKEN, env.ADMIN_TOKEN);
  const only = pick(parsed.only, env.PORTCULLIS_ONLY);
  const parts = only ? only.split(',').map((part) => part.trim()) : PARTS;
  const unknown = parts.filter((part) => !PARTS.includes(part));
  if (unknown.length > 0 || parts.length === 0) {
    throw new DemoError(`--only takes a comma-separated subset of ${PARTS.join(',')}\n\n${USAGE}`);
  }
  const url = (value, fallback, name) => {
    const base = pick(value) ?? fallback;
    try {
      return new URL(base).origin;
    } catch {
      throw new DemoError(`--${name} is not a URL`);
    }
  };
  return {
    parts: new Set(parts),
    instanceUrl: url(
      parsed['instance-url'] ?? env.PORTCULLIS_INSTANCE_URL,
      'http://127.0.0.1:3001',
      'instance-url',
    ),
    micaUrl: url(parsed['mica-url'] ?? env.PORTCULLIS_MICA_URL, 'http://127.0.0.1:3002', 'mica-url'),
    tcsUrl: url(parsed['tcs-url'] ?? env.PORTCULLIS_TCS_URL, 'http://127.0.0.1:3003', 'tcs-url'),
    instanceAdminToken:
      pick(parsed['instance-admin-token'], env.PORTCULLIS_INSTANCE_ADMIN_TOKEN) ?? sharedToken,
    tcsAdminToken: pick(parsed['tcs-admin-token'], env.PORTCULLIS_TCS_ADMIN_TOKEN) ?? sharedToken,
  };
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

/**
 * A secret as the demo prints it: its first 8 characters and `…` (a key's prefix, a JWT's
 * header start), or only `…` when it is too short for 8 characters to leave most of it unknown
 * (a 6-digit transaction code).
 */
const redact = (value) => (typeof value === 'string' && value.length > 16 ? `${value.slice(0, 8)}…` : '…');

let stepNumber = 0;
/** The exchange being checked, for the failure message: `GET /path`. */
let currentExchange = '';
const section = (title) => console.log(`\n${title}`);
const note = (text) => console.log(`       ${text}`);
/** Prints a block (a decoded JWT, disclosures) indented under the step it belongs to. */
const block = (label, value) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  console.log(`       ${label}${text.includes('\n') ? '' : ` ${text}`}`);
  if (text.includes('\n')) for (const line of text.split('\n')) console.log(`         ${line}`);
};

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/**
 * One exchange, one numbered line: `  3. [200] GET /path — detail`. `expect` is the status (or
 * statuses) the walkthrough needs; any other ends the run. `detail(body, response)` says what the
 * answer showed, with every secret redacted; it may throw a `DemoError` when the body is not
 * what the contract promises.
 */
async function exchange({ app, method = 'GET', url, headers = {}, json, form, expect, detail, hint }) {
  stepNumber += 1;
  const target = new URL(url);
  const shown = `${method} ${target.pathname}${target.search}`;
  currentExchange = shown;
  const init = { method, headers: { accept: 'application/json', ...headers } };
  if (json !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (form !== undefined) {
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  let response;
  try {
    response = await fetch(target, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const why = error?.cause?.code ?? error?.name ?? 'unreachable';
    throw new DemoError(`${app} did not answer at ${target.origin} (${why}): is \`pnpm start\` running?`);
  }
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  let body = text;
  if (type.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new DemoError(`answered ${response.status} with a body that is not JSON`);
    }
  }
  const expected = Array.isArray(expect) ? expect : [expect];
  if (!expected.includes(response.status)) {
    const advice = hint?.[response.status] ? ` (${hint[response.status]})` : '';
    throw new DemoError(
      `answered ${response.status}, expected ${expected.join(' or ')}${problem(response.status, body)}${advice}`,
    );
  }
  const said = detail ? detail(body, response) : '';
  console.log(`${String(stepNumber).padStart(4)}. [${response.status}] ${shown}${said ? ` — ${said}` : ''}`);
  return { status: response.status, headers: response.headers, body };
}

/**
 * What an unexpected answer said. Error bodies of these apps never carry secrets, so their
 * message is quoted (shortened); a success body might (a key, a token), so only its fields are.
 */
function problem(status, body) {
  if (status < 400) {
    const fields = body && typeof body === 'object' ? Object.keys(body).join(', ') : typeof body;
    return ` (its body has: ${fields})`;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text ? `: ${text.length > 300 ? `${text.slice(0, 300)}…` : text}` : '';
}

/** A contract check on an answer's body: ends the run with `message` when `condition` fails. */
function need(condition, message) {
  if (!condition) throw new DemoError(message);
}

// ---------------------------------------------------------------------------------------------
// JOSE, by hand (node:crypto): ES256 compact JWS, decoding, RFC 7638 thumbprints
// ---------------------------------------------------------------------------------------------

const b64u = (input) => Buffer.from(input).toString('base64url');
const sha256b64u = (input) => createHash('sha256').update(input).digest('base64url');

/** A new P-256 key pair and its public JWK (kty, crv, x, y). */
function newEs256Key() {
  // The JWKs are encoded by the key generation itself: exporting a JWK from a key object that
  // generateKeyPairSync returned can deadlock Node's garbage collector (seen on Node 20: the
  // generation job's destructor waits for the key's lock the export holds), so the key to sign with
  // is imported from the private JWK instead.
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { format: 'jwk' },
    publicKeyEncoding: { format: 'jwk' },
  });
  const { kty, crv, x, y } = publicKey;
  return { privateKey: createPrivateKey({ key: privateKey, format: 'jwk' }), jwk: { kty, crv, x, y } };
}

/** A compact ES256 JWS: the signature is R‖S (IEEE P1363), as JWS requires, not DER. */
function signEs256(key, header, payload) {
  const input = `${b64u(JSON.stringify({ alg: 'ES256', ...header }))}.${b64u(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** RFC 7638 thumbprint of an EC public key: SHA-256 over its required members in order. */
const thumbprint = ({ crv, kty, x, y }) => sha256b64u(JSON.stringify({ crv, kty, x, y }));

/** Header and payload of a compact JWT, or `undefined` when it is not one. */
function decodeJwt(jwt) {
  const parts = typeof jwt === 'string' ? jwt.split('.') : [];
  if (parts.length !== 3) return undefined;
  try {
    const [header, payload] = parts
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    return { header, payload };
  } catch {
    return undefined;
  }
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Bytes of a base58btc string (a did:key's multibase body after its `z`). */
function base58btc(text) {
  let value = 0n;
  for (const char of text) {
    const digit = BASE58.indexOf(char);
    need(digit >= 0, 'a did:key is not base58btc');
    value = value * 58n + BigInt(digit);
  }
  const bytes = [];
  for (; value > 0n; value /= 256n) bytes.unshift(Number(value % 256n));
  for (const char of text) {
    if (char !== '1') break;
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}

// DER prefix of a P-256 SubjectPublicKeyInfo holding a compressed point (33 bytes follow).
const P256_COMPRESSED_SPKI = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');

/**
 * The public key a JWT's header names, as a verifier finds it without asking the issuer: the
 * leaf certificate of `x5c`, or the key inside a `did:key` `kid` (Ed25519, multicodec 0xed01;
 * P-256, 0x1200 with a compressed point). `source` says which, for the output.
 */
function headerKey(header) {
  if (Array.isArray(header.x5c) && typeof header.x5c[0] === 'string') {
    let leaf;
    try {
      leaf = new X509Certificate(Buffer.from(header.x5c[0], 'base64'));
    } catch {
      need(false, 'x5c[0] is not a certificate');
    }
    const names = leaf.subjectAltName ? `, ${leaf.subjectAltName}` : '';
    const subject = leaf.subject.replaceAll('\n', ', ');
    const issuer = leaf.issuer.replaceAll('\n', ', ');
    return { key: leaf.publicKey, source: `x5c leaf "${subject}"${names}, issued by "${issuer}"` };
  }
  const did = typeof header.kid === 'string' ? header.kid.split('#')[0] : '';
  need(did.startsWith('did:key:z'), 'the header names no key to verify with (neither x5c nor a did:key kid)');
  const bytes = base58btc(did.slice('did:key:z'.length));
  const source = `did:key ${did.slice(8, 24)}…`;
  if (bytes.length === 34 && bytes[0] === 0xed && bytes[1] === 0x01) {
    const x = bytes.subarray(2).toString('base64url');
    return { key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }), source };
  }
  need(
    bytes.length === 35 && bytes[0] === 0x80 && bytes[1] === 0x24,
    'the did:key is neither Ed25519 nor P-256',
  );
  const spki = Buffer.concat([P256_COMPRESSED_SPKI, bytes.subarray(2)]);
  return { key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), source };
}

/** Checks a compact JWS's signature with the key its own header names; returns where it was found. */
function verifyJws(jwt, header) {
  const { key, source } = headerKey(header);
  const [protectedHeader, payload, signature] = jwt.split('.');
  const data = Buffer.from(`${protectedHeader}.${payload}`);
  const bytes = Buffer.from(signature, 'base64url');
  let valid = false;
  if (header.alg === 'ES256') valid = verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, bytes);
  else if (header.alg === 'EdDSA' || header.alg === 'Ed25519') valid = verify(null, data, key, bytes);
  else need(false, `alg ${header.alg} is neither ES256 nor EdDSA`);
  need(valid, `the signature does not verify with the ${source}`);
  return source;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * A DPoP proof (RFC 9449) for one request: `htu` is the URL without query or fragment; `ath`
 * binds it to the access token it is sent with; `nonce` is the server's latest `DPoP-Nonce`.
 */
function dpopProof(key, method, url, { nonce, accessToken } = {}) {
  const htu = new URL(url);
  htu.search = '';
  htu.hash = '';
  const payload = { jti: randomUUID(), htm: method, htu: htu.href, iat: nowSeconds() };
  if (nonce) payload.nonce = nonce;
  if (accessToken) payload.ath = sha256b64u(accessToken);
  return signEs256(key, { typ: 'dpop+jwt', jwk: key.jwk }, payload);
}

// ---------------------------------------------------------------------------------------------
// 1. Instance API
// ---------------------------------------------------------------------------------------------

async function instanceWalkthrough({ instanceUrl: base, instanceAdminToken }) {
  const app = 'instance-api';
  section(`Instance API (${base}): an instance's keys — create, use, rotate with overlap, revoke`);
  if (!instanceAdminToken) {
    throw new DemoError('the instance API needs its admin token: --admin-token or PORTCULLIS_ADMIN_TOKEN');
  }
  const admin = { authorization: `Bearer ${instanceAdminToken}` };
  const adminHint = { 401: ADMIN_TOKEN_HINT, 429: ADMIN_TOKEN_HINT };
  const created = await exchange({
    app,
    method: 'POST',
    url: `${base}/admin/instances`,
    headers: admin,
    hint: adminHint,
    json: { name: `Portcullis demo ${new Date().toISOString().slice(0, 19)}` },
    expect: 201,
    detail: ({ data }) => {
      need(typeof data?.instance?.id === 'string', 'no data.instance.id in the answer');
      need(typeof data?.apiKey === 'string', 'no data.apiKey in the answer');
      return `operator created instance ${data.instance.id}; its first key ${redact(data.apiKey)} (shown once)`;
    },
  });
  const firstKey = created.body.data.apiKey;
  const instanceId = created.body.data.instance.id;

  await exchange({
    app,
    url: `${base}/api/v2/instance`,
    headers: { 'x-api-key': firstKey },
    expect: 200,
    detail: ({ data }) => {
      need(data?.id === instanceId, "the key answered another instance's data");
      return `the key reads its instance "${data.name}" (${data.type})`;
    },
  });

  const list = await exchange({
    app,
    url: `${base}/api/v2/instance/api-keys`,
    headers: { 'x-api-key': firstKey },
    expect: 200,
    detail: ({ data }) => {
      need(Array.isArray(data), 'data is not a list of keys');
      return `${data.length} key(s), listed by preview only: ${data.map((key) => `${key.id} ${key.status}`).join(', ')}`;
    },
  });
  const firstKeyId = list.body.data.find((key) => firstKey.startsWith(key.keyPreview))?.id;
  need(firstKeyId, 'the first key is not in the list');

  const rotated = await exchange({
    app,
    method: 'POST',
    url: `${base}/api/v2/instance/api-keys/${firstKeyId}/rotate`,
    headers: { 'x-api-key': firstKey },
    json: { overlapSeconds: 3600 },
    expect: 200,
    detail: ({ data }) => {
      need(typeof data?.newKey === 'string' && data.newKey !== firstKey, 'no new key in the answer');
      return `new key ${data.newKeyId} ${redact(data.newKey)}; the old one works until ${data.overlapEndDate}`;
    },
  });
  const newKey = rotated.body.data.newKey;

  const route = `${base}/api/v2/services/customers`;
  await exchange({
    app,
    url: route,
    headers: { 'x-api-key': firstKey },
    expect: 200,
    detail: () => `old key ${redact(firstKey)} still accepted during the overlap`,
  });
  await exchange({
    app,
    url: route,
    headers: { 'x-api-key': newKey },
    expect: 200,
    detail: () => `new key ${redact(newKey)} accepted`,
  });
  await exchange({
    app,
    method: 'POST',
    url: `${base}/api/v2/instance/api-keys/${firstKeyId}/revoke`,
    headers: { 'x-api-key': newKey },
    expect: 200,
    detail: ({ data }) => `the new key revokes the old one, ending the overlap early: "${data?.message}"`,
  });
  await exchange({
    app,
    url: route,
    headers: { 'x-api-key': firstKey },
    expect: 401,
    detail: ({ error }) => `old key refused: ${error?.code} "${error?.message}"`,
  });
  await exchange({
    app,
    url: route,
    headers: { 'x-api-key': newKey },
    expect: 200,
    detail: () => 'new key still accepted',
  });
}

// ---------------------------------------------------------------------------------------------
// 2. MiCA register
// ---------------------------------------------------------------------------------------------

async function micaWalkthrough({ micaUrl: base }) {
  const app = 'mica-register';
  section(`MiCA register (${base}): a developer registers, queries the register, rotates its key`);
  const registered = await exchange({
    app,
    method: 'POST',
    url: `${base}/api/mica/developer/register`,
    json: { name: 'Demo Developer', email: `demo-${randomBytes(4).toString('hex')}@example.com` },
    expect: 201,
    detail: (body) => {
      need(typeof body?.apiKey === 'string', 'no apiKey in the answer');
      need(typeof body?.managementToken === 'string', 'no managementToken in the answer');
      return `developer ${body.developer?.id}: API key ${redact(body.apiKey)}, management token ${redact(body.managementToken)} (each shown once)`;
    },
  });
  const { apiKey, managementToken } = registered.body;
  const query = `${base}/api/mica/v1/issuers?licenseType=CASP&country=DE&limit=3`;
  const describeIssuers = (body, response) => {
    need(Array.isArray(body?.data), 'no data list in the answer');
    const names = body.data.map((issuer) => issuer.entityName ?? issuer.id).join('; ');
    const left = response.headers.get('x-ratelimit-remaining-minute');
    const total = body.pagination?.total ?? body.data.length;
    return `${body.data.length} of ${total} German CASPs: ${names} (${left ?? '?'} requests left this minute)`;
  };
  await exchange({ app, url: query, headers: { 'x-api-key': apiKey }, expect: 200, detail: describeIssuers });

  const keys = await exchange({
    app,
    url: `${base}/api/mica/developer/keys`,
    headers: { authorization: `Bearer ${managementToken}` },
    expect: 200,
    detail: (body) => {
      need(Array.isArray(body?.keys), 'no keys list in the answer');
      return `${body.keys.length} key(s): ${body.keys.map((key) => `${key.id} ${key.keyPrefix}…${key.keyHint}`).join(', ')}`;
    },
  });
  const keyId = keys.body.keys.find(
    (key) => apiKey.startsWith(key.keyPrefix) && apiKey.endsWith(key.keyHint),
  )?.id;
  need(keyId, 'the registered key is not in the list');

  const rotated = await exchange({
    app,
    method: 'POST',
    url: `${base}/api/mica/developer/keys/${keyId}/rotate`,
    headers: { authorization: `Bearer ${managementToken}` },
    expect: 201,
    detail: (body) => {
      need(typeof body?.apiKey === 'string' && body.apiKey !== apiKey, 'no new apiKey in the answer');
      return `key ${body.replacedKeyId} replaced by ${body.id} ${redact(body.apiKey)}; the old one stops at once`;
    },
  });
  await exchange({
    app,
    url: query,
    headers: { 'x-api-key': apiKey },
    expect: 401,
    detail: ({ error }) => `old key refused: ${error?.code} "${error?.message}"`,
  });
  await exchange({
    app,
    url: query,
    headers: { 'x-api-key': rotated.body.apiKey },
    expect: 200,
    detail: describeIssuers,
  });
}

// ---------------------------------------------------------------------------------------------
// 3. TCS issuer
// ---------------------------------------------------------------------------------------------

async function tcsWalkthrough({ tcsUrl: base, tcsAdminToken }) {
  const app = 'tcs-issuer';
  section(`TCS issuer (${base}): onboard a tenant of each signing profile`);
  if (!tcsAdminToken) {
    throw new DemoError('the TCS issuer needs its admin token: --admin-token or PORTCULLIS_ADMIN_TOKEN');
  }
  const admin = { authorization: `Bearer ${tcsAdminToken}` };
  const adminHint = { 401: ADMIN_TOKEN_HINT, 429: ADMIN_TOKEN_HINT };
  const run = randomBytes(3).toString('hex');
  const tenants = [];
  for (const [profile, name] of [
    ['eddsa_did', 'eddsa'],
    ['es256_x509', 'es256'],
  ]) {
    const slug = `demo-${name}-${run}`;
    const created = await exchange({
      app,
      method: 'POST',
      url: `${base}/admin/tenants`,
      headers: admin,
      hint: adminHint,
      json: {
        slug,
        organizationName: `Demo ${profile}`,
        ownerEmail: `it@${slug}.example`,
        signingProfile: profile,
      },
      expect: 201,
      detail: (body) => {
        need(typeof body?.apiKey === 'string', 'no apiKey in the answer');
        return `tenant ${slug} (${profile}) is ${body.tenant?.status}; API key ${redact(body.apiKey)}, login ${body.uuid} (password shown once, not here)`;
      },
    });
    await exchange({
      app,
      method: 'POST',
      url: `${base}/admin/tenants/${slug}/approve`,
      headers: admin,
      hint: adminHint,
      expect: 200,
      detail: ({ tenant }) => {
        need(tenant?.status === 'approved', `the tenant is ${tenant?.status}, not approved`);
        return `${slug} approved; its first issuing DID is made`;
      },
    });
    tenants.push({ slug, profile, apiKey: created.body.apiKey });
  }
  for (const tenant of tenants) await issueAndSuspend(base, tenant);
}

/** The wallet flow for one tenant: offer → token → credential → suspension on the status list. */
async function issueAndSuspend(base, { slug, profile, apiKey }) {
  const app = 'tcs-issuer';
  // es256_x509 follows the high-assurance profile: DPoP with server nonces on every endpoint.
  const noncesRequired = profile === 'es256_x509';
  section(`TCS issuer: ${slug} (${profile}) issues a credential to a wallet, then suspends it`);
  const tenantKey = { 'x-api-key': apiKey };
  const claims = { credentialName: 'Portcullis demo certificate', issuedTime: new Date().toISOString() };

  // The issuer's back end creates the offer; the holder gets the deep link (a QR code) and, on
  // another channel, the transaction code.
  const offer = await exchange({
    app,
    method: 'POST',
    url: `${base}/v1/offers`,
    headers: tenantKey,
    json: { credential: { config_id: CONFIG_ID, claims }, flow: 'pre-authorized', tx_code: true },
    expect: 201,
    detail: (body) => {
      need(typeof body?.credential_offer_uri === 'string', 'no credential_offer_uri in the answer');
      need(typeof body?.tx_code === 'string', 'no tx_code in the answer, though one was asked for');
      return `offer ${body.offer_id} until ${body.expires_at}; tx_code ${redact(body.tx_code)} (for the holder, out of band)`;
    },
  });
  const {
    offer_id: offerId,
    credential_offer_uri: offerUri,
    deep_link: deepLink,
    tx_code: txCode,
  } = offer.body;
  need(
    typeof deepLink === 'string' && deepLink.startsWith('openid-credential-offer://'),
    'deep_link is not an openid-credential-offer:// link',
  );
  note(`deep link (the QR code): ${deepLink.length > 90 ? `${deepLink.slice(0, 90)}…` : deepLink}`);

  // The wallet: a DPoP key for its access token, a holder key the credential is bound to.
  const dpopKey = newEs256Key();
  const holderKey = newEs256Key();
  let dpopNonce;
  const keepNonce = (response) => {
    dpopNonce = response.headers.get('dpop-nonce') ?? dpopNonce;
  };

  const credentialOffer = await exchange({
    app,
    url: offerUri,
    expect: 200,
    detail: (body) => {
      const grant = body?.grants?.[PRE_AUTHORIZED_GRANT];
      need(typeof grant?.['pre-authorized_code'] === 'string', 'the offer has no pre-authorized code');
      need(grant.tx_code, 'the offer does not announce its transaction code');
      return `wallet reads the offer: ${body.credential_configuration_ids?.join(', ')} from ${body.credential_issuer}; code ${redact(grant['pre-authorized_code'])}, tx_code of ${grant.tx_code.length} ${grant.tx_code.input_mode ?? ''} characters`;
    },
  });
  const issuer = credentialOffer.body.credential_issuer;
  const preAuthorizedCode = credentialOffer.body.grants[PRE_AUTHORIZED_GRANT]['pre-authorized_code'];
  need(typeof issuer === 'string', 'the offer has no credential_issuer');

  // OpenID4VCI 1.0: the well-known segment goes between the issuer's host and its path.
  const issuerUrl = new URL(issuer);
  const metadata = await exchange({
    app,
    url: `${issuerUrl.origin}/.well-known/openid-credential-issuer${issuerUrl.pathname.replace(/\/$/, '')}`,
    expect: 200,
    detail: (body) => {
      need(body?.credential_issuer === issuer, 'the metadata names another credential_issuer');
      need(body.credential_endpoint && body.nonce_endpoint, 'no credential_endpoint or nonce_endpoint');
      const config = body.credential_configurations_supported?.[CONFIG_ID];
      need(config, `${CONFIG_ID} is not offered`);
      return `${CONFIG_ID}: ${config.format}, signed ${config.credential_signing_alg_values_supported?.join('/')}`;
    },
  });
  const { credential_endpoint: credentialEndpoint, nonce_endpoint: nonceEndpoint } = metadata.body;
  const authorizationServer = metadata.body.authorization_servers?.[0] ?? issuerUrl.origin;

  const asMetadata = await exchange({
    app,
    url: `${new URL(authorizationServer).origin}/.well-known/oauth-authorization-server`,
    expect: 200,
    detail: (body) => {
      need(body?.token_endpoint, 'no token_endpoint');
      need(
        body.grant_types_supported?.includes(PRE_AUTHORIZED_GRANT),
        'the pre-authorized grant is not supported',
      );
      return `token endpoint ${body.token_endpoint}; DPoP ${body.dpop_signing_alg_values_supported?.join('/')}`;
    },
  });
  const tokenEndpoint = asMetadata.body.token_endpoint;

  // The token request, with a DPoP proof. Where the server requires nonces the first attempt is
  // refused with one (`use_dpop_nonce`) and the wallet retries with it; the code stays unspent.
  const tokenForm = {
    grant_type: PRE_AUTHORIZED_GRANT,
    'pre-authorized_code': preAuthorizedCode,
    tx_code: txCode,
  };
  const describeToken = (body) => {
    need(typeof body?.access_token === 'string', 'no access_token in the answer');
    need(body.token_type === 'DPoP', `token_type is ${body.token_type}, not DPoP`);
    const cnf = decodeJwt(body.access_token)?.payload?.cnf;
    need(
      !cnf?.jkt || cnf.jkt === thumbprint(dpopKey.jwk),
      "the token is bound to another key than the wallet's",
    );
    const bound = cnf?.jkt ? ", bound to the wallet's DPoP key (cnf.jkt)" : '';
    return `access token ${redact(body.access_token)}, ${body.token_type}, ${body.expires_in} s${bound}`;
  };
  const firstTry = await exchange({
    app,
    method: 'POST',
    url: tokenEndpoint,
    headers: { dpop: dpopProof(dpopKey, 'POST', tokenEndpoint) },
    form: tokenForm,
    expect: noncesRequired ? 400 : 200,
    detail: (body, response) => {
      if (!noncesRequired) return describeToken(body);
      need(body?.error === 'use_dpop_nonce', `error ${body?.error}, expected use_dpop_nonce`);
      need(response.headers.get('dpop-nonce'), 'no DPoP-Nonce header with use_dpop_nonce');
      return `use_dpop_nonce: this profile needs a server nonce in the proof; DPoP-Nonce ${redact(response.headers.get('dpop-nonce'))}`;
    },
  });
  keepNonce(firstTry);
  let token = firstTry;
  if (noncesRequired) {
    token = await exchange({
      app,
      method: 'POST',
      url: tokenEndpoint,
      headers: { dpop: dpopProof(dpopKey, 'POST', tokenEndpoint, { nonce: dpopNonce }) },
      form: tokenForm,
      expect: 200,
      detail: (body) => `retried with the nonce: ${describeToken(body)}`,
    });
    keepNonce(token);
  }
  const accessToken = token.body.access_token;

  const nonce = await exchange({
    app,
    method: 'POST',
    url: nonceEndpoint,
    expect: 200,
    detail: (body, response) => {
      need(typeof body?.c_nonce === 'string', 'no c_nonce in the answer');
      const header = response.headers.get('dpop-nonce');
      return `c_nonce ${redact(body.c_nonce)} for the key proof${header ? `; DPoP-Nonce ${redact(header)}` : ''}`;
    },
  });
  keepNonce(nonce);

  // The key proof: the holder key signs the c_nonce for this issuer; the credential is bound to it.
  const keyProof = signEs256(
    holderKey,
    { typ: 'openid4vci-proof+jwt', jwk: holderKey.jwk },
    { aud: issuer, iat: nowSeconds(), nonce: nonce.body.c_nonce },
  );
  const issued = await exchange({
    app,
    method: 'POST',
    url: credentialEndpoint,
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: dpopProof(dpopKey, 'POST', credentialEndpoint, { nonce: dpopNonce, accessToken }),
    },
    json: { credential_configuration_id: CONFIG_ID, proofs: { jwt: [keyProof] } },
    expect: 200,
    detail: (body) => {
      need(Array.isArray(body?.credentials) && body.credentials.length === 1, 'not exactly one credential');
      need(typeof body.credentials[0].credential === 'string', 'the credential is not a string');
      return `one SD-JWT VC, bound to the holder key (RFC 7638 ${thumbprint(holderKey.jwk).slice(0, 8)}…)`;
    },
  });
  const status = showCredential(issued.body.credentials[0].credential, holderKey, claims);

  const readStatus = (expected, why) =>
    exchange({
      app,
      url: status.uri,
      headers: { accept: 'application/statuslist+jwt' },
      expect: 200,
      detail: (body, response) => {
        const value = statusAt(body, response, status.idx);
        need(
          value === expected,
          `entry ${status.idx} is ${value} (${STATUS_NAMES[value]}), expected ${expected}`,
        );
        return `status list entry ${status.idx} = ${value} (${STATUS_NAMES[value]})${why}`;
      },
    });
  await readStatus(0, '');

  const listed = await exchange({
    app,
    url: `${base}/v1/credentials?offer_id=${encodeURIComponent(offerId)}`,
    headers: tenantKey,
    expect: 200,
    detail: (body) => {
      need(
        Array.isArray(body?.credentials) && body.credentials.length === 1,
        'not exactly one credential listed',
      );
      const [entry] = body.credentials;
      return `the tenant finds it by offer: ${entry.credential_id}, ${entry.status} (metadata only: no credential is stored)`;
    },
  });
  const credentialId = listed.body.credentials[0].credential_id;
  await exchange({
    app,
    method: 'POST',
    url: `${base}/v1/credentials/${credentialId}/status`,
    headers: tenantKey,
    json: { status: 'suspended' },
    expect: 200,
    detail: (body) => `suspended${body?.status ? `: status ${body.status}` : ''}`,
  });
  await readStatus(2, ', as a verifier sees it now');
}

/**
 * Prints the credential decoded — issuer-signed JWT header and payload, then each disclosure —
 * after checking what a wallet would: every disclosure is digested into `_sd`, the credential is
 * bound to the holder key, and the disclosed claims are the offered ones. Returns its status
 * list reference.
 */
function showCredential(credential, holderKey, claims) {
  const [jwt, ...rest] = credential.split('~');
  const decoded = decodeJwt(jwt);
  need(decoded, 'the credential does not start with a JWT');
  const { header, payload } = decoded;
  // A certificate chain is long and says little on a terminal: show its size, not its bytes.
  const shownHeader = Array.isArray(header.x5c)
    ? { ...header, x5c: header.x5c.map((cert) => `${cert.slice(0, 16)}… (${cert.length} characters)`) }
    : header;
  block('credential JWT header', shownHeader);
  block('credential JWT payload', payload);
  const disclosures = rest.filter((part) => part !== '');
  need(disclosures.length > 0, 'the credential has no disclosures');
  console.log('       disclosures ([salt, claim, value], base64url after each ~):');
  const disclosed = {};
  for (const disclosure of disclosures) {
    let parsed;
    try {
      parsed = JSON.parse(Buffer.from(disclosure, 'base64url').toString());
    } catch {
      need(false, 'a disclosure is not base64url JSON');
    }
    need(Array.isArray(parsed) && parsed.length === 3, 'a disclosure is not [salt, name, value]');
    need(
      payload._sd?.includes(sha256b64u(disclosure)),
      `the disclosure of ${parsed[1]} is not digested in _sd`,
    );
    disclosed[parsed[1]] = parsed[2];
    console.log(`         ${JSON.stringify(parsed)}`);
  }
  for (const [name, value] of Object.entries(claims)) {
    need(disclosed[name] === value, `the disclosed ${name} is not the offered one`);
  }
  const cnf = payload.cnf?.jwk;
  need(cnf?.x === holderKey.jwk.x && cnf?.y === holderKey.jwk.y, 'cnf.jwk is not the holder key');
  const reference = payload.status?.status_list;
  need(
    typeof reference?.uri === 'string' && Number.isInteger(reference?.idx),
    'no status.status_list { uri, idx }',
  );
  note(`checked: signed by the ${verifyJws(jwt, header)}`);
  note(`checked: ${disclosures.length} disclosures all in _sd, the offered claims, cnf.jwk = the holder key`);
  return reference;
}

/**
 * The 2-bit status at `idx` of a status list token (IETF Token Status List), once its signature
 * is checked: `lst` is base64url of the zlib-deflated bytes, 4 entries per byte, the first in the
 * least significant bits.
 */
function statusAt(body, response, idx) {
  const type = response.headers.get('content-type') ?? '';
  need(type.startsWith('application/statuslist+jwt'), `content type ${type}, not application/statuslist+jwt`);
  const decoded = decodeJwt(typeof body === 'string' ? body.trim() : undefined);
  need(decoded?.header?.typ === 'statuslist+jwt', 'not a statuslist+jwt');
  verifyJws(body.trim(), decoded.header);
  const list = decoded.payload.status_list;
  need(list?.bits === 2 && typeof list.lst === 'string', 'status_list is not { bits: 2, lst }');
  const bytes = inflateSync(Buffer.from(list.lst, 'base64url'));
  need(idx >> 2 < bytes.length, `index ${idx} is past the end of the list`);
  return (bytes[idx >> 2] >> ((idx & 3) * 2)) & 0b11;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const options = readOptions();
  console.log('Portcullis demo: every line is one HTTP exchange and the status it answered.');
  console.log('Secrets (keys, tokens, codes) are shown as their first 8 characters and …');
  if (options.parts.has('instance')) await instanceWalkthrough(options);
  if (options.parts.has('mica')) await micaWalkthrough(options);
  if (options.parts.has('tcs')) await tcsWalkthrough(options);
  console.log(`\nDone: ${stepNumber} exchanges, every answer as expected.`);
}

try {
  await main();
} catch (error) {
  const where = stepNumber === 0 ? '' : ` at step ${stepNumber} (${currentExchange})`;
  const message = error instanceof DemoError ? error.message : (error?.stack ?? String(error));
  console.error(`\nDemo failed${where}: ${message}`);
  process.exitCode = 1;
}
