/**
 * Housekeeping and configuration of sessions and codes: the purge deletes expired sessions, dead
 * codes and stale pending TOTP enrolments in bounded batches on both backends and leaves live rows alone; the session and OTP
 * settings are validated at start; the OTP server secret comes from HASHD_OTP_SECRET, else (dev
 * mode only) from a file generated once per data directory, never logged.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptoRandomBytes } from '../../src/clock';
import { ConfigError, loadConfig, type ServiceConfig } from '../../src/config';
import { createRepositories, type Database, type Repositories } from '../../src/db/index';
import { resolveOtpKeys, resolveOtpSecret } from '../../src/entry/otp-secret-node';
import { issueCode, verifyCode } from '../../src/sessions/otp';
import { otpSecret, type OtpKeys } from '../../src/sessions/otp-secret';
import { and, eq } from 'drizzle-orm';
import { otpCodes } from '../../src/db/schema-sessions';
import { purgeExpired } from '../../src/sessions/purge';
import { createSession } from '../../src/sessions/sessions';
import { DEFAULT_OTP_SETTINGS, DEFAULT_SESSION_SETTINGS } from '../../src/sessions/settings';
import { decodeBase32IgnorePadding } from '@oslojs/encoding';
import { createKeyRing, newRingEntry, parseRingKeys } from '../../src/keys/ring';
import { createTotpService } from '../../src/totp/service';
import { stepAt, totpCode } from '../../src/totp/totp';
import { backends, manualClock, openFresh } from '../db/_backends';
import { memoryLogger } from '../routes/_harness';
import { registry } from '../helpers';

const T0 = '2026-03-01T10:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`purge (${backend.name})`, () => {
    const clock = manualClock(T0);
    let database: Database;
    let repos: Repositories;
    beforeAll(async () => {
      database = await openFresh(backend);
      repos = createRepositories(database, clock.now);
    });
    afterAll(async () => {
      await database?.close();
      await backend.cleanup();
    });

    it('deletes expired sessions (absolute and idle) and dead codes in batches, and nothing live', async () => {
      const deps = { sessions: repos.sessions, clock: clock.now, random: cryptoRandomBytes };
      const otpDeps = { otp: repos.otp, clock: clock.now, random: cryptoRandomBytes, secret: new Uint8Array(32), settings: DEFAULT_OTP_SETTINGS };
      for (let i = 0; i < 7; i++) await createSession(deps, i % 2 ? 'acme' : 'beta', { userId: `short-${i}`, ttlSeconds: 60, idleSeconds: null, metadata: null });
      for (let i = 0; i < 4; i++) await createSession(deps, 'acme', { userId: `idle-${i}`, ttlSeconds: 86_400, idleSeconds: 300, metadata: null });
      const live = await createSession(deps, 'acme', { userId: 'live', ttlSeconds: 86_400, idleSeconds: null, metadata: null });
      for (let i = 0; i < 5; i++) await issueCode(otpDeps, 'acme', { userId: `code-${i}`, purpose: 'login', digits: 6, ttlSeconds: 60 });
      const liveCode = await issueCode(otpDeps, 'acme', { userId: 'code-live', purpose: 'login', digits: 6, ttlSeconds: 3600 });

      // At 10 minutes every short session and idle session is dead; the codes expired but their
      // issuance window (15 minutes) still counts, so they stay.
      clock.set(at(600));
      expect(await purgeExpired(repos, clock.now, { batchSize: 3 })).toEqual({ sessions: 11, codes: 0, pendingEnrolments: 0 });
      expect(await repos.sessions.countActive('acme', clock.now())).toBe(1);
      expect((await repos.sessions.get('acme', live.sessionId))?.userId).toBe('live');
      // A bounded run stops after its batches and leaves the rest to the next one.
      clock.set(at(901));
      expect(await purgeExpired(repos, clock.now, { batchSize: 2, maxBatches: 1 })).toEqual({ sessions: 0, codes: 2, pendingEnrolments: 0 });
      expect(await purgeExpired(repos, clock.now, { batchSize: 2 })).toEqual({ sessions: 0, codes: 3, pendingEnrolments: 0 });
      expect(await purgeExpired(repos, clock.now, { batchSize: 2 })).toEqual({ sessions: 0, codes: 0, pendingEnrolments: 0 });
      expect(await repos.otp.countActive('acme', clock.now())).toBe(1);
      expect((await repos.otp.spendAttempt('acme', liveCode.otpId, clock.now()))?.userId).toBe('code-live');
    });

    it('removes pending TOTP enrolments older than the bound: unconfirmed rows go, a confirmed TOTP keeps working without its stale replacement', async () => {
      clock.set(T0);
      const ring = await createKeyRing(parseRingKeys(newRingEntry('k1', cryptoRandomBytes), []), cryptoRandomBytes);
      const totp = createTotpService({ ring, repo: repos.totp, clock: clock.now, randomBytes: cryptoRandomBytes, settings: { pendingSeconds: 600 } });
      const enrol = (tenant: string, userId: string, replace = false) =>
        totp.enroll(tenant, { userId, issuer: 'Acme', accountName: userId, digits: 6, period: 30, algorithm: 'SHA1', replace });
      const codeNow = (secret: string) => totpCode(decodeBase32IgnorePadding(secret), stepAt(clock.now().getTime(), 30), 6);
      // Active TOTP with a replacement that will go stale.
      const active = await enrol('acme', 'active');
      expect((await totp.confirm('acme', 'active', codeNow(active.secret))).confirmed).toBe(true);
      await enrol('acme', 'active', true);
      for (let i = 0; i < 5; i++) await enrol(i % 2 ? 'acme' : 'beta', `stale-${i}`);
      clock.set(at(400));
      await enrol('acme', 'fresh');
      // At 600 s the first six pending enrolments are exactly at the bound: stale. 'fresh' is 200 s old.
      clock.set(at(600));
      expect(await purgeExpired(repos, clock.now, { batchSize: 2, maxBatches: 1, totpPendingSeconds: 600 })).toEqual({ sessions: 0, codes: 0, pendingEnrolments: 2 });
      const progress: string[] = [];
      const rest = await purgeExpired(repos, clock.now, { batchSize: 2, totpPendingSeconds: 600, onProgress: (p) => progress.push(`${p.table}:${p.removed}`) });
      expect(rest).toEqual({ sessions: 0, codes: 0, pendingEnrolments: 4 });
      expect(progress.filter((p) => p.startsWith('pendingEnrolments'))).toEqual(['pendingEnrolments:2', 'pendingEnrolments:4', 'pendingEnrolments:4']);
      for (let i = 0; i < 5; i++) expect(await repos.totp.get(i % 2 ? 'acme' : 'beta', `stale-${i}`)).toBeUndefined();
      const kept = await repos.totp.get('acme', 'active');
      expect(kept?.confirmedAt).not.toBeNull();
      expect(kept?.pendingSealed).toBeNull();
      expect(kept?.pendingCreatedAt).toBeNull();
      expect(await repos.totp.unusedRecoveryDigests('acme', 'active')).toHaveLength(10);
      expect((await repos.totp.get('acme', 'fresh'))?.pendingSealed).not.toBeNull();
      clock.set(at(630));
      expect(await totp.verify('acme', 'active', codeNow(active.secret))).toEqual({ valid: true });
      expect(await purgeExpired(repos, clock.now, { batchSize: 2, totpPendingSeconds: 600 })).toEqual({ sessions: 0, codes: 0, pendingEnrolments: 0 });
      clock.set(at(1000));
      expect(await purgeExpired(repos, clock.now, { batchSize: 2, totpPendingSeconds: 600 })).toEqual({ sessions: 0, codes: 0, pendingEnrolments: 1 });
      expect(await repos.totp.get('acme', 'fresh')).toBeUndefined();
    });
  });
}

describe('session and OTP configuration', () => {
  const load = (env: Record<string, string>): ServiceConfig => loadConfig({ env, registry });
  const issues = (env: Record<string, string>): readonly string[] => {
    try {
      load(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
    return [];
  };

  it('has the documented defaults', () => {
    const config = load({});
    expect(config.sessions).toEqual(DEFAULT_SESSION_SETTINGS);
    expect(config.sessions).toEqual({ defaultTtlSeconds: 604_800, maxTtlSeconds: 2_592_000, defaultIdleSeconds: 86_400 });
    expect(config.otp).toEqual(DEFAULT_OTP_SETTINGS);
    expect(config.otpSecret).toBeUndefined();
    expect(config.purge).toEqual({ intervalSeconds: 300, batchSize: 1000 });
    expect(config.totp).toEqual({ pendingSeconds: 600 });
  });

  it('reads HASHD_OTP_SECRET (base64 of 32+ bytes) and refuses anything shorter without echoing it', () => {
    const bytes = randomBytes(32);
    const secret = bytes.toString('base64');
    expect(load({ HASHD_OTP_SECRET: secret }).otpSecret).toEqual(new Uint8Array(bytes));
    for (const bad of [randomBytes(31).toString('base64'), 'not base64 at all!', 'c2hvcnQ=']) {
      const found = issues({ HASHD_OTP_SECRET: bad });
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^HASHD_OTP_SECRET: /);
      expect(found.join('\n')).not.toContain(bad);
    }
  });

  it('checks the lifetimes and limits', () => {
    expect(load({ HASHD_SESSION_TTL_SECONDS: '3600', HASHD_SESSION_IDLE_SECONDS: '0' }).sessions).toMatchObject({ defaultTtlSeconds: 3600, defaultIdleSeconds: 0 });
    expect(issues({ HASHD_SESSION_TTL_SECONDS: '59' })[0]).toMatch(/^HASHD_SESSION_TTL_SECONDS/);
    expect(issues({ HASHD_SESSION_MAX_TTL_SECONDS: '3600', HASHD_SESSION_TTL_SECONDS: '7200' })[0]).toMatch(/^HASHD_SESSION_TTL_SECONDS/);
    expect(issues({ HASHD_SESSION_IDLE_SECONDS: '120' })[0]).toMatch(/^HASHD_SESSION_IDLE_SECONDS/);
    expect(issues({ HASHD_OTP_ISSUE_LIMIT: '0' })[0]).toMatch(/^HASHD_OTP_ISSUE_LIMIT/);
    expect(issues({ HASHD_PURGE_BATCH: 'many' })[0]).toMatch(/^HASHD_PURGE_BATCH/);
    expect(load({ HASHD_TOTP_PENDING_SECONDS: '120' }).totp).toEqual({ pendingSeconds: 120 });
    for (const bad of ['59', '86401', 'soon']) expect(issues({ HASHD_TOTP_PENDING_SECONDS: bad })[0]).toMatch(/^HASHD_TOTP_PENDING_SECONDS/);
  });
});

describe('the OTP server secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashd-otp-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers HASHD_OTP_SECRET; production without it turns codes off with a clear reason', () => {
    const configured = new Uint8Array(32).fill(1);
    expect(otpSecret({ configured, devMode: false, loadGenerated: () => new Uint8Array(32) })).toEqual({ secret: configured, source: 'HASHD_OTP_SECRET' });
    const off = otpSecret({ configured: undefined, devMode: false, loadGenerated: () => new Uint8Array(32) });
    expect(off.secret).toBeUndefined();
    expect(off).toMatchObject({ reason: expect.stringContaining('HASHD_OTP_SECRET') });
  });

  it('dev mode generates one secret per data directory (0600), keeps it across restarts, and never logs it', () => {
    const logs: string[] = [];
    const config = { ...loadConfig({ env: { HASHD_DATA_DIR: join(dir, 'data') }, registry }) };
    const first = resolveOtpSecret(config, memoryLogger(logs));
    const second = resolveOtpSecret(config, memoryLogger(logs));
    expect(first).toBeDefined();
    expect(first?.byteLength).toBe(32);
    expect(second).toEqual(first);
    const file = join(dir, 'data', 'otp-secret');
    expect(new Uint8Array(readFileSync(file))).toEqual(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = logs.join('\n');
    expect(logs).toHaveLength(1);
    expect(text).toContain('generated a one-time code secret');
    const secret = Buffer.from(first as Uint8Array);
    for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(secret.toString(encoding));
    // With API keys (production) and no HASHD_OTP_SECRET: no secret, a warning, no file read.
    const production = { ...config, devMode: false, dataDir: join(dir, 'other') };
    const warned: string[] = [];
    expect(resolveOtpSecret(production, memoryLogger(warned))).toBeUndefined();
    expect(warned.join('\n')).toContain('HASHD_OTP_SECRET');
  });
});

describe('the OTP secret from the HASHD_KEYS ring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashd-otp-ring-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const entry = (id: string) => newRingEntry(id, cryptoRandomBytes);
  const rawKey = (ringEntry: string) => Buffer.from(ringEntry.slice(ringEntry.indexOf(':') + 1), 'base64');
  /** HKDF-SHA256 as documented for the ring (salt "hashd key ring derive v1", info = purpose), on node:crypto. */
  const derived = (ringEntry: string) => Buffer.from(hkdfSync('sha256', rawKey(ringEntry), 'hashd key ring derive v1', 'sessions/otp', 32));
  const load = (env: Record<string, string>) => loadConfig({ env: { HASHD_DATA_DIR: join(dir, 'data'), ...env }, registry });
  const keysFor = async (env: Record<string, string>, logs: string[] = []) => {
    const config = load(env);
    const ring = config.ringKeys ? await createKeyRing(config.ringKeys, cryptoRandomBytes) : undefined;
    return resolveOtpKeys(config, ring, memoryLogger(logs));
  };

  it('precedence: HASHD_KEYS, else HASHD_OTP_SECRET, else the dev file; never logged', async () => {
    const k1 = entry('k1');
    const otpSecretBytes = randomBytes(32);
    const otpSecretValue = otpSecretBytes.toString('base64');
    const logs: string[] = [];
    const ringKeys = await keysFor({ HASHD_KEYS: k1, HASHD_OTP_SECRET: otpSecretValue }, logs);
    expect(ringKeys?.source).toBe('HASHD_KEYS');
    expect(ringKeys?.current.keyId).toBe('k1');
    expect(Buffer.from(ringKeys!.current.key)).toEqual(derived(k1));
    // HASHD_OTP_SECRET stays a verifier of the codes it MACed (no key id), and MACs no new ones.
    expect(Buffer.from(ringKeys!.forKeyId(null)!)).toEqual(otpSecretBytes);
    const secretOnly = await keysFor({ HASHD_OTP_SECRET: otpSecretValue }, logs);
    expect(secretOnly?.source).toBe('HASHD_OTP_SECRET');
    expect(secretOnly?.current.keyId).toBeNull();
    expect(Buffer.from(secretOnly!.current.key)).toEqual(otpSecretBytes);
    const dev = await keysFor({}, logs);
    expect(dev?.source).toBe('dev-generated');
    expect(Buffer.from(dev!.current.key)).toEqual(readFileSync(join(dir, 'data', 'otp-secret')));
    const text = logs.join('\n');
    for (const secret of [derived(k1), rawKey(k1), otpSecretBytes, Buffer.from(dev!.current.key)]) {
      for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(secret.toString(encoding));
    }
  });

  for (const backend of backends) {
    describe.skipIf(backend.skipReason !== undefined)(`codes under the ring (${backend.name})`, () => {
      const clock = manualClock(T0);
      let database: Database;
      let repos: Repositories;
      beforeAll(async () => {
        database = await openFresh(backend);
        repos = createRepositories(database, clock.now);
      });
      afterAll(async () => {
        await database?.close();
        await backend.cleanup();
      });
      const stored = async (tenant: string, userId: string) => {
        const [row] = await database.db.select().from(otpCodes).where(and(eq(otpCodes.tenant, tenant), eq(otpCodes.userId, userId)));
        return row!;
      };
      const deps = (secret: OtpKeys) => ({ otp: repos.otp, clock: clock.now, random: cryptoRandomBytes, secret, settings: { ...DEFAULT_OTP_SETTINGS, issueLimit: 1000 } });

      it('stores HMAC-SHA256(derived key, otpId ‖ code) with the key id, and a code issued before a rotation still verifies', async () => {
        const k1 = entry('k1');
        const k2 = entry('k2');
        const before = (await keysFor({ HASHD_KEYS: k1 }))!;
        const issued = await issueCode(deps(before), 'acme', { userId: 'u1', purpose: 'login', digits: 6, ttlSeconds: 600 });
        const row = await stored('acme', 'u1');
        expect(row.macKeyId).toBe('k1');
        expect(row.codeMac).toBe(createHmac('sha256', derived(k1)).update(issued.otpId + issued.code, 'utf8').digest('hex'));
        expect(row.codeMac).not.toContain(issued.code);

        // Rotation: k2 is first now, k1 still listed.
        clock.set(at(60));
        const after = (await keysFor({ HASHD_KEYS: `${k2},${k1}` }))!;
        const fresh = await issueCode(deps(after), 'acme', { userId: 'u2', purpose: 'login', digits: 6, ttlSeconds: 600 });
        const freshRow = await stored('acme', 'u2');
        expect(freshRow.macKeyId).toBe('k2');
        expect(freshRow.codeMac).toBe(createHmac('sha256', derived(k2)).update(fresh.otpId + fresh.code, 'utf8').digest('hex'));
        expect(await verifyCode(deps(after), 'acme', { otpId: issued.otpId, code: issued.code })).toEqual({ valid: true, attemptsLeft: 4 });
        expect(await verifyCode(deps(after), 'acme', { otpId: fresh.otpId, code: fresh.code })).toEqual({ valid: true, attemptsLeft: 4 });

        // k1 removed from the ring: its codes cannot be checked (typed key_unavailable, never valid).
        const k1Code = await issueCode(deps(before), 'acme', { userId: 'u3', purpose: 'login', digits: 6, ttlSeconds: 600 });
        const only2 = (await keysFor({ HASHD_KEYS: k2 }))!;
        const refused = verifyCode(deps(only2), 'acme', { otpId: k1Code.otpId, code: k1Code.code });
        await expect(refused).rejects.toMatchObject({ code: 'key_unavailable', details: { keyId: 'k1' } });
        await expect(refused).rejects.not.toThrow(k1Code.code);
      });

      it('a code MACed with HASHD_OTP_SECRET before HASHD_KEYS was configured still verifies', async () => {
        const otpSecretBytes = randomBytes(32);
        const otpSecretValue = otpSecretBytes.toString('base64');
        const legacy = (await keysFor({ HASHD_OTP_SECRET: otpSecretValue }))!;
        const issued = await issueCode(deps(legacy), 'beta', { userId: 'old', purpose: 'reset', digits: 8, ttlSeconds: 600 });
        const row = await stored('beta', 'old');
        expect(row.macKeyId).toBeNull();
        expect(row.codeMac).toBe(createHmac('sha256', otpSecretBytes).update(issued.otpId + issued.code, 'utf8').digest('hex'));
        const both = (await keysFor({ HASHD_KEYS: entry('k9'), HASHD_OTP_SECRET: otpSecretValue }))!;
        expect(await verifyCode(deps(both), 'beta', { otpId: issued.otpId, code: issued.code })).toEqual({ valid: true, attemptsLeft: 4 });
        // Without HASHD_OTP_SECRET any more, such a code cannot be checked.
        const again = await issueCode(deps(legacy), 'beta', { userId: 'old2', purpose: 'reset', digits: 8, ttlSeconds: 600 });
        const ringOnly = (await keysFor({ HASHD_KEYS: entry('k9') }))!;
        await expect(verifyCode(deps(ringOnly), 'beta', { otpId: again.otpId, code: again.code })).rejects.toMatchObject({ code: 'key_unavailable' });
      });
    });
  }
});
