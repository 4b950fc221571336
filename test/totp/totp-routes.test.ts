/**
 * TOTP over HTTP on PGlite and PostgreSQL: enrol → confirm → verify with an injected clock,
 * the ±1 step window, replay refusal (sequential and 20 in parallel), server time only, the
 * replace rule, single-use recovery codes, removal (also with the user), tenant isolation,
 * malformed codes, and no seed, code or recovery code in logs or error bodies.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import type { Database } from '../../src/db/index';
import { totpCredentials } from '../../src/db/schema-keys';
import { createKeyRing, newRingEntry, parseRingKeys, type KeyRing } from '../../src/keys/ring';
import { createDisabledThrottle } from '../../src/throttle/throttle';
import { stepAt, totpCode } from '../../src/totp/totp';
import { backends, manualClock, openFresh } from '../db/_backends';
import { makeStoreApp, type StoreApp } from '../store/_app';
import { decodeQr } from './_qr';

const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** RFC 4226 §5.3 HOTP on node:crypto, independent of the service's otplib path. */
function referenceHotp(secret: Uint8Array, counter: number, digits: number, hash: 'sha1' | 'sha256' | 'sha512'): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(hash, secret).update(msg).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 10 ** digits).padStart(digits, '0');
}
type Tenant = 'acme' | 'beta' | 'acmeService';

describe.each(backends)('TOTP on $name', (backend) => {
  let database: Database;
  let s: StoreApp;
  let ring: KeyRing;
  const clock = manualClock('2026-03-01T12:00:05Z');
  beforeAll(async () => {
    if (backend.skipReason) return;
    database = await openFresh(backend);
    ring = await createKeyRing(parseRingKeys(newRingEntry('k1', csprng), []), csprng);
    // These tests are about TOTP itself (many wrong codes on one user); the throttle over TOTP is
    // tested in test/throttle/totp.test.ts.
    s = makeStoreApp(database, { keyRing: ring, clock: clock.now, throttle: createDisabledThrottle() });
  });
  afterAll(async () => {
    await database?.close();
    await backend.cleanup();
  });

  const post = async (path: string, json: unknown, tenant: Tenant = 'acme', headers: Record<string, string> = {}) => {
    const res = await s.call(path, { json, tenant, headers });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const codeAt = (secret: Uint8Array, iso: string, offset = 0, digits = 6): string => totpCode(secret, stepAt(Date.parse(iso), 30) + offset, digits);
  const secrets = new Map<string, Uint8Array>();
  const recovery = new Map<string, string[]>();
  const logged: string[] = [];

  async function enrolAndConfirm(userId: string, tenant: Tenant = 'acme'): Promise<Uint8Array> {
    clock.set('2026-03-01T12:00:05Z');
    const enrolled = await post('/v1/totp/enroll', { userId, issuer: 'Acme', accountName: `${userId}@example.com` }, tenant);
    expect(enrolled.status).toBe(200);
    const secret = decodeBase32IgnorePadding(enrolled.body.secret);
    const confirmed = await post('/v1/totp/confirm', { userId, code: codeAt(secret, '2026-03-01T12:00:05Z') }, tenant);
    expect(confirmed.body.confirmed).toBe(true);
    secrets.set(`${tenant}/${userId}`, secret);
    recovery.set(`${tenant}/${userId}`, confirmed.body.recoveryCodes);
    logged.push(enrolled.body.secret, ...confirmed.body.recoveryCodes);
    return secret;
  }

  it.skipIf(backend.skipReason)('enrols with a 160-bit secret, a URI and a QR code that decodes to it; nothing is active before confirmation', async () => {
    const enrolled = await post('/v1/totp/enroll', { userId: 'alice', issuer: 'Acme & Co', accountName: 'alice@example.com', digits: 6 });
    expect(enrolled.status).toBe(200);
    const secret = decodeBase32IgnorePadding(enrolled.body.secret);
    expect(secret.length).toBe(20);
    expect(enrolled.body.otpauthUri).toBe(`otpauth://totp/Acme%20%26%20Co:alice%40example.com?secret=${enrolled.body.secret}&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30`);
    expect(decodeQr(enrolled.body.qrSvg)).toBe(enrolled.body.otpauthUri);
    const code = codeAt(secret, '2026-03-01T12:00:05Z');
    expect((await post('/v1/totp/verify', { userId: 'alice', code })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/confirm', { userId: 'alice', code: '000000' === code ? '111111' : '000000' })).body).toEqual({ confirmed: false });
    const confirmed = await post('/v1/totp/confirm', { userId: 'alice', code });
    expect(confirmed.body.confirmed).toBe(true);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    for (const c of confirmed.body.recoveryCodes) expect(c).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    // The confirming code's step is spent.
    expect((await post('/v1/totp/verify', { userId: 'alice', code })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/confirm', { userId: 'alice', code })).body.error.code).toBe('not_found');
    secrets.set('acme/alice', secret);
    recovery.set('acme/alice', confirmed.body.recoveryCodes);
    logged.push(enrolled.body.secret, ...confirmed.body.recoveryCodes, code);
  });

  it.skipIf(backend.skipReason)('enrols SHA256 and SHA512 TOTPs: a secret of the hash size, algorithm= in the URI, codes of that HMAC only', async () => {
    for (const [algorithm, bytes, hash] of [['SHA256', 32, 'sha256'], ['SHA512', 64, 'sha512']] as const) {
      const userId = `algo-${algorithm}`;
      clock.set('2026-03-01T12:00:05Z');
      const step = stepAt(Date.parse('2026-03-01T12:00:05Z'), 30);
      const enrolled = await post('/v1/totp/enroll', { userId, issuer: 'Acme', accountName: 'a@example.com', digits: 8, algorithm });
      expect(enrolled.status).toBe(200);
      const secret = decodeBase32IgnorePadding(enrolled.body.secret);
      expect(secret.length).toBe(bytes);
      expect(enrolled.body.otpauthUri).toBe(`otpauth://totp/Acme:a%40example.com?secret=${enrolled.body.secret}&issuer=Acme&algorithm=${algorithm}&digits=8&period=30`);
      expect(decodeQr(enrolled.body.qrSvg)).toBe(enrolled.body.otpauthUri);
      // The SHA-1 code of the same secret and step does not confirm it.
      const sha1Code = referenceHotp(secret, step, 8, 'sha1');
      expect((await post('/v1/totp/confirm', { userId, code: sha1Code })).body).toEqual({ confirmed: false });
      const confirmed = await post('/v1/totp/confirm', { userId, code: referenceHotp(secret, step, 8, hash) });
      expect(confirmed.body.confirmed).toBe(true);
      const [row] = await database.db.select().from(totpCredentials).where(and(eq(totpCredentials.tenant, 'acme'), eq(totpCredentials.userId, userId)));
      expect(row?.algorithm).toBe(algorithm);
      expect(row?.pendingAlgorithm).toBeNull();
      clock.set('2026-03-01T12:00:35Z');
      expect((await post('/v1/totp/verify', { userId, code: referenceHotp(secret, step + 1, 8, 'sha1') })).body).toEqual({ valid: false });
      expect((await post('/v1/totp/verify', { userId, code: referenceHotp(secret, step + 1, 8, hash) })).body).toEqual({ valid: true });
      logged.push(enrolled.body.secret, ...confirmed.body.recoveryCodes);
    }
    for (const algorithm of ['MD5', 'sha256', 'SHA-256', 1, null]) {
      const res = await post('/v1/totp/enroll', { userId: 'algo-bad', issuer: 'Acme', accountName: 'a', algorithm });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });

  it.skipIf(backend.skipReason)('verifies within ±1 step of the server clock, and refuses replays of a step or older ones', async () => {
    const secret = secrets.get('acme/alice')!;
    clock.set('2026-03-01T12:01:05Z');
    const prev = codeAt(secret, '2026-03-01T12:01:05Z', -1);
    const next = codeAt(secret, '2026-03-01T12:01:05Z', 1);
    const far = codeAt(secret, '2026-03-01T12:01:05Z', 2);
    expect((await post('/v1/totp/verify', { userId: 'alice', code: far })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/verify', { userId: 'alice', code: prev })).body).toEqual({ valid: true });
    expect((await post('/v1/totp/verify', { userId: 'alice', code: prev })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/verify', { userId: 'alice', code: next })).body).toEqual({ valid: true });
    // Step S+1 was accepted: the current step's code (older) is refused now.
    const current = codeAt(secret, '2026-03-01T12:01:05Z');
    expect((await post('/v1/totp/verify', { userId: 'alice', code: current })).body).toEqual({ valid: false });
    logged.push(prev, next, far, current);
  });

  it.skipIf(backend.skipReason)('accepts exactly one of 20 parallel verifies of the same code', async () => {
    const secret = secrets.get('acme/alice')!;
    clock.set('2026-03-01T12:05:05Z');
    const code = codeAt(secret, '2026-03-01T12:05:05Z');
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/v1/totp/verify', { userId: 'alice', code })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.filter((r) => r.body.valid === true)).toHaveLength(1);
    logged.push(code);
  });

  it.skipIf(backend.skipReason)('uses the server clock only: client time fields and the Date header change nothing', async () => {
    const secret = secrets.get('acme/alice')!;
    clock.set('2026-03-01T12:10:05Z');
    const stale = codeAt(secret, '2026-03-01T12:00:05Z');
    const headers = { date: 'Sun, 01 Mar 2026 12:00:05 GMT' };
    expect((await post('/v1/totp/verify', { userId: 'alice', code: stale, time: Date.parse('2026-03-01T12:00:05Z') / 1000, timestamp: '2026-03-01T12:00:05Z' }, 'acme', headers)).body).toEqual({ valid: false });
    const good = codeAt(secret, '2026-03-01T12:10:05Z');
    expect((await post('/v1/totp/verify', { userId: 'alice', code: good, time: 0 }, 'acme', { date: 'Thu, 01 Jan 1970 00:00:00 GMT' })).body).toEqual({ valid: true });
  });

  it.skipIf(backend.skipReason)('answers malformed codes with valid:false or 400, never a match or a crash', async () => {
    clock.set('2026-03-01T12:20:05Z');
    for (const code of ['abcdef', '12 345', ' 123456', '12345', '123456789', '', '１２３４５６']) {
      expect((await post('/v1/totp/verify', { userId: 'alice', code })).body).toEqual({ valid: false });
    }
    for (const code of [123456, null, ['123456'], 'x'.repeat(10_000)]) {
      expect((await post('/v1/totp/verify', { userId: 'alice', code })).status).toBe(400);
    }
    expect((await post('/v1/totp/verify', { userId: 'nobody', code: '123456' })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/enroll', { userId: 'x', issuer: 'a:b', accountName: 'c' })).status).toBe(400);
    expect((await post('/v1/totp/enroll', { userId: 'x', issuer: 'a', accountName: 'c', digits: 7 })).status).toBe(400);
  });

  it.skipIf(backend.skipReason)('refuses to enrol over a confirmed TOTP unless replace:true, and keeps the old one active until the new one is confirmed', async () => {
    clock.set('2026-03-01T12:30:05Z');
    const old = secrets.get('acme/alice')!;
    expect((await post('/v1/totp/enroll', { userId: 'alice', issuer: 'Acme', accountName: 'alice' })).body.error.code).toBe('conflict');
    const again = await post('/v1/totp/enroll', { userId: 'alice', issuer: 'Acme', accountName: 'alice', replace: true, digits: 8 });
    expect(again.status).toBe(200);
    const fresh = decodeBase32IgnorePadding(again.body.secret);
    expect((await post('/v1/totp/verify', { userId: 'alice', code: codeAt(old, '2026-03-01T12:30:05Z') })).body).toEqual({ valid: true });
    clock.set('2026-03-01T12:31:05Z');
    expect((await post('/v1/totp/confirm', { userId: 'alice', code: codeAt(fresh, '2026-03-01T12:31:05Z', 0, 8) })).body.confirmed).toBe(true);
    clock.set('2026-03-01T12:32:05Z');
    expect((await post('/v1/totp/verify', { userId: 'alice', code: codeAt(old, '2026-03-01T12:32:05Z') })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/verify', { userId: 'alice', code: codeAt(fresh, '2026-03-01T12:32:05Z', 0, 8) })).body).toEqual({ valid: true });
    logged.push(again.body.secret);
  });

  it.skipIf(backend.skipReason)('recovery codes work once each, and a new set voids the old one', async () => {
    const secret = await enrolAndConfirm('bob');
    expect(secret.length).toBe(20);
    const codes = recovery.get('acme/bob')!;
    expect(await post('/v1/totp/recover', { userId: 'bob', recoveryCode: codes[0] })).toEqual({ status: 200, body: { valid: true, remaining: 9 } });
    expect(await post('/v1/totp/recover', { userId: 'bob', recoveryCode: codes[0] })).toEqual({ status: 200, body: { valid: false, remaining: 9 } });
    expect((await post('/v1/totp/recover', { userId: 'bob', recoveryCode: codes[1]!.toUpperCase().replace(/-/g, ' ') })).body).toEqual({ valid: true, remaining: 8 });
    expect((await post('/v1/totp/recover', { userId: 'bob', recoveryCode: 'not-a-code' })).body).toEqual({ valid: false, remaining: 8 });
    expect((await post('/v1/totp/recover', { userId: 'bob', recoveryCode: 42 })).status).toBe(400);
    // Parallel spends of one code: exactly one succeeds.
    const racing = await Promise.all(Array.from({ length: 10 }, () => post('/v1/totp/recover', { userId: 'bob', recoveryCode: codes[2] })));
    expect(racing.filter((r) => r.body.valid === true)).toHaveLength(1);
    const renewed = await post('/v1/totp/recovery-codes', { userId: 'bob' });
    expect(renewed.body.recoveryCodes).toHaveLength(10);
    expect((await post('/v1/totp/recover', { userId: 'bob', recoveryCode: codes[3] })).body).toEqual({ valid: false, remaining: 10 });
    expect((await post('/v1/totp/recover', { userId: 'bob', recoveryCode: renewed.body.recoveryCodes[0] })).body).toEqual({ valid: true, remaining: 9 });
    expect((await post('/v1/totp/recovery-codes', { userId: 'nobody' })).body.error.code).toBe('not_found');
    logged.push(...renewed.body.recoveryCodes);
  });

  it.skipIf(backend.skipReason)('keeps tenants apart', async () => {
    clock.set('2026-03-01T12:40:05Z');
    const secret = secrets.get('acme/bob')!;
    const code = codeAt(secret, '2026-03-01T12:40:05Z');
    expect((await post('/v1/totp/verify', { userId: 'bob', code }, 'beta')).body).toEqual({ valid: false });
    expect((await post('/v1/totp/recover', { userId: 'bob', recoveryCode: recovery.get('acme/bob')![5] }, 'beta')).body).toEqual({ valid: false, remaining: 0 });
    await enrolAndConfirm('bob', 'beta');
    clock.set('2026-03-01T12:40:05Z');
    expect((await post('/v1/totp/verify', { userId: 'bob', code }, 'beta')).body).toEqual({ valid: false });
    expect((await post('/v1/totp/verify', { userId: 'bob', code })).body).toEqual({ valid: true });
  });

  it.skipIf(backend.skipReason)('DELETE /v1/totp/{userId} and deleting the user remove the TOTP and its codes', async () => {
    clock.set('2026-03-01T12:50:05Z');
    const carol = await enrolAndConfirm('carol');
    expect((await s.call('/v1/totp/carol', { method: 'DELETE' })).status).toBe(204);
    clock.set('2026-03-01T12:51:05Z');
    expect((await post('/v1/totp/verify', { userId: 'carol', code: codeAt(carol, '2026-03-01T12:51:05Z') })).body).toEqual({ valid: false });
    expect((await post('/v1/totp/recover', { userId: 'carol', recoveryCode: recovery.get('acme/carol')![0] })).body).toEqual({ valid: false, remaining: 0 });

    await enrolAndConfirm('dave');
    expect((await s.call('/v1/users/dave', { method: 'DELETE' })).status).toBe(204);
    expect(await s.repos.totp.get('acme', 'dave')).toBeUndefined();
    expect(await s.repos.totp.unusedRecoveryDigests('acme', 'dave')).toEqual([]);
    // The stored seed is sealed, not in clear.
    const stored = await s.repos.totp.get('acme', 'bob');
    expect(stored?.sealed).not.toContain(Buffer.from(secrets.get('acme/bob')!).toString('base64'));
    expect(stored?.ringKeyId).toBe('k1');
  });

  it.skipIf(backend.skipReason)('a pending enrolment older than the bound (default 600 s) cannot be confirmed: 410 enrolment_expired', async () => {
    clock.set('2026-03-01T13:00:00Z');
    const late = await post('/v1/totp/enroll', { userId: 'late', issuer: 'Acme', accountName: 'late' });
    const onTime = await post('/v1/totp/enroll', { userId: 'ontime', issuer: 'Acme', accountName: 'ontime' });
    const lateSecret = decodeBase32IgnorePadding(late.body.secret);
    const onTimeSecret = decodeBase32IgnorePadding(onTime.body.secret);
    logged.push(late.body.secret, onTime.body.secret);
    clock.set('2026-03-01T13:09:59Z');
    const confirmed = await post('/v1/totp/confirm', { userId: 'ontime', code: codeAt(onTimeSecret, '2026-03-01T13:09:59Z') });
    expect(confirmed.body.confirmed).toBe(true);
    logged.push(...confirmed.body.recoveryCodes);
    clock.set('2026-03-01T13:10:00Z');
    const code = codeAt(lateSecret, '2026-03-01T13:10:00Z');
    const expired = await post('/v1/totp/confirm', { userId: 'late', code });
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe('enrolment_expired');
    expect(JSON.stringify(expired.body)).not.toContain(code);
    expect((await post('/v1/totp/verify', { userId: 'late', code })).body).toEqual({ valid: false });
    // Enrolling again starts a new bound.
    const again = await post('/v1/totp/enroll', { userId: 'late', issuer: 'Acme', accountName: 'late' });
    const againSecret = decodeBase32IgnorePadding(again.body.secret);
    logged.push(again.body.secret);
    const ok = await post('/v1/totp/confirm', { userId: 'late', code: codeAt(againSecret, '2026-03-01T13:10:00Z') });
    expect(ok.body.confirmed).toBe(true);
    logged.push(...ok.body.recoveryCodes);
  });

  it.skipIf(backend.skipReason)('a stale replacement cannot be confirmed and leaves the active TOTP working; the bound is configurable', async () => {
    const short = makeStoreApp(database, { keyRing: ring, clock: clock.now, throttle: createDisabledThrottle(), data: { totp: { pendingSeconds: 60 } } });
    const call = async (path: string, json: unknown) => {
      const res = await short.call(path, { json, tenant: 'acme' });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    clock.set('2026-03-01T14:00:00Z');
    const first = await call('/v1/totp/enroll', { userId: 'short', issuer: 'Acme', accountName: 'short' });
    const firstSecret = decodeBase32IgnorePadding(first.body.secret);
    expect((await call('/v1/totp/confirm', { userId: 'short', code: codeAt(firstSecret, '2026-03-01T14:00:00Z') })).body.confirmed).toBe(true);
    const replacement = await call('/v1/totp/enroll', { userId: 'short', issuer: 'Acme', accountName: 'short', replace: true });
    const replacementSecret = decodeBase32IgnorePadding(replacement.body.secret);
    logged.push(first.body.secret, replacement.body.secret);
    clock.set('2026-03-01T14:01:00Z');
    const stale = await call('/v1/totp/confirm', { userId: 'short', code: codeAt(replacementSecret, '2026-03-01T14:01:00Z') });
    expect(stale.status).toBe(410);
    expect(stale.body.error.code).toBe('enrolment_expired');
    expect((await call('/v1/totp/verify', { userId: 'short', code: codeAt(firstSecret, '2026-03-01T14:01:00Z') })).body).toEqual({ valid: true });
  });

  it.skipIf(backend.skipReason)('answers 503 key_unavailable naming HASHD_KEYS without a ring', async () => {
    const res = await makeStoreApp(database).call('/v1/totp/verify', { json: { userId: 'alice', code: '123456' } });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('HASHD_KEYS');
  });

  it.skipIf(backend.skipReason)('never logs or echoes seeds, codes or recovery codes', async () => {
    const errors = JSON.stringify([
      (await post('/v1/totp/verify', { userId: 'alice', code: 'x'.repeat(40) })).body,
      (await post('/v1/totp/recover', { userId: 'alice', recoveryCode: 'y'.repeat(70) })).body,
      (await post('/v1/totp/enroll', { userId: 'alice', issuer: 'Acme' })).body,
    ]);
    const logs = s.logs.join('\n');
    expect(logged.length).toBeGreaterThan(20);
    // A six-digit code is only a leak where it stands alone: the logs are full of longer digit
    // runs (epoch-millisecond timestamps, durations) that hold any six digits by chance.
    const leaks = (haystack: string, secret: string): boolean =>
      /^\d+$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(haystack) : haystack.includes(secret);
    for (const secret of logged) {
      expect(leaks(logs, secret), secret).toBe(false);
      expect(leaks(errors, secret), secret).toBe(false);
    }
    expect(errors).not.toContain('x'.repeat(40));
  });
});
