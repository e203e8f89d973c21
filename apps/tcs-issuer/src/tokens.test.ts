// The issuer's access-token verifier, rule by rule, through the token service's public API on a
// migrated embedded database with a fake clock. Forged tokens are re-signed with the service's own
// private key (opened from the `signing_keys` row with the same sealer) whenever the rule under test
// is not the signature, so each refusal is owed to exactly one rule.
import {
  createHmac,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { createFakeClock } from '@portcullis/testing';
import { calculateJwkThumbprint, createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSealer, type Sealer } from './crypto/seal.js';
import { createTokenService, type TokenService } from './tokens.js';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));
const ISSUER = 'https://tcs.example.test';
const REGISTRY_AUDIENCE = `${ISSUER}/v1`;
const CREDENTIAL_ENDPOINT = `${ISSUER}/v1/credential`;
const TTL_SECONDS = 900;
const ISSUANCE_TTL_SECONDS = 300;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
const T0_SECONDS = T0 / 1000;
const MAX_TOKEN_LENGTH = 4096;

type Json = Record<string, unknown>;
type Kind = 'login' | 'issuance';

const LOGIN = { sub: randomUUID(), tenant: 'tenant-7', pwv: 3 };
const ISSUANCE_BASE = { tenant: 'tenant-7', offer: randomUUID(), configurations: ['pid_sd_jwt', 'mdl'] };

function encode(value: Json | string): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function decode(segment: string): Json {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Json;
}

/** An ES256 signature (raw r ‖ s, 64 bytes) over `header.payload`, base64url. */
function es256(key: KeyObject, signingInput: string): string {
  return sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
}

describe('access token verifier', () => {
  let db: Database;
  let sealer: Sealer;
  let tokens: TokenService;
  /** The service's own signing key, opened from its sealed row. */
  let serviceKey: KeyObject;
  let kid: string;
  let jkt: string;
  const clock = createFakeClock(T0);

  beforeAll(async () => {
    db = await createDatabase({ dataDir: 'memory://' });
    await migrate(db, { directory: MIGRATIONS });
    sealer = createSealer(new Uint8Array(randomBytes(32)));
    tokens = createTokenService({
      db,
      sealer,
      issuer: ISSUER,
      ttlSeconds: TTL_SECONDS,
      now: clock.now,
      credentialEndpoint: CREDENTIAL_ENDPOINT,
      issuanceTtlSeconds: ISSUANCE_TTL_SECONDS,
    });
    await tokens.start();
    const { rows } = await db.query<{ kid: string; private_jwk_sealed: string }>(
      'SELECT kid, private_jwk_sealed FROM signing_keys WHERE active',
    );
    const row = rows[0];
    if (row === undefined || rows.length !== 1) throw new Error('expected exactly one active signing key');
    kid = row.kid;
    const privateJwk = JSON.parse(sealer.open(row.private_jwk_sealed, row.kid)) as JWK;
    serviceKey = createPrivateKey({ key: { ...privateJwk }, format: 'jwk' });
    const dpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    jkt = await calculateJwkThumbprint(dpopKey as JWK);
  });
  afterAll(() => db?.close());
  beforeEach(() => {
    clock.set(T0);
  });

  async function issued(kind: Kind): Promise<string> {
    const { token } =
      kind === 'login' ? await tokens.issue(LOGIN) : await tokens.issueAccess({ ...ISSUANCE_BASE, jkt });
    return token;
  }

  function verifierOf(kind: Kind): (token: string) => Promise<unknown> {
    return kind === 'login' ? tokens.verify : tokens.verifyAccess;
  }

  interface Forgery {
    header?: (header: Json) => Json;
    payload?: (payload: Json) => Json;
    /** Signs with this key instead of the service's own. */
    key?: KeyObject;
  }

  /** A token of `kind` as the service issues it, changed as told and signed again (ES256). */
  async function forged(kind: Kind, forgery: Forgery = {}): Promise<string> {
    const [header = '', payload = ''] = (await issued(kind)).split('.');
    const h = encode((forgery.header ?? ((x) => x))(decode(header)));
    const p = encode((forgery.payload ?? ((x) => x))(decode(payload)));
    return `${h}.${p}.${es256(forgery.key ?? serviceKey, `${h}.${p}`)}`;
  }

  /** Signs these exact segments with the service key. */
  function signedSegments(header: string, payload: string): string {
    return `${header}.${payload}.${es256(serviceKey, `${header}.${payload}`)}`;
  }

  const KINDS: Kind[] = ['login', 'issuance'];

  describe('valid tokens', () => {
    it('a login token verifies with its sub, tenant and pwv', async () => {
      const { token, expiresIn } = await tokens.issue(LOGIN);
      expect(expiresIn).toBe(TTL_SECONDS);
      await expect(tokens.verify(token)).resolves.toEqual(LOGIN);
    });

    it('an issuance token verifies with its tenant, offer, configurations and cnf.jkt as jkt', async () => {
      const { token, expiresIn } = await tokens.issueAccess({ ...ISSUANCE_BASE, jkt });
      expect(expiresIn).toBe(ISSUANCE_TTL_SECONDS);
      await expect(tokens.verifyAccess(token)).resolves.toEqual({ ...ISSUANCE_BASE, jkt });
    });

    it('an issuance token without cnf verifies with jkt undefined', async () => {
      const { token } = await tokens.issueAccess(ISSUANCE_BASE);
      expect(decode(token.split('.')[1] ?? '')).not.toHaveProperty('cnf');
      const claims = await tokens.verifyAccess(token);
      expect(claims).toEqual({ ...ISSUANCE_BASE, jkt: undefined });
    });

    it('tokens carry the RFC 9068 header and claims and verify with jose against jwks()', async () => {
      const jwks = tokens.jwks();
      expect(jwks.keys).toEqual([
        expect.objectContaining({ kid, kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' }),
      ]);
      for (const [kind, audience] of [
        ['login', REGISTRY_AUDIENCE],
        ['issuance', CREDENTIAL_ENDPOINT],
      ] as const) {
        const token = await issued(kind);
        const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
          issuer: ISSUER,
          audience,
          typ: 'at+jwt',
          algorithms: ['ES256'],
          currentDate: new Date(T0),
        });
        expect(protectedHeader).toEqual({ alg: 'ES256', kid, typ: 'at+jwt' });
        expect(payload).toMatchObject({ iat: T0_SECONDS, jti: expect.any(String), sub: expect.any(String) });
      }
    });

    it.each(KINDS)(
      'a %s token re-signed unchanged with the service key still verifies (the forgeries below change one thing)',
      async (kind) => {
        await expect(verifierOf(kind)(await forged(kind))).resolves.not.toBeNull();
      },
    );
  });

  describe('audience keeps the two kinds apart', () => {
    it('verifyAccess refuses a login token (aud is PUBLIC_URL/v1)', async () => {
      const token = await issued('login');
      await expect(tokens.verify(token)).resolves.not.toBeNull();
      await expect(tokens.verifyAccess(token)).resolves.toBeNull();
    });

    it('verify refuses an issuance token (aud is the credential endpoint)', async () => {
      const token = await issued('issuance');
      await expect(tokens.verifyAccess(token)).resolves.not.toBeNull();
      await expect(tokens.verify(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: aud as an array holding the audience is accepted', async (kind) => {
      const token = await forged(kind, {
        payload: (p) => ({ ...p, aud: ['https://elsewhere.example', p.aud] }),
      });
      await expect(verifierOf(kind)(token)).resolves.not.toBeNull();
    });

    it.each(KINDS)('%s: aud as an array without the audience is refused', async (kind) => {
      const token = await forged(kind, {
        payload: (p) => ({ ...p, aud: ['https://elsewhere.example', `${String(p.aud)}/`] }),
      });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: a missing aud is refused', async (kind) => {
      const token = await forged(kind, { payload: ({ aud: _, ...p }) => p });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });
  });

  describe('signature', () => {
    it.each(KINDS)('%s: a tampered payload under the original signature is refused', async (kind) => {
      const [header = '', payload = '', signature = ''] = (await issued(kind)).split('.');
      const changed = encode({ ...decode(payload), tenant: 'tenant-8' });
      await expect(verifierOf(kind)(`${header}.${changed}.${signature}`)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: a tampered signature is refused', async (kind) => {
      const [header = '', payload = '', signature = ''] = (await issued(kind)).split('.');
      const bytes = Buffer.from(signature, 'base64url');
      bytes[40] = (bytes[40] ?? 0) ^ 0x01;
      await expect(
        verifierOf(kind)(`${header}.${payload}.${bytes.toString('base64url')}`),
      ).resolves.toBeNull();
    });

    it.each(KINDS)(
      '%s: a signature spelt with other unused low bits in its last character is refused',
      async (kind) => {
        const [header = '', payload = '', signature = ''] = (await issued(kind)).split('.');
        // 64 bytes are 86 characters: the last one carries 2 unused bits; flipping one keeps the bytes.
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        const last = alphabet.indexOf(signature.slice(-1));
        const respelt = `${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
        expect(Buffer.from(respelt, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
        await expect(verifierOf(kind)(`${header}.${payload}.${respelt}`)).resolves.toBeNull();
      },
    );

    it.each(KINDS)(
      '%s: a signature one byte short, one byte long or DER-encoded is refused',
      async (kind) => {
        const [header = '', payload = '', signature = ''] = (await issued(kind)).split('.');
        const raw = Buffer.from(signature, 'base64url');
        expect(raw).toHaveLength(64);
        const der = sign('sha256', Buffer.from(`${header}.${payload}`), {
          key: serviceKey,
          dsaEncoding: 'der',
        });
        for (const wrong of [raw.subarray(0, 63), Buffer.concat([raw, Buffer.from([0])]), der]) {
          await expect(
            verifierOf(kind)(`${header}.${payload}.${wrong.toString('base64url')}`),
          ).resolves.toBeNull();
        }
      },
    );

    it.each(KINDS)('%s: a token signed by another P-256 key under the same kid is refused', async (kind) => {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const token = await forged(kind, { key: other });
      expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
        kid,
      });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: alg none with an empty signature is refused', async (kind) => {
      const [, payload = ''] = (await issued(kind)).split('.');
      const header = encode({ alg: 'none', kid, typ: 'at+jwt' });
      await expect(verifierOf(kind)(`${header}.${payload}.`)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: HS256 with the public JWK as the HMAC secret is refused', async (kind) => {
      const [, payload = ''] = (await issued(kind)).split('.');
      const header = encode({ alg: 'HS256', kid, typ: 'at+jwt' });
      const secret = JSON.stringify(tokens.jwks().keys[0]);
      const mac = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      await expect(verifierOf(kind)(`${header}.${payload}.${mac}`)).resolves.toBeNull();
    });
  });

  describe('header', () => {
    it.each(KINDS.flatMap((kind) => ['HS256', 'none', 'ES384', 'es256'].map((alg) => [kind, alg] as const)))(
      '%s: header alg %s (with a valid ES256 signature) is refused',
      async (kind, alg) => {
        const token = await forged(kind, { header: (h) => ({ ...h, alg }) });
        await expect(verifierOf(kind)(token)).resolves.toBeNull();
      },
    );

    it.each(KINDS)('%s: a header without alg is refused', async (kind) => {
      const token = await forged(kind, { header: ({ alg: _, ...h }) => h });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS.flatMap((kind) => ['JWT', 'dpop+jwt', 'at+JWT'].map((typ) => [kind, typ] as const)))(
      '%s: typ %s instead of at+jwt is refused',
      async (kind, typ) => {
        const token = await forged(kind, { header: (h) => ({ ...h, typ }) });
        await expect(verifierOf(kind)(token)).resolves.toBeNull();
      },
    );

    it.each(KINDS)('%s: a header without typ is refused', async (kind) => {
      const token = await forged(kind, { header: ({ typ: _, ...h }) => h });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: an unknown kid is refused', async (kind) => {
      const token = await forged(kind, { header: (h) => ({ ...h, kid: `${kid}x` }) });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: a missing or non-string kid is refused', async (kind) => {
      for (const header of [({ kid: _, ...h }: Json) => h, (h: Json) => ({ ...h, kid: [kid] })]) {
        await expect(verifierOf(kind)(await forged(kind, { header }))).resolves.toBeNull();
      }
    });

    it.each(KINDS)('%s: a crit header is refused, even an empty one', async (kind) => {
      for (const crit of [['exp'], []]) {
        const token = await forged(kind, { header: (h) => ({ ...h, crit, exp: 1 }) });
        await expect(verifierOf(kind)(token)).resolves.toBeNull();
      }
    });

    it.each(KINDS)('%s: extra header parameters without crit are ignored', async (kind) => {
      const token = await forged(kind, { header: (h) => ({ ...h, x5t: 'ignored' }) });
      await expect(verifierOf(kind)(token)).resolves.not.toBeNull();
    });
  });

  describe('compact form', () => {
    it.each(KINDS)('%s: a padded (=) header segment, signed as is, is refused', async (kind) => {
      // A header whose base64url length is not a multiple of 4, so '=' padding is well-formed base64
      // that a lenient decoder would take.
      let header = '';
      let payload = '';
      for (const x of ['', 'a', 'ab']) {
        [header = '', payload = ''] = (await forged(kind, { header: (h) => ({ ...h, x }) })).split('.');
        if (header.length % 4 !== 0) break;
      }
      expect(header.length % 4).not.toBe(0);
      const padded = header.padEnd(Math.ceil(header.length / 4) * 4, '=');
      await expect(verifierOf(kind)(signedSegments(padded, payload))).resolves.toBeNull();
    });

    it.each(KINDS)(
      '%s: a payload segment in the standard alphabet (+ /), signed as is, is refused',
      async (kind) => {
        // A claim value whose base64url holds '-' and '_' ('>>>' and '???' encode to them).
        const [header = '', payload = ''] = (
          await forged(kind, { payload: (p) => ({ ...p, note: '>>>???>>>???' }) })
        ).split('.');
        expect(payload).toMatch(/[-_]/);
        const standard = payload.replaceAll('-', '+').replaceAll('_', '/');
        await expect(verifierOf(kind)(signedSegments(header, standard))).resolves.toBeNull();
      },
    );

    it.each(KINDS)('%s: a padded (=) signature segment is refused', async (kind) => {
      const token = await issued(kind);
      expect(token.split('.')[2]).toHaveLength(86);
      await expect(verifierOf(kind)(`${token}==`)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: a header or payload that is not a JSON object is refused', async (kind) => {
      const token = await issued(kind);
      const [header = '', payload = ''] = token.split('.');
      for (const [h, p] of [
        [encode('not json'), payload],
        [encode('[]'), payload],
        [encode('null'), payload],
        [header, encode('not json')],
        [header, encode('["a"]')],
        [header, encode('7')],
      ] as const) {
        await expect(verifierOf(kind)(signedSegments(h, p))).resolves.toBeNull();
      }
    });

    it.each(KINDS)('%s: 2 segments are refused', async (kind) => {
      const [header = '', payload = ''] = (await issued(kind)).split('.');
      await expect(verifierOf(kind)(`${header}.${payload}`)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: 4 segments (a valid token with a segment more) are refused', async (kind) => {
      const token = await issued(kind);
      await expect(verifierOf(kind)(`${token}.`)).resolves.toBeNull();
      await expect(verifierOf(kind)(`${token}.${encode({})}`)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: empty and junk strings are refused without throwing', async (kind) => {
      for (const junk of ['', '.', '..', '...', 'a.b.c', '\u0000.\u0000.\u0000', '🔑.🔑.🔑']) {
        await expect(verifierOf(kind)(junk)).resolves.toBeNull();
      }
    });

    /** A validly signed token of exactly `length` characters (a pad claim, and a space in the header). */
    async function tokenOfLength(kind: Kind, length: number): Promise<string> {
      const [header = '', payload = ''] = (await issued(kind)).split('.');
      const headerJson = Buffer.from(header, 'base64url').toString('utf8');
      const claims = decode(payload);
      for (const spaces of [0, 1, 2, 3]) {
        const h = encode(headerJson.replace('{', `{${' '.repeat(spaces)}`));
        for (let pad = 0; pad < length; pad++) {
          const p = encode({ ...claims, pad: 'x'.repeat(pad) });
          const total = h.length + p.length + 88;
          if (total === length) return signedSegments(h, p);
          if (total > length) break;
        }
      }
      throw new Error(`no token of length ${length}`);
    }

    it.each(KINDS)('%s: a token of 4096 characters is accepted and one of 4097 is refused', async (kind) => {
      const atLimit = await tokenOfLength(kind, MAX_TOKEN_LENGTH);
      const over = await tokenOfLength(kind, MAX_TOKEN_LENGTH + 1);
      expect([atLimit.length, over.length]).toEqual([MAX_TOKEN_LENGTH, MAX_TOKEN_LENGTH + 1]);
      await expect(verifierOf(kind)(atLimit)).resolves.not.toBeNull();
      await expect(verifierOf(kind)(over)).resolves.toBeNull();
    });
  });

  describe('registered claims', () => {
    it.each(
      KINDS.flatMap((kind) =>
        [`${ISSUER}/`, 'https://other.example', ISSUER.toUpperCase(), undefined].map(
          (iss) => [kind, iss] as const,
        ),
      ),
    )('%s: iss %s instead of PUBLIC_URL is refused', async (kind, iss) => {
      const token = await forged(kind, { payload: (p) => ({ ...p, iss }) });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS.flatMap((kind) => ['sub', 'jti', 'exp', 'iat'].map((claim) => [kind, claim] as const)))(
      '%s: a missing %s is refused',
      async (kind, claim) => {
        const token = await forged(kind, { payload: ({ [claim]: _, ...p }) => p });
        await expect(verifierOf(kind)(token)).resolves.toBeNull();
      },
    );

    it.each(
      KINDS.flatMap((kind) =>
        [
          ['sub', 7],
          ['jti', 7],
          ['exp', String(T0_SECONDS + 60)],
          ['iat', String(T0_SECONDS)],
        ].map(([claim, value]) => [kind, claim, value] as const),
      ),
    )('%s: %s of the wrong type (%j) is refused', async (kind, claim, value) => {
      const token = await forged(kind, { payload: (p) => ({ ...p, [String(claim)]: value }) });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: exp passed by less than 5 s is accepted, by 5 s or more refused', async (kind) => {
      const token = await issued(kind);
      const exp = decode(token.split('.')[1] ?? '').exp as number;
      expect(exp).toBe(T0_SECONDS + (kind === 'login' ? TTL_SECONDS : ISSUANCE_TTL_SECONDS));
      clock.set(exp * 1000 + 4_999);
      await expect(verifierOf(kind)(token)).resolves.not.toBeNull();
      clock.set(exp * 1000 + 5_000);
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
      clock.set(exp * 1000 + 60_000);
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS)('%s: nbf up to 5 s ahead is accepted, beyond 5 s refused', async (kind) => {
      const withNbf = (nbf: unknown) => forged(kind, { payload: (p) => ({ ...p, nbf }) });
      await expect(verifierOf(kind)(await withNbf(T0_SECONDS + 5))).resolves.not.toBeNull();
      await expect(verifierOf(kind)(await withNbf(T0_SECONDS + 5.001))).resolves.toBeNull();
      await expect(verifierOf(kind)(await withNbf(T0_SECONDS + 3600))).resolves.toBeNull();
    });

    it.each(KINDS)('%s: nbf that is not a number is refused', async (kind) => {
      const token = await forged(kind, { payload: (p) => ({ ...p, nbf: String(T0_SECONDS) }) });
      await expect(verifierOf(kind)(token)).resolves.toBeNull();
    });

    it.each(KINDS.flatMap((kind) => ['exp', 'iat'].map((claim) => [kind, claim] as const)))(
      '%s: %s written as 1e999 (Infinity once parsed) is refused',
      async (kind, claim) => {
        const [header = '', payload = ''] = (await issued(kind)).split('.');
        const json = JSON.stringify({ ...decode(payload), [claim]: 0 }).replace(
          `"${claim}":0`,
          `"${claim}":1e999`,
        );
        expect(JSON.parse(json)[claim]).toBe(Number.POSITIVE_INFINITY);
        await expect(verifierOf(kind)(signedSegments(header, encode(json)))).resolves.toBeNull();
      },
    );
  });

  describe('login token claims (verify)', () => {
    it.each([
      ['tenant missing', ({ tenant: _, ...p }: Json) => p],
      ['tenant not a string', (p: Json) => ({ ...p, tenant: 7 })],
      ['pwv missing', ({ pwv: _, ...p }: Json) => p],
      ['pwv a string', (p: Json) => ({ ...p, pwv: '3' })],
      ['pwv not an integer', (p: Json) => ({ ...p, pwv: 3.5 })],
      ['pwv beyond safe integers', (p: Json) => ({ ...p, pwv: 2 ** 53 })],
    ])('%s is refused', async (_rule, payload) => {
      await expect(tokens.verify(await forged('login', { payload }))).resolves.toBeNull();
    });
  });

  describe('issuance token claims (verifyAccess)', () => {
    it.each([
      ['cnf without jkt', { jkt: undefined }],
      ['cnf.jkt a number', { jkt: 7 }],
      ['cnf null', null],
      ['cnf a string', 'jkt'],
      ['cnf an array', [jkt]],
    ])('%s (no string jkt) is refused', async (_rule, cnf) => {
      const token = await forged('issuance', { payload: (p) => ({ ...p, cnf }) });
      await expect(tokens.verifyAccess(token)).resolves.toBeNull();
    });

    it.each([
      ['missing', undefined],
      ['a string', 'pid_sd_jwt'],
      ['an object', { 0: 'pid_sd_jwt' }],
      ['an array with a number', ['pid_sd_jwt', 7]],
      ['an array with null', [null]],
    ])('credential_configuration_ids %s is refused', async (_rule, ids) => {
      const token = await forged('issuance', {
        payload: (p) => ({ ...p, credential_configuration_ids: ids }),
      });
      await expect(tokens.verifyAccess(token)).resolves.toBeNull();
    });

    it('tenant not a string is refused', async () => {
      const token = await forged('issuance', { payload: (p) => ({ ...p, tenant: ['tenant-7'] }) });
      await expect(tokens.verifyAccess(token)).resolves.toBeNull();
    });
  });
});
