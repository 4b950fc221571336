/**
 * POST /v1/login under the throttle (memory store, default rules, a clock the test moves past
 * each back-off): the scenarios, the admin endpoints, fail-closed answers, and no user
 * id, password or address in a log line or an error body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { createMemoryThrottleStore } from '../../src/throttle/memory';
import { createThrottle, DEFAULT_THROTTLE_RULES, type Throttle, type ThrottleStore } from '../../src/throttle/throttle';
import { manualClock } from '../db/_backends';
import { makeStoreApp, type StoreApp } from '../store/_app';

const START = Date.parse('2026-03-01T00:00:00.000Z');
/** Longer than the longest default back-off step (15 min). */
const PAST_BACKOFF = DEFAULT_THROTTLE_RULES.account.backoffMaxMs + 1_000;

let database: Database;
beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
});
afterAll(async () => {
  await database?.close();
});

interface World {
  s: StoreApp;
  throttle: Throttle;
  tick(ms?: number): void;
  login(userId: string, password: string, extra?: Record<string, unknown>): Promise<Response>;
}

let users = 0;
async function world(options: { store?: ThrottleStore } = {}): Promise<World & { user: string }> {
  const clock = manualClock(new Date(START).toISOString());
  let now = START;
  const throttle = createThrottle({ store: options.store ?? createMemoryThrottleStore(), clock: clock.now });
  const s = makeStoreApp(database, { throttle });
  const user = `user-${++users}`;
  expect((await s.call(`/v1/users/${user}/password`, { method: 'PUT', json: { password: 'right-pw' } })).status).toBe(204);
  return {
    s,
    throttle,
    user,
    tick(ms = PAST_BACKOFF) {
      now += ms;
      clock.set(new Date(now).toISOString());
    },
    login: (userId, password, extra = {}) => s.call('/v1/login', { json: { userId, password, ...extra } }),
  };
}

async function expectLimited(res: Response): Promise<{ body: unknown; retryAfter: string | null }> {
  expect(res.status).toBe(429);
  const body = (await res.json()) as { error: { code: string } };
  expect(body.error.code).toBe('rate_limited');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  return { body, retryAfter: res.headers.get('retry-after') };
}

describe('POST /v1/login, throttled', () => {
  it('100 wrong passwords from 100 addresses, then the right one: refused, exactly like a wrong one', async () => {
    const w = await world();
    for (let i = 0; i < 100; i++) {
      const res = await w.login(w.user, `wrong-${i}`, { clientIp: `198.51.100.${i}` });
      expect(res.status, `attempt ${i}`).toBe(200);
      expect(await res.json()).toEqual({ valid: false, upgraded: false });
      w.tick();
    }
    // Count the hashing work of the refused attempts: the same (none) for the right password and a wrong one.
    const work: string[] = [];
    const { verify, dummyVerify } = w.s.crypt;
    w.s.crypt.verify = ((...args: Parameters<typeof verify>) => (work.push('verify'), verify.apply(w.s.crypt, args))) as typeof verify;
    w.s.crypt.dummyVerify = ((...args: Parameters<typeof dummyVerify>) => (work.push('dummy'), dummyVerify.apply(w.s.crypt, args))) as typeof dummyVerify;
    const right = await expectLimited(await w.login(w.user, 'right-pw', { clientIp: '192.0.2.1' }));
    const workRight = work.splice(0);
    const wrong = await expectLimited(await w.login(w.user, 'wrong-again', { clientIp: '192.0.2.1' }));
    // The answer says nothing about the password: same status, same body, same Retry-After, same work.
    expect(right).toEqual(wrong);
    expect(workRight).toEqual(work);
    // Locked until the window (a day after the last failure) has passed.
    expect(Number(right.retryAfter)).toBeGreaterThan(86_400 - PAST_BACKOFF / 1000 - 1);
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({
      userId: w.user,
      counters: [{ purpose: 'password', failures: 100, locked: true, retryAfter: Number(right.retryAfter) }],
    });
  });

  it('99 wrong passwords, then the right one: accepted, and the counter starts again', async () => {
    const w = await world();
    for (let i = 0; i < 99; i++) {
      expect((await w.login(w.user, `wrong-${i}`)).status, `attempt ${i}`).toBe(200);
      w.tick();
    }
    expect(await (await w.login(w.user, 'right-pw')).json()).toEqual({ valid: true, upgraded: false });
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({ userId: w.user, counters: [] });
    // Five free failures again before any back-off.
    for (let i = 0; i < 5; i++) expect((await w.login(w.user, `wrong-${i}`)).status).toBe(200);
    await expectLimited(await w.login(w.user, 'right-pw'));
  });

  it('alternating wrong(X) and success(Y) still locks X', async () => {
    const w = await world();
    const y = `${w.user}-y`;
    expect((await w.s.call(`/v1/users/${y}/password`, { method: 'PUT', json: { password: 'y-pw' } })).status).toBe(204);
    for (let i = 0; i < 100; i++) {
      expect((await w.login(w.user, `wrong-${i}`, { clientIp: '203.0.113.9' })).status).toBe(200);
      w.tick();
      expect(await (await w.login(y, 'y-pw', { clientIp: '203.0.113.9' })).json()).toEqual({ valid: true, upgraded: false });
    }
    await expectLimited(await w.login(w.user, 'right-pw', { clientIp: '203.0.113.9' }));
    expect((await w.login(y, 'y-pw', { clientIp: '203.0.113.9' })).status).toBe(200);
  });

  it('95 failures, then 20 synchronised guesses: at most 5 are evaluated', async () => {
    const w = await world();
    for (let i = 0; i < 95; i++) {
      expect((await w.login(w.user, `wrong-${i}`)).status).toBe(200);
      w.tick();
    }
    const verify = w.s.crypt.verify.bind(w.s.crypt);
    let evaluated = 0;
    w.s.crypt.verify = (async (...args: Parameters<typeof verify>) => {
      evaluated++;
      return verify(...args);
    }) as typeof verify;
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => w.login(w.user, i === 19 ? 'right-pw' : `guess-${i}`)));
    const statuses = responses.map((r) => r.status);
    expect(evaluated).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBe(evaluated);
    expect(statuses.filter((s) => s === 429).length).toBe(20 - evaluated);
  });

  it('counts unknown users exactly like known ones (no enumeration through the limit)', async () => {
    const w = await world();
    for (let i = 0; i < 100; i++) {
      expect((await w.login('nobody-here', `wrong-${i}`)).status).toBe(200);
      w.tick();
    }
    await expectLimited(await w.login('nobody-here', 'anything'));
  });

  it('refuses an invalid clientIp with a typed 400, counting nothing', async () => {
    const w = await world();
    for (const clientIp of ['not-an-ip', '999.1.1.1', '0x7f.0.0.1', '10.0.0.1/8', 5]) {
      const res = await w.login(w.user, 'wrong', { clientIp });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({ userId: w.user, counters: [] });
    expect((await w.login(w.user, 'right-pw', { clientIp: '2001:db8::1' })).status).toBe(200);
  });

  it('admin: GET shows the counters, DELETE unlocks; a service key gets 403', async () => {
    const w = await world();
    for (let i = 0; i < 100; i++) {
      await w.login(w.user, `wrong-${i}`);
      w.tick();
    }
    await expectLimited(await w.login(w.user, 'right-pw'));
    expect((await w.s.call(`/v1/admin/throttle/${w.user}`, { tenant: 'acmeService' })).status).toBe(403);
    expect((await w.s.call(`/v1/admin/throttle/${w.user}`, { method: 'DELETE', tenant: 'acmeService' })).status).toBe(403);
    // Another tenant's admin sees and clears only its own.
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`, { tenant: 'beta' })).json()).toEqual({ userId: w.user, counters: [] });
    expect((await w.s.call(`/v1/admin/throttle/${w.user}`, { method: 'DELETE', tenant: 'beta' })).status).toBe(204);
    await expectLimited(await w.login(w.user, 'right-pw'));
    expect((await w.s.call(`/v1/admin/throttle/${w.user}`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await w.login(w.user, 'right-pw')).json()).toEqual({ valid: true, upgraded: false });
  });

  it('fails closed: a store that cannot answer gives 503 throttle_unavailable, before and after the check', async () => {
    const memory = createMemoryThrottleStore();
    let failReserve = false;
    let failSettle = false;
    const broken = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const store: ThrottleStore = {
      ...memory,
      reserve: (c, n) => (failReserve ? Promise.reject(broken) : memory.reserve(c, n)),
      settle: (c, h, n) => (failSettle ? Promise.reject(broken) : memory.settle(c, h, n)),
    };
    const w = await world({ store });
    failReserve = true;
    const before = await w.login(w.user, 'right-pw');
    expect(before.status).toBe(503);
    expect(before.headers.get('retry-after')).toBe('1');
    expect(await before.json()).toMatchObject({ error: { code: 'throttle_unavailable' } });
    failReserve = false;
    failSettle = true;
    // The password was checked but its outcome cannot be counted: the answer is withheld.
    for (const password of ['right-pw', 'wrong']) {
      const after = await w.login(w.user, password);
      expect(after.status).toBe(503);
      expect(await after.json()).toMatchObject({ error: { code: 'throttle_unavailable' } });
    }
    failSettle = false;
    expect(await (await w.login(w.user, 'right-pw')).json()).toEqual({ valid: true, upgraded: false });
  });

  it('puts no user id, password or address into a log line or an error body', async () => {
    const w = await world();
    const secretUser = 'Thr0ttle-User-7f3a';
    const secretPw = 'Thr0ttle-Pw-\u{1F511}-c0de';
    const ip = '198.18.77.66';
    const bodies: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await w.login(secretUser, `${secretPw}${i}`, { clientIp: ip });
      bodies.push(await res.text());
    }
    bodies.push(await (await w.s.call(`/v1/admin/throttle/${secretUser}`, { method: 'DELETE' })).text());
    bodies.push(await (await w.login(secretUser, secretPw, { clientIp: 'bad' })).text());
    expect(bodies.some((b) => b.includes('rate_limited'))).toBe(true);
    const logs = w.s.logs.join('\n');
    expect(logs).toContain('rate_limited');
    for (const haystack of [logs, ...bodies]) {
      expect(haystack).not.toContain('Thr0ttle-Pw');
      expect(haystack).not.toContain(ip);
    }
    expect(logs).not.toContain(secretUser);
  });
});
