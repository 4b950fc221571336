/**
 * Stored one-time codes over HTTP on both backends: only the HMAC stored, single use, five
 * attempts counted by the database (100 parallel wrong guesses evaluate at most five), parallel
 * right answers (exactly one wins), expiry, a new code voiding the previous one, binding to
 * otpId/user/purpose, format tricks, the issuance limit (also under parallel requests), the
 * missing-secret answer, tenant isolation and secrets kept out of logs.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Repositories } from '../../src/db/index';
import { DEFAULT_OTP_SETTINGS } from '../../src/sessions/settings';
import { createDisabledThrottle } from '../../src/throttle/throttle';
import { backends, manualClock, openFresh } from '../db/_backends';
import { makeStoreApp, TEST_OTP_SECRET, type StoreApp } from '../store/_app';

const T0 = '2026-03-01T10:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

interface Issued {
  otpId: string;
  code: string;
  expiresAt: string;
}

/** A different code of the same length (the next value, wrapping). */
function wrong(code: string, n = 1): string {
  const value = (BigInt(code) + BigInt(n)) % 10n ** BigInt(code.length);
  return value.toString().padStart(code.length, '0');
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`one-time codes (${backend.name})`, () => {
    const clock = manualClock(T0);
    let database: Database;
    /** Issue limit raised, so tests can issue freely; `limited` keeps the default limit. */
    let s: StoreApp;
    let limited: StoreApp;
    let spent = 0;
    const codes: string[] = [];

    beforeAll(async () => {
      database = await openFresh(backend, 20);
      s = makeStoreApp(database, { clock: clock.now, data: { otp: { ...DEFAULT_OTP_SETTINGS, issueLimit: 1000 } } });
      // Counts the attempts the database handed out (a row returned: one code evaluation).
      const inner = s.repos;
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
      // Throttling off (by name) for `s`: these tests are about the per-code cap the database
      // keeps, which holds without the throttle; test/throttle/otp.test.ts covers the throttle.
      s = makeStoreApp(database, { clock: clock.now, repositories: () => counting, throttle: createDisabledThrottle(), data: { otp: { ...DEFAULT_OTP_SETTINGS, issueLimit: 1000 } } });
      limited = makeStoreApp(database, { clock: clock.now });
    });
    afterAll(async () => {
      await database?.close();
      await backend.cleanup();
    });

    const issue = async (app: StoreApp, body: Record<string, unknown>, tenant: 'acme' | 'beta' = 'acme'): Promise<Issued> => {
      const res = await app.call('/v1/otp', { json: body, tenant });
      expect(res.status).toBe(201);
      const issued = (await res.json()) as Issued;
      codes.push(issued.code);
      return issued;
    };
    const check = async (body: Record<string, unknown>, tenant: 'acme' | 'beta' = 'acme'): Promise<{ valid: boolean; attemptsLeft: number }> => {
      const res = await s.call('/v1/otp/verify', { json: body, tenant });
      expect(res.status).toBe(200);
      return (await res.json()) as { valid: boolean; attemptsLeft: number };
    };

    it('issues a code whose row holds only HMAC-SHA256(secret, otpId ‖ code); the code verifies once', async () => {
      clock.set(T0);
      const issued = await issue(s, { userId: 'alice', purpose: 'login' });
      expect(issued.otpId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(issued.code).toMatch(/^[0-9]{6}$/);
      expect(issued.expiresAt).toBe(at(600));
      const rows = await database.db.execute(`select * from otp_codes where tenant = 'acme' and user_id = 'alice'` as never);
      const text = JSON.stringify(rows);
      expect(text).toContain(createHmac('sha256', TEST_OTP_SECRET).update(issued.otpId + issued.code).digest('hex'));
      expect(text).not.toContain(`"${issued.code}"`);
      expect(await check({ otpId: issued.otpId, code: issued.code })).toEqual({ valid: true, attemptsLeft: 4 });
      expect(await check({ otpId: issued.otpId, code: issued.code })).toEqual({ valid: false, attemptsLeft: 0 });
    });

    it('takes five wrong answers, counting down, then refuses even the right code', async () => {
      clock.set(T0);
      const issued = await issue(s, { userId: 'bob', purpose: 'login', digits: 8 });
      expect(issued.code).toMatch(/^[0-9]{8}$/);
      const left: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const result = await check({ otpId: issued.otpId, code: wrong(issued.code, i) });
        expect(result.valid).toBe(false);
        left.push(result.attemptsLeft);
      }
      expect(left).toEqual([4, 3, 2, 1, 0]);
      expect(await check({ otpId: issued.otpId, code: issued.code })).toEqual({ valid: false, attemptsLeft: 0 });
    });

    it('100 parallel wrong guesses evaluate at most five; attemptsLeft never repeats and never goes below 0', async () => {
      clock.set(T0);
      const issued = await issue(s, { userId: 'carol', purpose: 'login' });
      spent = 0;
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => check({ otpId: issued.otpId, code: wrong(issued.code, i + 1) })));
      expect(spent).toBe(5);
      expect(results.every((r) => r.valid === false && r.attemptsLeft >= 0)).toBe(true);
      const counted = results.filter((r) => r.attemptsLeft > 0).map((r) => r.attemptsLeft).sort();
      expect(counted).toEqual([1, 2, 3, 4]);
      expect(await check({ otpId: issued.otpId, code: issued.code })).toEqual({ valid: false, attemptsLeft: 0 });
    });

    it('of 20 parallel right answers exactly one is valid', async () => {
      clock.set(T0);
      const issued = await issue(s, { userId: 'dave', purpose: 'reset' });
      const results = await Promise.all(Array.from({ length: 20 }, () => check({ otpId: issued.otpId, code: issued.code })));
      expect(results.filter((r) => r.valid)).toHaveLength(1);
    });

    it('an expired code fails; the lifetime is bounded', async () => {
      clock.set(T0);
      const issued = await issue(s, { userId: 'erin', purpose: 'login', ttlSeconds: 60 });
      expect(issued.expiresAt).toBe(at(60));
      clock.set(at(60));
      expect(await check({ otpId: issued.otpId, code: issued.code })).toEqual({ valid: false, attemptsLeft: 0 });
      for (const ttlSeconds of [29, 3601, 1.5, '60']) expect((await s.call('/v1/otp', { json: { userId: 'erin', purpose: 'login', ttlSeconds } })).status).toBe(400);
    });

    it('a new code for the same user and purpose voids the previous one; other purposes are separate', async () => {
      clock.set(T0);
      const first = await issue(s, { userId: 'frank', purpose: 'login' });
      const reset = await issue(s, { userId: 'frank', purpose: 'reset' });
      const second = await issue(s, { userId: 'frank', purpose: 'login' });
      expect(await check({ otpId: first.otpId, code: first.code })).toEqual({ valid: false, attemptsLeft: 0 });
      expect((await check({ otpId: second.otpId, code: second.code })).valid).toBe(true);
      expect((await check({ otpId: reset.otpId, code: reset.code })).valid).toBe(true);
    });

    it('a code is bound to its otpId, user and purpose', async () => {
      clock.set(T0);
      const a = await issue(s, { userId: 'grace', purpose: 'login' });
      const b = await issue(s, { userId: 'heidi', purpose: 'login' });
      expect((await check({ otpId: b.otpId, code: a.code === b.code ? wrong(a.code) : a.code })).valid).toBe(false);
      expect((await check({ otpId: a.otpId, code: a.code, userId: 'heidi' })).valid).toBe(false);
      expect((await check({ otpId: a.otpId, code: a.code, purpose: 'reset' })).valid).toBe(false);
      // Two mismatches cost two of a's attempts; b's otpId took one of b's.
      expect(await check({ otpId: a.otpId, code: a.code, userId: 'grace', purpose: 'login' })).toEqual({ valid: true, attemptsLeft: 2 });
    });

    it('format tricks never match: spaces, a leading +, other Unicode digits, a number, too short or too long', async () => {
      clock.set(T0);
      const toScript = (code: string, zero: number): string => [...code].map((d) => String.fromCodePoint(zero + Number(d))).join('');
      const tricks = (code: string): string[] => [` ${code}`, `${code} `, `+${code}`, toScript(code, 0x660), toScript(code, 0xff10), code.slice(1), `${code}0`, `0${code}`, `${code}\n`];
      for (let i = 0; i < tricks('123456').length; i++) {
        // A fresh code for each trick, so every trick gets its own attempt on a live code.
        const issued = await issue(s, { userId: 'ivan', purpose: 'login' });
        const trick = tricks(issued.code)[i] as string;
        expect((await check({ otpId: issued.otpId, code: trick })).valid, JSON.stringify(trick)).toBe(false);
        expect((await check({ otpId: issued.otpId, code: issued.code })).valid).toBe(true);
      }
      const issued = await issue(s, { userId: 'ivan', purpose: 'login' });
      for (const code of [Number(issued.code), [issued.code], null]) {
        const res = await s.call('/v1/otp/verify', { json: { otpId: issued.otpId, code } });
        expect(res.status).toBe(400);
      }
      expect((await check({ otpId: issued.otpId, code: issued.code })).valid).toBe(true);
      for (const body of [{ userId: 'ivan', purpose: 'login', digits: 5 }, { userId: 'ivan', purpose: 'login', digits: 11 }, { userId: 'ivan', purpose: '' }, { userId: 'ivan', purpose: 'log in' }, { userId: 'ivan' }, { purpose: 'login' }]) {
        expect((await s.call('/v1/otp', { json: body })).status, JSON.stringify(body)).toBe(400);
      }
    });

    it('issuance is limited per user and purpose (429 rate_limited with Retry-After), whatever address is claimed', async () => {
      clock.set(T0);
      for (let i = 0; i < 5; i++) await issue(limited, { userId: 'judy', purpose: 'login', clientIp: `10.0.0.${i}` });
      const res = await limited.call('/v1/otp', { json: { userId: 'judy', purpose: 'login', clientIp: '192.0.2.77' } });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('900');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      // The refused request did not void the last code.
      const last = (await limited.repos.otp.countActive('acme', clock.now())) > 0;
      expect(last).toBe(true);
      // Another purpose, another user, another tenant: their own counters.
      await issue(limited, { userId: 'judy', purpose: 'reset' });
      await issue(limited, { userId: 'judy2', purpose: 'login' });
      await issue(limited, { userId: 'judy', purpose: 'login' }, 'beta');
      clock.set(at(600));
      const later = await limited.call('/v1/otp', { json: { userId: 'judy', purpose: 'login' } });
      expect(later.status).toBe(429);
      expect(later.headers.get('retry-after')).toBe('300');
      clock.set(at(900));
      await issue(limited, { userId: 'judy', purpose: 'login' });
    });

    it('20 parallel issuances for one user and purpose: exactly five succeed', async () => {
      clock.set(T0);
      const statuses = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const res = await limited.call('/v1/otp', { json: { userId: 'karl', purpose: 'login' } });
          if (res.status === 201) codes.push(((await res.json()) as Issued).code);
          return res.status;
        }),
      );
      expect(statuses.filter((x) => x === 201)).toHaveLength(5);
      expect(statuses.filter((x) => x === 429)).toHaveLength(15);
    });

    it('tenant isolation: another tenant cannot verify or spend the attempts of a code', async () => {
      clock.set(T0);
      const issued = await issue(s, { userId: 'leo', purpose: 'login' });
      expect(await check({ otpId: issued.otpId, code: issued.code }, 'beta')).toEqual({ valid: false, attemptsLeft: 0 });
      for (let i = 0; i < 6; i++) await check({ otpId: issued.otpId, code: wrong(issued.code, i + 1) }, 'beta');
      expect(await check({ otpId: issued.otpId, code: issued.code })).toEqual({ valid: true, attemptsLeft: 4 });
      const stats = (await (await s.call('/v1/admin/sessions/stats', { tenant: 'beta' })).json()) as { activeCodes: number };
      expect(stats.activeCodes).toBe(await s.repos.otp.countActive('beta', clock.now()));
    });

    it('without a server secret both endpoints answer 503 key_unavailable', async () => {
      const off = makeStoreApp(database, { data: { otpSecret: undefined } });
      for (const [path, json] of [['/v1/otp', { userId: 'm', purpose: 'login' }], ['/v1/otp/verify', { otpId: 'x', code: '1' }]] as const) {
        const res = await off.call(path, { json });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('key_unavailable');
      }
    });

    it('no code appears in a log line or an error body', async () => {
      const logs = [...s.logs, ...limited.logs].join('\n');
      expect(logs).toContain('/v1/otp/verify');
      expect(codes.length).toBeGreaterThan(20);
      const issued = await issue(s, { userId: 'nina', purpose: 'login', digits: 10 });
      const bad = await s.call('/v1/otp/verify', { json: { otpId: issued.otpId, code: issued.code, extra: issued.code } });
      expect(await bad.text()).not.toContain(issued.code);
      for (const code of codes.filter((c) => c.length >= 6)) expect(logs).not.toMatch(new RegExp(`\\b${code}\\b`));
    });
  });
}
