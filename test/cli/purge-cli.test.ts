/**
 * `npx hashd purge` as an operator runs it, against a PGlite data directory and a PostgreSQL
 * database that hold expired sessions, dead one-time codes and stale pending TOTP enrolments
 * (written two days "ago" through an injected clock) beside live ones: the expired rows are gone,
 * the live ones kept, exit code 0, a progress line per batch on stderr, the totals on stdout, and
 * no token, code, seed or secret printed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cryptoRandomBytes } from '../../src/clock';
import { createRepositories } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { createKeyRing, newRingEntry, parseRingKeys } from '../../src/keys/ring';
import { issueCode } from '../../src/sessions/otp';
import { createSession } from '../../src/sessions/sessions';
import { DEFAULT_OTP_SETTINGS } from '../../src/sessions/settings';
import { createTotpService } from '../../src/totp/service';
import { backends } from '../db/_backends';

const run = promisify(execFile);
const bin = new URL('../../bin/hashd.cjs', import.meta.url).pathname;

async function hashd(env: Record<string, string | undefined>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const DAY = 86_400_000;

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`hashd purge (${backend.name})`, () => {
    afterAll(() => backend.cleanup());

    it('deletes expired sessions, dead codes and stale pending enrolments in batches, keeps live rows, prints counts only', { timeout: 240_000 }, async () => {
      const options = await backend.create();
      const now = Date.now();
      let at = now - 2 * DAY;
      const clock = () => new Date(at);
      const secrets: string[] = [];
      const otpSecret = cryptoRandomBytes(32);
      secrets.push(Buffer.from(otpSecret).toString('hex'), Buffer.from(otpSecret).toString('base64'));

      const seed = await openDatabase(options);
      await seed.migrate();
      const repos = createRepositories(seed, clock);
      const sessionDeps = { sessions: repos.sessions, clock, random: cryptoRandomBytes };
      const otpDeps = { otp: repos.otp, clock, random: cryptoRandomBytes, secret: otpSecret, settings: DEFAULT_OTP_SETTINGS };
      const ring = await createKeyRing(parseRingKeys(newRingEntry('k1', cryptoRandomBytes), []), cryptoRandomBytes);
      const totp = createTotpService({ ring, repo: repos.totp, clock, randomBytes: cryptoRandomBytes });
      const enrol = async (tenant: string, userId: string) => {
        const enrolled = await totp.enroll(tenant, { userId, issuer: 'Acme', accountName: userId, digits: 6, period: 30, algorithm: 'SHA1', replace: false });
        secrets.push(enrolled.secret);
      };

      // Two days ago: 5 sessions of a minute, 3 codes of a minute, 3 enrolments never confirmed.
      for (let i = 0; i < 5; i++) secrets.push((await createSession(sessionDeps, i % 2 ? 'acme' : 'beta', { userId: `old-${i}`, ttlSeconds: 60, idleSeconds: null, metadata: null })).token);
      for (let i = 0; i < 3; i++) secrets.push((await issueCode(otpDeps, 'acme', { userId: `old-${i}`, purpose: 'login', digits: 6, ttlSeconds: 60 })).code);
      for (let i = 0; i < 3; i++) await enrol(i % 2 ? 'acme' : 'beta', `old-${i}`);
      // Now: one live row of each.
      at = now;
      const live = await createSession(sessionDeps, 'acme', { userId: 'live', ttlSeconds: 7 * 86_400, idleSeconds: null, metadata: null });
      const liveCode = await issueCode(otpDeps, 'acme', { userId: 'live', purpose: 'login', digits: 6, ttlSeconds: 3600 });
      secrets.push(live.token, liveCode.code);
      await enrol('acme', 'live');
      await seed.close();

      const env = {
        ...process.env,
        HASHD_DATA_DIR: options.dataDir ?? '/nonexistent',
        DATABASE_URL: options.url ?? '',
        HASHD_PURGE_BATCH: '2',
        HASHD_OTP_SECRET: Buffer.from(otpSecret).toString('base64'),
      };
      const result = await hashd(env, 'purge');
      expect(result.stderr).not.toMatch(/error|failed/i);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ sessions: 5, codes: 3, pendingEnrolments: 3 });
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toBe(`hashd: purging (${backend.name}, batches of 2)`);
      expect(lines.slice(1)).toEqual([
        'sessions: 2 removed',
        'sessions: 4 removed',
        'sessions: 5 removed',
        'codes: 2 removed',
        'codes: 3 removed',
        'pendingEnrolments: 2 removed',
        'pendingEnrolments: 3 removed',
      ]);
      const printed = result.stdout + result.stderr;
      expect(secrets.length).toBeGreaterThan(15);
      for (const secret of secrets) expect(printed).not.toContain(secret);

      // A second run finds nothing.
      const again = await hashd(env, 'purge');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ sessions: 0, codes: 0, pendingEnrolments: 0 });

      const check = await openDatabase(options);
      try {
        const after = createRepositories(check, () => new Date());
        for (let i = 0; i < 3; i++) expect(await after.totp.get(i % 2 ? 'acme' : 'beta', `old-${i}`)).toBeUndefined();
        expect((await after.totp.get('acme', 'live'))?.pendingSealed).toEqual(expect.any(String));
        expect((await after.sessions.get('acme', live.sessionId))?.userId).toBe('live');
        expect(await after.sessions.countActive('acme', new Date())).toBe(1);
        expect(await after.sessions.countActive('beta', new Date())).toBe(0);
        expect(await after.otp.countActive('acme', new Date())).toBe(1);
        expect((await after.otp.spendAttempt('acme', liveCode.otpId, new Date()))?.userId).toBe('live');
      } finally {
        await check.close();
      }
    });
  });
}

describe('hashd purge without a database', () => {
  it('exits non-zero with a message naming the problem, and prints no totals', { timeout: 60_000 }, async () => {
    const result = await hashd({ ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', HASHD_PURGE_BATCH: '2' }, 'purge');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/database/i);
  });
});
