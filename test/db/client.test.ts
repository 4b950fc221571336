/**
 * Opening, migrating and closing the database on both backends, and telling a database that
 * cannot be reached apart from any other database error.
 */

import { readFile, readdir } from 'node:fs/promises';
import { getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/database.ts';
import { openDatabase } from '../../src/entry/database-client.ts';
import { systemClock } from '../../src/clock.ts';
import { createCredentialRepository, type Database, isDatabaseUnavailable } from '../../src/db/index.ts';
import { backends, openFresh } from './_backends.ts';

const journal = JSON.parse(await readFile(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as {
  entries: unknown[];
};

/** Every table the drizzle schema files declare (src/db/schema*.ts), which the migrations must create. */
async function declaredTables(): Promise<string[]> {
  const dir = new URL('../../src/db/', import.meta.url);
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => /^schema.*\.ts$/.test(f))) {
    const mod = (await import(new URL(file, dir).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) if (is(value, PgTable)) names.push(getTableName(value));
  }
  return [...new Set(names)].sort();
}

async function appliedMigrations(database: Database): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
  );
  return row?.n ?? -1;
}

async function tableNames(database: Database): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    database.db,
    sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
  );
  return rows.map((r) => r.name);
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`database on ${backend.name}`, () => {
    let database: Database;
    beforeAll(async () => {
      database = await openFresh(backend);
    }, 30_000);
    afterAll(async () => {
      await database?.close();
      await backend.cleanup();
    }, 30_000);

    it('migrates once and then finds nothing to do', async () => {
      expect(database.kind).toBe(backend.name);
      const declared = await declaredTables();
      expect(declared).toContain('credentials');
      expect((await tableNames(database)).sort()).toEqual(declared);
      await database.migrate();
      await database.migrate();
      expect(await appliedMigrations(database)).toBe(journal.entries.length);
      await expect(database.ping()).resolves.toBeUndefined();
    });

    it('does not mistake an ordinary query error for an unavailable database', async () => {
      const store = createCredentialRepository(database, systemClock);
      const syntax = await database.db.execute(sql`selec 1`).catch((err: unknown) => err);
      expect(syntax).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(syntax)).toBe(false);
      // The CHECK constraint rejects a source the code does not know.
      const invalid = await store
        .set('t', 'u', { hash: 'h', scheme: 's', source: 'bogus' as 'set' })
        .catch((err: unknown) => err);
      expect(invalid).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(invalid)).toBe(false);
      expect(await store.get('t', 'u')).toBeUndefined();
    });
  });
}

const pglite = backends.find((b) => b.name === 'pglite')!;
const pg = backends.find((b) => b.name === 'postgres')!;

describe('PGlite storage', () => {
  afterAll(() => pglite.cleanup());

  it('keeps data across close and reopen of the same directory', async () => {
    const { dataDir } = await pglite.create();
    const first = await openDatabase({ dataDir: dataDir! });
    await first.migrate();
    await createCredentialRepository(first, systemClock).set('t', 'kept', { hash: 'persisted-hash', scheme: 'bcrypt', source: 'set' });
    await first.close();
    await expect(first.ping()).rejects.toSatisfy(isDatabaseUnavailable);

    const second = await openDatabase({ dataDir: dataDir! });
    try {
      await second.migrate();
      expect(await createCredentialRepository(second, systemClock).get('t', 'kept')).toMatchObject({ hash: 'persisted-hash', scheme: 'bcrypt' });
      expect(await appliedMigrations(second)).toBe(journal.entries.length);
    } finally {
      await second.close();
    }
  }, 30_000);
});

describe.skipIf(pg.skipReason !== undefined)('PostgreSQL connections', () => {
  afterAll(() => pg.cleanup(), 30_000);

  it('serialises migrations started by two processes at once', async () => {
    const { url } = await pg.create();
    const a = await openDatabase({ url: url! });
    const b = await openDatabase({ url: url! });
    try {
      await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
      expect(await appliedMigrations(b)).toBe(journal.entries.length);
      expect((await tableNames(a)).sort()).toEqual(await declaredTables());
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  it('reports a terminated connection as unavailable, then recovers by itself', async () => {
    const { url } = await pg.create();
    const database = await openDatabase({ url: url!, poolMax: 1 });
    const admin = await openDatabase({ url: url!, poolMax: 1 });
    try {
      await database.ping();
      // Terminate the server process while a query runs on it, as a server restart would.
      const inFlight = database.db.execute(sql`select pg_sleep(10) as hashd_probe`).catch((e: unknown) => e);
      let victims: { pid: number }[] = [];
      while (victims.length === 0) {
        victims = await queryRows<{ pid: number }>(
          admin.db,
          sql`select pid from pg_stat_activity where query like '%hashd_probe%' and pid <> pg_backend_pid()`,
        );
      }
      await admin.db.execute(sql`select pg_terminate_backend(${victims[0]!.pid})`);
      const err = await inFlight;
      expect(err).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(err)).toBe(true);

      // The driver reconnects on its own; it may first hand the server's FATAL 57P01 to the next
      // query, which must be recognised as well.
      const failures: unknown[] = [];
      for (let attempt = 0; attempt < 5; attempt++) {
        const outcome = await database.ping().then(
          () => 'ok' as const,
          (e: unknown) => e,
        );
        if (outcome === 'ok') break;
        failures.push(outcome);
      }
      expect(failures.length).toBeLessThan(5);
      expect(failures.every(isDatabaseUnavailable)).toBe(true);
      await expect(database.ping()).resolves.toBeUndefined();
    } finally {
      await Promise.all([database.close(), admin.close()]);
    }
  }, 30_000);
});

describe('isDatabaseUnavailable', () => {
  it('recognises a refused connection', async () => {
    const database = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const err = await database.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(err)).toBe(true);
      await expect(database.migrate()).rejects.toSatisfy(isDatabaseUnavailable);
    } finally {
      await database.close();
    }
  }, 20_000);

  it('matches codes through causes and aggregates, and nothing else', () => {
    const coded = (code: string): Error => Object.assign(new Error('x'), { code });
    expect(isDatabaseUnavailable(coded('ECONNRESET'))).toBe(true);
    expect(isDatabaseUnavailable(coded('CONNECTION_ENDED'))).toBe(true);
    expect(isDatabaseUnavailable(coded('CONNECT_TIMEOUT'))).toBe(true);
    expect(isDatabaseUnavailable(coded('57P01'))).toBe(true);
    expect(isDatabaseUnavailable(coded('08006'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: coded('08001') }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('outer', { cause: new AggregateError([coded('ECONNREFUSED')]) }))).toBe(true);
    expect(isDatabaseUnavailable(coded('23505'))).toBe(false);
    expect(isDatabaseUnavailable(coded('42601'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('connection refused'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(isDatabaseUnavailable('ECONNREFUSED')).toBe(false);
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(isDatabaseUnavailable(loop)).toBe(false);
  });
});
