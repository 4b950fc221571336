/**
 * Scale-out: two replicas (two server processes) on loopback against one PostgreSQL database
 * (created for this run) and one Redis (database 7, a key prefix of this run, removed after). A
 * password set through one logs in through the other; a session issued by one verifies on the
 * other; failures counted on one lock the account on the other; an upgrade on login through both
 * at once writes once; the wrap job runs once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../db/_backends';
import { exitOf, spawnSourceServer, until, type ServerProcess } from './_server';

const postgres = backends.find((b) => b.name === 'postgres') as Backend;
const REDIS_URL = `${process.env.HASHD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'}/7`;
const prefix = `hashd:test:replicas:${randomBytes(6).toString('hex')}:`;
const servers: ServerProcess[] = [];
let a: ServerProcess;
let b: ServerProcess;

async function post(server: ServerProcess, path: string, body: unknown, method = 'POST'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.base}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

describe.skipIf(postgres.skipReason !== undefined)('two replicas on one PostgreSQL and one Redis', () => {
  beforeAll(async () => {
    const { url } = (await postgres.create()) as { url: string };
    const env = {
      DATABASE_URL: url,
      REDIS_URL,
      HASHD_REDIS_PREFIX: prefix,
      // Both replicas need the same secrets: the OTP secret here (and HASHD_KEYS, HASHD_API_KEYS in production).
      HASHD_OTP_SECRET: randomBytes(32).toString('base64'),
      HASHD_THROTTLE_ACCOUNT_MAX: '5',
      HASHD_THROTTLE_ACCOUNT_FREE: '5',
      HASHD_WRAP_LEASE_SECONDS: '5',
    };
    // One after the other, so the second finds the migrations applied.
    a = await spawnSourceServer(env);
    servers.push(a);
    b = await spawnSourceServer(env);
    servers.push(b);
  }, 700_000);

  afterAll(async () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await postgres.cleanup();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('share passwords, sessions, throttling, upgrades and the wrap job', { timeout: 600_000 }, async () => {
    expect(a.output()).toContain('"throttle":"redis"');
    expect(b.output()).toContain('"throttle":"redis"');

    // A password set through A logs in through B; a session issued by A verifies on B.
    const password = `pw-${randomBytes(8).toString('hex')}`;
    expect((await post(a, '/v1/users/alice/password', { password }, 'PUT')).status).toBe(204);
    const login = await post(b, '/v1/login', { userId: 'alice', password });
    expect(login.json).toMatchObject({ valid: true });
    const session = await post(a, '/v1/sessions', { userId: 'alice' });
    expect(session.status).toBe(201);
    const verified = await post(b, '/v1/sessions/verify', { token: session.json.token });
    expect(verified.json).toMatchObject({ valid: true, userId: 'alice' });
    // Revoked on B: refused on A.
    expect((await fetch(`${b.base}/v1/sessions/${String(session.json.sessionId)}`, { method: 'DELETE' })).status).toBe(204);
    expect((await post(a, '/v1/sessions/verify', { token: session.json.token })).json).toMatchObject({ valid: false });

    // Failures counted on A lock the account on B (REDIS_URL throttle), even with the right password.
    expect((await post(a, '/v1/users/bob/password', { password }, 'PUT')).status).toBe(204);
    for (let i = 0; i < 5; i++) expect((await post(a, '/v1/login', { userId: 'bob', password: `wrong-${i}` })).json).toMatchObject({ valid: false });
    const locked = await post(b, '/v1/login', { userId: 'bob', password });
    expect(locked.status).toBe(429);
    expect((locked.json.error as { code: string }).code).toBe('rate_limited');
    // The other account is not affected.
    expect((await post(b, '/v1/login', { userId: 'alice', password })).json).toMatchObject({ valid: true });

    // An upgrade on login through both at once writes once (a compare-and-swap on the stored hash).
    // md5_crypt reference vector (test/vectors/crypt.json, passlib 1.7.4, glibc-checked).
    const imported = await fetch(`${a.base}/v1/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ userId: 'carol', hash: '$1$.G9CvU8O$3/LUBcND5kU5QK0KOzzLg1' })}\n`,
    });
    expect(await imported.json()).toMatchObject({ imported: 1 });
    const both = await Promise.all([a, b].map((s) => post(s, '/v1/login', { userId: 'carol', password: 'password' })));
    for (const r of both) expect(r.json).toMatchObject({ valid: true });
    expect(both.map((r) => r.json.upgraded).sort()).toEqual([false, true]);
    const inventory = async () =>
      (await (await fetch(`${b.base}/v1/admin/inventory`)).json()) as { schemes: { scheme: string; count: number }[]; upgradesByDay: { kind: string; count: number }[] };
    const afterLogin = await inventory();
    expect(afterLogin.upgradesByDay.filter((u) => u.kind === 'login').reduce((n, u) => n + u.count, 0)).toBe(1);
    expect(afterLogin.schemes.find((s) => s.scheme === 'md5_crypt')).toBeUndefined();

    // The wrap job runs once: both asked at once, one starts it, the other answers 409.
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const rows = Array.from({ length: 300 }, (_, i) => JSON.stringify({ userId: `w-${String(i).padStart(4, '0')}`, hash: md5(`pw-${i}`) })).join('\n') + '\n';
    const wrapImport = await fetch(`${b.base}/v1/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: rows });
    expect(await wrapImport.json()).toMatchObject({ imported: 300 });
    const starts = await Promise.all([a, b].map((s) => post(s, '/v1/admin/wrap', {})));
    expect(starts.map((r) => r.status).sort()).toEqual([202, 409]);
    const done = await until('the wrap job', async () => {
      const s = (await (await fetch(`${a.base}/v1/admin/wrap`)).json()) as { state?: string };
      return s.state === 'done' ? s : undefined;
    }, 300_000);
    expect(done).toMatchObject({ state: 'done', processed: 300, wrapped: 300 });
    const afterWrap = await inventory();
    expect(afterWrap.schemes.find((s) => s.scheme === 'hashd_wrapped')?.count).toBe(300);
    expect(afterWrap.upgradesByDay.filter((u) => u.kind === 'wrap').reduce((n, u) => n + u.count, 0)).toBe(300);
    const runners = [a, b].filter((s) => s.output().includes('"wrap done"'));
    expect(runners).toHaveLength(1);

    for (const s of [a, b]) s.child.kill('SIGTERM');
    expect(await Promise.all([a, b].map((s) => exitOf(s.child)))).toEqual([0, 0]);
  });
});
