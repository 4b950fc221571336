/**
 * The throttle's rules on every store (memory, Redis, PGlite, PostgreSQL), through the same
 * `Throttle`: back-off steps, the lock at the maximum, a success's reset, forgetting after the
 * window, in-flight reservations that expire, and the atomicity that matters most: at a limit
 * of L, N synchronised attempts evaluate at most L.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashdError } from '../../src/errors';
import { createThrottle, PENDING_TTL_MS, refusalReason, type AttemptSubject, type Throttle, type ThrottleRules, type ThrottleStore } from '../../src/throttle/throttle';
import { manualClock } from '../db/_backends';
import { storeBackends } from './_stores';

const RULES: ThrottleRules = {
  account: { maxFailures: 10, freeFailures: 3, backoffBaseMs: 1_000, backoffMaxMs: 8_000, windowMs: 3_600_000 },
  address: { maxFailures: 30, freeFailures: 20, backoffBaseMs: 1_000, backoffMaxMs: 4_000, windowMs: 600_000 },
};
const START = '2026-01-01T00:00:00.000Z';

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof HashdError) return `${err.code}:${err.retryAfter}`;
    throw err;
  }
}

describe.each(storeBackends)('throttle on the $name store', (backend) => {
  afterAll(() => backend.cleanup());
  const maybe = it.skipIf(backend.skipReason !== undefined);

  // One store per backend (opening a database is the slow part); every test has its own tenant.
  let opened: ThrottleStore | undefined;
  beforeAll(async () => {
    if (backend.skipReason === undefined) opened = await backend.open();
  });
  let tenant = '';
  let alice = { tenant, userId: 'alice', purpose: 'password' };

  async function setup(rules: ThrottleRules = RULES): Promise<{ throttle: Throttle; at: (ms: number) => void }> {
    const store = opened as ThrottleStore;
    tenant = `t-${randomBytes(4).toString('hex')}`;
    alice = { tenant, userId: 'alice', purpose: 'password' };
    const clock = manualClock(START);
    const t0 = new Date(START).getTime();
    return { throttle: createThrottle({ store, rules, clock: clock.now }), at: (ms) => clock.set(new Date(t0 + ms).toISOString()) };
  }

  async function fail(throttle: Throttle, subject: AttemptSubject = alice): Promise<void> {
    await (await throttle.begin(subject)).failed();
  }

  maybe('lets the free failures through, then backs off exponentially up to the cap, then locks at the maximum', async () => {
    const { throttle, at } = await setup();
    for (let i = 0; i < 3; i++) await fail(throttle);
    // 3 failures recorded: the 4th attempt waits base (1 s) after the last failure.
    expect(await code(throttle.begin(alice))).toBe('rate_limited:1');
    at(999);
    expect(await code(throttle.begin(alice))).toBe('rate_limited:1');
    at(1_000);
    await fail(throttle); // 4th failure at t=1s: next wait 2 s
    at(2_999);
    expect(await code(throttle.begin(alice))).toBe('rate_limited:1');
    at(3_000);
    await fail(throttle); // 5th at 3s: next wait 4 s
    at(6_000);
    expect(await code(throttle.begin(alice))).toBe('rate_limited:1');
    at(7_000);
    await fail(throttle); // 6th at 7s: next wait 8 s (the cap)
    at(7_001);
    expect(await code(throttle.begin(alice))).toBe('rate_limited:8');
    let now = 7_000;
    for (let n = 7; n <= 10; n++) {
      now += 8_000; // capped at 8 s from here on
      at(now);
      await fail(throttle);
    }
    // 10 failures: locked until forgotten, one window after the last failure.
    at(now + 60_000);
    expect(await code(throttle.begin(alice))).toBe(`rate_limited:${3_600 - 60}`);
    expect(await throttle.status(tenant, 'alice')).toEqual([{ purpose: 'password', failures: 10, locked: true, retryAfter: 3_540 }]);
    // Another purpose and another user are untouched.
    await (await throttle.begin({ ...alice, purpose: 'totp' })).succeeded();
    await (await throttle.begin({ ...alice, userId: 'bob' })).succeeded();
    at(now + 3_600_000);
    await (await throttle.begin(alice)).succeeded();
    expect(await throttle.status(tenant, 'alice')).toEqual([]);
  });

  maybe('a success resets the account, and the admin clear unlocks it', async () => {
    const { throttle, at } = await setup();
    for (let i = 0; i < 3; i++) await fail(throttle);
    at(1_000);
    await (await throttle.begin(alice)).succeeded();
    expect(await throttle.status(tenant, 'alice')).toEqual([]);
    for (let i = 0; i < 3; i++) await fail(throttle);
    expect(await code(throttle.begin(alice))).toBe('rate_limited:1');
    await throttle.clear(tenant, 'alice');
    await (await throttle.begin(alice)).failed();
  });

  maybe('95 failures, then 20 synchronised attempts: exactly 5 are evaluated', async () => {
    const rules: ThrottleRules = { ...RULES, account: { maxFailures: 100, freeFailures: 100, backoffBaseMs: 0, backoffMaxMs: 0, windowMs: 3_600_000 } };
    const { throttle } = await setup(rules);
    for (let i = 0; i < 95; i++) await fail(throttle);
    let evaluated = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        throttle.guard(
          alice,
          async () => {
            evaluated++;
            // Hold the attempt open so every reservation races every other.
            await new Promise((r) => setTimeout(r, 20));
            return false;
          },
          (valid) => valid,
        ),
      ),
    );
    expect(evaluated).toBe(5);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'rate_limited')).toBe(true);
    expect(await throttle.status(tenant, 'alice')).toEqual([expect.objectContaining({ failures: 100, locked: true })]);
  });

  maybe('with the back-off on, 20 synchronised attempts after the free failures evaluate no more than the free ones left', async () => {
    const { throttle } = await setup();
    await fail(throttle);
    let evaluated = 0;
    await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        throttle.guard(alice, async () => {
          evaluated++;
          await new Promise((r) => setTimeout(r, 20));
          return false;
        }, (v) => v),
      ),
    );
    // 1 failure recorded, 3 free: 2 more attempts may be in flight at once.
    expect(evaluated).toBe(2);
  });

  maybe('a user without failures may log in many times at once', async () => {
    const { throttle } = await setup();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        throttle.guard(alice, async () => {
          await new Promise((r) => setTimeout(r, 10));
          return true;
        }, (v) => v),
      ),
    );
    expect(results).toEqual(Array(8).fill(true));
  });

  maybe('the address counts across accounts, and a success elsewhere does not reset it', async () => {
    const { throttle, at } = await setup();
    const from = (userId: string) => ({ tenant, userId, purpose: 'password', address: '203.0.113.7' });
    for (let i = 0; i < 20; i++) {
      await (await throttle.begin(from('mine'))).succeeded();
      await fail(throttle, from(`user-${i}`));
    }
    // 20 failures from the address (its free ones): the next waits, whatever the account.
    expect(await code(throttle.begin(from('fresh')))).toBe('rate_limited:1');
    // A refused attempt reserved nothing on the account either.
    expect(await throttle.status(tenant, 'fresh')).toEqual([]);
    // Another tenant's counters are its own.
    await (await throttle.begin({ ...from('fresh'), tenant: `${tenant}-other` })).failed();
    at(1_000);
    await (await throttle.begin(from('fresh'))).abandoned();
    expect(await throttle.status(tenant, 'fresh')).toEqual([]);
  });

  maybe('names the limit that refused; an attempt without an account counts on the address only', async () => {
    const { throttle } = await setup();
    const refusal = async (subject: Parameters<Throttle['begin']>[0]): Promise<string | undefined> => {
      const err = await throttle.begin(subject).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HashdError);
      expect((err as HashdError).code).toBe('rate_limited');
      return refusalReason(err as HashdError);
    };
    for (let i = 0; i < 3; i++) await fail(throttle);
    expect(await refusal({ ...alice, address: '198.51.100.30' })).toBe('account');
    // No account (an unknown OTP id): the address's failures count, nobody's account does.
    const anonymous = { tenant, purpose: 'otp', address: '198.51.100.20' };
    await (await throttle.begin(anonymous)).succeeded();
    for (let i = 0; i < 20; i++) await fail(throttle, anonymous);
    expect(await refusal({ ...anonymous, userId: 'carol' })).toBe('address');
    expect(await refusal(anonymous)).toBe('address');
    expect(await throttle.status(tenant, 'carol')).toEqual([]);
    // Neither an account nor an address: there is nothing to count.
    for (let i = 0; i < 40; i++) await fail(throttle, { tenant, purpose: 'otp' });
    await (await throttle.begin({ tenant, purpose: 'otp' })).failed();
  });

  maybe('abandoned attempts count nothing, and reservations that were never settled expire', async () => {
    const { throttle, at } = await setup({ ...RULES, account: { ...RULES.account, maxFailures: 2, freeFailures: 2 } });
    await (await throttle.begin(alice)).abandoned();
    await (await throttle.begin(alice)).abandoned();
    await throttle.begin(alice);
    await throttle.begin(alice);
    // Two in flight at a limit of 2: refused for now.
    expect(await code(throttle.begin(alice))).toBe('rate_limited:1');
    at(PENDING_TTL_MS);
    await (await throttle.begin(alice)).failed();
  });
});
