/**
 * A local certificate authority for hashd's HTTPS and mutual TLS, with @peculiar/x509 over
 * WebCrypto: ECDSA P-256 keys and SHA-256 signatures, which OpenSSL, curl, Python's ssl, nginx and
 * Node all accept. Everything is PEM: certificates as `CERTIFICATE`, private keys as PKCS#8
 * `PRIVATE KEY`. Serial numbers are 16 random bytes from the CSPRNG.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface Issued {
  /** The certificate, PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
}

export interface Validity {
  /** Default: now (minus a minute, for clocks slightly behind). */
  notBefore?: Date;
  /** Default: notBefore + days. */
  notAfter?: Date;
  /** Default 825 for leaf certificates (the limit Apple's TLS clients accept), 3650 for the CA. */
  days?: number;
}

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] as number) & 0x7f; // a positive INTEGER
  return Buffer.from(bytes).toString('hex');
}

function validity(v: Validity, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const notBefore = v.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = v.notAfter ?? new Date(notBefore.getTime() + (v.days ?? defaultDays) * DAY_MS);
  return { notBefore, notAfter };
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** A common name as an X.500 name string, refusing characters that would change its structure. */
function commonName(name: string): string {
  if (!/^[A-Za-z0-9 ._@*-]{1,64}$/.test(name)) throw new RangeError(`invalid certificate name "${name}": use letters, digits, space, . _ @ * -`);
  return `CN=${name}`;
}

export async function createCa(options: Validity & { name?: string } = {}): Promise<Issued> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: commonName(options.name ?? 'hashd local CA'),
    ...validity(options, 3650),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: `${cert.toString('pem')}\n`, key: await privateKeyPem(keys.privateKey) };
}

async function loadCa(ca: Issued): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const cert = new x509.X509Certificate(ca.cert);
  const der = x509.PemConverter.decode(ca.key)[0];
  if (!der) throw new RangeError('the CA key is not PEM');
  const key = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
  return { cert, key: key as CryptoKey };
}

async function issue(ca: Issued, options: Validity & { name: string; usage: 'server' | 'client'; hosts?: readonly string[] }): Promise<Issued> {
  const authority = await loadCa(ca);
  const keys = await keyPair();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([options.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(authority.cert, false),
  ];
  if (options.hosts && options.hosts.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(options.hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })), false));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: commonName(options.name),
    issuer: authority.cert.subject,
    ...validity(options, 825),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: authority.key,
    extensions,
  });
  return { cert: `${cert.toString('pem')}\n`, key: await privateKeyPem(keys.privateKey) };
}

/** A server certificate for DNS names and IP addresses (subjectAltName, serverAuth). */
export function issueServer(ca: Issued, options: Validity & { hosts: readonly string[] }): Promise<Issued> {
  if (options.hosts.length === 0) throw new RangeError('a server certificate needs at least one --host');
  for (const h of options.hosts) if (!isIP(h) && !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*$/.test(h)) throw new RangeError(`invalid host "${h}"`);
  return issue(ca, { ...options, name: options.hosts[0] as string, usage: 'server' });
}

/** A client certificate (clientAuth) whose subject common name is `name`. */
export function issueClient(ca: Issued, options: Validity & { name: string }): Promise<Issued> {
  return issue(ca, { ...options, usage: 'client' });
}
