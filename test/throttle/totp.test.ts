/**
 * TOTP verify and recovery codes under the throttle (memory store, default rules): after the
 * free failures the account's next attempt is refused with 429, even with the right code, and
 * the purposes count apart (wrong TOTP codes do not lock password login or recovery); failed
 * enrolment confirmations are limited the same way, on their own counter (`enrolment`).
 */
import { randomBytes } from 'node:crypto';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { createKeyRing, newRingEntry, parseRingKeys } from '../../src/keys/ring';
import { createMemoryThrottleStore } from '../../src/throttle/memory';
import { createThrottle } from '../../src/throttle/throttle';
import { stepAt, totpCode } from '../../src/totp/totp';
import { manualClock } from '../db/_backends';
import { makeStoreApp, type StoreApp } from '../store/_app';

const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const NOW = '2026-03-01T12:00:05Z';

let database: Database;
let s: StoreApp;
beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
  const clock = manualClock(NOW);
  const ring = await createKeyRing(parseRingKeys(newRingEntry('k1', csprng), []), csprng);
  const throttle = createThrottle({ store: createMemoryThrottleStore(), clock: clock.now });
  s = makeStoreApp(database, { keyRing: ring, clock: clock.now, throttle });
});
afterAll(async () => database?.close());

const post = async (path: string, json: unknown) => {
  const res = await s.call(path, { json });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, any> };
};

describe('TOTP under the throttle', () => {
  it('refuses the right code with 429 after the free failures; recovery and password count apart', async () => {
    const enrolled = await post('/v1/totp/enroll', { userId: 'tina', issuer: 'Acme', accountName: 'tina@example.com' });
    const secret = decodeBase32IgnorePadding(enrolled.body.secret);
    const right = (offset = 0) => totpCode(secret, stepAt(Date.parse(NOW), 30) + offset, 6);
    const confirmed = await post('/v1/totp/confirm', { userId: 'tina', code: right() });
    expect(confirmed.body.confirmed).toBe(true);
    const wrong = right() === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect((await post('/v1/totp/verify', { userId: 'tina', code: wrong, clientIp: '198.51.100.4' })).body).toEqual({ valid: false });
    const refused = await post('/v1/totp/verify', { userId: 'tina', code: right(1) });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(await (await s.call('/v1/admin/throttle/tina')).json()).toEqual({ userId: 'tina', counters: [expect.objectContaining({ purpose: 'totp', failures: 5 })] });
    // Recovery codes have their own counter; a good one still works.
    expect((await post('/v1/totp/recover', { userId: 'tina', recoveryCode: confirmed.body.recoveryCodes[0] })).body).toMatchObject({ valid: true });
    for (let i = 0; i < 5; i++) expect((await post('/v1/totp/recover', { userId: 'tina', recoveryCode: 'aaaa-bbbb-cccc' })).body).toMatchObject({ valid: false });
    expect((await post('/v1/totp/recover', { userId: 'tina', recoveryCode: confirmed.body.recoveryCodes[1] })).status).toBe(429);
    expect((await post('/v1/totp/verify', { userId: 'tina', code: right(), clientIp: 'not-an-ip' })).status).toBe(400);
  });

  it('limits failed enrolment confirmations on their own counter: the right code is refused after the free failures, until an admin clears it', async () => {
    const enrolled = await post('/v1/totp/enroll', { userId: 'edgar', issuer: 'Acme', accountName: 'edgar@example.com' });
    const secret = decodeBase32IgnorePadding(enrolled.body.secret);
    const right = totpCode(secret, stepAt(Date.parse(NOW), 30), 6);
    const wrong = right === '000000' ? '111111' : '000000';
    // No pending enrolment: not an attempt, nothing counted.
    expect((await post('/v1/totp/confirm', { userId: 'nobody-enrolled', code: wrong })).status).toBe(404);
    expect(await (await s.call('/v1/admin/throttle/nobody-enrolled')).json()).toEqual({ userId: 'nobody-enrolled', counters: [] });
    for (let i = 0; i < 5; i++) expect((await post('/v1/totp/confirm', { userId: 'edgar', code: wrong, clientIp: '198.51.100.5' })).body).toEqual({ confirmed: false });
    const refused = await post('/v1/totp/confirm', { userId: 'edgar', code: right });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(await (await s.call('/v1/admin/throttle/edgar')).json()).toEqual({ userId: 'edgar', counters: [expect.objectContaining({ purpose: 'enrolment', failures: 5 })] });
    expect((await s.call('/v1/admin/throttle/edgar', { method: 'DELETE' })).status).toBe(204);
    const confirmed = await post('/v1/totp/confirm', { userId: 'edgar', code: right });
    expect(confirmed.body).toMatchObject({ confirmed: true });
    // The success reset the counter.
    expect(await (await s.call('/v1/admin/throttle/edgar')).json()).toEqual({ userId: 'edgar', counters: [] });
  });
});
