/**
 * A real Redis outage, mid-run: the service (`npm start`'s entry, a child process) keeps its
 * throttle counters in Redis database 9 (flushed before and after) through a TCP proxy the test
 * controls (test/store/_proxy.ts, as the store tests do for PostgreSQL).
 *
 * Logins, OTP and TOTP verifies work; then Redis stops answering on the open connection (the
 * proxy hangs: ioredis's command timeout must turn each check into a 503 instead of a wait), then
 * the proxy drops every connection and refuses new ones (ioredis must not queue commands or retry
 * them). Throughout, every secret check answers 503 `throttle_unavailable` with Retry-After (never
 * 200, never 500), and /readyz is not ready and names the throttle store. Once the proxy is back
 * the service recovers by itself (polled, within a bound), the counters from before the outage
 * are still enforced (nothing was counted during it), the metrics count the 503s, and the
 * server's log says what happened without a user id, password or code in it.
 *
 * Without Redis, CI fails (test/throttle/_stores.ts); elsewhere this is skipped with a message.
 */
import { randomBytes } from 'node:crypto';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRingEntry } from '../../src/keys/ring';
import { stepAt, totpCode } from '../../src/totp/totp';
import { spawnSourceServer, until, type ServerProcess } from '../ship/_server';
import { PgProxy } from '../store/_proxy';
import { redisProblem } from './_stores';

const REDIS_DB_URL = `${process.env.HASHD_TEST_REDIS_URL?.replace(/\/\d+$/, '') ?? 'redis://127.0.0.1:6379'}/9`;
const REDIS_PORT = Number(new URL(REDIS_DB_URL).port || 6379);
/** A request must be answered well within this, outage or not (ioredis gives up after 1 s). */
const HANG_GUARD_MS = 8_000;
/** Recovery by itself, once Redis is reachable again (ioredis reconnects at most every 2 s). */
const RECOVERY_BOUND_MS = 20_000;

const PASSWORD = `Outage-Pw-${randomBytes(6).toString('hex')}`;
const OLGA = `outage-olga-${randomBytes(4).toString('hex')}`;
const PAVEL = `outage-pavel-${randomBytes(4).toString('hex')}`;
const TINA = `outage-tina-${randomBytes(4).toString('hex')}`;

let proxy: PgProxy;
let server: ServerProcess | undefined;

async function flush(): Promise<void> {
  const client = new Redis(REDIS_DB_URL, { maxRetriesPerRequest: 1 });
  try {
    await client.flushdb();
  } finally {
    client.disconnect();
  }
}

interface Answer {
  status: number;
  retryAfter: string | null;
  json: Record<string, unknown>;
}

async function send(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST'): Promise<Answer> {
  const s = server as ServerProcess;
  const res = await fetch(`${s.base}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    // A hang guard, not a speed target: without ioredis's command timeout a check waits forever.
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.json).toMatchObject({ error: { code: 'throttle_unavailable' } });
  expect(Number(answer.retryAfter)).toBeGreaterThan(0);
}

describe.skipIf(redisProblem !== undefined)('Redis outage mid-run (throttle store behind a TCP proxy)', () => {
  beforeAll(async () => {
    await flush();
    proxy = await PgProxy.onFreePort(REDIS_PORT);
    await proxy.start();
    server = await spawnSourceServer({
      HASHD_DATA_DIR: 'memory://',
      REDIS_URL: proxy.route(REDIS_DB_URL),
      HASHD_OTP_SECRET: randomBytes(32).toString('base64'),
      HASHD_KEYS: newRingEntry('k1', (n) => new Uint8Array(randomBytes(n))),
      HASHD_THROTTLE_ACCOUNT_MAX: '5',
      HASHD_THROTTLE_ACCOUNT_FREE: '5',
    });
  }, 300_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await server?.exited;
    await proxy?.stop().catch(() => undefined);
    await flush();
  }, 60_000);

  it('answers 503 throttle_unavailable while Redis hangs and while it is gone, /readyz names it, and recovers by itself with the counters intact', { timeout: 240_000 }, async () => {
    const s = server as ServerProcess;
    expect(s.output()).toContain('"throttle":"redis"');
    expect((await send('/readyz')).status).toBe(200);

    // Before: logins, OTP and TOTP verifies work, and failures are counted in Redis.
    for (const userId of [OLGA, PAVEL]) expect((await send(`/v1/users/${userId}/password`, { password: PASSWORD }, 'PUT')).status).toBe(204);
    expect((await send('/v1/login', { userId: PAVEL, password: PASSWORD })).json).toEqual({ valid: true, upgraded: false });
    for (let i = 0; i < 3; i++) expect((await send('/v1/login', { userId: OLGA, password: `wrong-${i}` })).json).toEqual({ valid: false, upgraded: false });
    const issued = await send('/v1/otp', { userId: OLGA, purpose: 'login' });
    expect(issued.status).toBe(201);
    const { otpId, code } = issued.json as { otpId: string; code: string };
    const enrolled = await send('/v1/totp/enroll', { userId: TINA, issuer: 'Acme', accountName: 'tina@example.com' });
    expect(enrolled.status).toBe(200);
    const totpSecret = decodeBase32IgnorePadding(enrolled.json.secret as string);
    const usedSteps = new Set<number>();
    /** A right code for a step not used yet (a step is accepted once). */
    const freshTotp = (): string => {
      let step = stepAt(Date.now(), 30);
      while (usedSteps.has(step)) step++;
      usedSteps.add(step);
      return totpCode(totpSecret, step, 6);
    };
    expect((await send('/v1/totp/confirm', { userId: TINA, code: freshTotp() })).json).toMatchObject({ confirmed: true });
    // The next step's code (verify accepts ±1 step), kept for the outage and tried again after it.
    const totpDuringOutage = freshTotp();

    // Every secret check the outage must refuse: the right secret and a wrong one.
    const checks = (): Promise<Answer>[] => [
      send('/v1/login', { userId: OLGA, password: PASSWORD }),
      send('/v1/login', { userId: OLGA, password: 'wrong-during-outage' }),
      send('/v1/otp/verify', { otpId, code }),
      send('/v1/totp/verify', { userId: TINA, code: totpDuringOutage }),
    ];
    let refusedLogins = 0;
    let refusedOtp = 0;
    let refusedTotp = 0;
    const outageRound = async (): Promise<void> => {
      const [right, wrong, otp, totp] = await Promise.all(checks());
      for (const answer of [right, wrong, otp, totp] as Answer[]) expectUnavailable(answer);
      refusedLogins += 2;
      refusedOtp += 1;
      refusedTotp += 1;
      const ready = await send('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.json).toEqual({ status: 'not_ready', reason: 'throttle store (redis) unreachable' });
      // The process itself is up.
      expect((await send('/healthz')).status).toBe(200);
    };

    // 1. Redis stops answering on the open connection: each check gives up after the command timeout.
    proxy.hang();
    for (let round = 0; round < 2; round++) await outageRound();

    // 2. Redis is gone: open connections dropped, new ones refused. Checked continuously for a
    // while, so ioredis's reconnection attempts (100 ms, 200 ms, 300 ms… apart) are refused too.
    await proxy.stop();
    const goneSince = performance.now();
    do await outageRound();
    while (performance.now() - goneSince < 1_500);

    // 3. Back: the service recovers by itself within the bound, polled.
    await proxy.start();
    await until('/readyz to report ready again', async () => ((await send('/readyz')).status === 200 ? true : undefined), RECOVERY_BOUND_MS, s.output);
    await until('a login to be answered again', async () => ((await send('/v1/login', { userId: PAVEL, password: PASSWORD })).status === 200 ? true : undefined), RECOVERY_BOUND_MS, s.output);
    expect((await send('/v1/login', { userId: PAVEL, password: PASSWORD })).json).toEqual({ valid: true, upgraded: false });
    // Nothing was spent or counted during the outage: the code and the TOTP step still work...
    expect((await send('/v1/otp/verify', { otpId, code })).json).toMatchObject({ valid: true });
    expect((await send('/v1/totp/verify', { userId: TINA, code: totpDuringOutage })).json).toEqual({ valid: true });
    // ...and the 3 failures from before the outage still count: 2 more lock the account (max 5).
    expect((await send('/v1/admin/throttle/' + OLGA)).json).toEqual({ userId: OLGA, counters: [expect.objectContaining({ purpose: 'password', failures: 3, locked: false })] });
    for (let i = 3; i < 5; i++) expect((await send('/v1/login', { userId: OLGA, password: `wrong-${i}` })).json).toEqual({ valid: false, upgraded: false });
    const locked = await send('/v1/login', { userId: OLGA, password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.json).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);

    // The metrics counted every 503 by route, and the lock by its reason.
    const metricsRes = await fetch(`${s.base}/metrics`, { signal: AbortSignal.timeout(HANG_GUARD_MS) });
    const exposition = await metricsRes.text();
    expect(exposition).toContain(`hashd_throttle_unavailable_total{route="/v1/login"} ${refusedLogins}`);
    expect(exposition).toContain(`hashd_throttle_unavailable_total{route="/v1/otp/verify"} ${refusedOtp}`);
    expect(exposition).toContain(`hashd_throttle_unavailable_total{route="/v1/totp/verify"} ${refusedTotp}`);
    expect(exposition).toContain('hashd_throttled_requests_total{route="/v1/login",reason="account"} 1');
    expect(exposition).not.toMatch(/status="500"/);

    // The log tells the story without a secret or an account in it.
    const output = s.output();
    expect(output).toContain('throttle store unreachable');
    expect(output).toContain('throttle store reachable again');
    expect(output).toContain('throttle store error');
    for (const secret of [PASSWORD, OLGA, PAVEL, TINA, code, enrolled.json.secret as string, totpDuringOutage]) {
      expect(output).not.toContain(secret);
      expect(exposition).not.toContain(secret);
    }
  });
});
