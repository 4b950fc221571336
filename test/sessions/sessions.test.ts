/**
 * Sessions over HTTP on both backends (PGlite and PostgreSQL), with a clock the test moves:
 * token format and storage, absolute and idle expiry, the once-a-minute idle slide, revoke (one,
 * all of a user, under concurrent verifies), list, login sessions, password change, user
 * deletion, tenant isolation, the admin counts and the absence of secrets from logs.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index';
import { backends, manualClock, openFresh } from '../db/_backends';
import { makeStoreApp, type StoreApp } from '../store/_app';

const T0 = '2026-03-01T10:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const TOKEN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{32}$/;

interface Created {
  token: string;
  sessionId: string;
  expiresAt: string;
  idleExpiresAt?: string;
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`sessions (${backend.name})`, () => {
    const clock = manualClock(T0);
    let database: Database;
    let s: StoreApp;
    const issued: string[] = [];

    beforeAll(async () => {
      database = await openFresh(backend, 20);
      s = makeStoreApp(database, { clock: clock.now });
    });
    afterAll(async () => {
      await database?.close();
      await backend.cleanup();
    });

    const create = async (body: Record<string, unknown>, tenant: 'acme' | 'beta' = 'acme'): Promise<Created> => {
      const res = await s.call('/v1/sessions', { json: body, tenant });
      expect(res.status).toBe(201);
      const created = (await res.json()) as Created;
      issued.push(created.token);
      return created;
    };
    const verify = async (token: unknown, tenant: 'acme' | 'beta' = 'acme'): Promise<Record<string, unknown>> => {
      const res = await s.call('/v1/sessions/verify', { json: { token }, tenant });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };

    it('creates <id>.<secret> tokens with the configured default lifetimes; stores only SHA-256(secret)', async () => {
      clock.set(T0);
      const created = await create({ userId: 'alice', metadata: { ua: 'curl', n: 1 } });
      expect(created.token).toMatch(TOKEN);
      const [id, secret] = created.token.split('.') as [string, string];
      expect(created.sessionId).toBe(id);
      expect(created.expiresAt).toBe(at(7 * 86_400));
      expect(created.idleExpiresAt).toBe(at(86_400));
      const row = await s.repos.sessions.get('acme', id);
      expect(row?.secretHash).toBe(sha256(secret));
      expect(JSON.stringify(row)).not.toContain(secret);
      expect(await verify(created.token)).toEqual({ valid: true, userId: 'alice', sessionId: id, expiresAt: at(7 * 86_400), idleExpiresAt: at(86_400), metadata: { ua: 'curl', n: 1 } });
    });

    it('the stored digest, a changed secret or a malformed token never verify; a non-string is a 400', async () => {
      clock.set(T0);
      const { token, sessionId } = await create({ userId: 'bob' });
      const row = await s.repos.sessions.get('acme', sessionId);
      const secret = token.split('.')[1] as string;
      const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
      for (const bad of [`${sessionId}.${row?.secretHash}`, `${sessionId}.${flipped}`, `${sessionId}.${secret}x`, secret, sessionId, `${sessionId}..${secret}`, ` ${token}`, `${token}\n`, '', '.', `${'A'.repeat(22)}.${secret}`]) {
        expect(await verify(bad), bad).toEqual({ valid: false });
      }
      for (const bad of [42, null, [token], { token }]) {
        const res = await s.call('/v1/sessions/verify', { json: { token: bad } });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
      }
      expect((await verify(token)).valid).toBe(true);
    });

    it('absolute expiry is enforced from the server clock, whatever the idle timeout', async () => {
      clock.set(T0);
      const { token, expiresAt, idleExpiresAt } = await create({ userId: 'carol', ttlSeconds: 3600, idleSeconds: 0 });
      expect(expiresAt).toBe(at(3600));
      expect(idleExpiresAt).toBeUndefined();
      clock.set(at(3599));
      expect((await verify(token)).valid).toBe(true);
      clock.set(at(3600));
      expect(await verify(token)).toEqual({ valid: false });
      // An idle timeout never extends past the absolute expiry.
      clock.set(T0);
      const short = await create({ userId: 'carol', ttlSeconds: 600, idleSeconds: 3600 });
      expect(short.idleExpiresAt).toBe(at(600));
      clock.set(at(599));
      expect((await verify(short.token)).idleExpiresAt).toBe(at(600));
      clock.set(at(600));
      expect((await verify(short.token)).valid).toBe(false);
    });

    it('idle expiry slides on use, written at most once a minute, and expires an unused session', async () => {
      clock.set(T0);
      const { token, sessionId } = await create({ userId: 'dave', ttlSeconds: 86_400, idleSeconds: 600 });
      clock.set(at(30));
      expect((await verify(token)).idleExpiresAt).toBe(at(600));
      // 30 s after creation: no write yet (the last recorded use is younger than a minute).
      expect((await s.repos.sessions.get('acme', sessionId))?.lastUsedAt.toISOString()).toBe(T0);
      clock.set(at(500));
      expect((await verify(token)).idleExpiresAt).toBe(at(1100));
      expect((await s.repos.sessions.get('acme', sessionId))?.lastUsedAt.toISOString()).toBe(at(500));
      clock.set(at(540));
      expect((await verify(token)).idleExpiresAt).toBe(at(1100));
      expect((await s.repos.sessions.get('acme', sessionId))?.lastUsedAt.toISOString()).toBe(at(500));
      clock.set(at(1099));
      expect((await verify(token)).idleExpiresAt).toBe(at(1699));
      clock.set(at(1699));
      expect(await verify(token)).toEqual({ valid: false });
    });

    it('refuses lifetimes outside the configured bounds and oversized metadata (400, nothing stored)', async () => {
      clock.set(T0);
      const bodies = [
        { userId: 'erin', ttlSeconds: 30 * 86_400 + 1 },
        { userId: 'erin', ttlSeconds: 59 },
        { userId: 'erin', ttlSeconds: 600.5 },
        { userId: 'erin', idleSeconds: 299 },
        { userId: 'erin', idleSeconds: -1 },
        { userId: 'erin', idleSeconds: 30 * 86_400 + 1 },
        { userId: 'erin', metadata: { blob: 'x'.repeat(2048) } },
        { userId: 'erin', metadata: ['a'] },
        { userId: 'erin', metadata: 'text' },
        { userId: '' },
        { userId: 'erin', expiresAt: at(10) },
        { userId: 'erin', token: 'AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      ];
      for (const body of bodies) {
        const res = await s.call('/v1/sessions', { json: body });
        expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
      }
      expect(await s.repos.sessions.listUser('acme', 'erin', clock.now())).toEqual([]);
    });

    it('revoke is immediate and idempotent; an unknown id answers exactly like a known one', async () => {
      clock.set(T0);
      const { token, sessionId } = await create({ userId: 'frank' });
      const first = await s.call(`/v1/sessions/${sessionId}`, { method: 'DELETE' });
      expect(first.status).toBe(204);
      expect(await verify(token)).toEqual({ valid: false });
      const again = await s.call(`/v1/sessions/${sessionId}`, { method: 'DELETE' });
      const unknown = await s.call(`/v1/sessions/${'Z'.repeat(22)}`, { method: 'DELETE' });
      for (const res of [again, unknown]) {
        expect(res.status).toBe(204);
        expect(await res.text()).toBe(await first.clone().text());
        expect([...(res.headers as unknown as Map<string, string>).keys()].sort()).toEqual([...(first.headers as unknown as Map<string, string>).keys()].sort());
      }
    });

    it('no verify that starts after a revoke has answered succeeds (parallel verifies around the revoke)', async () => {
      clock.set(T0);
      for (let round = 0; round < 3; round++) {
        const { token, sessionId } = await create({ userId: 'grace' });
        let revoked = false;
        const before = Array.from({ length: 40 }, () => verify(token));
        const after: Promise<Record<string, unknown>>[] = [];
        const revoke = s.call(`/v1/sessions/${sessionId}`, { method: 'DELETE' }).then((res) => {
          revoked = true;
          expect(res.status).toBe(204);
          for (let i = 0; i < 40; i++) after.push(verify(token));
        });
        // Verifies racing the revoke: either answer is allowed for them.
        const racing = Array.from({ length: 40 }, async () => {
          const startedAfter = revoked;
          const result = await verify(token);
          return { result, startedAfter };
        });
        await revoke;
        const raced = await Promise.all(racing);
        await Promise.all(before);
        expect((await Promise.all(after)).every((r) => r.valid === false)).toBe(true);
        for (const r of raced) if (r.startedAfter) expect(r.result.valid).toBe(false);
        expect(await verify(token)).toEqual({ valid: false });
      }
    });

    it("lists a user's live sessions without any secret, and revokes them all at once", async () => {
      clock.set(T0);
      const a = await create({ userId: 'heidi', metadata: { device: 'phone' } });
      clock.set(at(5));
      const b = await create({ userId: 'heidi', ttlSeconds: 600 });
      const other = await create({ userId: 'ivan' });
      clock.set(at(10));
      const res = await s.call('/v1/users/heidi/sessions');
      expect(res.status).toBe(200);
      const text = await res.text();
      const { sessions } = JSON.parse(text) as { sessions: Record<string, unknown>[] };
      expect(sessions.map((x) => x.sessionId)).toEqual([a.sessionId, b.sessionId]);
      expect(sessions[0]).toEqual({ sessionId: a.sessionId, createdAt: T0, lastUsedAt: T0, expiresAt: a.expiresAt, idleExpiresAt: a.idleExpiresAt, metadata: { device: 'phone' } });
      for (const created of [a, b]) {
        const row = await s.repos.sessions.get('acme', created.sessionId);
        expect(text).not.toContain(created.token.split('.')[1]);
        expect(text).not.toContain(row?.secretHash);
      }
      // An expired session is not listed.
      clock.set(at(605));
      expect(((await (await s.call('/v1/users/heidi/sessions')).json()) as { sessions: unknown[] }).sessions).toHaveLength(1);
      clock.set(at(10));
      expect((await s.call('/v1/users/heidi/sessions', { method: 'DELETE' })).status).toBe(204);
      expect((await verify(a.token)).valid).toBe(false);
      expect((await verify(b.token)).valid).toBe(false);
      expect((await verify(other.token)).valid).toBe(true);
      expect(((await (await s.call('/v1/users/heidi/sessions')).json()) as { sessions: unknown[] }).sessions).toEqual([]);
    });

    it('login with session: true starts a fresh session when the password is valid, and only then', async () => {
      clock.set(T0);
      expect((await s.call('/v1/users/judy/password', { method: 'PUT', json: { password: 'pw-judy' } })).status).toBe(204);
      const ok = await s.call('/v1/login', { json: { userId: 'judy', password: 'pw-judy', session: true, ttlSeconds: 3600, metadata: { via: 'login' } } });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as { valid: boolean; upgraded: boolean; session: Created };
      issued.push(body.session.token);
      expect(body.valid).toBe(true);
      expect(body.session.token).toMatch(TOKEN);
      expect(body.session.expiresAt).toBe(at(3600));
      expect(await verify(body.session.token)).toMatchObject({ valid: true, userId: 'judy', metadata: { via: 'login' } });
      const second = (await (await s.call('/v1/login', { json: { userId: 'judy', password: 'pw-judy', session: true } })).json()) as { session: Created };
      issued.push(second.session.token);
      expect(second.session.sessionId).not.toBe(body.session.sessionId);
      // A wrong password or an unknown user: no session, same answer shape as without one.
      expect(await (await s.call('/v1/login', { json: { userId: 'judy', password: 'nope', session: true } })).json()).toEqual({ valid: false, upgraded: false });
      expect(await (await s.call('/v1/login', { json: { userId: 'nobody', password: 'nope', session: true } })).json()).toEqual({ valid: false, upgraded: false });
      // Without session: true, no session.
      expect(await (await s.call('/v1/login', { json: { userId: 'judy', password: 'pw-judy' } })).json()).toEqual({ valid: true, upgraded: false });
      expect(await s.repos.sessions.listUser('acme', 'judy', clock.now())).toHaveLength(2);
      // No fixation: a token offered by the caller is refused, never adopted.
      const fixation = await s.call('/v1/login', { json: { userId: 'judy', password: 'pw-judy', session: true, token: body.session.token } });
      expect(fixation.status).toBe(400);
      const badTtl = await s.call('/v1/login', { json: { userId: 'judy', password: 'pw-judy', session: true, ttlSeconds: 10 ** 9 } });
      expect(badTtl.status).toBe(400);
      expect(await s.repos.sessions.listUser('acme', 'judy', clock.now())).toHaveLength(2);
    });

    it('a password change revokes every session of the user unless keepSessions: true', async () => {
      clock.set(T0);
      await s.call('/v1/users/mallory/password', { method: 'PUT', json: { password: 'old' } });
      const a = await create({ userId: 'mallory' });
      const b = await create({ userId: 'mallory' });
      const bystander = await create({ userId: 'niaj' });
      expect((await s.call('/v1/users/mallory/password', { method: 'PUT', json: { password: 'new-1', keepSessions: true } })).status).toBe(204);
      expect((await verify(a.token)).valid).toBe(true);
      expect((await s.call('/v1/users/mallory/password', { method: 'PUT', json: { password: 'new-2' } })).status).toBe(204);
      expect((await verify(a.token)).valid).toBe(false);
      expect((await verify(b.token)).valid).toBe(false);
      expect((await verify(bystander.token)).valid).toBe(true);
      expect((await s.call('/v1/users/mallory/password', { method: 'PUT', json: { password: 'x', keepSessions: 'yes' } })).status).toBe(400);
    });

    it('deleting a user removes the credential, the sessions and the codes', async () => {
      clock.set(T0);
      await s.call('/v1/users/olivia/password', { method: 'PUT', json: { password: 'pw' } });
      const session = await create({ userId: 'olivia' });
      const code = (await (await s.call('/v1/otp', { json: { userId: 'olivia', purpose: 'login' } })).json()) as { otpId: string; code: string };
      issued.push(code.code);
      expect((await s.call('/v1/users/olivia', { method: 'DELETE' })).status).toBe(204);
      expect((await verify(session.token)).valid).toBe(false);
      expect(await (await s.call('/v1/otp/verify', { json: { otpId: code.otpId, code: code.code } })).json()).toEqual({ valid: false, attemptsLeft: 0 });
      expect(await s.repos.credentials.get('acme', 'olivia')).toBeUndefined();
    });

    it('tenant isolation: another tenant cannot verify, revoke, list or count a session', async () => {
      clock.set(T0);
      const mine = await create({ userId: 'peggy' });
      expect(await verify(mine.token, 'beta')).toEqual({ valid: false });
      expect((await s.call(`/v1/sessions/${mine.sessionId}`, { method: 'DELETE', tenant: 'beta' })).status).toBe(204);
      expect((await s.call('/v1/users/peggy/sessions', { method: 'DELETE', tenant: 'beta' })).status).toBe(204);
      await s.call('/v1/users/peggy/password', { method: 'PUT', json: { password: 'beta-pw' }, tenant: 'beta' });
      expect(await (await s.call('/v1/users/peggy/sessions', { tenant: 'beta' })).json()).toEqual({ sessions: [] });
      expect((await verify(mine.token)).valid).toBe(true);
      const theirs = await create({ userId: 'peggy' }, 'beta');
      expect((await verify(theirs.token)).valid).toBe(false);
      expect((await verify(theirs.token, 'beta')).valid).toBe(true);
      const acme = (await (await s.call('/v1/admin/sessions/stats')).json()) as { activeSessions: number };
      const beta = (await (await s.call('/v1/admin/sessions/stats', { tenant: 'beta' })).json()) as { activeSessions: number };
      expect(beta.activeSessions).toBe(1);
      expect(acme.activeSessions).toBe(await s.repos.sessions.countActive('acme', clock.now()));
      expect(acme.activeSessions).toBeGreaterThan(1);
    });

    it('verifies sent together (read in one batched statement) each get their own answer', async () => {
      clock.set(T0);
      const acme = await Promise.all(Array.from({ length: 12 }, (_, i) => create({ userId: `batch-${i}`, metadata: { i } })));
      const beta = await Promise.all(Array.from({ length: 4 }, (_, i) => create({ userId: `batch-${i}` }, 'beta')));
      const revoked = acme[11] as Created;
      expect((await s.call(`/v1/sessions/${revoked.sessionId}`, { method: 'DELETE' })).status).toBe(204);
      const forged = (c: Created) => `${c.sessionId}.${'A'.repeat(32)}`;
      const asked: [string, 'acme' | 'beta', Record<string, unknown>][] = [
        ...acme.slice(0, 11).map((c, i): [string, 'acme', Record<string, unknown>] => [c.token, 'acme', { valid: true, userId: `batch-${i}`, metadata: { i } }]),
        [(acme[0] as Created).token, 'acme', { valid: true, userId: 'batch-0' }],
        [forged(acme[1] as Created), 'acme', { valid: false }],
        [revoked.token, 'acme', { valid: false }],
        ...beta.map((c): [string, 'acme', Record<string, unknown>] => [c.token, 'acme', { valid: false }]),
        ...beta.map((c, i): [string, 'beta', Record<string, unknown>] => [c.token, 'beta', { valid: true, userId: `batch-${i}` }]),
        [(acme[2] as Created).token, 'beta', { valid: false }],
      ];
      const answers = await Promise.all(asked.map(([token, tenant]) => verify(token, tenant)));
      answers.forEach((answer, i) => expect(answer).toMatchObject((asked[i] as [string, string, Record<string, unknown>])[2]));
    });

    it('GET /v1/admin/sessions/stats needs the admin scope; sessions need only a service key', async () => {
      clock.set(T0);
      const res = await s.call('/v1/admin/sessions/stats', { tenant: 'acmeService' });
      expect(res.status).toBe(403);
      const created = await s.call('/v1/sessions', { json: { userId: 'quentin' }, tenant: 'acmeService' });
      expect(created.status).toBe(201);
      issued.push(((await created.json()) as Created).token);
    });

    it('no token or secret appears in a log line or an error body', async () => {
      const logs = s.logs.join('\n');
      expect(logs).toContain('/v1/sessions/verify');
      expect(issued.length).toBeGreaterThan(20);
      for (const token of issued) {
        expect(logs).not.toContain(token);
        const secret = token.split('.')[1];
        if (secret !== undefined) expect(logs).not.toContain(secret);
      }
      const bad = await s.call('/v1/sessions/verify', { json: { token: issued[0], extra: issued[0] } });
      expect(bad.status).toBe(400);
      expect(await bad.text()).not.toContain(issued[0] as string);
    });
  });
}
