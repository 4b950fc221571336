/**
 * Throttling on the Worker: the PostgreSQL throttle store through the HYPERDRIVE binding (the
 * request's own client), so two isolates (two Worker configurations in one workerd, the same
 * database) count on the same rows. Small limits from the HASHD_THROTTLE_* variables and the
 * real clock: an account locks after its limit, whichever isolate took the failures; the answer
 * is 429 rate_limited with Retry-After; the address counted is CF-Connecting-IP (a body's
 * clientIp wins), and X-Forwarded-For is never read. Stores that cannot hold limits across
 * isolates are refused by the configuration.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../routes/_stateless-suite';
import { apiKey, createTestDatabase, keyedCaller, startWorkers, type TestDatabase } from './_worker';

const KEYS = {
  acme: apiKey('acme:admin', 'hashd_edge_throttle_acme_admin_key_1'),
};
const LIMITS = {
  HASHD_API_KEYS: KEYS.acme.entry,
  // Three failures lock an account, four an address, for ten minutes; no back-off before that.
  HASHD_THROTTLE_ACCOUNT_MAX: '3',
  HASHD_THROTTLE_ACCOUNT_FREE: '3',
  HASHD_THROTTLE_ACCOUNT_WINDOW: '600',
  HASHD_THROTTLE_ADDRESS_MAX: '4',
  HASHD_THROTTLE_ADDRESS_FREE: '4',
  HASHD_THROTTLE_ADDRESS_WINDOW: '600',
};

let db: TestDatabase;
let workers: Awaited<ReturnType<typeof startWorkers>>;
let sql: postgres.Sql;
/** Isolate A over HTTP on loopback (Miniflare's entry, as a deployed Worker sees requests), isolate B through its fetcher. */
let a: ReturnType<typeof keyedCaller>;
let b: ReturnType<typeof keyedCaller>;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 1, onnotice: () => undefined });
  workers = await startWorkers({
    a: { databaseUrl: db.url, vars: LIMITS },
    b: { databaseUrl: db.url, vars: LIMITS },
    memory: { databaseUrl: db.url, vars: { ...LIMITS, HASHD_THROTTLE_STORE: 'memory' } },
    redis: { databaseUrl: db.url, vars: { ...LIMITS, REDIS_URL: 'redis://127.0.0.1:6379/8' } },
    off: { databaseUrl: db.url, vars: { ...LIMITS, HASHD_THROTTLE_STORE: 'off' } },
  });
  a = keyedCaller((path, init) => fetch(`${workers.url}${path}`, init), KEYS, 'acme');
  b = keyedCaller(workers.fetchers.b as (path: string, init?: RequestInit) => Promise<Response>, KEYS, 'acme');
}, 300_000);
afterAll(async () => {
  await workers?.close();
  await sql?.end({ timeout: 5 });
  await db?.drop();
});

type Call = ReturnType<typeof keyedCaller>;
const login = (via: Call, userId: string, password: string, extra: { clientIp?: string; headers?: Record<string, string> } = {}): Promise<Response> =>
  via('/v1/login', { json: { userId, password, ...(extra.clientIp !== undefined && { clientIp: extra.clientIp }) }, headers: extra.headers ?? {} });

async function expectLimited(res: Response): Promise<number> {
  const body = (await expectError(res, 429, 'rate_limited')) as { error: { details: { retryAfter: number } } };
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(body.error.details.retryAfter).toBe(retryAfter);
  return retryAfter;
}

describe('throttling on the edge (PostgreSQL through Hyperdrive)', () => {
  it('locks an account after its limit, counting the failures of both isolates; 429 with Retry-After, even for the right password', async () => {
    expect((await a('/v1/users/alice/password', { method: 'PUT', json: { password: 'right-pw' } })).status).toBe(204);
    // Each attempt from its own address, so only the account counter can refuse.
    const from = (i: number): { clientIp: string } => ({ clientIp: `198.51.100.${i}` });
    expect(await (await login(a, 'alice', 'wrong-1', from(1))).json()).toEqual({ valid: false, upgraded: false });
    expect(await (await login(b, 'alice', 'wrong-2', from(2))).json()).toEqual({ valid: false, upgraded: false });
    expect(await (await login(a, 'alice', 'wrong-3', from(3))).json()).toEqual({ valid: false, upgraded: false });
    // Locked on either isolate until the window (600 s after the last failure) has passed.
    const onB = await expectLimited(await login(b, 'alice', 'right-pw', from(4)));
    const onA = await expectLimited(await login(a, 'alice', 'wrong-4', from(5)));
    for (const retryAfter of [onA, onB]) {
      expect(retryAfter).toBeGreaterThan(590);
      expect(retryAfter).toBeLessThanOrEqual(600);
    }
    // One row per counter, in the database the isolates share, keyed by digests only.
    const rows = await sql<{ key: string; failures: number }[]>`select key, failures from throttle_counters where key like 'a:%'`;
    expect(rows).toEqual([{ key: expect.stringMatching(/^a:[A-Za-z0-9_-]{32}$/), failures: 3 }]);
    // The admin sees the lock from the other isolate, clears it, and the right password passes.
    expect(await (await b('/v1/admin/throttle/alice')).json()).toEqual({ userId: 'alice', counters: [{ purpose: 'password', failures: 3, locked: true, retryAfter: onB }] });
    expect((await a('/v1/admin/throttle/alice', { method: 'DELETE' })).status).toBe(204);
    expect(await (await login(b, 'alice', 'right-pw', from(6))).json()).toEqual({ valid: true, upgraded: false });
  });

  it('counts the address from CF-Connecting-IP; a spoofed X-Forwarded-For changes nothing; a body clientIp wins', async () => {
    const cf = (ip: string, forwarded?: string): { headers: Record<string, string> } => ({
      headers: { 'cf-connecting-ip': ip, ...(forwarded !== undefined && { 'x-forwarded-for': forwarded }) },
    });
    // Four failures on four accounts from one address, each claiming another X-Forwarded-For, on both isolates.
    for (let i = 1; i <= 4; i++) {
      const res = await login(i % 2 ? a : b, `spray-${i}`, 'guess', cf('203.0.113.7', `192.0.2.${i}`));
      expect(await res.json(), `attempt ${i}`).toEqual({ valid: false, upgraded: false });
    }
    // A fifth account from that address is refused, whatever X-Forwarded-For says...
    await expectLimited(await login(a, 'spray-5', 'guess', cf('203.0.113.7', '192.0.2.99')));
    await expectLimited(await login(b, 'spray-5', 'guess', cf('203.0.113.7')));
    // ...and an X-Forwarded-For naming the locked address does not lock anyone else.
    expect(await (await login(a, 'spray-6', 'guess', cf('203.0.113.8', '203.0.113.7'))).json()).toEqual({ valid: false, upgraded: false });
    // The login backend's clientIp is the end user's address: it wins over the connecting one.
    expect(await (await login(b, 'spray-7', 'guess', { ...cf('203.0.113.7'), clientIp: '198.51.100.77' })).json()).toEqual({ valid: false, upgraded: false });
    await expectLimited(await login(b, 'spray-8', 'guess', { ...cf('203.0.113.99'), clientIp: '203.0.113.7' }));
  });

  it('IPv6 addresses count by /64', async () => {
    for (let i = 1; i <= 4; i++) {
      expect((await login(a, `v6-${i}`, 'guess', { headers: { 'cf-connecting-ip': `2001:db8:1:2::${i}` } })).status).toBe(200);
    }
    await expectLimited(await login(b, 'v6-5', 'guess', { headers: { 'cf-connecting-ip': '2001:db8:1:2:ffff::1' } }));
    expect((await login(b, 'v6-5', 'guess', { headers: { 'cf-connecting-ip': '2001:db8:1:3::1' } })).status).toBe(200);
  });

  it('is ready only with the throttle store reachable, and refuses stores that do not hold across isolates', async () => {
    expect(await (await a('/readyz')).json()).toEqual({ status: 'ready' });
    for (const [name, issue] of [
      ['memory', "HASHD_THROTTLE_STORE=memory: an isolate's memory does not hold limits across isolates"],
      ['redis', 'HASHD_THROTTLE_STORE: a Worker cannot reach Redis'],
    ] as const) {
      const res = await (workers.fetchers[name] as (path: string, init?: RequestInit) => Promise<Response>)('/healthz');
      expect(res.status, name).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: 'internal' } });
      expect(workers.logs.join('\n')).toContain(issue);
    }
    // Off only by name, and then nothing is counted.
    const off = keyedCaller(workers.fetchers.off as (path: string, init?: RequestInit) => Promise<Response>, KEYS, 'acme');
    for (let i = 0; i < 5; i++) expect((await login(off, 'unlimited', 'guess', { clientIp: '198.51.100.200' })).status).toBe(200);
    expect(workers.logs.join('\n')).toContain('throttling is off (HASHD_THROTTLE_STORE=off)');
  });

  it('keeps user ids, passwords and addresses out of the log and the stored keys', async () => {
    const text = workers.logs.join('\n');
    const keys = (await sql<{ key: string; grp: string }[]>`select key, grp from throttle_counters`).map((r) => `${r.grp} ${r.key}`).join('\n');
    for (const secret of ['right-pw', 'wrong-1', 'guess', 'alice', 'spray-1', '203.0.113.7', '198.51.100.77', '2001:db8']) {
      expect(text, secret).not.toContain(secret);
      expect(keys, secret).not.toContain(secret);
    }
  });
});
