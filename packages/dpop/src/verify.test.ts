import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createFakeClock } from '@portcullis/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  b64json,
  generateTestKey,
  makeProof,
  type ProofParts,
  proofContent,
  signInput,
  type TestKey,
} from '../test/proofs.js';
import { createMemoryReplayStore } from './memory-replay-store.js';
import { createNonceIssuer } from './nonce.js';
import type { ReplayStore } from './replay-store.js';
import {
  DPOP_RULES,
  DpopInfrastructureError,
  type DpopRejected,
  type VerifyDpopProofOptions,
  verifyDpopProof,
} from './verify.js';

const URL = 'https://issuer.example/v1/token';
const START = Date.UTC(2026, 0, 1);
const ACCESS_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl';
const es256 = generateTestKey('ES256');
const eddsa = generateTestKey('EdDSA');

let clock = createFakeClock(START);
let replay: ReplayStore = createMemoryReplayStore({ now: clock.now });

beforeEach(() => {
  clock = createFakeClock(START);
  replay = createMemoryReplayStore({ now: clock.now });
});

const defaults = () => ({ htm: 'POST', htu: URL, iat: Math.floor(clock.now() / 1000) });
const proof = (parts: ProofParts = {}, key: TestKey = es256) => makeProof(key, defaults(), parts);

function check(overrides: Partial<VerifyDpopProofOptions> = {}) {
  return verifyDpopProof({ proof: proof(), method: 'POST', url: URL, replay, now: clock.now, ...overrides });
}

async function rejected(overrides: Partial<VerifyDpopProofOptions>): Promise<DpopRejected> {
  const result = await check(overrides);
  if (result.ok) throw new Error('expected the proof to be refused');
  return result;
}

/** A JWS with the given header and claims objects, signed with `key` whatever the header says. */
function rawProof(header: unknown, claims: unknown, key: TestKey = es256): string {
  const input = `${b64json(header)}.${b64json(claims)}`;
  return `${input}.${signInput(key, input).toString('base64url')}`;
}

describe('a valid proof', () => {
  it('accepts an ES256 proof and returns its jkt, jwk, jti, iat and claims', async () => {
    const { header, claims } = proofContent(es256, defaults());
    const result = await check({ proof: rawProof(header, claims) });
    expect(result).toEqual({
      ok: true,
      jkt: es256.jkt,
      jwk: { kty: 'EC', crv: 'P-256', x: es256.publicJwk.x, y: es256.publicJwk.y },
      jti: claims.jti,
      iat: claims.iat,
      claims,
    });
  });

  it('accepts an EdDSA proof over an Ed25519 key', async () => {
    const result = await check({ proof: proof({}, eddsa) });
    expect(result).toMatchObject({ ok: true, jkt: eddsa.jkt, jwk: { kty: 'OKP', crv: 'Ed25519' } });
  });

  it('accepts a proof with the fully-specified alg Ed25519 (RFC 9864)', async () => {
    const result = await check({ proof: proof({}, generateTestKey('Ed25519')) });
    expect(result.ok).toBe(true);
  });

  it('accepts a proof whose header jwk carries kid, use sig and key_ops verify', async () => {
    const jwk = { ...es256.publicJwk, kid: 'k1', use: 'sig', key_ops: ['verify'], alg: 'ES256' };
    expect((await check({ proof: proof({ header: { jwk } }) })).ok).toBe(true);
  });

  it('accepts the same key on a second proof (cached header) and still checks everything', async () => {
    expect((await check()).ok).toBe(true);
    expect((await check()).ok).toBe(true);
    const wrongMethod = await rejected({ proof: proof(), method: 'GET' });
    expect(wrongMethod.rule).toBe('htm');
  });
});

describe('rule order', () => {
  it('lists the rules in the SPEC §6.4 order', () => {
    expect(DPOP_RULES).toEqual([
      'single-header',
      'compact-jws',
      'typ',
      'alg',
      'jwk',
      'signature',
      'jti',
      'htm',
      'htu',
      'iat',
      'nonce',
      'ath',
      'jkt',
      'replay',
    ]);
  });

  it('reports the first broken rule when a proof breaks every later one too', async () => {
    const nonces = createNonceIssuer({ secrets: ['s'.repeat(32)], now: clock.now });
    const nonce = { required: true, verify: nonces.verify };
    const other = generateTestKey('ES256');
    // Each step repairs one more rule; the reported rule must move along DPOP_RULES.
    const steps: Array<[string, Partial<VerifyDpopProofOptions>]> = [
      ['jti', { proof: proof({ claims: { jti: 7, htm: 'GET', htu: 'https://x.example/', iat: 0 } }) }],
      ['htm', { proof: proof({ claims: { htm: 'GET', htu: 'https://x.example/', iat: 0 } }) }],
      ['htu', { proof: proof({ claims: { htu: 'https://x.example/', iat: 0 } }) }],
      ['iat', { proof: proof({ claims: { iat: 0 } }) }],
      ['nonce', { proof: proof(), nonce }],
      ['ath', { proof: proof({ claims: { nonce: nonces.issue() } }), nonce, accessToken: ACCESS_TOKEN }],
      [
        'jkt',
        {
          proof: proof({ claims: { nonce: nonces.issue(), ath: sha256(ACCESS_TOKEN) } }),
          nonce,
          accessToken: ACCESS_TOKEN,
          expectedJkt: other.jkt,
        },
      ],
    ];
    for (const [rule, overrides] of steps) {
      expect((await rejected(overrides)).rule, rule).toBe(rule);
    }
    const header = { typ: 'JWT', alg: 'none', jwk: es256.privateJwk };
    expect((await rejected({ proof: rawProof(header, { jti: 1 }) })).rule).toBe('typ');
    expect((await rejected({ proof: rawProof({ ...header, typ: 'dpop+jwt' }, {}) })).rule).toBe('alg');
    expect((await rejected({ proof: rawProof({ ...header, typ: 'dpop+jwt', alg: 'ES256' }, {}) })).rule).toBe(
      'jwk',
    );
    expect(
      (await rejected({ proof: rawProof({ typ: 'dpop+jwt', alg: 'ES256', jwk: other.publicJwk }, {}) })).rule,
    ).toBe('signature');
  });
});

describe('single-header', () => {
  it('rejects a request without a DPoP header', async () => {
    expect(await rejected({ proof: undefined })).toMatchObject({
      rule: 'single-header',
      reason: 'no DPoP header',
    });
  });

  it('rejects an empty list of DPoP headers', async () => {
    expect((await rejected({ proof: [] })).rule).toBe('single-header');
  });

  it('rejects two DPoP headers given as an array', async () => {
    expect((await rejected({ proof: [proof(), proof()] })).rule).toBe('single-header');
  });

  it('rejects two DPoP headers joined by a comma', async () => {
    expect((await rejected({ proof: `${proof()}, ${proof()}` })).rule).toBe('single-header');
  });

  it('accepts a list holding exactly one DPoP header', async () => {
    expect((await check({ proof: [proof()] })).ok).toBe(true);
  });
});

describe('compact-jws', () => {
  it('rejects a DPoP header that is not a string', async () => {
    expect((await rejected({ proof: 42 })).rule).toBe('compact-jws');
  });

  it('rejects an empty DPoP header', async () => {
    expect((await rejected({ proof: '' })).rule).toBe('compact-jws');
  });

  it('rejects a proof longer than 8 KiB', async () => {
    const long = proof({ claims: { pad: 'a'.repeat(8_192) } });
    expect(await rejected({ proof: long })).toMatchObject({
      rule: 'compact-jws',
      reason: 'DPoP proof is too long',
    });
  });

  it('rejects a proof with two parts', async () => {
    expect((await rejected({ proof: proof().split('.').slice(0, 2).join('.') })).rule).toBe('compact-jws');
  });

  it('rejects a proof with four parts', async () => {
    expect((await rejected({ proof: `${proof()}.AAAA` })).rule).toBe('compact-jws');
  });

  it('rejects a JWS in JSON serialization (its commas already read as several headers)', async () => {
    const [protectedHeader, payload, signature] = proof().split('.');
    const json = JSON.stringify({ protected: protectedHeader, payload, signature });
    expect((await rejected({ proof: json })).rule).toBe('single-header');
    expect((await rejected({ proof: JSON.stringify({ protected: protectedHeader }) })).rule).toBe(
      'compact-jws',
    );
  });

  it('rejects base64 padding', async () => {
    const [h, p, s] = proof().split('.');
    expect((await rejected({ proof: `${h}.${p}.${s}==` })).rule).toBe('compact-jws');
  });

  it('rejects characters of standard base64 (+ and /)', async () => {
    const [h, p, s = ''] = proof().split('.');
    const standard = Buffer.from(s, 'base64url').toString('base64').replace(/=+$/, '');
    const withStandard = /[+/]/.test(standard) ? standard : `${standard.slice(0, -1)}+`;
    expect((await rejected({ proof: `${h}.${p}.${withStandard}` })).rule).toBe('compact-jws');
  });

  it('rejects a non-canonical base64url encoding (unused bits set)', async () => {
    const [h, p, s = ''] = proof().split('.');
    // 64 bytes are 86 characters, the last carrying 4 unused bits, so it is one of A, Q, g, w; the
    // next character (B, R, h, x) decodes to the same bytes but is not the canonical spelling.
    const nonCanonical = `${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) + 1)}`;
    expect(Buffer.from(nonCanonical, 'base64url')).toEqual(Buffer.from(s, 'base64url'));
    expect((await rejected({ proof: `${h}.${p}.${nonCanonical}` })).rule).toBe('compact-jws');
  });

  it('rejects a header that is not JSON', async () => {
    const [, p, s] = proof().split('.');
    const header = Buffer.from('{"typ":"dpop+jwt",').toString('base64url');
    expect((await rejected({ proof: `${header}.${p}.${s}` })).rule).toBe('compact-jws');
  });

  it('rejects a header that is a JSON array', async () => {
    expect(
      (await rejected({ proof: rawProof([{ typ: 'dpop+jwt' }], proofContent(es256, defaults()).claims) }))
        .rule,
    ).toBe('compact-jws');
  });

  it('rejects a header that is not valid UTF-8', async () => {
    const [, p, s] = proof().split('.');
    const header = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url');
    expect((await rejected({ proof: `${header}.${p}.${s}` })).rule).toBe('compact-jws');
  });

  it('rejects a payload that is not a JSON object', async () => {
    const { header } = proofContent(es256, defaults());
    expect((await rejected({ proof: rawProof(header, 'a string') })).rule).toBe('compact-jws');
  });

  it('rejects an empty signature (an unsecured JWS)', async () => {
    const [h, p] = proof().split('.');
    expect((await rejected({ proof: `${h}.${p}.` })).rule).toBe('compact-jws');
  });

  it('rejects a header with crit', async () => {
    const result = await rejected({ proof: proof({ header: { crit: ['b64'], b64: false } }) });
    expect(result).toMatchObject({ rule: 'compact-jws', reason: 'JWS header has crit' });
  });
});

describe('typ', () => {
  it('rejects a proof without typ', async () => {
    expect((await rejected({ proof: proof({ header: { typ: undefined } }) })).rule).toBe('typ');
  });

  it('rejects typ JWT', async () => {
    expect((await rejected({ proof: proof({ header: { typ: 'JWT' } }) })).rule).toBe('typ');
  });

  it('rejects typ at+jwt (an access token presented as a proof)', async () => {
    expect((await rejected({ proof: proof({ header: { typ: 'at+jwt' } }) })).rule).toBe('typ');
  });

  it('rejects typ in another spelling (application/dpop+jwt, DPoP+JWT)', async () => {
    expect((await rejected({ proof: proof({ header: { typ: 'application/dpop+jwt' } }) })).rule).toBe('typ');
    expect((await rejected({ proof: proof({ header: { typ: 'DPoP+JWT' } }) })).rule).toBe('typ');
  });
});

describe('alg', () => {
  it('rejects alg none', async () => {
    const { header, claims } = proofContent(es256, defaults(), { header: { alg: 'none' } });
    const unsigned = `${b64json(header)}.${b64json(claims)}.${Buffer.alloc(64).toString('base64url')}`;
    expect(await rejected({ proof: unsigned })).toMatchObject({ rule: 'alg' });
  });

  it('rejects alg HS256 keyed with the public key (algorithm confusion)', async () => {
    const { header, claims } = proofContent(es256, defaults(), { header: { alg: 'HS256' } });
    const input = `${b64json(header)}.${b64json(claims)}`;
    const mac = createHmac('sha256', JSON.stringify(es256.publicJwk)).update(input).digest('base64url');
    expect((await rejected({ proof: `${input}.${mac}` })).rule).toBe('alg');
  });

  it('rejects alg RS256 with an RSA key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const header = { typ: 'dpop+jwt', alg: 'RS256', jwk: rsa.publicKey.export({ format: 'jwk' }) };
    const input = `${b64json(header)}.${b64json(proofContent(es256, defaults()).claims)}`;
    const signature = sign('sha256', Buffer.from(input), rsa.privateKey).toString('base64url');
    expect((await rejected({ proof: `${input}.${signature}` })).rule).toBe('alg');
  });

  it('rejects ES384 and ES256K', async () => {
    expect((await rejected({ proof: proof({ header: { alg: 'ES384' } }) })).rule).toBe('alg');
    expect((await rejected({ proof: proof({ header: { alg: 'ES256K' } }) })).rule).toBe('alg');
  });

  it('rejects an alg that is not a string', async () => {
    expect((await rejected({ proof: proof({ header: { alg: ['ES256'] } }) })).rule).toBe('alg');
  });

  it('rejects an algorithm the caller did not allow, even for a header seen before', async () => {
    expect((await check({ proof: proof({}, eddsa) })).ok).toBe(true);
    expect((await rejected({ proof: proof({}, eddsa), algorithms: ['ES256'] })).rule).toBe('alg');
  });
});

describe('jwk', () => {
  it('rejects a proof without jwk', async () => {
    expect((await rejected({ proof: proof({ header: { jwk: undefined } }) })).rule).toBe('jwk');
  });

  it('rejects a jwk carrying the private key d', async () => {
    const result = await rejected({ proof: proof({ header: { jwk: es256.privateJwk } }) });
    expect(result).toMatchObject({ rule: 'jwk', reason: 'jwk contains private key material' });
  });

  it('rejects an Ed25519 jwk carrying the private key d', async () => {
    expect((await rejected({ proof: proof({ header: { jwk: eddsa.privateJwk } }, eddsa) })).rule).toBe('jwk');
  });

  it('rejects a jwk with a symmetric key member k', async () => {
    expect(
      (await rejected({ proof: proof({ header: { jwk: { ...es256.publicJwk, k: 'AAAA' } } }) })).rule,
    ).toBe('jwk');
  });

  it('rejects a jwk with RSA private members', async () => {
    for (const member of ['p', 'q', 'dp', 'dq', 'qi', 'oth']) {
      const jwk = { ...es256.publicJwk, [member]: 'AAAA' };
      expect((await rejected({ proof: proof({ header: { jwk } }) })).rule, member).toBe('jwk');
    }
  });

  it('rejects an OKP key under ES256', async () => {
    expect((await rejected({ proof: proof({ header: { jwk: eddsa.publicJwk } }) })).rule).toBe('jwk');
  });

  it('rejects an EC key under EdDSA', async () => {
    expect((await rejected({ proof: proof({ header: { jwk: es256.publicJwk } }, eddsa) })).rule).toBe('jwk');
  });

  it('rejects a P-384 key under ES256', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    expect((await rejected({ proof: proof({ header: { jwk: p384 } }) })).rule).toBe('jwk');
  });

  it('rejects an EC point that is not on the curve', async () => {
    const x = Buffer.from(es256.publicJwk.x ?? '', 'base64url');
    x[31] = (x[31] ?? 0) ^ 1;
    const jwk = { ...es256.publicJwk, x: x.toString('base64url') };
    expect(await rejected({ proof: proof({ header: { jwk } }) })).toMatchObject({
      rule: 'jwk',
      reason: 'jwk is not a valid public key',
    });
  });

  it('rejects a coordinate that is not 32 bytes', async () => {
    const jwk = { ...es256.publicJwk, x: Buffer.alloc(31, 1).toString('base64url') };
    expect((await rejected({ proof: proof({ header: { jwk } }) })).rule).toBe('jwk');
  });

  it('rejects an Ed25519 jwk with a y member', async () => {
    const jwk = { ...eddsa.publicJwk, y: es256.publicJwk.y };
    expect((await rejected({ proof: proof({ header: { jwk } }, eddsa) })).rule).toBe('jwk');
  });

  it('rejects a jwk whose alg member differs from the JWS alg', async () => {
    const jwk = { ...es256.publicJwk, alg: 'ES384' };
    expect(await rejected({ proof: proof({ header: { jwk } }) })).toMatchObject({
      rule: 'jwk',
      reason: 'jwk alg differs from the JWS alg',
    });
  });

  it('rejects a jwk meant for encryption (use enc)', async () => {
    expect(
      (await rejected({ proof: proof({ header: { jwk: { ...es256.publicJwk, use: 'enc' } } }) })).rule,
    ).toBe('jwk');
  });

  it('rejects a jwk whose key_ops do not include verify', async () => {
    const jwk = { ...es256.publicJwk, key_ops: ['sign'] };
    expect((await rejected({ proof: proof({ header: { jwk } }) })).rule).toBe('jwk');
  });

  it('rejects a jwk given as a string', async () => {
    const jwk = JSON.stringify(es256.publicJwk);
    expect((await rejected({ proof: proof({ header: { jwk } }) })).rule).toBe('jwk');
  });

  it('rejects a jwk inherited through __proto__ rather than given', async () => {
    const [, p, s] = proof().split('.');
    const header = Buffer.from(
      `{"typ":"dpop+jwt","alg":"ES256","__proto__":{"jwk":${JSON.stringify(es256.publicJwk)}}}`,
    ).toString('base64url');
    expect((await rejected({ proof: `${header}.${p}.${s}` })).rule).toBe('jwk');
  });
});

describe('signature', () => {
  it('rejects a proof signed by another key than its jwk', async () => {
    const other = generateTestKey('ES256');
    const { header, claims } = proofContent(es256, defaults());
    expect((await rejected({ proof: rawProof(header, claims, other) })).rule).toBe('signature');
  });

  it('rejects a proof whose claims were changed after signing', async () => {
    const [h, , s] = proof().split('.');
    const claims = b64json(proofContent(es256, defaults(), { claims: { htm: 'GET' } }).claims);
    expect((await rejected({ proof: `${h}.${claims}.${s}` })).rule).toBe('signature');
  });

  it('rejects an EdDSA proof whose header was changed after signing', async () => {
    const [, p, s] = proof({}, eddsa).split('.');
    const header = b64json({ typ: 'dpop+jwt', alg: 'EdDSA', jwk: eddsa.publicJwk, kid: 'x' });
    expect((await rejected({ proof: `${header}.${p}.${s}` })).rule).toBe('signature');
  });

  it('rejects a DER-encoded ES256 signature', async () => {
    const { header, claims } = proofContent(es256, defaults());
    const input = `${b64json(header)}.${b64json(claims)}`;
    const der = sign('sha256', Buffer.from(input), es256.privateKey).toString('base64url');
    expect((await rejected({ proof: `${input}.${der}` })).rule).toBe('signature');
  });

  it('rejects a truncated signature', async () => {
    const [h, p, s = ''] = proof().split('.');
    const truncated = Buffer.from(s, 'base64url').subarray(0, 63).toString('base64url');
    expect((await rejected({ proof: `${h}.${p}.${truncated}` })).rule).toBe('signature');
  });

  it('rejects an all-zero signature', async () => {
    const [h, p] = proof().split('.');
    expect((await rejected({ proof: `${h}.${p}.${Buffer.alloc(64).toString('base64url')}` })).rule).toBe(
      'signature',
    );
  });
});

describe('jti', () => {
  it('rejects a proof without jti', async () => {
    expect((await rejected({ proof: proof({ claims: { jti: undefined } }) })).rule).toBe('jti');
  });

  it('rejects a numeric jti', async () => {
    expect((await rejected({ proof: proof({ claims: { jti: 12345 } }) })).rule).toBe('jti');
  });

  it('rejects an empty jti', async () => {
    expect((await rejected({ proof: proof({ claims: { jti: '' } }) })).rule).toBe('jti');
  });

  it('rejects a jti longer than 256 characters', async () => {
    expect((await rejected({ proof: proof({ claims: { jti: 'j'.repeat(257) } }) })).rule).toBe('jti');
  });

  it('accepts a jti of exactly 256 characters', async () => {
    expect((await check({ proof: proof({ claims: { jti: 'j'.repeat(256) } }) })).ok).toBe(true);
  });
});

describe('htm', () => {
  it('rejects a proof whose htm is another method', async () => {
    expect((await rejected({ proof: proof({ claims: { htm: 'GET' } }) })).rule).toBe('htm');
  });

  it('rejects a lower-case htm (methods are case-sensitive)', async () => {
    expect((await rejected({ proof: proof({ claims: { htm: 'post' } }) })).rule).toBe('htm');
  });

  it('rejects a proof without htm', async () => {
    expect((await rejected({ proof: proof({ claims: { htm: undefined } }) })).rule).toBe('htm');
  });
});

describe('htu', () => {
  it('rejects a proof whose htu has a query string', async () => {
    const result = await rejected({ proof: proof({ claims: { htu: `${URL}?a=1` } }) });
    expect(result).toMatchObject({ rule: 'htu', reason: 'htu must not have a query or fragment' });
  });

  it('rejects a proof whose htu has a fragment', async () => {
    expect((await rejected({ proof: proof({ claims: { htu: `${URL}#x` } }) })).rule).toBe('htu');
  });

  it('rejects a proof whose htu names another path', async () => {
    expect(
      (await rejected({ proof: proof({ claims: { htu: 'https://issuer.example/v1/credential' } }) })).rule,
    ).toBe('htu');
  });

  it('rejects a proof whose htu names another host', async () => {
    expect(
      (await rejected({ proof: proof({ claims: { htu: 'https://evil.example/v1/token' } }) })).rule,
    ).toBe('htu');
  });

  it('rejects a proof whose htu uses http where the server is https', async () => {
    expect(
      (await rejected({ proof: proof({ claims: { htu: 'http://issuer.example/v1/token' } }) })).rule,
    ).toBe('htu');
  });

  it('rejects a proof whose htu names another port', async () => {
    expect(
      (await rejected({ proof: proof({ claims: { htu: 'https://issuer.example:8443/v1/token' } }) })).rule,
    ).toBe('htu');
  });

  it('rejects a relative htu', async () => {
    expect((await rejected({ proof: proof({ claims: { htu: '/v1/token' } }) })).rule).toBe('htu');
  });

  it('rejects an htu with userinfo', async () => {
    expect(
      (await rejected({ proof: proof({ claims: { htu: 'https://user@issuer.example/v1/token' } }) })).rule,
    ).toBe('htu');
  });

  it('rejects a proof without htu', async () => {
    expect((await rejected({ proof: proof({ claims: { htu: undefined } }) })).rule).toBe('htu');
  });

  it('accepts an htu that differs only by scheme and host case, default port, dot segments and percent-encoding', async () => {
    const htu = 'HTTPS://Issuer.EXAMPLE:443/v1/./%74oken';
    expect((await check({ proof: proof({ claims: { htu } }) })).ok).toBe(true);
  });

  it('ignores the query and fragment of the request URL', async () => {
    expect((await check({ url: `${URL}?tenant=acme#top` })).ok).toBe(true);
  });

  it('rejects every proof when the request URL is not an http(s) URI', async () => {
    expect(await rejected({ url: 'ftp://issuer.example/v1/token' })).toMatchObject({
      rule: 'htu',
      reason: 'the request URL is not a valid http or https URI',
    });
  });
});

describe('iat', () => {
  const at = (offsetSeconds: number) => ({ claims: { iat: START / 1000 + offsetSeconds } });

  it('accepts a proof issued exactly 300 s ago', async () => {
    expect((await check({ proof: proof(at(-300)) })).ok).toBe(true);
  });

  it('rejects a proof issued 301 s ago', async () => {
    expect(await rejected({ proof: proof(at(-301)) })).toMatchObject({
      rule: 'iat',
      reason: 'proof is too old',
    });
  });

  it('accepts a proof issued 300 s in the future (clock skew)', async () => {
    expect((await check({ proof: proof(at(300)) })).ok).toBe(true);
  });

  it('rejects a proof issued 301 s in the future', async () => {
    expect(await rejected({ proof: proof(at(301)) })).toMatchObject({
      rule: 'iat',
      reason: 'proof is issued in the future',
    });
  });

  it('rejects a proof that becomes too old as the clock moves', async () => {
    const old = proof();
    clock.advance(300_001);
    expect((await rejected({ proof: old })).rule).toBe('iat');
  });

  it('applies maxAgeSeconds and clockSkewSeconds', async () => {
    expect((await rejected({ proof: proof(at(-61)), maxAgeSeconds: 60 })).rule).toBe('iat');
    expect((await rejected({ proof: proof(at(6)), clockSkewSeconds: 5 })).rule).toBe('iat');
    expect((await check({ proof: proof(at(5)), clockSkewSeconds: 5 })).ok).toBe(true);
  });

  it('rejects an iat given as a string', async () => {
    expect((await rejected({ proof: proof({ claims: { iat: String(START / 1000) } }) })).rule).toBe('iat');
  });

  it('rejects a proof without iat', async () => {
    expect((await rejected({ proof: proof({ claims: { iat: undefined } }) })).rule).toBe('iat');
  });

  it('accepts a fractional iat (a NumericDate may have a fraction)', async () => {
    expect((await check({ proof: proof({ claims: { iat: START / 1000 - 0.5 } }) })).ok).toBe(true);
  });
});

describe('nonce', () => {
  const issuer = () => createNonceIssuer({ secrets: ['n'.repeat(32)], now: clock.now });

  it('rejects a proof without nonce when the server requires one, asking for a nonce', async () => {
    const nonces = issuer();
    const result = await rejected({ nonce: { required: true, verify: nonces.verify } });
    expect(result).toEqual({ ok: false, rule: 'nonce', reason: 'nonce is required', useNonce: true });
  });

  it('accepts a proof with a valid nonce when the server requires one', async () => {
    const nonces = issuer();
    const result = await check({
      proof: proof({ claims: { nonce: nonces.issue() } }),
      nonce: { required: true, verify: nonces.verify },
    });
    expect(result.ok).toBe(true);
  });

  it('rejects an expired nonce, asking for a fresh one', async () => {
    const nonces = issuer();
    const nonce = nonces.issue();
    clock.advance(300_001);
    const result = await rejected({
      proof: proof({ claims: { nonce } }),
      nonce: { required: true, verify: nonces.verify },
    });
    expect(result).toMatchObject({ rule: 'nonce', useNonce: true });
  });

  it('rejects a nonce that is not a string', async () => {
    const nonces = issuer();
    const result = await rejected({
      proof: proof({ claims: { nonce: 1 } }),
      nonce: { required: true, verify: nonces.verify },
    });
    expect(result).toMatchObject({ rule: 'nonce', useNonce: true });
  });

  it('accepts a proof without nonce when a nonce is optional', async () => {
    expect((await check({ nonce: { required: false, verify: issuer().verify } })).ok).toBe(true);
  });

  it('rejects an invalid nonce even when a nonce is optional', async () => {
    const result = await rejected({
      proof: proof({ claims: { nonce: 'not-a-nonce-we-issued' } }),
      nonce: { required: false, verify: issuer().verify },
    });
    expect(result).toMatchObject({ rule: 'nonce', useNonce: true });
  });

  it('does not look at a nonce claim when the server issues no nonces', async () => {
    expect((await check({ proof: proof({ claims: { nonce: 'anything' } }) })).ok).toBe(true);
  });

  it('accepts an asynchronous nonce verifier', async () => {
    const result = await check({
      proof: proof({ claims: { nonce: 'abc' } }),
      nonce: { required: true, verify: async (nonce) => nonce === 'abc' },
    });
    expect(result.ok).toBe(true);
  });

  it('throws DpopInfrastructureError when the nonce verifier throws', async () => {
    const verify = () => {
      throw new Error('nonce backend down');
    };
    await expect(
      check({ proof: proof({ claims: { nonce: 'abc' } }), nonce: { required: true, verify } }),
    ).rejects.toBeInstanceOf(DpopInfrastructureError);
  });
});

describe('ath', () => {
  it('accepts a proof whose ath is the hash of the presented access token', async () => {
    const result = await check({
      proof: proof({ claims: { ath: sha256(ACCESS_TOKEN) } }),
      accessToken: ACCESS_TOKEN,
      expectedJkt: es256.jkt,
    });
    expect(result.ok).toBe(true);
  });

  it('rejects a proof without ath when an access token is presented', async () => {
    expect(await rejected({ accessToken: ACCESS_TOKEN, expectedJkt: es256.jkt })).toMatchObject({
      rule: 'ath',
      reason: 'ath is missing',
    });
  });

  it('rejects an ath of another access token', async () => {
    const result = await rejected({
      proof: proof({ claims: { ath: sha256(`${ACCESS_TOKEN}x`) } }),
      accessToken: ACCESS_TOKEN,
      expectedJkt: es256.jkt,
    });
    expect(result).toMatchObject({ rule: 'ath', reason: 'ath does not match the access token' });
  });

  it('rejects a proof carrying ath when no access token is presented', async () => {
    expect((await rejected({ proof: proof({ claims: { ath: sha256(ACCESS_TOKEN) } }) })).rule).toBe('ath');
  });

  it('rejects an ath that is not a string', async () => {
    const result = await rejected({
      proof: proof({ claims: { ath: 1 } }),
      accessToken: ACCESS_TOKEN,
      expectedJkt: es256.jkt,
    });
    expect(result.rule).toBe('ath');
  });
});

describe('jkt', () => {
  const withToken = (expectedJkt?: string) => ({
    proof: proof({ claims: { ath: sha256(ACCESS_TOKEN) } }),
    accessToken: ACCESS_TOKEN,
    expectedJkt,
  });

  it('rejects a proof whose key is not the one the access token is bound to', async () => {
    expect(await rejected(withToken(generateTestKey('ES256').jkt))).toMatchObject({
      rule: 'jkt',
      reason: 'the proof key is not the key the access token is bound to',
    });
  });

  it('rejects an access token that is not bound to any key', async () => {
    expect(await rejected(withToken())).toMatchObject({ rule: 'jkt' });
  });

  it('rejects an expectedJkt of another length', async () => {
    expect((await rejected(withToken(es256.jkt.slice(1)))).rule).toBe('jkt');
  });

  it('accepts a proof whose key thumbprint is the token cnf.jkt', async () => {
    expect((await check(withToken(es256.jkt))).ok).toBe(true);
  });
});

describe('replay', () => {
  it('rejects the second use of a proof', async () => {
    const once = proof();
    expect((await check({ proof: once })).ok).toBe(true);
    expect(await rejected({ proof: once })).toMatchObject({
      rule: 'replay',
      reason: 'jti has already been used',
    });
  });

  it('rejects a new proof that reuses a jti with the same key', async () => {
    expect((await check({ proof: proof({ claims: { jti: 'same' } }) })).ok).toBe(true);
    expect((await rejected({ proof: proof({ claims: { jti: 'same', htm: 'POST' } }) })).rule).toBe('replay');
  });

  it('accepts the same jti with another key (jtis are per jkt)', async () => {
    expect((await check({ proof: proof({ claims: { jti: 'same' } }) })).ok).toBe(true);
    expect((await check({ proof: proof({ claims: { jti: 'same' } }, eddsa) })).ok).toBe(true);
  });

  it('does not use up the jti of a proof refused for an earlier rule', async () => {
    const once = proof();
    expect((await rejected({ proof: once, method: 'GET' })).rule).toBe('htm');
    expect((await check({ proof: once })).ok).toBe(true);
  });

  it('remembers a jti for maxAge + skew (600 s by default)', async () => {
    const ttls: number[] = [];
    const store: ReplayStore = {
      remember(_jkt, _jti, ttlMs) {
        ttls.push(ttlMs);
        return true;
      },
    };
    await check({ replay: store });
    await check({ replay: store, clockSkewSeconds: 5 });
    expect(ttls).toEqual([600_000, 305_000]);
  });

  it('passes the key thumbprint and the jti to the store', async () => {
    const calls: string[][] = [];
    const store: ReplayStore = {
      async remember(jkt, jti) {
        calls.push([jkt, jti]);
        return true;
      },
    };
    await check({ proof: proof({ claims: { jti: 'the-jti' } }), replay: store });
    expect(calls).toEqual([[es256.jkt, 'the-jti']]);
  });

  it('fails closed with DpopInfrastructureError when the store throws', async () => {
    const store: ReplayStore = {
      remember() {
        throw new Error('down');
      },
    };
    await expect(check({ replay: store })).rejects.toMatchObject({
      name: 'DpopInfrastructureError',
      dependency: 'replay-store',
    });
  });

  it('fails closed when the store rejects', async () => {
    const store: ReplayStore = { remember: () => Promise.reject(new Error('ECONNREFUSED')) };
    await expect(check({ replay: store })).rejects.toBeInstanceOf(DpopInfrastructureError);
  });

  it('fails closed when the store does not answer within replayTimeoutMs', async () => {
    const store: ReplayStore = { remember: () => new Promise<boolean>(() => {}) };
    await expect(check({ replay: store, replayTimeoutMs: 20 })).rejects.toMatchObject({
      message: 'DPoP replay store did not answer',
    });
  });

  it('fails closed when the store answers something other than a boolean', async () => {
    const store = { remember: async () => 'OK' } as unknown as ReplayStore;
    await expect(check({ replay: store })).rejects.toBeInstanceOf(DpopInfrastructureError);
  });

  it('fails closed when the memory store is full of live jtis', async () => {
    const full = createMemoryReplayStore({ maxEntries: 1, now: clock.now });
    expect((await check({ replay: full })).ok).toBe(true);
    await expect(check({ replay: full })).rejects.toBeInstanceOf(DpopInfrastructureError);
  });
});

describe('options and output', () => {
  it('throws a TypeError for invalid options', async () => {
    await expect(check({ maxAgeSeconds: -1 })).rejects.toBeInstanceOf(TypeError);
    await expect(check({ replayTimeoutMs: 0 })).rejects.toBeInstanceOf(TypeError);
    await expect(check({ algorithms: [] })).rejects.toBeInstanceOf(TypeError);
    await expect(check({ algorithms: ['HS256' as 'ES256'] })).rejects.toBeInstanceOf(TypeError);
    await expect(check({ now: () => Number.NaN })).rejects.toBeInstanceOf(TypeError);
  });

  it('never echoes the proof or the access token in a reason', async () => {
    const secretJti = 'SECRET-JTI-VALUE';
    const presented = proof({ claims: { jti: secretJti, htm: 'GET' } });
    const results = [
      await rejected({ proof: presented }),
      await rejected({ proof: `${presented}x`, accessToken: ACCESS_TOKEN }),
      await rejected({
        proof: proof({ claims: { ath: 'x' } }),
        accessToken: ACCESS_TOKEN,
        expectedJkt: es256.jkt,
      }),
    ];
    for (const result of results) {
      expect(result.reason).not.toContain(secretJti);
      expect(result.reason).not.toContain(ACCESS_TOKEN);
      expect(result.reason).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
    }
  });
});

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
