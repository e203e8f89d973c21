// The app's local certificate authority: a P-256 root that certifies the issuing keys of
// `es256_x509` tenants, so their credentials can carry an `x5c` chain naming the issuer URL.
//
// On disk (`dataDir`): `ca.pem` (the root certificate) and `ca-key.sealed` (its private JWK, sealed
// with the key-encryption key under the context `local-ca`). Each file is published once, by a
// hard link of a fully written temporary file: the link is atomic and fails when the name exists,
// so of several processes starting together exactly one creates each file and the others read
// it. The key is published before the certificate, so a certificate never names a key that is not
// stored, and a process that stopped in between completes the certificate on its next start.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Sealer } from './seal.js';

/** The root certificate's file name in `dataDir` (PEM). */
export const CA_CERTIFICATE_FILE = 'ca.pem';
/** The root private key's file name in `dataDir` (`Sealer` output). */
export const CA_KEY_FILE = 'ca-key.sealed';
/** The sealing context of the root private key. */
export const CA_SEAL_CONTEXT = 'local-ca';

const DAY_MS = 86_400_000;
/** Root validity, ms: about ten years. */
export const CA_VALIDITY_MS = 3652 * DAY_MS;
/** Lifetime of the credentials the leaves sign, ms (one year). */
export const CREDENTIAL_LIFETIME_MS = 365 * DAY_MS;
/**
 * Leaf validity, ms: two years. A credential must verify, chain included, until it expires, so the
 * leaf must outlive every credential signed under it. Twice the credential lifetime lets one leaf be
 * reused for a year (see {@link CREDENTIAL_LIFETIME_MS}) and still cover the last credential it signs.
 */
export const LEAF_VALIDITY_MS = 2 * CREDENTIAL_LIFETIME_MS;
/** Certificates start this much before `now`, so a verifier whose clock is a little behind accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Most leaves kept in memory (one per tenant issuing key and issuer URL). */
const MAX_CACHED_LEAVES = 1024;

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
// Passed to every x509 call rather than relying on the library's global provider.
const crypto = webcrypto;
type CryptoKey = webcrypto.CryptoKey;

/** What {@link LocalCa.issueLeaf} certifies. */
interface LeafRequest {
  /** The P-256 public key to certify: `{ kty: 'EC', crv: 'P-256', x, y }` (other members are ignored). */
  publicJwk: JWK;
  /** The issuer URL (`PUBLIC_URL/<slug>`): the leaf's subjectAltName URI; its host is the DNS (or IP) name. */
  issuerUrl: string;
  /** The leaf's subject common name. */
  commonName: string;
}

/** The app's certificate authority. */
export interface LocalCa {
  /** The root certificate, PEM. */
  readonly certificatePem: string;
  /** The root certificate, standard base64 of its DER. */
  readonly certificateDer: string;
  /**
   * A leaf certificate for an issuing key, signed by the root: standard base64 of its DER, as an
   * `x5c` entry is written. The same key and issuer URL get the same leaf while it still has a
   * credential lifetime (one year) of validity left, then a new one; `commonName` is taken from the
   * first request of a key and URL.
   *
   * @throws TypeError when `publicJwk` is not a P-256 public key or `issuerUrl` not an absolute http(s) URL.
   * @example
   * const leaf = await ca.issueLeaf({ publicJwk, issuerUrl: 'https://tcs.example/acme', commonName: 'acme' });
   * const header = { alg: 'ES256', typ: 'dc+sd-jwt', x5c: [leaf] };
   */
  issueLeaf(request: LeafRequest): Promise<string>;
}

/** Options of {@link loadOrCreateCa}. */
export interface LoadOrCreateCaOptions {
  /** Directory of `ca.pem` and `ca-key.sealed` (created, mode 0700, if missing); `undefined` keeps a new CA in memory. */
  dataDir: string | undefined;
  /** Seals the root private key at rest. */
  sealer: Sealer;
  /** Clock, ms since the epoch: certificate validity starts from it. */
  now: () => number;
}

interface RootMaterial {
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/**
 * The app's local CA: loaded from `dataDir`, or created there on first start (a P-256 root,
 * self-signed, CA with path length 0, keyCertSign and cRLSign, valid about ten years). Processes
 * starting together on one `dataDir` all end up with the same CA.
 *
 * @throws SealError when `ca-key.sealed` does not open (another key-encryption key); Error when
 * `ca.pem` exists without its key, does not belong to it, is not a CA certificate, or expires
 * within a leaf lifetime (two years): replace both files (and every leaf with them).
 * @example
 * const ca = await loadOrCreateCa({ dataDir: '.data/tcs-issuer', sealer, now: Date.now });
 * ca.certificatePem; // '-----BEGIN CERTIFICATE-----…', for relying parties to trust
 */
export async function loadOrCreateCa(options: LoadOrCreateCaOptions): Promise<LocalCa> {
  const { dataDir, sealer, now } = options;
  const root =
    dataDir === undefined ? await createInMemory(now) : await loadOrCreateOnDisk(dataDir, sealer, now);
  return buildCa(root, now);
}

// ---------------------------------------------------------------------------------------------------------
// the root

async function generateRootJwk(): Promise<JWK> {
  const pair = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const { kty, crv, x, y, d } = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as JWK;
  return { kty, crv, x, y, d } as JWK;
}

async function importRootKeys(jwk: JWK): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  if (
    jwk.kty !== 'EC' ||
    jwk.crv !== 'P-256' ||
    typeof jwk.x !== 'string' ||
    typeof jwk.y !== 'string' ||
    typeof jwk.d !== 'string'
  ) {
    throw new Error('the local CA key is not a P-256 private key');
  }
  const { kty, crv, x, y, d } = jwk;
  const privateKey = await crypto.subtle.importKey('jwk', { kty, crv, x, y, d }, EC_P256, false, ['sign']);
  const publicKey = await crypto.subtle.importKey('jwk', { kty, crv, x, y }, EC_P256, true, ['verify']);
  return { privateKey, publicKey };
}

/** A positive serial of 16 random bytes (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  // Clear the sign bit and set the next one, so the DER integer is positive and keeps all 16 bytes.
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

async function createRootCertificate(
  keys: { privateKey: CryptoKey; publicKey: CryptoKey },
  now: () => number,
): Promise<x509.X509Certificate> {
  const start = now();
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: ['tcs-issuer local CA'] }],
      notBefore: new Date(start - CLOCK_SKEW_MS),
      notAfter: new Date(start + CA_VALIDITY_MS),
      keys,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [
        // Path length 0: the root certifies issuing keys only, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
}

async function createInMemory(now: () => number): Promise<RootMaterial> {
  const keys = await importRootKeys(await generateRootJwk());
  return { certificate: await createRootCertificate(keys, now), ...keys };
}

async function loadOrCreateOnDisk(dataDir: string, sealer: Sealer, now: () => number): Promise<RootMaterial> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const keyPath = join(dataDir, CA_KEY_FILE);
  const certificatePath = join(dataDir, CA_CERTIFICATE_FILE);

  let sealedKey = await readOptional(keyPath);
  if (sealedKey === undefined) {
    // A certificate without its key cannot sign; a new key would not match it. Refuse rather than
    // silently replace a CA relying parties may already trust.
    if ((await readOptional(certificatePath)) !== undefined) {
      throw new Error(
        `${certificatePath} exists without ${CA_KEY_FILE}: restore the key, or remove both files`,
      );
    }
    const sealed = sealer.seal(JSON.stringify(await generateRootJwk()), CA_SEAL_CONTEXT);
    sealedKey = await publishOnce(dataDir, CA_KEY_FILE, sealed, 0o600);
  }
  const keys = await importRootKeys(JSON.parse(sealer.open(sealedKey.trim(), CA_SEAL_CONTEXT)) as JWK);

  let pem = await readOptional(certificatePath);
  if (pem === undefined) {
    const created = await createRootCertificate(keys, now);
    pem = await publishOnce(dataDir, CA_CERTIFICATE_FILE, `${created.toString('pem')}\n`, 0o644);
  }
  const certificate = new x509.X509Certificate(pem);
  await checkRoot(certificate, keys.publicKey, certificatePath, now);
  return { certificate, ...keys };
}

/** A loaded root must be the CA certificate of the stored key, with a leaf lifetime left. */
async function checkRoot(
  certificate: x509.X509Certificate,
  publicKey: CryptoKey,
  path: string,
  now: () => number,
): Promise<void> {
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', publicKey));
  if (!spki.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new Error(`${path} does not belong to ${CA_KEY_FILE}`);
  }
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (constraints?.ca !== true || !(await certificate.verify({ signatureOnly: true }, crypto))) {
    throw new Error(`${path} is not a self-signed CA certificate`);
  }
  if (certificate.notAfter.getTime() - now() < LEAF_VALIDITY_MS) {
    throw new Error(`${path} expires within two years: replace ${CA_CERTIFICATE_FILE} and ${CA_KEY_FILE}`);
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Publishes `content` as `dir/name` unless that name exists, and returns what the name then holds:
 * ours, or the content of the process that published first. The file is written and flushed under
 * a temporary name first, so nobody ever reads a partial file.
 */
async function publishOnce(dir: string, name: string, content: string, mode: number): Promise<string> {
  const target = join(dir, name);
  const temporary = join(dir, `.${name}.${randomBytes(8).toString('hex')}.tmp`);
  const file = await open(temporary, 'wx', mode);
  try {
    await file.writeFile(content, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(temporary, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(target, 'utf8');
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  await syncDirectory(dir);
  return content;
}

/** Flushes the new directory entry, so a crash right after start does not lose the CA. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the file itself is flushed.
  }
}

// ---------------------------------------------------------------------------------------------------------
// leaves

interface Leaf {
  der: string;
  /** When a new leaf is due, ms: once less than a credential lifetime of validity is left. */
  renewAt: number;
}

function subjectPublicJwk(jwk: JWK): JWK {
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'EC' || jwk.crv !== 'P-256') {
    throw new TypeError('publicJwk must be a P-256 (EC) key');
  }
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new TypeError('publicJwk must have x and y');
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

function parseIssuerUrl(issuerUrl: string): URL {
  let url: URL;
  try {
    url = new URL(issuerUrl);
  } catch {
    throw new TypeError('issuerUrl must be an absolute URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    throw new TypeError('issuerUrl must be an http(s) URL with a host');
  }
  return url;
}

function buildCa(root: RootMaterial, now: () => number): LocalCa {
  const leaves = new Map<string, Promise<Leaf>>();
  const rootNotAfter = root.certificate.notAfter.getTime();
  const authorityKeyId = x509.AuthorityKeyIdentifierExtension.create(root.publicKey, false, crypto);

  async function createLeaf(publicJwk: JWK, url: URL, issuerUrl: string, commonName: string): Promise<Leaf> {
    let publicKey: CryptoKey;
    try {
      publicKey = await crypto.subtle.importKey('jwk', publicJwk, EC_P256, true, ['verify']);
    } catch {
      throw new TypeError('publicJwk is not a point on P-256');
    }
    const start = now();
    // Never past the root: a chain is only as valid as its root.
    const notAfter = Math.min(start + LEAF_VALIDITY_MS, rootNotAfter);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: randomSerial(),
        subject: [{ CN: [commonName] }],
        issuer: root.certificate.subjectName,
        notBefore: new Date(start - CLOCK_SKEW_MS),
        notAfter: new Date(notAfter),
        publicKey,
        signingKey: root.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.SubjectAlternativeNameExtension([
            { type: 'url', value: issuerUrl },
            { type: isIP(host) === 0 ? 'dns' : 'ip', value: host },
          ]),
          await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
          await authorityKeyId,
        ],
      },
      crypto,
    );
    return {
      der: Buffer.from(certificate.rawData).toString('base64'),
      renewAt: notAfter - CREDENTIAL_LIFETIME_MS,
    };
  }

  return {
    certificatePem: root.certificate.toString('pem'),
    certificateDer: Buffer.from(root.certificate.rawData).toString('base64'),

    async issueLeaf({ publicJwk, issuerUrl, commonName }) {
      const jwk = subjectPublicJwk(publicJwk);
      const url = parseIssuerUrl(issuerUrl);
      if (typeof commonName !== 'string' || commonName === '') {
        throw new TypeError('commonName must be a non-empty string');
      }
      const key = `${await calculateJwkThumbprint(jwk, 'sha256')} ${issuerUrl}`;
      const cached = leaves.get(key);
      if (cached !== undefined) {
        const leaf = await cached;
        if (leaf.renewAt > now()) return leaf.der;
      }
      // Concurrent callers may both find the leaf due; the first to get here replaces it.
      const current = leaves.get(key);
      if (current !== undefined && current !== cached) return (await current).der;
      const pending = createLeaf(jwk, url, issuerUrl, commonName);
      leaves.delete(key);
      if (leaves.size >= MAX_CACHED_LEAVES) {
        const oldest = leaves.keys().next().value;
        if (oldest !== undefined) leaves.delete(oldest);
      }
      leaves.set(key, pending);
      try {
        return (await pending).der;
      } catch (error) {
        if (leaves.get(key) === pending) leaves.delete(key);
        throw error;
      }
    },
  };
}
