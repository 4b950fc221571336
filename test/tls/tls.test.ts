/**
 * HTTPS and mutual TLS over real TLS, with certificates made at test time by `hashd tls init` and
 * `hashd tls client` (the CLI, as a user runs it) and by src/tls/ca.ts for the bad cases. Every
 * client here verifies the server; nothing switches verification off.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions, type Server } from 'node:https';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { parseApiKeys } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { createCa, issueClient, issueServer } from '../../src/tls/ca';
import { certificateCaller, readTlsFiles, tlsServerOptions } from '../../src/tls/server';
import { makeCrypt } from '../helpers';

const run = promisify(execFile);
const bin = new URL('../../bin/hashd.cjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hashd-tls-'));
const API_KEY = 'hashd_tls_test_key_a8c1';
const file = (name: string): string => join(dir, name);
const read = (name: string): string => readFileSync(file(name), 'utf8');

interface Answer {
  status: number;
  body: string;
  serial: string;
}

function call(port: number, options: RequestOptions & { json?: unknown }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { json, ...rest } = options;
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, method: json === undefined ? 'GET' : 'POST', path: '/v1/hash', ...rest, headers: { 'content-type': 'application/json', ...rest.headers } }, (res) => {
      let body = '';
      const serial = (res.socket as unknown as { getPeerCertificate(): { serialNumber: string } }).getPeerCertificate().serialNumber;
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial }));
    });
    req.on('error', reject);
    req.end(json === undefined ? undefined : JSON.stringify(json));
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

let plainPort: number;
let mutualPort: number;
let plain: Server;
let mutual: Server;

beforeAll(async () => {
  await run(process.execPath, [bin, 'tls', 'init', dir, '--host', 'localhost', '--host', '127.0.0.1', '--days', '30']);
  await run(process.execPath, [bin, 'tls', 'client', 'backend-1', '--dir', dir]);
  const { crypt } = makeCrypt();
  const app = createApp({
    crypt,
    apiKeys: parseApiKeys(`acme=sha256:${createHash('sha256').update(API_KEY).digest('hex')}`, []),
    maxBodyBytes: 65536,
    logger: silentLogger,
    certificateCaller: certificateCaller([{ commonName: 'backend-1', tenant: 'acme', scope: 'service' }]),
  });
  const listener = getRequestListener(app.fetch);
  plain = createHttpsServer(tlsServerOptions({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: undefined }), listener);
  mutual = createHttpsServer(tlsServerOptions({ certFile: file('server.crt'), keyFile: file('server.key'), clientCaFile: file('ca.crt') }), listener);
  plainPort = await listen(plain);
  mutualPort = await listen(mutual);
}, 240_000);

afterAll(() => {
  plain?.close();
  mutual?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hashd tls init / tls client', () => {
  it('writes PEM files that openssl verifies for their purpose, keys mode 0600', async () => {
    for (const key of ['ca.key', 'server.key', 'client.key', 'backend-1.key']) expect(statSync(file(key)).mode & 0o777).toBe(0o600);
    expect(read('server.crt')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(read('server.key')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const server = await run('openssl', ['verify', '-CAfile', file('ca.crt'), '-purpose', 'sslserver', file('server.crt')]);
    expect(server.stdout.trim()).toBe(`${file('server.crt')}: OK`);
    for (const client of ['client.crt', 'backend-1.crt']) {
      const out = await run('openssl', ['verify', '-CAfile', file('ca.crt'), '-purpose', 'sslclient', file(client)]);
      expect(out.stdout.trim()).toBe(`${file(client)}: OK`);
    }
    const text = (await run('openssl', ['x509', '-in', file('server.crt'), '-noout', '-text'])).stdout;
    expect(text).toContain('DNS:localhost, IP Address:127.0.0.1');
    expect(text).toContain('TLS Web Server Authentication');
    // The key matches the certificate.
    const fromCert = (await run('openssl', ['x509', '-in', file('server.crt'), '-noout', '-pubkey'])).stdout;
    const fromKey = (await run('openssl', ['pkey', '-in', file('server.key'), '-pubout'])).stdout;
    expect(fromKey).toBe(fromCert);
  });

  it('never replaces existing files', async () => {
    const again = await run(process.execPath, [bin, 'tls', 'init', dir, '--host', 'localhost']).catch((e: { code: number; stderr: string }) => e);
    expect((again as { code: number }).code).toBe(2);
    expect((again as { stderr: string }).stderr).toContain('exists; not replacing it');
  });
});

describe('HTTPS', () => {
  it('a client that trusts the CA connects', async () => {
    const res = await call(plainPort, { ca: read('ca.crt'), json: { password: 'pw' }, headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { scheme: string }).scheme).toBe('argon2id');
  });

  it('a client that does not trust the CA fails', async () => {
    await expect(call(plainPort, { json: { password: 'pw' } })).rejects.toMatchObject({ code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/) });
  });

  it('a server certificate for another name fails', async () => {
    await expect(call(plainPort, { ca: read('ca.crt'), servername: 'other.example', json: { password: 'pw' } })).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});

describe('mutual TLS', () => {
  const ca = (): string => read('ca.crt');

  it('a client certificate from the CA connects; its CN maps to a tenant without an API key', async () => {
    const res = await call(mutualPort, { ca: ca(), cert: read('backend-1.crt'), key: read('backend-1.key'), json: { password: 'pw' } });
    expect(res.status).toBe(200);
    // An unmapped certificate passes the handshake but names no tenant: it needs a key.
    const unmapped = await call(mutualPort, { ca: ca(), cert: read('client.crt'), key: read('client.key'), json: { password: 'pw' } });
    expect(unmapped.status).toBe(401);
    const withKey = await call(mutualPort, { ca: ca(), cert: read('client.crt'), key: read('client.key'), json: { password: 'pw' }, headers: { authorization: `Bearer ${API_KEY}` } });
    expect(withKey.status).toBe(200);
  });

  it('without a client certificate the handshake fails', async () => {
    await expect(call(mutualPort, { ca: ca(), json: { password: 'pw' } })).rejects.toMatchObject({ code: expect.stringMatching(/ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET|EPIPE/) });
  });

  it('a client certificate from another CA fails', async () => {
    const other = await createCa({ name: 'another CA' });
    const stranger = await issueClient(other, { name: 'backend-1' });
    await expect(call(mutualPort, { ca: ca(), cert: stranger.cert, key: stranger.key, json: { password: 'pw' } })).rejects.toMatchObject({ code: expect.stringMatching(/UNKNOWN_CA|ECONNRESET|EPIPE/) });
  });

  it('an expired client certificate fails, and so does an expired server certificate', async () => {
    const authority = { cert: ca(), key: read('ca.key') };
    const expired = await issueClient(authority, { name: 'backend-1', notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    await expect(call(mutualPort, { ca: ca(), cert: expired.cert, key: expired.key, json: { password: 'pw' } })).rejects.toMatchObject({ code: expect.stringMatching(/CERTIFICATE_EXPIRED|ECONNRESET|EPIPE/) });

    const old = await issueServer(authority, { hosts: ['localhost'], notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const server = createHttpsServer({ cert: old.cert, key: old.key }, (_req, res) => res.end('no'));
    const port = await listen(server);
    try {
      await expect(call(port, { ca: ca() })).rejects.toMatchObject({ code: 'CERT_HAS_EXPIRED' });
    } finally {
      server.close();
    }
  });
});

describe('reload', () => {
  it('setSecureContext with new files: new connections get the new certificate, an open one carries on', async () => {
    const local = { certFile: join(dir, 'reload.crt'), keyFile: join(dir, 'reload.key'), clientCaFile: undefined };
    const authority = { cert: read('ca.crt'), key: read('ca.key') };
    const first = await issueServer(authority, { hosts: ['localhost'] });
    writeFileSync(local.certFile, first.cert);
    writeFileSync(local.keyFile, first.key);
    const { crypt } = makeCrypt();
    const app = createApp({ crypt, apiKeys: [], maxBodyBytes: 65536, logger: silentLogger });
    const server = createHttpsServer({ ...tlsServerOptions(local), keepAliveTimeout: 30_000 }, getRequestListener(app.fetch));
    const port = await listen(server);
    const { Agent } = await import('node:https');
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: read('ca.crt') });
    try {
      const before = await call(port, { agent, path: '/healthz' });
      const second = await issueServer(authority, { hosts: ['localhost'] });
      writeFileSync(local.certFile, second.cert);
      writeFileSync(local.keyFile, second.key);
      server.setSecureContext(readTlsFiles(local));
      // The kept-alive connection still answers, on the certificate it was opened with.
      const kept = await call(port, { agent, path: '/healthz' });
      expect(kept.status).toBe(200);
      expect(kept.serial).toBe(before.serial);
      const fresh = await call(port, { ca: read('ca.crt'), path: '/healthz', agent: false });
      expect(fresh.status).toBe(200);
      expect(fresh.serial).not.toBe(before.serial);
    } finally {
      agent.destroy();
      server.close();
    }
  });
});
