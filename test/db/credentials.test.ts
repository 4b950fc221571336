/**
 * The repositories (credentials, imports, exports, jobs, inventory), run unchanged against PGlite and PostgreSQL: both drivers must give
 * the same answers, since the service picks one by configuration alone.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CredentialRow,
  createRepositories,
  type Database,
  type ImportRow,
  type Repositories,
} from '../../src/db/index.ts';
import { backends, manualClock, openFresh } from './_backends.ts';

const T0 = '2025-03-01T12:00:00.000Z';

/** Zero-padded ids sort the same under every collation, so expected orders are plain sorts. */
function uid(n: number): string {
  return `user${String(n).padStart(6, '0')}`;
}

function md5Rows(count: number, from = 0): ImportRow[] {
  return Array.from({ length: count }, (_, i) => ({
    userId: uid(from + i),
    hash: `$1$salt${i % 1000}$${String(from + i).padStart(22, 'x')}`,
    scheme: 'md5_crypt',
  }));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`repositories on ${backend.name}`, () => {
    let database: Database;
    let repos: Repositories;
    const clock = manualClock(T0);

    beforeAll(async () => {
      database = await openFresh(backend);
      repos = createRepositories(database, clock.now);
    }, 30_000);

    afterAll(async () => {
      await database?.close();
      await backend.cleanup();
    }, 30_000);

    it('stores a credential and reads it back, and set always replaces', async () => {
      clock.set(T0);
      await repos.credentials.set('t-set', 'alice', {
        hash: 'sha1$abc$def',
        scheme: 'salted_digest',
        salt: 'pepperless',
        pgUser: null,
        source: 'set',
      });
      const first = await repos.credentials.get('t-set', 'alice');
      expect(first).toEqual<CredentialRow>({
        tenant: 't-set',
        userId: 'alice',
        hash: 'sha1$abc$def',
        scheme: 'salted_digest',
        salt: 'pepperless',
        pgUser: null,
        wrapped: false,
        source: 'set',
        createdAt: new Date(T0),
        updatedAt: new Date(T0),
        importedAt: null,
        lastLoginAt: null,
      });

      clock.set('2025-03-02T08:00:00.000Z');
      await repos.credentials.set('t-set', 'alice', { hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', scheme: 'argon2id', source: 'set' });
      const second = await repos.credentials.get('t-set', 'alice');
      expect(second).toMatchObject({
        hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
        scheme: 'argon2id',
        salt: null,
        createdAt: new Date(T0),
        updatedAt: new Date('2025-03-02T08:00:00.000Z'),
      });
      expect(await repos.credentials.get('t-set', 'bob')).toBeUndefined();
    });

    it('compare-and-swap replaces only the hash it expects', async () => {
      await repos.credentials.set('t-cas', 'u1', { hash: 'legacy-1', scheme: 'md5_crypt', salt: 's1', pgUser: 'pg1', source: 'import' });

      // A wrap keeps the legacy inputs it still needs.
      await expect(
        repos.credentials.compareAndSwap('t-cas', 'u1', 'legacy-1', { hash: 'wrapped-1', scheme: 'argon2id', wrapped: true, source: 'wrap' }),
      ).resolves.toBe(true);
      expect(await repos.credentials.get('t-cas', 'u1')).toMatchObject({ hash: 'wrapped-1', wrapped: true, source: 'wrap', salt: 's1', pgUser: 'pg1' });

      // A password change lands between the login's read and its upgrade write.
      const read = await repos.credentials.get('t-cas', 'u1');
      await repos.credentials.set('t-cas', 'u1', { hash: 'changed-by-user', scheme: 'argon2id', source: 'set' });
      await expect(
        repos.credentials.compareAndSwap('t-cas', 'u1', read!.hash, {
          hash: 'upgraded',
          scheme: 'argon2id',
          wrapped: false,
          source: 'login_upgrade',
          salt: null,
          pgUser: null,
        }),
      ).resolves.toBe(false);
      expect(await repos.credentials.get('t-cas', 'u1')).toMatchObject({ hash: 'changed-by-user', source: 'set', wrapped: false });

      // With the current hash the upgrade goes through and clears the legacy inputs when asked.
      await repos.credentials.set('t-cas', 'u2', { hash: 'old', scheme: 'bcrypt', salt: 'x', source: 'set' });
      await expect(
        repos.credentials.compareAndSwap('t-cas', 'u2', 'old', {
          hash: 'new',
          scheme: 'argon2id',
          wrapped: false,
          source: 'login_upgrade',
          salt: null,
          pgUser: null,
        }),
      ).resolves.toBe(true);
      expect(await repos.credentials.get('t-cas', 'u2')).toMatchObject({ hash: 'new', salt: null, source: 'login_upgrade' });
      await expect(
        repos.credentials.compareAndSwap('t-cas', 'nobody', 'old', { hash: 'new', scheme: 'argon2id', wrapped: false, source: 'login_upgrade' }),
      ).resolves.toBe(false);
    });

    it('a counted compare-and-swap adds to the upgrade counter only when it swapped, in the same statement', async () => {
      clock.set('2025-05-06T07:08:09.000Z');
      const day = '2025-05-06';
      const loginCount = async (): Promise<number> =>
        (await repos.inventory.inventory('t-count')).upgradesByDay.find((u) => u.day === day && u.kind === 'login')?.count ?? 0;
      await repos.credentials.set('t-count', 'u1', { hash: 'md5-1', scheme: 'md5_crypt', salt: 's', pgUser: 'pg', source: 'import' });
      const swap = { hash: 'argon-1', scheme: 'argon2id', wrapped: false, source: 'login_upgrade' as const, salt: null, pgUser: null, loggedIn: true, countUpgrade: 'login' as const };
      await expect(repos.credentials.compareAndSwap('t-count', 'u1', 'md5-1', swap)).resolves.toBe(true);
      expect(await repos.credentials.get('t-count', 'u1')).toMatchObject({
        hash: 'argon-1',
        scheme: 'argon2id',
        wrapped: false,
        source: 'login_upgrade',
        salt: null,
        pgUser: null,
        updatedAt: new Date('2025-05-06T07:08:09.000Z'),
        lastLoginAt: new Date('2025-05-06T07:08:09.000Z'),
      });
      expect(await loginCount()).toBe(1);
      // The hash it expected is gone (a password change won): nothing changes, nothing is counted.
      await expect(repos.credentials.compareAndSwap('t-count', 'u1', 'md5-1', { ...swap, hash: 'argon-2' })).resolves.toBe(false);
      await expect(repos.credentials.compareAndSwap('t-count', 'nobody', 'md5-1', swap)).resolves.toBe(false);
      await expect(repos.credentials.compareAndSwap('t-other', 'u1', 'argon-1', swap)).resolves.toBe(false);
      expect((await repos.credentials.get('t-count', 'u1'))?.hash).toBe('argon-1');
      expect(await loginCount()).toBe(1);
      // Omitted salt / user keep the stored values; a second upgrade adds to the same day's row.
      await repos.credentials.set('t-count', 'u2', { hash: 'md5-2', scheme: 'md5_crypt', salt: 's2', source: 'import' });
      await expect(repos.credentials.compareAndSwap('t-count', 'u2', 'md5-2', { hash: 'argon-2', scheme: 'argon2id', wrapped: false, source: 'login_upgrade', countUpgrade: 'login' })).resolves.toBe(true);
      expect(await repos.credentials.get('t-count', 'u2')).toMatchObject({ hash: 'argon-2', salt: 's2', lastLoginAt: null });
      expect(await loginCount()).toBe(2);
      expect((await repos.inventory.inventory('t-other')).upgradesByDay).toEqual([]);
    });

    it('never loses a password change racing an upgrade', async () => {
      const users = Array.from({ length: 100 }, (_, i) => uid(i));
      await repos.imports.importBatch('t-race', users.map((userId) => ({ userId, hash: 'outdated', scheme: 'md5_crypt' })), 'skip');
      await Promise.all(
        users.flatMap((userId) => [
          repos.credentials.compareAndSwap('t-race', userId, 'outdated', {
            hash: `upgrade-${userId}`,
            scheme: 'argon2id',
            wrapped: false,
            source: 'login_upgrade',
          }),
          repos.credentials.set('t-race', userId, { hash: `changed-${userId}`, scheme: 'argon2id', source: 'set' }),
        ]),
      );
      // Whichever write ran first, the password change is the last word for every user.
      const rows = await collect(repos.exports.exportRows('t-race', { batchSize: 1000 }));
      expect(rows.map((r) => r.hash)).toEqual(users.map((u) => `changed-${u}`));
    });

    it('compareAndSwapMany replaces, in one statement, only the rows that still hold their expected hash', async () => {
      clock.set('2025-06-01T00:00:00.000Z');
      await repos.imports.importBatch('t-many', md5Rows(4), 'skip');
      await repos.credentials.set('t-many', uid(1), { hash: 'changed', scheme: 'argon2id', salt: 'kept', source: 'set' });
      await repos.imports.importBatch('t-many-other', md5Rows(1), 'skip');
      const [r0, , r2, r3] = md5Rows(4);
      const swapped = await repos.credentials.compareAndSwapMany(
        't-many',
        [
          { userId: uid(0), expectedHash: r0!.hash, hash: 'wrapped-0' },
          // A password change landed after the scan: its row keeps the new password.
          { userId: uid(1), expectedHash: md5Rows(2)[1]!.hash, hash: 'wrapped-1' },
          { userId: uid(2), expectedHash: r2!.hash, hash: 'wrapped-2' },
          { userId: 'nobody', expectedHash: r3!.hash, hash: 'wrapped-x' },
        ],
        { scheme: 'hashd_wrapped', wrapped: true, source: 'wrap' },
      );
      expect([...swapped].sort()).toEqual([uid(0), uid(2)]);
      expect(await repos.credentials.get('t-many', uid(0))).toMatchObject({ hash: 'wrapped-0', scheme: 'hashd_wrapped', wrapped: true, source: 'wrap', updatedAt: new Date('2025-06-01T00:00:00.000Z') });
      expect(await repos.credentials.get('t-many', uid(1))).toMatchObject({ hash: 'changed', scheme: 'argon2id', salt: 'kept', wrapped: false });
      expect((await repos.credentials.get('t-many', uid(3)))?.hash).toBe(r3!.hash);
      // Another tenant's row with the same user id and hash is not touched.
      expect((await repos.credentials.get('t-many-other', uid(0)))?.hash).toBe(r0!.hash);
      await expect(repos.credentials.compareAndSwapMany('t-many', [], { scheme: 'x', wrapped: true, source: 'wrap' })).resolves.toEqual(new Set());
      await expect(
        repos.credentials.compareAndSwapMany('t-many', [{ userId: uid(3), expectedHash: 'a', hash: 'b' }, { userId: uid(3), expectedHash: 'a', hash: 'c' }], { scheme: 'x', wrapped: true, source: 'wrap' }),
      ).rejects.toThrow(RangeError);
    });

    it('touchLogins writes many last-login times in one statement, the latest per user, never backwards', async () => {
      await repos.credentials.set('t-times', 'a', { hash: 'h', scheme: 'argon2id', source: 'set' });
      await repos.credentials.set('t-times', 'b', { hash: 'h', scheme: 'argon2id', source: 'set' });
      await repos.credentials.set('t-times-2', 'a', { hash: 'h', scheme: 'argon2id', source: 'set' });
      const at = (iso: string): Date => new Date(iso);
      await expect(
        repos.credentials.touchLogins([
          { tenant: 't-times', userId: 'a', at: at('2025-07-01T10:00:02.000Z') },
          { tenant: 't-times', userId: 'a', at: at('2025-07-01T10:00:01.000Z') },
          { tenant: 't-times', userId: 'b', at: at('2025-07-01T10:00:03.000Z') },
          { tenant: 't-times', userId: 'gone', at: at('2025-07-01T10:00:03.000Z') },
        ]),
      ).resolves.toBe(2);
      expect((await repos.credentials.get('t-times', 'a'))?.lastLoginAt).toEqual(at('2025-07-01T10:00:02.000Z'));
      expect((await repos.credentials.get('t-times', 'b'))?.lastLoginAt).toEqual(at('2025-07-01T10:00:03.000Z'));
      expect((await repos.credentials.get('t-times-2', 'a'))?.lastLoginAt).toBeNull();
      // A late batch with an older time leaves the newer one.
      await repos.credentials.touchLogins([{ tenant: 't-times', userId: 'b', at: at('2025-07-01T09:00:00.000Z') }]);
      expect((await repos.credentials.get('t-times', 'b'))?.lastLoginAt).toEqual(at('2025-07-01T10:00:03.000Z'));
      await expect(repos.credentials.touchLogins([])).resolves.toBe(0);
    });

    it('keeps tenants apart', async () => {
      await repos.credentials.set('t-a', 'shared', { hash: 'hash-a', scheme: 'bcrypt', source: 'set' });
      expect(await repos.credentials.get('t-b', 'shared')).toBeUndefined();
      await expect(repos.credentials.remove('t-b', 'shared')).resolves.toBe(false);
      await expect(
        repos.credentials.compareAndSwap('t-b', 'shared', 'hash-a', { hash: 'stolen', scheme: 'argon2id', wrapped: false, source: 'set' }),
      ).resolves.toBe(false);
      await expect(repos.credentials.touchLogin('t-b', 'shared')).resolves.toBe(false);
      await expect(repos.imports.importBatch('t-b', [{ userId: 'shared', hash: 'hash-b', scheme: 'md5_crypt' }], 'overwrite')).resolves.toEqual({
        inserted: 1,
        skipped: 0,
      });
      expect(await repos.credentials.get('t-a', 'shared')).toMatchObject({ hash: 'hash-a', scheme: 'bcrypt', lastLoginAt: null });
      expect(await repos.credentials.get('t-b', 'shared')).toMatchObject({ hash: 'hash-b', scheme: 'md5_crypt' });
      expect((await collect(repos.exports.exportRows('t-b', { batchSize: 10 }))).map((r) => [r.tenant, r.hash])).toEqual([['t-b', 'hash-b']]);
      expect(await repos.exports.scanForWrap('t-b', { schemes: ['bcrypt'], limit: 10 })).toEqual([]);
      expect((await repos.inventory.inventory('t-b')).byScheme).toEqual([{ scheme: 'md5_crypt', count: 1 }]);

      await expect(repos.credentials.remove('t-a', 'shared')).resolves.toBe(true);
      expect(await repos.credentials.get('t-a', 'shared')).toBeUndefined();
      expect(await repos.credentials.get('t-b', 'shared')).toMatchObject({ hash: 'hash-b' });
      await expect(repos.credentials.remove('t-a', 'shared')).resolves.toBe(false);
    });

    it('imports with skip, then overwrite, idempotently', async () => {
      clock.set(T0);
      await repos.credentials.set('t-imp', 'kept', { hash: 'stored', scheme: 'argon2id', source: 'set' });
      const batch: ImportRow[] = [
        { userId: 'kept', hash: 'legacy-kept', scheme: 'md5_crypt' },
        { userId: 'new1', hash: 'legacy-1', scheme: 'salted_digest', salt: 'NaCl' },
        { userId: 'new2', hash: 'md5abc', scheme: 'postgres_md5', pgUser: 'alice' },
      ];
      await expect(repos.imports.importBatch('t-imp', batch, 'skip')).resolves.toEqual({ inserted: 2, skipped: 1 });
      expect(await repos.credentials.get('t-imp', 'kept')).toMatchObject({ hash: 'stored', source: 'set' });
      expect(await repos.credentials.get('t-imp', 'new1')).toMatchObject({
        hash: 'legacy-1',
        scheme: 'salted_digest',
        salt: 'NaCl',
        pgUser: null,
        source: 'import',
        wrapped: false,
        importedAt: new Date(T0),
        createdAt: new Date(T0),
      });
      expect(await repos.credentials.get('t-imp', 'new2')).toMatchObject({ pgUser: 'alice', salt: null });
      await expect(repos.imports.importBatch('t-imp', batch, 'skip')).resolves.toEqual({ inserted: 0, skipped: 3 });

      clock.set('2025-03-05T00:00:00.000Z');
      await expect(repos.imports.importBatch('t-imp', batch, 'overwrite')).resolves.toEqual({ inserted: 1, skipped: 2 });
      expect(await repos.credentials.get('t-imp', 'kept')).toMatchObject({
        hash: 'legacy-kept',
        scheme: 'md5_crypt',
        source: 'import',
        importedAt: new Date('2025-03-05T00:00:00.000Z'),
        createdAt: new Date(T0),
      });
      await expect(repos.imports.importBatch('t-imp', batch, 'overwrite')).resolves.toEqual({ inserted: 0, skipped: 3 });

      // A changed external salt is a different credential, even with the same hash text.
      await expect(
        repos.imports.importBatch('t-imp', [{ userId: 'new1', hash: 'legacy-1', scheme: 'salted_digest', salt: 'KCl' }], 'overwrite'),
      ).resolves.toEqual({ inserted: 1, skipped: 0 });
      expect(await repos.credentials.get('t-imp', 'new1')).toMatchObject({ salt: 'KCl' });
    });

    it('imports any text exactly as given', async () => {
      const awkward: ImportRow[] = [
        { userId: 'quote"d', hash: 'a"b\\c\\"d', scheme: 'raw_md5', salt: '', pgUser: 'NULL' },
        { userId: 'braces{,}', hash: '{x,y} "NULL" \\N', scheme: 'raw_md5', salt: ' spaced ', pgUser: null },
        { userId: 'ünï©ødé 🔑', hash: "it's\ttab\nline", scheme: 'raw_md5', salt: 'NULL' },
      ];
      await expect(repos.imports.importBatch('t-text', awkward, 'skip')).resolves.toEqual({ inserted: 3, skipped: 0 });
      for (const row of awkward) {
        expect(await repos.credentials.get('t-text', row.userId)).toMatchObject({
          userId: row.userId,
          hash: row.hash,
          salt: row.salt ?? null,
          pgUser: row.pgUser ?? null,
        });
      }
      await expect(repos.imports.importBatch('t-text', awkward, 'overwrite')).resolves.toEqual({ inserted: 0, skipped: 3 });
    });

    it('settles a user id repeated inside one batch', async () => {
      const repeated: ImportRow[] = [
        { userId: 'dup', hash: 'first', scheme: 'md5_crypt' },
        { userId: 'dup', hash: 'second', scheme: 'md5_crypt' },
      ];
      await expect(repos.imports.importBatch('t-dup', repeated, 'skip')).resolves.toEqual({ inserted: 1, skipped: 1 });
      expect(await repos.credentials.get('t-dup', 'dup')).toMatchObject({ hash: 'first' });
      await expect(repos.imports.importBatch('t-dup', repeated, 'overwrite')).resolves.toEqual({ inserted: 1, skipped: 1 });
      expect(await repos.credentials.get('t-dup', 'dup')).toMatchObject({ hash: 'second' });
      await expect(repos.imports.importBatch('t-dup', [], 'skip')).resolves.toEqual({ inserted: 0, skipped: 0 });
    });

    it('imports 20,000 rows in one batch', async () => {
      const rows = md5Rows(20_000);
      const started = performance.now();
      const result = await repos.imports.importBatch('t-bulk', rows, 'skip');
      const ms = performance.now() - started;
      console.log(`[${backend.name}] importBatch 20,000 rows: ${ms.toFixed(0)} ms (${Math.round(20_000 / (ms / 1000))} rows/s)`);
      expect(result).toEqual({ inserted: 20_000, skipped: 0 });
      expect((await repos.inventory.inventory('t-bulk')).total).toBe(20_000);
      expect(await repos.credentials.get('t-bulk', uid(12_345))).toMatchObject({ hash: rows[12_345]!.hash, scheme: 'md5_crypt' });

      const again = performance.now();
      await expect(repos.imports.importBatch('t-bulk', rows, 'overwrite')).resolves.toEqual({ inserted: 0, skipped: 20_000 });
      console.log(`[${backend.name}] re-import 20,000 rows (overwrite, all skipped): ${(performance.now() - again).toFixed(0)} ms`);
    }, 30_000);

    it('exports every row in user id order across pages', async () => {
      const rows = md5Rows(2_500);
      // Insert out of order, in several batches, so order comes from the query and not from insertion.
      const shuffled = [...rows].reverse();
      await repos.imports.importBatch('t-exp', shuffled.slice(0, 1_200), 'skip');
      await repos.imports.importBatch('t-exp', shuffled.slice(1_200), 'skip');
      const exported = await collect(repos.exports.exportRows('t-exp', { batchSize: 1_000 }));
      expect(exported).toHaveLength(2_500);
      expect(exported.map((r) => r.userId)).toEqual(rows.map((r) => r.userId));
      expect(exported[2_499]).toMatchObject({ tenant: 't-exp', hash: rows[2_499]!.hash });
      // A page size that divides the row count exactly ends cleanly too.
      expect(await collect(repos.exports.exportRows('t-exp', { batchSize: 500 }))).toHaveLength(2_500);
      await expect(collect(repos.exports.exportRows('t-empty', { batchSize: 10 }))).resolves.toEqual([]);
      await expect(collect(repos.exports.exportRows('t-exp', { batchSize: 0 }))).rejects.toThrow(RangeError);
    });

    it('scans weak unwrapped rows with a keyset cursor', async () => {
      const schemes = ['md5_crypt', 'bcrypt', 'raw_md5', 'argon2id'];
      await repos.imports.importBatch(
        't-scan',
        Array.from({ length: 20 }, (_, i) => ({ userId: uid(i), hash: `h${i}`, scheme: schemes[i % 4]! })),
        'skip',
      );
      // Already wrapped rows are never offered again.
      await repos.credentials.compareAndSwap('t-scan', uid(4), 'h4', { hash: 'w4', scheme: 'md5_crypt', wrapped: true, source: 'wrap' });
      const expected = [0, 2, 6, 8, 10, 12, 14, 16, 18].map(uid);

      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await repos.exports.scanForWrap('t-scan', {
          schemes: ['md5_crypt', 'raw_md5'],
          limit: 4,
          ...(after === undefined ? {} : { afterUserId: after }),
        });
        expect(page.length).toBeLessThanOrEqual(4);
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.userId));
        after = page.at(-1)!.userId;
      }
      expect(seen).toEqual(expected);
      await expect(repos.exports.countForWrap('t-scan', ['md5_crypt', 'raw_md5'])).resolves.toBe(expected.length);
      await expect(repos.exports.countForWrap('t-scan', [])).resolves.toBe(0);
      await expect(repos.exports.countForWrap('t-other', ['md5_crypt'])).resolves.toBe(0);
      expect(await repos.exports.scanForWrap('t-scan', { schemes: [], limit: 4 })).toEqual([]);
      const tail = await repos.exports.scanForWrap('t-scan', { schemes: ['raw_md5'], afterUserId: uid(10), limit: 100 });
      expect(tail.map((r) => [r.userId, r.hash])).toEqual([
        [uid(14), 'h14'],
        [uid(18), 'h18'],
      ]);
    });

    it('reports an inventory of the tenant', async () => {
      clock.set('2025-04-01T10:00:00.000Z');
      await repos.imports.importBatch(
        't-inv',
        [
          { userId: 'a', hash: 'ha', scheme: 'md5_crypt' },
          { userId: 'b', hash: 'hb', scheme: 'md5_crypt' },
          { userId: 'c', hash: 'hc', scheme: 'md5_crypt' },
          { userId: 'd', hash: 'hd', scheme: 'phpass' },
          { userId: 'e', hash: 'he', scheme: 'phpass' },
        ],
        'skip',
      );
      await repos.credentials.set('t-inv', 'f', { hash: 'hf', scheme: 'argon2id', source: 'set' });
      // a logs in and is upgraded; d logs in without an upgrade; b is wrapped.
      await repos.credentials.touchLogin('t-inv', 'a');
      await repos.credentials.compareAndSwap('t-inv', 'a', 'ha', { hash: 'ha2', scheme: 'argon2id', wrapped: false, source: 'login_upgrade' });
      await repos.inventory.recordUpgrade('t-inv', 'login');
      await repos.credentials.touchLogin('t-inv', 'd');
      await repos.credentials.compareAndSwap('t-inv', 'b', 'hb', { hash: 'hb2', scheme: 'argon2id', wrapped: true, source: 'wrap' });
      await repos.inventory.recordUpgrade('t-inv', 'wrap', 1);
      clock.set('2025-04-02T23:59:59.000Z');
      await repos.inventory.recordUpgrade('t-inv', 'login', 2);
      await repos.inventory.recordUpgrade('t-inv', 'login');
      await repos.inventory.recordUpgrade('t-inv', 'wrap', 0);

      expect(await repos.credentials.get('t-inv', 'a')).toMatchObject({ lastLoginAt: new Date('2025-04-01T10:00:00.000Z') });
      await expect(repos.inventory.inventory('t-inv')).resolves.toEqual({
        total: 6,
        byScheme: [
          { scheme: 'argon2id', count: 3 },
          { scheme: 'md5_crypt', count: 1 },
          { scheme: 'phpass', count: 2 },
        ],
        wrapped: 1,
        upgradesByDay: [
          { day: '2025-04-01', kind: 'login', count: 1 },
          { day: '2025-04-01', kind: 'wrap', count: 1 },
          { day: '2025-04-02', kind: 'login', count: 3 },
        ],
        weakNotLoggedInSinceImport: [
          { scheme: 'md5_crypt', count: 1 },
          { scheme: 'phpass', count: 1 },
        ],
      });
      await expect(repos.inventory.inventory('t-nobody')).resolves.toEqual({
        total: 0,
        byScheme: [],
        wrapped: 0,
        upgradesByDay: [],
        weakNotLoggedInSinceImport: [],
      });
    });

    it('runs a resumable job: progress, a restart, and one running job per kind', async () => {
      clock.set('2025-05-01T00:00:00.000Z');
      await repos.imports.importBatch('t-job', md5Rows(10), 'skip');
      const job = await repos.jobs.create('t-job', { kind: 'wrap', total: 10, params: { schemes: ['md5_crypt'] } });
      expect(job).toMatchObject({ tenant: 't-job', kind: 'wrap', state: 'running', cursor: null, processed: 0, total: 10 });
      expect(job!.params).toEqual({ schemes: ['md5_crypt'] });
      await expect(repos.jobs.create('t-job', { kind: 'wrap', total: 10 })).resolves.toBeUndefined();

      // Process a first page, then "crash".
      const first = await repos.exports.scanForWrap('t-job', { schemes: ['md5_crypt'], limit: 4 });
      for (const row of first) {
        await repos.credentials.compareAndSwap('t-job', row.userId, row.hash, { hash: `w-${row.hash}`, scheme: 'md5_crypt', wrapped: true, source: 'wrap' });
      }
      clock.set('2025-05-01T00:00:05.000Z');
      await expect(repos.jobs.progress('t-job', job!.id, { cursor: first.at(-1)!.userId, processed: 4 })).resolves.toBe(true);

      // Another tenant can neither see nor move the job.
      await expect(repos.jobs.get('t-other', 'wrap')).resolves.toBeUndefined();
      await expect(repos.jobs.progress('t-other', job!.id, { cursor: null, processed: 0 })).resolves.toBe(false);
      await expect(repos.jobs.finish('t-other', job!.id, 'failed')).resolves.toBe(false);

      // After the restart a new store finds the running job and resumes after its cursor.
      const restarted = createRepositories(database, clock.now);
      const found = await restarted.jobs.get('t-job', 'wrap');
      expect(found).toMatchObject({
        id: job!.id,
        state: 'running',
        cursor: uid(3),
        processed: 4,
        updatedAt: new Date('2025-05-01T00:00:05.000Z'),
      });
      const rest = await restarted.exports.scanForWrap('t-job', { schemes: ['md5_crypt'], afterUserId: found!.cursor!, limit: 100 });
      expect(rest.map((r) => r.userId)).toEqual([4, 5, 6, 7, 8, 9].map(uid));
      clock.set('2025-05-01T00:01:00.000Z');
      await expect(restarted.jobs.progress('t-job', job!.id, { cursor: uid(9), processed: 10 })).resolves.toBe(true);
      await expect(restarted.jobs.finish('t-job', job!.id, 'done')).resolves.toBe(true);
      await expect(restarted.jobs.finish('t-job', job!.id, 'failed')).resolves.toBe(false);
      await expect(restarted.jobs.progress('t-job', job!.id, { cursor: null, processed: 0 })).resolves.toBe(false);
      expect(await restarted.jobs.get('t-job', 'wrap')).toMatchObject({
        state: 'done',
        processed: 10,
        finishedAt: new Date('2025-05-01T00:01:00.000Z'),
      });

      // A finished job frees the kind; the latest job is the one reported.
      clock.set('2025-05-02T00:00:00.000Z');
      const next = await restarted.jobs.create('t-job', { kind: 'wrap', total: 0 });
      expect(next).toBeDefined();
      expect((await restarted.jobs.get('t-job', 'wrap'))!.id).toBe(next!.id);
      await expect(restarted.jobs.create('t-other', { kind: 'wrap', total: 0 })).resolves.toMatchObject({ tenant: 't-other' });
    });
  });
}
