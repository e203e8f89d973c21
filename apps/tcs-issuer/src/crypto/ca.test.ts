import 'reflect-metadata';
import { generateKeyPairSync, X509Certificate as NodeCertificate, randomBytes, webcrypto } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import type { JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CA_CERTIFICATE_FILE,
  CA_KEY_FILE,
  CA_SEAL_CONTEXT,
  CA_VALIDITY_MS,
  CREDENTIAL_LIFETIME_MS,
  LEAF_VALIDITY_MS,
  type LocalCa,
  loadOrCreateCa,
} from './ca.js';
import { createSealer, SealError, type Sealer } from './seal.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const clock = (at: number) => () => at;
const sealer = createSealer(new Uint8Array(randomBytes(32)));
const ISSUER_URL = 'https://tcs.example/acme';

function p256PublicJwk(): JWK {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return publicKey.export({ format: 'jwk' }) as JWK;
}

const certificateOf = (base64Der: string) => new x509.X509Certificate(Buffer.from(base64Der, 'base64'));

const directories: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tcs-ca-'));
  directories.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(directories.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A sealer that counts its seals, to see how many processes created a key. */
function countingSealer(): Sealer & { seals: number } {
  const counting = {
    seals: 0,
    seal(plaintext: string, context: string) {
      counting.seals += 1;
      return sealer.seal(plaintext, context);
    },
    open: (sealed: string, context: string) => sealer.open(sealed, context),
  };
  return counting;
}

describe('the root certificate', () => {
  it('is a self-signed P-256 CA for certificate signing only, valid about ten years from now', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const root = new x509.X509Certificate(ca.certificatePem);
    expect(Buffer.from(root.rawData).toString('base64')).toBe(ca.certificateDer);
    expect(await root.isSelfSigned(webcrypto)).toBe(true);
    expect(root.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });

    const constraints = root.getExtension(x509.BasicConstraintsExtension);
    expect(constraints?.ca).toBe(true);
    expect(constraints?.pathLength).toBe(0);
    expect(root.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    expect(root.notBefore.getTime()).toBeLessThanOrEqual(T0);
    expect(root.notAfter.getTime()).toBe(T0 + CA_VALIDITY_MS);
    expect(CA_VALIDITY_MS / (365.25 * 86_400_000)).toBeCloseTo(10, 1);
  });

  it('differs between two in-memory CAs', async () => {
    const a = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const b = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    expect(a.certificateDer).not.toBe(b.certificateDer);
  });
});

describe('issueLeaf', () => {
  async function issue(ca: LocalCa, publicJwk = p256PublicJwk(), issuerUrl = ISSUER_URL) {
    const der = await ca.issueLeaf({ publicJwk, issuerUrl, commonName: 'acme' });
    return { der, leaf: certificateOf(der), publicJwk };
  }

  it('certifies the key for the issuer URL, signed by the root and not self-signed', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const root = new x509.X509Certificate(ca.certificatePem);
    const { der, leaf, publicJwk } = await issue(ca);

    expect(der).toMatch(/^[A-Za-z0-9+/]+=*$/); // standard base64, as x5c requires
    expect(await leaf.isSelfSigned(webcrypto)).toBe(false);
    expect(await leaf.verify({ publicKey: root.publicKey, signatureOnly: true }, webcrypto)).toBe(true);
    expect(leaf.issuer).toBe(root.subject);
    const chain = await new x509.X509ChainBuilder({ certificates: [root] }).build(leaf, webcrypto);
    expect(chain.map((c) => c.serialNumber)).toEqual([leaf.serialNumber, root.serialNumber]);
    // OpenSSL agrees on the chain and the names.
    const nodeLeaf = new NodeCertificate(Buffer.from(der, 'base64'));
    const nodeRoot = new NodeCertificate(ca.certificatePem);
    expect(nodeLeaf.checkIssued(nodeRoot)).toBe(true);
    expect(nodeLeaf.verify(nodeRoot.publicKey)).toBe(true);
    expect(nodeLeaf.subjectAltName).toBe(`URI:${ISSUER_URL}, DNS:tcs.example`);
    expect(nodeLeaf.subject).toBe('CN=acme');
    expect(nodeLeaf.ca).toBe(false);

    const certified = nodeLeaf.publicKey.export({ format: 'jwk' });
    expect({ x: certified.x, y: certified.y }).toEqual({ x: publicJwk.x, y: publicJwk.y });
    expect(leaf.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const authorityKeyId = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
    expect(authorityKeyId).toBe(root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  it('is valid from just before now for two years, covering a credential issued now for its year', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const { leaf } = await issue(ca);
    expect(leaf.notBefore.getTime()).toBeLessThanOrEqual(T0);
    expect(leaf.notBefore.getTime()).toBeGreaterThanOrEqual(T0 - 10 * 60_000);
    expect(leaf.notAfter.getTime()).toBe(T0 + LEAF_VALIDITY_MS);
    expect(leaf.notAfter.getTime()).toBeGreaterThanOrEqual(T0 + CREDENTIAL_LIFETIME_MS);
  });

  it('names an IP host as an IP address, not a DNS name', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const der = await ca.issueLeaf({
      publicJwk: p256PublicJwk(),
      issuerUrl: 'http://127.0.0.1:3003/acme',
      commonName: 'acme',
    });
    expect(new NodeCertificate(Buffer.from(der, 'base64')).subjectAltName).toBe(
      'URI:http://127.0.0.1:3003/acme, IP Address:127.0.0.1',
    );
  });

  it('gives each leaf its own random positive serial', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const serials = await Promise.all(
      Array.from({ length: 5 }, async () => (await issue(ca)).leaf.serialNumber),
    );
    expect(new Set(serials).size).toBe(5);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9a-f]{32}$/);
      expect(Number.parseInt(serial.slice(0, 2), 16) & 0x80).toBe(0);
    }
  });

  it('reuses the leaf of a key and issuer URL, also under concurrent requests', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const publicJwk = p256PublicJwk();
    const request = { publicJwk, issuerUrl: ISSUER_URL, commonName: 'acme' };
    const concurrent = await Promise.all([
      ca.issueLeaf(request),
      ca.issueLeaf(request),
      ca.issueLeaf(request),
    ]);
    expect(new Set(concurrent).size).toBe(1);
    // Other members of the JWK (kid, alg) do not make another key.
    expect(await ca.issueLeaf({ ...request, publicJwk: { ...publicJwk, kid: 'k1', alg: 'ES256' } })).toBe(
      concurrent[0],
    );
    const otherUrl = await ca.issueLeaf({ ...request, issuerUrl: 'https://tcs.example/other' });
    const otherKey = await ca.issueLeaf({ ...request, publicJwk: p256PublicJwk() });
    expect(new Set([concurrent[0], otherUrl, otherKey]).size).toBe(3);
  });

  it('issues a new leaf once less than a credential lifetime of validity is left', async () => {
    let now = T0;
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: () => now });
    const request = { publicJwk: p256PublicJwk(), issuerUrl: ISSUER_URL, commonName: 'acme' };
    const first = await ca.issueLeaf(request);
    const renewAt = T0 + LEAF_VALIDITY_MS - CREDENTIAL_LIFETIME_MS;
    now = renewAt - 1;
    expect(await ca.issueLeaf(request)).toBe(first);
    now = renewAt;
    const second = await ca.issueLeaf(request);
    expect(second).not.toBe(first);
    expect(certificateOf(second).notAfter.getTime()).toBe(renewAt + LEAF_VALIDITY_MS);
    expect(await ca.issueLeaf(request)).toBe(second);
  });

  it('refuses keys that are not P-256 and issuer URLs that are not absolute http(s) URLs', async () => {
    const ca = await loadOrCreateCa({ dataDir: undefined, sealer, now: clock(T0) });
    const ed25519 = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as JWK;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({
      format: 'jwk',
    }) as JWK;
    const good = p256PublicJwk();
    const offCurve = { ...good, y: good.x as string };
    for (const publicJwk of [ed25519, p384, offCurve, { kty: 'EC', crv: 'P-256', x: good.x } as JWK]) {
      await expect(ca.issueLeaf({ publicJwk, issuerUrl: ISSUER_URL, commonName: 'acme' })).rejects.toThrow(
        TypeError,
      );
    }
    for (const issuerUrl of ['/acme', 'ftp://tcs.example/acme', 'not a url']) {
      await expect(ca.issueLeaf({ publicJwk: good, issuerUrl, commonName: 'acme' })).rejects.toThrow(
        TypeError,
      );
    }
  });
});

describe('on disk', () => {
  it('creates ca.pem and a sealed ca-key.sealed (0600) on first start and loads them later', async () => {
    const dataDir = join(await tempDir(), 'nested');
    const first = await loadOrCreateCa({ dataDir, sealer, now: clock(T0) });
    expect((await readFile(join(dataDir, CA_CERTIFICATE_FILE), 'utf8')).trim()).toBe(
      first.certificatePem.trim(),
    );
    const sealed = await readFile(join(dataDir, CA_KEY_FILE), 'utf8');
    expect(sealed.startsWith('v1.')).toBe(true);
    const jwk = JSON.parse(sealer.open(sealed, CA_SEAL_CONTEXT)) as JWK;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(sealed).not.toContain(jwk.d as string);
    expect((await stat(join(dataDir, CA_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await readdir(dataDir)).sort()).toEqual([CA_CERTIFICATE_FILE, CA_KEY_FILE].sort());

    const later = await loadOrCreateCa({ dataDir, sealer, now: clock(T0 + 86_400_000) });
    expect(later.certificateDer).toBe(first.certificateDer);
    // The loaded key signs: its leaves chain to the same root.
    const leaf = new NodeCertificate(
      Buffer.from(
        await later.issueLeaf({ publicJwk: p256PublicJwk(), issuerUrl: ISSUER_URL, commonName: 'acme' }),
        'base64',
      ),
    );
    expect(leaf.verify(new NodeCertificate(first.certificatePem).publicKey)).toBe(true);
  });

  it('gives processes starting together on one directory the same CA', async () => {
    const dataDir = await tempDir();
    const counting = countingSealer();
    const cas = await Promise.all(
      Array.from({ length: 8 }, () => loadOrCreateCa({ dataDir, sealer: counting, now: clock(T0) })),
    );
    // Several created a key (the race happened), and every one took the winner's.
    expect(counting.seals).toBeGreaterThan(1);
    expect(new Set(cas.map((ca) => ca.certificateDer)).size).toBe(1);
    expect((await readdir(dataDir)).sort()).toEqual([CA_CERTIFICATE_FILE, CA_KEY_FILE].sort());
    const onDisk = new NodeCertificate(await readFile(join(dataDir, CA_CERTIFICATE_FILE)));
    expect(onDisk.raw.toString('base64')).toBe(cas[0]?.certificateDer);
    // Each one signs with the key of that certificate.
    for (const ca of cas) {
      const der = await ca.issueLeaf({
        publicJwk: p256PublicJwk(),
        issuerUrl: ISSUER_URL,
        commonName: 'acme',
      });
      expect(new NodeCertificate(Buffer.from(der, 'base64')).verify(onDisk.publicKey)).toBe(true);
    }
  });

  it('completes the certificate of a stored key (a start that stopped in between)', async () => {
    const dataDir = await tempDir();
    const first = await loadOrCreateCa({ dataDir, sealer, now: clock(T0) });
    await unlink(join(dataDir, CA_CERTIFICATE_FILE));
    const second = await loadOrCreateCa({ dataDir, sealer, now: clock(T0) });
    expect(second.certificateDer).not.toBe(first.certificateDer);
    const firstKey = new NodeCertificate(first.certificatePem).publicKey.export({ format: 'jwk' });
    const secondKey = new NodeCertificate(second.certificatePem).publicKey.export({ format: 'jwk' });
    expect(secondKey).toEqual(firstKey);
  });

  it('refuses a certificate without its key, another key, or another key-encryption key', async () => {
    const dataDir = await tempDir();
    await loadOrCreateCa({ dataDir, sealer, now: clock(T0) });
    const otherDir = await tempDir();
    await loadOrCreateCa({ dataDir: otherDir, sealer, now: clock(T0) });

    const otherSealer = createSealer(new Uint8Array(randomBytes(32)));
    await expect(loadOrCreateCa({ dataDir, sealer: otherSealer, now: clock(T0) })).rejects.toThrow(SealError);

    await writeFile(join(dataDir, CA_CERTIFICATE_FILE), await readFile(join(otherDir, CA_CERTIFICATE_FILE)));
    await expect(loadOrCreateCa({ dataDir, sealer, now: clock(T0) })).rejects.toThrow(/does not belong/);

    await unlink(join(dataDir, CA_KEY_FILE));
    await expect(loadOrCreateCa({ dataDir, sealer, now: clock(T0) })).rejects.toThrow(/exists without/);
    expect(await readdir(dataDir)).toEqual([CA_CERTIFICATE_FILE]);
  });

  it('refuses a root that expires within a leaf lifetime', async () => {
    const dataDir = await tempDir();
    await loadOrCreateCa({ dataDir, sealer, now: clock(T0) });
    const late = T0 + CA_VALIDITY_MS - LEAF_VALIDITY_MS;
    await expect(loadOrCreateCa({ dataDir, sealer, now: clock(late - 1) })).resolves.toBeDefined();
    await expect(loadOrCreateCa({ dataDir, sealer, now: clock(late + 1) })).rejects.toThrow(/expires within/);
  });
});
