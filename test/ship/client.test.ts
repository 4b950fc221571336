/**
 * The typed client (src/client, `hashd/client`) against a running service: the full app on a
 * loopback HTTP server (PGlite store, key ring for TOTP), called through real sockets with an API
 * key. A login backend's flows (sign-up, sign-in with a session, session check, password change,
 * tokens, one-time codes, TOTP), typed errors, the API key, timeouts, retries on 503 with
 * Retry-After only, and no secret in anything the client logs or throws.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createHashdClient, HashdApiError, HashdTransportError, type ErrorCode, type HashdClient } from '../../src/client/index';
import type { Database } from '../../src/db/index';
import { createKeyRing, newRingEntry, parseRingKeys } from '../../src/keys/ring';
import { stepAt, totpCode } from '../../src/totp/totp';
import { backends, openFresh } from '../db/_backends';
import { KEYS, makeStoreApp, type StoreApp } from '../store/_app';

const pglite = backends.find((b) => b.name === 'pglite');
const csprng = (n: number) => new Uint8Array(randomBytes(n));
let database: Database;
let s: StoreApp;
let server: ReturnType<typeof serve>;
let base = '';
let client: HashdClient;
const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));

beforeAll(async () => {
  if (!pglite) throw new Error('no pglite backend');
  database = await openFresh(pglite);
  const ring = await createKeyRing(parseRingKeys(newRingEntry('k1', csprng), []), csprng);
  s = makeStoreApp(database, { keyRing: ring });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createHashdClient({ baseUrl: base, apiKey: KEYS.acme, timeoutMs: 30_000 });
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await database?.close();
  await pglite?.cleanup();
});

/** A loopback server answering every request with `respond`, counting them. */
async function fakeService(respond: (n: number, res: import('node:http').ServerResponse) => void): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const srv: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => respond(++n, res));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    count: () => n,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

describe('the typed client against the running service', () => {
  it('hash, verify, needs-rehash, identify', async () => {
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const hashed = await client.hash({ password });
    expectTypeOf(hashed).toEqualTypeOf<{ hash: string; scheme: string }>();
    expect(hashed.scheme).toBe('argon2id');
    expect(hashed.hash).toMatch(/^\$argon2id\$/);
    const verified = await client.verify({ password, hash: hashed.hash });
    expectTypeOf(verified.valid).toEqualTypeOf<boolean>();
    expect(verified.valid).toBe(true);
    expect((await client.verify({ password: 'wrong', hash: hashed.hash })).valid).toBe(false);
    // A reference vector: valid, and due for a rehash.
    const legacy = '$1$.G9CvU8O$3/LUBcND5kU5QK0KOzzLg1'; // test/vectors/crypt.json (passlib 1.7.4, glibc-checked)
    const upgraded = await client.verify({ password: 'password', hash: legacy });
    expect(upgraded.valid).toBe(true);
    expect(upgraded.newHash).toMatch(/^\$argon2id\$/);
    expect((await client.needsRehash({ hash: legacy })).needsRehash).toBe(true);
    expect((await client.needsRehash({ hash: hashed.hash })).needsRehash).toBe(false);
    expect((await client.identify({ hash: legacy })).scheme).toBe('md5_crypt');
  });

  it("a login backend's sign-up, sign-in with a session, session check, password change", async () => {
    const userId = `user-${randomBytes(4).toString('hex')}`;
    const first = `first-${randomBytes(8).toString('hex')}`;
    const second = `second-${randomBytes(8).toString('hex')}`;
    await client.setPassword(userId, { password: first });
    const signIn = await client.login({ userId, password: first, session: true });
    expect(signIn.valid).toBe(true);
    const token = signIn.session?.token as string;
    expect(typeof token).toBe('string');
    const check = await client.sessions.verify({ token });
    expect(check).toMatchObject({ valid: true, userId });
    expect((await client.sessions.list(userId)).sessions).toHaveLength(1);
    expect((await client.login({ userId, password: 'wrong' })).valid).toBe(false);
    // A password change revokes the sessions.
    await client.setPassword(userId, { password: second });
    expect((await client.sessions.verify({ token })).valid).toBe(false);
    expect((await client.login({ userId, password: first })).valid).toBe(false);
    expect((await client.login({ userId, password: second })).valid).toBe(true);
    const made = await client.sessions.create({ userId });
    expect((await client.sessions.verify({ token: made.token })).valid).toBe(true);
    await client.sessions.revoke(made.sessionId);
    expect((await client.sessions.verify({ token: made.token })).valid).toBe(false);
    await client.sessions.create({ userId });
    await client.sessions.revokeAll(userId);
    expect((await client.sessions.list(userId)).sessions).toHaveLength(0);
    await client.deleteUser(userId);
    expect((await client.login({ userId, password: second })).valid).toBe(false);
  });

  it('tokens, one-time codes and TOTP', async () => {
    const token = await client.tokens.create({});
    expect((await client.tokens.verify({ token: token.token, digest: token.digest })).valid).toBe(true);
    expect((await client.tokens.verify({ token: `${token.token}x`, digest: token.digest })).valid).toBe(false);
    expect((await client.otp.generate({ digits: 8 })).code).toMatch(/^\d{8}$/);
    const userId = `otp-${randomBytes(4).toString('hex')}`;
    const issued = await client.otp.issue({ userId, purpose: 'login' });
    expect((await client.otp.verify({ otpId: issued.otpId, code: issued.code === '000000' ? '111111' : '000000' })).valid).toBe(false);
    expect(await client.otp.verify({ otpId: issued.otpId, code: issued.code })).toMatchObject({ valid: true });

    const enrolled = await client.totp.enroll({ userId, issuer: 'Example', accountName: 'a@example.com' });
    const secret = decodeBase32IgnorePadding(enrolled.secret);
    const code = totpCode(secret, stepAt(Date.now(), 30), 6);
    const confirmed = await client.totp.confirm({ userId, code });
    expect(confirmed.confirmed).toBe(true);
    expect(confirmed.recoveryCodes?.length).toBeGreaterThan(0);
    const recovery = (confirmed.recoveryCodes as string[])[0] as string;
    expect((await client.totp.recover({ userId, recoveryCode: recovery })).valid).toBe(true);
    expect((await client.totp.recover({ userId, recoveryCode: recovery })).valid).toBe(false);
    expect((await client.totp.recoveryCodes({ userId })).recoveryCodes.length).toBeGreaterThan(0);
    await client.totp.remove(userId);
    expect((await client.totp.verify({ userId, code })).valid).toBe(false);
  });

  it('errors are typed by code; the API key is sent; a wrong key is unauthorized', async () => {
    expectTypeOf<HashdApiError['code']>().toEqualTypeOf<ErrorCode>();
    const err = await client.verify({ password: 'x', hash: 'not a hash' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HashdApiError);
    expect(err).toMatchObject({ status: 422, code: 'unknown_hash_format' });
    // Revoking is idempotent (204 even for an unknown session): undefined, not an error.
    expect(await client.sessions.revoke('no-such-session')).toBeUndefined();
    const bad = (await client.sessions.list('a\u0000b').catch((e: unknown) => e)) as HashdApiError;
    expect(bad).toBeInstanceOf(HashdApiError);
    expect(bad.status).toBe(400);
    const anonymous = createHashdClient({ baseUrl: base });
    expect(await anonymous.hash({ password: 'x' }).catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthorized' });
    const wrong = createHashdClient({ baseUrl: `${base}/`, apiKey: 'hashd_not_a_key' });
    expect(await wrong.hash({ password: 'x' }).catch((e: unknown) => e)).toMatchObject({ status: 401, code: 'unauthorized' });
    // @ts-expect-error a field the service does not take is a compile error (and a 400 at run time)
    const extra = await client.hash({ password: 'x', bogus: 1 }).catch((e: unknown) => e);
    expect(extra).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('retries a 503 with Retry-After, and nothing else', async () => {
    const overloaded = await fakeService((n, res) => {
      if (n < 3) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(JSON.stringify({ error: { code: 'overloaded', message: 'busy' } }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ hash: '$argon2id$x', scheme: 'argon2id' }));
      }
    });
    try {
      const c = createHashdClient({ baseUrl: overloaded.url, retries: 2 });
      expect(await c.hash({ password: 'x' })).toEqual({ hash: '$argon2id$x', scheme: 'argon2id' });
      expect(overloaded.count()).toBe(3);
    } finally {
      await overloaded.close();
    }
    const noRetryAfter = await fakeService((_n, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'database_unavailable', message: 'down' } }));
    });
    try {
      const c = createHashdClient({ baseUrl: noRetryAfter.url });
      expect(await c.login({ userId: 'u', password: 'x' }).catch((e: unknown) => e)).toMatchObject({ status: 503, code: 'database_unavailable' });
      expect(noRetryAfter.count()).toBe(1);
    } finally {
      await noRetryAfter.close();
    }
    const limited = await fakeService((_n, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }));
    });
    try {
      const c = createHashdClient({ baseUrl: limited.url });
      expect(await c.login({ userId: 'u', password: 'x' }).catch((e: unknown) => e)).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 1 });
      expect(limited.count()).toBe(1);
    } finally {
      await limited.close();
    }
  });

  it('times out, and reports transport failures without the request', async () => {
    const silent = await fakeService(() => undefined);
    const password = `secret-${randomBytes(8).toString('hex')}`;
    try {
      const c = createHashdClient({ baseUrl: silent.url, apiKey: 'hashd_the_key_value_1234', timeoutMs: 200 });
      const err = (await c.login({ userId: 'u', password }).catch((e: unknown) => e)) as HashdTransportError;
      expect(err).toBeInstanceOf(HashdTransportError);
      expect(err.kind).toBe('timeout');
      expect(silent.count()).toBe(1);
      for (const text of [String(err), err.stack ?? '', JSON.stringify(err)]) {
        expect(text).not.toContain(password);
        expect(text).not.toContain('hashd_the_key_value_1234');
      }
    } finally {
      await silent.close();
    }
    const refused = createHashdClient({ baseUrl: silent.url, timeoutMs: 5000 });
    const err = (await refused.hash({ password }).catch((e: unknown) => e)) as HashdTransportError;
    expect(err).toMatchObject({ kind: 'network' });
    expect(String(err)).not.toContain(password);
  });

  it('never logs, and no error it throws carries the password', async () => {
    const password = `never-${randomBytes(8).toString('hex')}`;
    await client.hash({ password });
    const err = await client.hash({ password: `${password}${'x'.repeat(5000)}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HashdApiError);
    expect(JSON.stringify(err) + String(err)).not.toContain(password);
    for (const spy of consoleSpies) expect(spy).not.toHaveBeenCalled();
  });
});
