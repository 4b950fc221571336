/**
 * Throttle metrics through GET /metrics, on the app as the Node entry builds it (prom-client
 * metrics, the entry's pino logger): each refusing limit is counted under its own bounded
 * `reason` (account, address, issuance, enrolment) on hashd_throttled_requests_total, the 503s of a store
 * that cannot answer on hashd_throttle_unavailable_total, with the right counts; and no user id,
 * password, address, code or key reaches the exposition or a log line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { systemClock } from '../../src/clock';
import { parseApiKeys } from '../../src/config';
import { createRepositories, type Database } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { createNodeLogger } from '../../src/entry/logger-node';
import { nodeSchemeEnv } from '../../src/entry/runtime-node';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { stepAt, totpCode } from '../../src/totp/totp';
import { createKeyRing, newRingEntry, parseRingKeys } from '../../src/keys/ring';
import { createMetrics, REFUSAL_REASONS } from '../../src/metrics';
import { DEFAULT_OTP_SETTINGS } from '../../src/sessions/settings';
import { guardRepositories } from '../../src/store/guard';
import { createMemoryThrottleStore } from '../../src/throttle/memory';
import { createThrottle, type ThrottleRules, type ThrottleStore } from '../../src/throttle/throttle';
import { makeCrypt, registry } from '../helpers';
import { TEST_OTP_SECRET } from '../store/_app';

const API_KEY = 'hashd_throttle_metrics_key_5d21c8e0a4';
const USER = 'Metr1cs-Locked-User-4be1';
const SPRAYED = Array.from({ length: 7 }, (_, i) => `Metr1cs-Sprayed-${i}-77d0`);
const OTP_USER = 'Metr1cs-Otp-User-19c3';
const TOTP_USER = 'Metr1cs-Totp-User-3e8f';
const PASSWORD = 'Metr1cs-Right-Pw-\u{1F511}-a1';
const WRONG = 'Metr1cs-Wrong-Pw-b2';
const ADDRESS_A = '198.18.40.11';
const ADDRESS_B = '2001:db8:4c1:7::9';
/** No back-off: 3 failures lock the account, 6 the address. */
const RULES: ThrottleRules = {
  account: { maxFailures: 3, freeFailures: 3, backoffBaseMs: 1_000, backoffMaxMs: 1_000, windowMs: 3_600_000 },
  address: { maxFailures: 6, freeFailures: 6, backoffBaseMs: 1_000, backoffMaxMs: 1_000, windowMs: 3_600_000 },
};

let database: Database;
const lines: string[] = [];
let broken = false;
const metrics = createMetrics({ defaultMetrics: false });
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
  const memory = createMemoryThrottleStore();
  const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
  // The memory store, or an outage while `broken` is set.
  const store: ThrottleStore = { ...memory, reserve: (c, n) => (broken ? Promise.reject(outage) : memory.reserve(c, n)) };
  const { crypt } = makeCrypt({}, { concurrency: 2, maxQueue: 100 });
  const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
  const keyRing = await createKeyRing(parseRingKeys(newRingEntry('k1', csprng), []), csprng);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  app = createApp({
    crypt,
    apiKeys: parseApiKeys(`acme=sha256:${createHash('sha256').update(API_KEY).digest('hex')}`, []),
    maxBodyBytes: 64 * 1024,
    logger: createNodeLogger({ level: 'info' }, sink),
    throttle: createThrottle({ store, rules: RULES, clock: systemClock }),
    data: {
      repositories: () => guardRepositories(createRepositories(database, systemClock)),
      registry,
      env: nodeSchemeEnv(),
      wrapConcurrency: 2,
      otpSecret: TEST_OTP_SECRET,
      keyRing,
      otp: { ...DEFAULT_OTP_SETTINGS, issueLimit: 1 },
    },
    metrics,
  });
});
afterAll(async () => database?.close());

async function call(path: string, json?: unknown, method = 'POST'): Promise<{ status: number; retryAfter: string | null; text: string; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${API_KEY}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await app.request(path, { method, headers, ...(json !== undefined && { body: JSON.stringify(json) }) });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Every sample of a metric, as `{labels} value` strings keyed by the label set. */
function samples(exposition: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of exposition.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) out.set(m[1] as string, Number(m[2]));
  return out;
}

describe('throttle metrics', () => {
  it('count refusals by route and reason, and 503 throttle_unavailable by route; no secret in /metrics or the logs', async () => {
    const bodies: string[] = [];
    // Account: 3 wrong passwords, then the right one is refused.
    expect((await call(`/v1/users/${USER}/password`, { password: PASSWORD }, 'PUT')).status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await call('/v1/login', { userId: USER, password: `${WRONG}${i}`, clientIp: ADDRESS_A })).json).toEqual({ valid: false, upgraded: false });
    const locked = await call('/v1/login', { userId: USER, password: PASSWORD, clientIp: ADDRESS_A });
    expect(locked.status).toBe(429);
    bodies.push(locked.text);

    // Address: one wrong guess on each of 6 accounts from one address, then a 7th account is refused.
    for (const userId of SPRAYED.slice(0, 6)) expect((await call('/v1/login', { userId, password: WRONG, clientIp: ADDRESS_B })).status).toBe(200);
    const sprayed = await call('/v1/login', { userId: SPRAYED[6], password: WRONG, clientIp: ADDRESS_B });
    expect(sprayed.status).toBe(429);
    bodies.push(sprayed.text);
    // The refusal names no limit: the caller learns nothing about which counter it hit.
    expect(sprayed.json).toEqual(locked.json);

    // Issuance: one code per user and purpose (issueLimit 1), the second is refused.
    const issued = await call('/v1/otp', { userId: OTP_USER, purpose: 'login' });
    expect(issued.status).toBe(201);
    const { otpId, code } = issued.json as { otpId: string; code: string };
    const again = await call('/v1/otp', { userId: OTP_USER, purpose: 'login' });
    expect(again.status).toBe(429);
    bodies.push(again.text);

    // Enrolment: 3 wrong confirmations of a pending TOTP, then a 4th is refused.
    const enrolled = await call('/v1/totp/enroll', { userId: TOTP_USER, issuer: 'Acme', accountName: 'metrics@example.com' });
    expect(enrolled.status).toBe(200);
    const seed = decodeBase32IgnorePadding(enrolled.json.secret as string);
    const step = stepAt(Date.now(), 30);
    // Codes no step around now accepts.
    const accepted = new Set([-2, -1, 0, 1, 2].map((d) => totpCode(seed, step + d, 6)));
    const wrongCodes = ['000000', '000001', '000002', '000003', '000004', '000005'].filter((c) => !accepted.has(c));
    for (const wrongCode of wrongCodes.slice(0, 3)) expect((await call('/v1/totp/confirm', { userId: TOTP_USER, code: wrongCode })).json).toEqual({ confirmed: false });
    const enrolment = await call('/v1/totp/confirm', { userId: TOTP_USER, code: totpCode(seed, stepAt(Date.now(), 30), 6) });
    expect(enrolment.status).toBe(429);
    bodies.push(enrolment.text);

    // The store cannot answer: login and OTP verify fail closed.
    broken = true;
    const down = [await call('/v1/login', { userId: USER, password: PASSWORD, clientIp: ADDRESS_A }), await call('/v1/otp/verify', { otpId, code, clientIp: ADDRESS_A })];
    broken = false;
    for (const res of down) {
      expect(res.status).toBe(503);
      expect(res.retryAfter).toBe('1');
      expect(res.json).toMatchObject({ error: { code: 'throttle_unavailable' } });
      bodies.push(res.text);
    }
    // Back: the code (never spent during the outage) still verifies.
    expect((await call('/v1/otp/verify', { otpId, code, clientIp: ADDRESS_A })).json).toMatchObject({ valid: true });

    const exposition = await (await app.request('/metrics')).text();
    expect(Object.fromEntries(samples(exposition, 'hashd_throttled_requests_total'))).toEqual({
      'route="/v1/login",reason="account"': 1,
      'route="/v1/login",reason="address"': 1,
      'route="/v1/otp",reason="issuance"': 1,
      'route="/v1/totp/confirm",reason="enrolment"': 1,
    });
    expect(Object.fromEntries(samples(exposition, 'hashd_throttle_unavailable_total'))).toEqual({
      'route="/v1/login"': 1,
      'route="/v1/otp/verify"': 1,
    });
    // The error counter agrees, and every reason label is one of the bounded set.
    expect(exposition).toContain('hashd_http_errors_total{code="rate_limited"} 4');
    expect(exposition).toContain('hashd_http_errors_total{code="throttle_unavailable"} 2');
    for (const m of exposition.matchAll(/reason="([^"]*)"/g)) expect(REFUSAL_REASONS).toContain(m[1]);

    const logs = lines.join('\n');
    expect(logs).toContain('rate_limited');
    expect(logs).toContain('throttle_unavailable');
    const secrets = [USER, ...SPRAYED, OTP_USER, TOTP_USER, enrolled.json.secret as string, PASSWORD, WRONG, ADDRESS_A, ADDRESS_B, code, API_KEY];
    for (const secret of secrets) {
      expect(exposition).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
    for (const body of bodies) for (const secret of secrets) expect(body).not.toContain(secret);
  });
});
