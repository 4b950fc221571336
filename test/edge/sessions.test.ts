/**
 * Sessions, one-time codes and TOTP through the Worker (workerd, PostgreSQL through the
 * HYPERDRIVE binding, the real clock): the cases of test/sessions/*.test.ts and
 * test/totp/totp-routes.test.ts that apply on the edge. Sessions issue, verify, list and revoke
 * (one, all of a user, at login); codes store only their HMAC and take five wrong answers, also
 * in parallel; TOTP enrols, confirms, verifies within ±1 step and refuses a replayed code, also
 * 20 in parallel; recovery codes are single use. Without HASHD_OTP_SECRET / HASHD_KEYS (a Worker
 * has no data directory for dev secrets) codes and TOTP answer 503 key_unavailable. No token,
 * code, TOTP seed or recovery code reaches the Worker's log.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRingEntry } from '../../src/keys/ring';
import { OTP_SECRET_MISSING } from '../../src/sessions/otp-secret';
import { stepAt, totpCode } from '../../src/totp/totp';
import { expectError } from '../routes/_stateless-suite';
import { apiKey, createTestDatabase, keyedCaller, startWorkers, type Fetcher, type TestDatabase } from './_worker';

const KEYS = {
  acme: apiKey('acme:admin', 'hashd_edge_sessions_acme_admin_key1'),
  beta: apiKey('beta', 'hashd_edge_sessions_beta_service_key2'),
};
const OTP_SECRET = randomBytes(32);
const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
/** Every secret the Worker handed out or was given: none may appear in its log. */
const secrets: string[] = [];

let db: TestDatabase;
let workers: Awaited<ReturnType<typeof startWorkers>>;
let sql: postgres.Sql;
let call: ReturnType<typeof keyedCaller>;
let bare: ReturnType<typeof keyedCaller>;
let secretOnly: ReturnType<typeof keyedCaller>;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 1, onnotice: () => undefined });
  const common = {
    HASHD_API_KEYS: `${KEYS.acme.entry},${KEYS.beta.entry}`,
    // The codes' own five-attempt limit is under test here, not the throttle's back-off.
    HASHD_THROTTLE_ACCOUNT_FREE: '100',
  };
  workers = await startWorkers({
    edge: { databaseUrl: db.url, vars: { ...common, HASHD_OTP_SECRET: OTP_SECRET.toString('base64'), HASHD_KEYS: newRingEntry('k1', csprng) } },
    secretOnly: { databaseUrl: db.url, vars: { ...common, HASHD_OTP_SECRET: OTP_SECRET.toString('base64') } },
    bare: { databaseUrl: db.url, vars: common },
  });
  call = keyedCaller((path, init) => fetch(`${workers.url}${path}`, init), KEYS, 'acme');
  bare = keyedCaller(workers.fetchers.bare as Fetcher, KEYS, 'acme');
  secretOnly = keyedCaller(workers.fetchers.secretOnly as Fetcher, KEYS, 'acme');
}, 300_000);
afterAll(async () => {
  await workers?.close();
  await sql?.end({ timeout: 5 });
  await db?.drop();
});

async function post(path: string, json: unknown, as: keyof typeof KEYS = 'acme'): Promise<{ status: number; body: Record<string, any> }> {
  const res = await call(path, { json, as });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('sessions on the edge', () => {
  const TOKEN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{32}$/;
  const create = async (userId: string, extra: Record<string, unknown> = {}): Promise<{ token: string; sessionId: string }> => {
    const res = await post('/v1/sessions', { userId, ...extra });
    expect(res.status).toBe(201);
    secrets.push(res.body.token);
    return res.body as { token: string; sessionId: string };
  };
  const verify = async (token: string, as: keyof typeof KEYS = 'acme'): Promise<Record<string, unknown>> => (await post('/v1/sessions/verify', { token }, as)).body;

  it('issues <id>.<secret>, stores only SHA-256(secret), verifies; a changed secret or another tenant never verifies', async () => {
    const { token, sessionId } = await create('alice', { metadata: { ua: 'curl' } });
    expect(token).toMatch(TOKEN);
    const secret = token.split('.')[1] as string;
    const [row] = await sql<{ secret_hash: string }[]>`select secret_hash from sessions where tenant = 'acme' and id = ${sessionId}`;
    expect(row?.secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(await verify(token)).toMatchObject({ valid: true, userId: 'alice', sessionId, metadata: { ua: 'curl' } });
    const flipped = `${sessionId}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(await verify(flipped)).toEqual({ valid: false });
    expect(await verify(`${sessionId}.${row?.secret_hash}`)).toEqual({ valid: false });
    expect(await verify(token, 'beta')).toEqual({ valid: false });
    await expectError(await call('/v1/sessions/verify', { json: { token: 42 } }), 400, 'invalid_request');
  });

  it('revokes one session at once, lists and revokes all of a user, counts for the admin', async () => {
    const one = await create('bob');
    const two = await create('bob');
    expect((await call(`/v1/sessions/${one.sessionId}`, { method: 'DELETE' })).status).toBe(204);
    expect(await verify(one.token)).toEqual({ valid: false });
    expect(await verify(two.token)).toMatchObject({ valid: true });
    const list = (await (await call('/v1/users/bob/sessions')).json()) as { sessions: { sessionId: string }[] };
    expect(list.sessions.map((s) => s.sessionId)).toEqual([two.sessionId]);
    expect(JSON.stringify(list)).not.toContain(two.token.split('.')[1]);
    expect((await call('/v1/users/bob/sessions', { method: 'DELETE' })).status).toBe(204);
    expect(await verify(two.token)).toEqual({ valid: false });
    const stats = (await (await call('/v1/admin/sessions/stats')).json()) as { activeSessions: number };
    expect(stats.activeSessions).toBe(1);
  });

  it('login with session: true starts a session only for the right password; a password change revokes it', async () => {
    expect((await call('/v1/users/carol/password', { method: 'PUT', json: { password: 'carol-pw-1' } })).status).toBe(204);
    secrets.push('carol-pw-1');
    expect((await post('/v1/login', { userId: 'carol', password: 'carol-pw-x', session: true })).body).toEqual({ valid: false, upgraded: false });
    const ok = await post('/v1/login', { userId: 'carol', password: 'carol-pw-1', session: true, ttlSeconds: 3600 });
    expect(ok.body).toMatchObject({ valid: true, upgraded: false, session: { token: expect.stringMatching(TOKEN) } });
    secrets.push(ok.body.session.token);
    expect(await verify(ok.body.session.token)).toMatchObject({ valid: true, userId: 'carol' });
    expect((await call('/v1/users/carol/password', { method: 'PUT', json: { password: 'carol-pw-2' } })).status).toBe(204);
    expect(await verify(ok.body.session.token)).toEqual({ valid: false });
  });
});

describe('one-time codes on the edge', () => {
  const issue = async (userId: string, purpose = 'login'): Promise<{ otpId: string; code: string }> => {
    const res = await post('/v1/otp', { userId, purpose });
    expect(res.status).toBe(201);
    secrets.push(res.body.code);
    return res.body as { otpId: string; code: string };
  };
  const check = async (otpId: string, code: string): Promise<Record<string, unknown>> => (await post('/v1/otp/verify', { otpId, code })).body;
  const wrong = (code: string, n: number): string => ((BigInt(code) + BigInt(n)) % 10n ** BigInt(code.length)).toString().padStart(code.length, '0');

  it('stores only HMAC-SHA256(HASHD_OTP_SECRET, otpId ‖ code) without HASHD_KEYS; the code verifies once', async () => {
    const res = await secretOnly('/v1/otp', { json: { userId: 'dave', purpose: 'login' } });
    expect(res.status).toBe(201);
    const { otpId, code } = (await res.json()) as { otpId: string; code: string };
    secrets.push(code);
    expect(code).toMatch(/^[0-9]{6}$/);
    const rows = JSON.stringify(await sql`select * from otp_codes where tenant = 'acme' and user_id = 'dave'`);
    expect(rows).toContain(createHmac('sha256', OTP_SECRET).update(otpId + code).digest('hex'));
    expect(rows).not.toContain(`"${code}"`);
    const checkThere = async (c: string): Promise<unknown> => (await secretOnly('/v1/otp/verify', { json: { otpId, code: c } })).json();
    expect(await checkThere(code)).toEqual({ valid: true, attemptsLeft: 4 });
    expect(await checkThere(code)).toEqual({ valid: false, attemptsLeft: 0 });
  });

  it('with HASHD_KEYS set, MACs new codes under the ring (the entry id stored beside), not HASHD_OTP_SECRET', async () => {
    const { otpId, code } = await issue('dave-ring');
    const [row] = await sql<{ mac_key_id: string | null }[]>`select mac_key_id from otp_codes where tenant = 'acme' and user_id = 'dave-ring'`;
    expect(row?.mac_key_id).toBe('k1');
    const rows = JSON.stringify(await sql`select * from otp_codes where tenant = 'acme' and user_id = 'dave-ring'`);
    expect(rows).not.toContain(createHmac('sha256', OTP_SECRET).update(otpId + code).digest('hex'));
    expect(await check(otpId, code)).toEqual({ valid: true, attemptsLeft: 4 });
  });

  it('takes five wrong answers, counting down, then refuses even the right code', async () => {
    const { otpId, code } = await issue('erin');
    const left: unknown[] = [];
    for (let i = 1; i <= 5; i++) left.push((await check(otpId, wrong(code, i))).attemptsLeft);
    expect(left).toEqual([4, 3, 2, 1, 0]);
    expect(await check(otpId, code)).toEqual({ valid: false, attemptsLeft: 0 });
  });

  it('20 parallel wrong guesses evaluate five (each attemptsLeft once); of 20 parallel right answers one is valid', async () => {
    const guessed = await issue('frank');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => check(guessed.otpId, wrong(guessed.code, i + 1))));
    expect(results.every((r) => r.valid === false)).toBe(true);
    expect(results.map((r) => r.attemptsLeft as number).filter((n) => n > 0).sort()).toEqual([1, 2, 3, 4]);
    expect(await check(guessed.otpId, guessed.code)).toEqual({ valid: false, attemptsLeft: 0 });
    const right = await issue('frank', 'reset');
    const answers = await Promise.all(Array.from({ length: 20 }, () => check(right.otpId, right.code)));
    expect(answers.filter((r) => r.valid === true)).toHaveLength(1);
  });
});

describe('TOTP on the edge', () => {
  const codeNow = (secret: Uint8Array, offset = 0): string => totpCode(secret, stepAt(Date.now(), 30) + offset, 6);

  async function enrolAndConfirm(userId: string): Promise<{ secret: Uint8Array; recoveryCodes: string[] }> {
    const enrolled = await post('/v1/totp/enroll', { userId, issuer: 'Acme', accountName: `${userId}@example.com` });
    expect(enrolled.status).toBe(200);
    expect(enrolled.body.otpauthUri).toBe(`otpauth://totp/Acme:${userId}%40example.com?secret=${enrolled.body.secret}&issuer=Acme&algorithm=SHA1&digits=6&period=30`);
    const secret = decodeBase32IgnorePadding(enrolled.body.secret);
    expect(secret).toHaveLength(20);
    secrets.push(enrolled.body.secret);
    const code = codeNow(secret);
    expect((await post('/v1/totp/verify', { userId, code })).body).toEqual({ valid: false });
    const confirmed = await post('/v1/totp/confirm', { userId, code });
    expect(confirmed.body.confirmed).toBe(true);
    secrets.push(...confirmed.body.recoveryCodes);
    // The confirming code's step is spent.
    expect((await post('/v1/totp/verify', { userId, code })).body).toEqual({ valid: false });
    return { secret, recoveryCodes: confirmed.body.recoveryCodes };
  }

  it('enrols, confirms, verifies the next step once and refuses the replay; the seed is stored encrypted', async () => {
    const { secret } = await enrolAndConfirm('grace');
    const next = codeNow(secret, 1);
    expect((await post('/v1/totp/verify', { userId: 'grace', code: next })).body).toEqual({ valid: true });
    expect((await post('/v1/totp/verify', { userId: 'grace', code: next })).body).toEqual({ valid: false });
    // A step older than the last one used never verifies again.
    expect((await post('/v1/totp/verify', { userId: 'grace', code: codeNow(secret) })).body).toEqual({ valid: false });
    const rows = JSON.stringify(await sql`select * from totp_credentials where tenant = 'acme' and user_id = 'grace'`);
    expect(rows).not.toContain(Buffer.from(secret).toString('hex'));
    expect(rows).not.toContain(Buffer.from(secret).toString('base64'));
  });

  it('of 20 parallel verifies of one code exactly one is valid; recovery codes are single use', async () => {
    const { secret, recoveryCodes } = await enrolAndConfirm('heidi');
    const code = codeNow(secret, 1);
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/v1/totp/verify', { userId: 'heidi', code })));
    expect(results.map((r) => r.status).every((s) => s === 200)).toBe(true);
    expect(results.filter((r) => r.body.valid === true)).toHaveLength(1);
    expect((await post('/v1/totp/recover', { userId: 'heidi', recoveryCode: recoveryCodes[0] })).body).toEqual({ valid: true, remaining: 9 });
    expect((await post('/v1/totp/recover', { userId: 'heidi', recoveryCode: recoveryCodes[0] })).body).toEqual({ valid: false, remaining: 9 });
  });
});

describe('without HASHD_OTP_SECRET and HASHD_KEYS', () => {
  it('codes and TOTP answer 503 key_unavailable naming the variable; sessions still work', async () => {
    const otp = await expectError(await bare('/v1/otp', { json: { userId: 'ivan', purpose: 'login' } }), 503, 'key_unavailable');
    expect(JSON.stringify(otp)).toContain('HASHD_OTP_SECRET');
    const totp = await expectError(await bare('/v1/totp/enroll', { json: { userId: 'ivan', issuer: 'Acme', accountName: 'ivan' } }), 503, 'key_unavailable');
    expect(JSON.stringify(totp)).toContain('HASHD_KEYS');
    const session = await bare('/v1/sessions', { json: { userId: 'ivan' } });
    expect(session.status).toBe(201);
    secrets.push(((await session.json()) as { token: string }).token);
    expect(workers.logs.join('\n')).toContain(OTP_SECRET_MISSING);
  });
});

describe('secrets on the edge', () => {
  it('no token, code, TOTP seed, recovery code or password is in the Worker log', () => {
    expect(secrets.length).toBeGreaterThan(20);
    const text = workers.logs.join('\n');
    for (const secret of secrets) expect(text.includes(secret), 'a secret is in the log').toBe(false);
    expect(text).not.toContain(OTP_SECRET.toString('base64'));
  });
});
