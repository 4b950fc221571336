/**
 * POST /v1/otp/verify under the throttle (memory store, default rules, a throttle clock the test
 * moves past each back-off), on top of the per-code cap of 5: the account is the code's user
 * (looked up by otpId), an unknown otpId counts against the address, the lock after the limit
 * refuses the right code exactly like a wrong one, a success resets, `clientIp` must be an IP,
 * the store's failure answers 503, and no code, user id or address reaches a log or an error body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Repositories } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { DEFAULT_OTP_SETTINGS } from '../../src/sessions/settings';
import { createMemoryThrottleStore } from '../../src/throttle/memory';
import { createThrottle, DEFAULT_THROTTLE_RULES, type ThrottleStore } from '../../src/throttle/throttle';
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

interface Issued {
  otpId: string;
  code: string;
}

interface World {
  s: StoreApp;
  user: string;
  /** Code evaluations the database handed out (one per spent attempt). */
  spent(): number;
  tick(ms?: number): void;
  issue(userId: string, purpose?: string): Promise<Issued>;
  verify(body: Record<string, unknown>): Promise<Response>;
}

/** A different code of the same length. */
const wrong = (code: string, n = 1): string => ((BigInt(code) + BigInt(n)) % 10n ** BigInt(code.length)).toString().padStart(code.length, '0');

let users = 0;
async function world(options: { store?: ThrottleStore } = {}): Promise<World> {
  const clock = manualClock(new Date(START).toISOString());
  let now = START;
  const throttle = createThrottle({ store: options.store ?? createMemoryThrottleStore(), clock: clock.now });
  let spent = 0;
  const inner = makeStoreApp(database).repos;
  const counting: Repositories = {
    ...inner,
    otp: {
      ...inner.otp,
      spendAttempt: async (...args) => {
        const row = await inner.otp.spendAttempt(...args);
        if (row) spent++;
        return row;
      },
    },
  };
  const s = makeStoreApp(database, { throttle, repositories: () => counting, data: { otp: { ...DEFAULT_OTP_SETTINGS, issueLimit: 1000 } } });
  return {
    s,
    user: `otp-user-${++users}`,
    spent: () => spent,
    tick(ms = PAST_BACKOFF) {
      now += ms;
      clock.set(new Date(now).toISOString());
    },
    async issue(userId, purpose = 'login') {
      const res = await s.call('/v1/otp', { json: { userId, purpose } });
      expect(res.status).toBe(201);
      return (await res.json()) as Issued;
    },
    verify: (body) => s.call('/v1/otp/verify', { json: body }),
  };
}

async function expectLimited(res: Response): Promise<{ body: unknown; retryAfter: string | null }> {
  expect(res.status).toBe(429);
  const body = (await res.json()) as { error: { code: string } };
  expect(body.error.code).toBe('rate_limited');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  return { body, retryAfter: res.headers.get('retry-after') };
}

async function expectResult(res: Response, expected: { valid: boolean; attemptsLeft?: number }): Promise<void> {
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject(expected);
}

describe('POST /v1/otp/verify, throttled', () => {
  it("100 wrong codes (20 codes, 5 each, from 100 addresses), then the right one: refused exactly like a wrong one, without spending the code's attempts", async () => {
    const w = await world();
    let current: Issued = await w.issue(w.user);
    for (let i = 0; i < 100; i++) {
      if (i > 0 && i % 5 === 0) current = await w.issue(w.user);
      await expectResult(await w.verify({ otpId: current.otpId, code: wrong(current.code, 1 + (i % 5)), clientIp: `198.51.100.${i}` }), { valid: false, attemptsLeft: 4 - (i % 5) });
      w.tick();
    }
    expect(w.spent()).toBe(100);
    const fresh = await w.issue(w.user);
    const right = await expectLimited(await w.verify({ otpId: fresh.otpId, code: fresh.code, clientIp: '192.0.2.1' }));
    const wrongOne = await expectLimited(await w.verify({ otpId: fresh.otpId, code: wrong(fresh.code), clientIp: '192.0.2.1' }));
    expect(right).toEqual(wrongOne);
    // Refused before the code was looked at: none of its 5 attempts was spent.
    expect(w.spent()).toBe(100);
    // Locked until the window (a day after the last failure) has passed.
    expect(Number(right.retryAfter)).toBeGreaterThan(86_400 - PAST_BACKOFF / 1000 - 1);
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({
      userId: w.user,
      counters: [{ purpose: 'otp', failures: 100, locked: true, retryAfter: Number(right.retryAfter) }],
    });
    // Password login is another purpose: not locked by the codes.
    expect((await w.s.call('/v1/login', { json: { userId: w.user, password: 'whatever' } })).status).toBe(200);
    // The admin's unlock lets the user in with the same code, its 5 attempts intact.
    expect((await w.s.call(`/v1/admin/throttle/${w.user}`, { method: 'DELETE' })).status).toBe(204);
    await expectResult(await w.verify({ otpId: fresh.otpId, code: fresh.code }), { valid: true, attemptsLeft: 4 });
  });

  it("a success resets the account's counter; the account is the code's user whatever userId the body names", async () => {
    const w = await world();
    const first = await w.issue(w.user);
    for (let i = 1; i <= 4; i++) await expectResult(await w.verify({ otpId: first.otpId, code: wrong(first.code, i) }), { valid: false });
    // A mismatched userId fails the code and counts on its owner, not on the user named.
    await expectResult(await w.verify({ otpId: first.otpId, code: first.code, userId: 'someone-else' }), { valid: false, attemptsLeft: 0 });
    expect(await (await w.s.call('/v1/admin/throttle/someone-else')).json()).toEqual({ userId: 'someone-else', counters: [] });
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({ userId: w.user, counters: [expect.objectContaining({ purpose: 'otp', failures: 5 })] });
    // Five failures: the sixth attempt waits (even with a right code), until the back-off has passed.
    const second = await w.issue(w.user);
    await expectLimited(await w.verify({ otpId: second.otpId, code: second.code }));
    w.tick();
    await expectResult(await w.verify({ otpId: second.otpId, code: second.code }), { valid: true, attemptsLeft: 4 });
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({ userId: w.user, counters: [] });
    // Five free failures again before any back-off.
    const third = await w.issue(w.user);
    for (let i = 1; i <= 5; i++) await expectResult(await w.verify({ otpId: third.otpId, code: wrong(third.code, i) }), { valid: false });
    const fourth = await w.issue(w.user);
    await expectLimited(await w.verify({ otpId: fourth.otpId, code: fourth.code }));
  });

  it('an unknown otpId counts against the address (100 free failures), and the address then waits whatever the code', async () => {
    const w = await world();
    const ip = '203.0.113.50';
    for (let i = 0; i < 100; i++) {
      // Well-formed ids that name no code, and ids that cannot be one.
      const otpId = i % 2 === 0 ? `unknownOtpId${String(i).padStart(10, '0')}` : `not an id ${i}`;
      await expectResult(await w.verify({ otpId, code: '123456', clientIp: ip }), { valid: false, attemptsLeft: 0 });
    }
    expect(w.spent()).toBe(0);
    await expectLimited(await w.verify({ otpId: 'unknownOtpIdxxxxxxxxxx', code: '123456', clientIp: ip }));
    // A real user's right code from that address waits too; from another address it passes.
    const issued = await w.issue(w.user);
    await expectLimited(await w.verify({ otpId: issued.otpId, code: issued.code, clientIp: ip }));
    expect(w.spent()).toBe(0);
    await expectResult(await w.verify({ otpId: issued.otpId, code: issued.code, clientIp: '203.0.113.51' }), { valid: true, attemptsLeft: 4 });
    // IPv6 counts by /64: another host of the same /64 is the same address.
    for (let i = 0; i < 100; i++) await w.verify({ otpId: 'unknownOtpIdyyyyyyyyyy', code: '1', clientIp: `2001:db8:1:2::${(i + 1).toString(16)}` });
    await expectLimited(await w.verify({ otpId: 'unknownOtpIdyyyyyyyyyy', code: '1', clientIp: '2001:db8:1:2:ffff::1' }));
    await expectResult(await w.verify({ otpId: 'unknownOtpIdyyyyyyyyyy', code: '1', clientIp: '2001:db8:1:3::1' }), { valid: false });
  });

  it('95 failures, then 20 synchronised guesses on 20 live codes: at most 5 are evaluated', async () => {
    const w = await world();
    for (let i = 0; i < 95; i++) {
      const issued = await w.issue(w.user, `warm-${i % 19}`);
      await expectResult(await w.verify({ otpId: issued.otpId, code: wrong(issued.code) }), { valid: false });
      w.tick();
    }
    // One live code per purpose, so the per-code cap cannot be what stops them.
    const codes = await Promise.all(Array.from({ length: 20 }, (_, i) => w.issue(w.user, `burst-${i}`)));
    const before = w.spent();
    const responses = await Promise.all(codes.map((c, i) => w.verify({ otpId: c.otpId, code: i === 19 ? c.code : wrong(c.code) })));
    const evaluated = w.spent() - before;
    const statuses = responses.map((r) => r.status);
    expect(evaluated).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBe(evaluated);
    expect(statuses.filter((s) => s === 429).length).toBe(20 - evaluated);
  });

  it('refuses an invalid clientIp with a typed 400, counting nothing and spending no attempt', async () => {
    const w = await world();
    const issued = await w.issue(w.user);
    for (const clientIp of ['not-an-ip', '999.1.1.1', '0x7f.0.0.1', '10.0.0.1/8', 5, '']) {
      const res = await w.verify({ otpId: issued.otpId, code: wrong(issued.code), clientIp });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
      const issuance = await w.s.call('/v1/otp', { json: { userId: w.user, purpose: 'other', clientIp } });
      expect(issuance.status).toBe(400);
    }
    expect(w.spent()).toBe(0);
    expect(await (await w.s.call(`/v1/admin/throttle/${w.user}`)).json()).toEqual({ userId: w.user, counters: [] });
    await expectResult(await w.verify({ otpId: issued.otpId, code: issued.code, clientIp: '2001:db8::1' }), { valid: true, attemptsLeft: 4 });
  });

  it("fails closed: a store that cannot answer gives 503 throttle_unavailable with Retry-After, before the code's attempt is spent", async () => {
    const memory = createMemoryThrottleStore();
    let fail = false;
    const broken = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    const store: ThrottleStore = { ...memory, reserve: (c, n) => (fail ? Promise.reject(broken) : memory.reserve(c, n)) };
    const w = await world({ store });
    const issued = await w.issue(w.user);
    fail = true;
    const res = await w.verify({ otpId: issued.otpId, code: issued.code });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ error: { code: 'throttle_unavailable' } });
    expect(w.spent()).toBe(0);
    fail = false;
    await expectResult(await w.verify({ otpId: issued.otpId, code: issued.code }), { valid: true, attemptsLeft: 4 });
  });

  it('puts no code, user id or address into a log line or an error body', async () => {
    const w = await world();
    const secretUser = 'Otp-Thr0ttle-User-91c2';
    const ip = '198.18.41.42';
    const issued = await w.issue(secretUser);
    const bodies: string[] = [];
    const wrongCodes: string[] = [];
    for (let i = 1; i <= 8; i++) {
      wrongCodes.push(wrong(issued.code, i));
      bodies.push(await (await w.verify({ otpId: issued.otpId, code: wrong(issued.code, i), clientIp: ip })).text());
    }
    bodies.push(await (await w.verify({ otpId: issued.otpId, code: issued.code, clientIp: 'bad' })).text());
    bodies.push(await (await w.verify({ otpId: issued.otpId, code: issued.code, clientIp: ip })).text());
    expect(bodies.some((b) => b.includes('rate_limited'))).toBe(true);
    const logs = w.s.logs.join('\n');
    expect(logs).toContain('rate_limited');
    for (const haystack of [logs, ...bodies]) {
      expect(haystack).not.toContain(ip);
      expect(haystack).not.toContain(issued.otpId);
      for (const code of [issued.code, ...wrongCodes]) expect(haystack).not.toMatch(new RegExp(`\\b${code}\\b`));
    }
    expect(logs).not.toContain(secretUser);
  });
});
