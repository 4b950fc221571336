/**
 * The embedded PGlite's memory settings: shared_buffers as configured (16 MB by default, not
 * PostgreSQL's 128 MB), a new data directory initialised and reopened (so initdb's instance is
 * let go) with its data kept across a restart, and the server's variant that runs initdb in a child
 * process. The memory itself is measured by `npm run bench`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/database.ts';
import { openDatabase } from '../../src/entry/database-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'hashd-pglite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setting(database: Awaited<ReturnType<typeof openDatabase>>, name: string): Promise<string> {
  const [row] = await queryRows<{ value: string }>(database.db, sql`select current_setting(${name}) as value`);
  return row?.value ?? '';
}

describe('PGlite memory settings', () => {
  it('opens a new directory with shared_buffers = 16MB and keeps its data across a reopen', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'data');
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('pglite');
    expect(await setting(first, 'shared_buffers')).toBe('16MB');
    await first.db.execute(sql`create table kept (v text)`);
    await first.db.execute(sql`insert into kept values ('still here')`);
    await first.close();
    const second = await openDatabase({ dataDir, pgliteSharedBuffersMb: 8 });
    expect(await setting(second, 'shared_buffers')).toBe('8MB');
    expect(await queryRows<{ v: string }>(second.db, sql`select v from kept`)).toEqual([{ v: 'still here' }]);
    await second.close();
  });

  it('initialises a new directory in a child process when asked, with the same settings and a usable database', { timeout: 120_000 }, async () => {
    const dataDir = join(dir, 'child');
    const database = await openDatabase({ dataDir, pgliteSharedBuffersMb: 12, pgliteInitdbInChild: true });
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(await setting(database, 'shared_buffers')).toBe('12MB');
    await database.db.execute(sql`create table t (v int)`);
    await database.db.execute(sql`insert into t values (7)`);
    expect(await queryRows<{ v: number }>(database.db, sql`select v from t`)).toEqual([{ v: 7 }]);
    await database.close();
  });
});
