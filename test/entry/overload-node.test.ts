/**
 * The Node server's early refusal: while the limiter is full, a hashing request gets the fixed
 * 503 + Retry-After from the request line alone (its body unread, the app never called, the
 * connection closed); other requests (health checks) and hashing requests with capacity reach the app.
 */
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHashingRequest, withEarlyRefusal } from '../../src/entry/overload-node';
import { createLimiter } from '../../src/hashing/limiter';

const limiter = createLimiter({ concurrency: 1, maxQueue: 0 });
const seen: string[] = [];
let refused = 0;
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer(
    withEarlyRefusal(
      (req, res) => {
        let bytes = 0;
        req.on('data', (d: Buffer) => (bytes += d.length));
        req.on('end', () => {
          seen.push(`${req.method} ${req.url} ${bytes}`);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        });
      },
      {
        full: () => {
          try {
            limiter.assertCapacity();
            return false;
          } catch {
            return true;
          }
        },
        onRefused: () => refused++,
      },
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function send(method: string, path: string, body = ''): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    // The server may answer and close before it reads this body: that is the point.
    req.on('error', reject);
    req.end(body);
  });
}

describe('early refusal', () => {
  it('recognises the hashing endpoints from the request line', () => {
    expect(isHashingRequest('POST', '/v1/hash')).toBe(true);
    expect(isHashingRequest('POST', '/v1/verify?x=1')).toBe(true);
    expect(isHashingRequest('POST', '/v1/login')).toBe(true);
    expect(isHashingRequest('PUT', '/v1/users/alice/password')).toBe(true);
    expect(isHashingRequest('GET', '/v1/hash')).toBe(false);
    expect(isHashingRequest('GET', '/healthz')).toBe(false);
    expect(isHashingRequest('POST', '/v1/identify')).toBe(false);
    expect(isHashingRequest('DELETE', '/v1/users/alice')).toBe(false);
  });

  it('passes everything through while the limiter has capacity', async () => {
    const r = await send('POST', '/v1/hash', '{"password":"pw"}');
    expect(r.status).toBe(200);
    expect(seen.at(-1)).toBe('POST /v1/hash 17');
  });

  it('refuses hashing requests with the fixed 503 while full, without reading the body or calling the app', async () => {
    let release!: () => void;
    const busy = limiter.run(() => new Promise<void>((r) => (release = r)));
    const before = seen.length;
    const secret = 'hunter2-secret';
    const r = await send('POST', '/v1/verify', JSON.stringify({ password: secret, hash: 'x'.repeat(30_000) }));
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers.connection).toBe('close');
    expect(JSON.parse(r.text)).toEqual({ error: { code: 'overloaded', message: 'hashing capacity is exhausted, retry shortly' } });
    expect(r.text).not.toContain(secret);
    expect(refused).toBe(1);
    // Health checks and non-hashing endpoints still reach the app.
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect((await send('POST', '/v1/identify', '{"hash":"x"}')).status).toBe(200);
    expect(seen.slice(before)).toEqual(['GET /healthz 0', 'POST /v1/identify 12']);
    release();
    await busy;
    expect((await send('POST', '/v1/verify', '{}')).status).toBe(200);
  });
});

describe('early refusal keeps small requests\' connections', () => {
  it('answers a small refused request without closing, so the next one reuses the socket; the body is discarded', async () => {
    let release!: () => void;
    const busy = limiter.run(() => new Promise<void>((r) => (release = r)));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = seen.length;
    const once = (): Promise<{ status: number; connection: string | undefined; reused: boolean; text: string }> =>
      new Promise((resolve, reject) => {
        const body = JSON.stringify({ password: 'small-secret-pw' });
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/hash', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const first = await once();
    const second = await once();
    expect(first).toMatchObject({ status: 503, reused: false });
    expect(first.connection).not.toBe('close');
    expect(second).toMatchObject({ status: 503, reused: true });
    expect(JSON.parse(second.text)).toEqual({ error: { code: 'overloaded', message: 'hashing capacity is exhausted, retry shortly' } });
    expect(second.text).not.toContain('small-secret-pw');
    // The app never saw them.
    expect(seen.length).toBe(before);
    agent.destroy();
    release();
    await busy;
  });
});

describe('server limits from the environment', () => {
  it('defaults, overrides and names a bad value', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config');
    const { registry } = await import('../helpers');
    expect(loadConfig({ env: {}, registry }).server).toEqual({
      maxConnections: 2048,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxRequestsPerSocket: 0,
      listenBacklog: 511,
    });
    const env = { HASHD_MAX_CONNECTIONS: '300', HASHD_HEADERS_TIMEOUT_MS: '2000', HASHD_REQUEST_TIMEOUT_MS: '0', HASHD_KEEP_ALIVE_TIMEOUT_MS: '1000', HASHD_MAX_REQUESTS_PER_SOCKET: '100', HASHD_LISTEN_BACKLOG: '64' };
    expect(loadConfig({ env, registry }).server).toEqual({ maxConnections: 300, headersTimeoutMs: 2000, requestTimeoutMs: 0, keepAliveTimeoutMs: 1000, maxRequestsPerSocket: 100, listenBacklog: 64 });
    expect(() => loadConfig({ env: { HASHD_LISTEN_BACKLOG: '0' }, registry })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { HASHD_MAX_CONNECTIONS: 'lots' }, registry })).toThrow(/HASHD_MAX_CONNECTIONS: must be an integer/);
  });
});
