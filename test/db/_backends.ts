/**
 * The two database backends every db test runs against: embedded PGlite in a fresh temporary
 * directory, and the PostgreSQL server on 127.0.0.1:5432 in a database created for this run and
 * dropped afterwards, so tests never touch the shared `test` database's contents.
 *
 * When the server cannot be reached, CI must fail (a skipped half would pass silently), while a
 * developer without PostgreSQL still gets the PGlite half and a clear message.
 */

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { openDatabase } from '../../src/entry/database-client.ts';
import type { Database } from '../../src/db/index.ts';

const ADMIN_URL = process.env.HASHD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Backend {
  readonly name: 'pglite' | 'postgres';
  /** Why the backend is skipped, or undefined when it runs. */
  readonly skipReason: string | undefined;
  /** Creates a fresh empty database (directory or server database) and returns its options. */
  create(): Promise<{ url?: string; dataDir?: string }>;
  /** Removes everything `create` made. */
  cleanup(): Promise<void>;
}

async function probePostgres(): Promise<string | undefined> {
  const admin = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await admin`select 1`;
    return undefined;
  } catch (err) {
    return `PostgreSQL at ${ADMIN_URL} is unreachable (${(err as Error).message})`;
  } finally {
    await admin.end({ timeout: 1 });
  }
}

const postgresProblem = await probePostgres();
if (postgresProblem !== undefined) {
  if (process.env.CI === 'true') throw new Error(`${postgresProblem}; CI requires the PostgreSQL half of the db tests`);
  console.warn(`[test/db] skipping the PostgreSQL half: ${postgresProblem}`);
}

function pgliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'pglite',
    skipReason: undefined,
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'hashd-db-test-'));
      dirs.push(dir);
      // A subdirectory that does not exist yet, so openDatabase has to create it.
      return { dataDir: join(dir, 'data') };
    },
    async cleanup() {
      await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

function postgresBackend(): Backend {
  const names: string[] = [];
  return {
    name: 'postgres',
    skipReason: postgresProblem,
    async create() {
      const name = `hashd_test_${randomBytes(6).toString('hex')}`;
      const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`create database ${name}`);
      } finally {
        await admin.end({ timeout: 5 });
      }
      names.push(name);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${name}`;
      return { url: url.toString() };
    },
    async cleanup() {
      const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        for (const name of names.splice(0)) await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

export const backends: readonly Backend[] = [pgliteBackend(), postgresBackend()];

/** Opens a fresh, migrated database on the backend. */
export async function openFresh(backend: Backend, poolMax?: number): Promise<Database> {
  const options = await backend.create();
  const database = await openDatabase(poolMax === undefined ? options : { ...options, poolMax });
  await database.migrate();
  return database;
}

/** A clock the test moves by hand, so stored timestamps and upgrade days are exact. */
export function manualClock(start: string): { now: () => Date; set: (iso: string) => void } {
  let current = new Date(start);
  return {
    now: () => new Date(current.getTime()),
    set: (iso) => {
      current = new Date(iso);
    },
  };
}
