/**
 * The operations that touch many credential rows at once: importing a legacy dump, exporting a
 * tenant's rows, and scanning for weak hashes to wrap. Each one is sized for millions of rows:
 * imports are few large statements in one transaction, reads are keyset-paginated so memory
 * stays flat and a page never has to skip over the rows before it.
 */

import { and, asc, count, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Sql, TransactionSql } from 'postgres';
import type { Clock } from '../clock.ts';
import { type Database, type HashdDb, queryRows } from './database.ts';
import { type CredentialRow, credentials } from './schema.ts';
import { textArrayLiteral } from './text.ts';

export interface ImportRow {
  userId: string;
  hash: string;
  /** The scheme the caller identified for `hash`. */
  scheme: string;
  salt?: string | null;
  pgUser?: string | null;
}

/** `skip` never replaces a stored hash; `overwrite` replaces it only when the import differs. */
export type ImportConflict = 'skip' | 'overwrite';

export interface ImportResult {
  /** Rows this call wrote: new rows, and with `overwrite` the stored rows it replaced. */
  inserted: number;
  /** Rows left as they were: already stored (or identical, with `overwrite`), or repeated in the batch. */
  skipped: number;
}

export interface ExportOptions {
  /** Rows read per query; memory use is bounded by one page. */
  batchSize: number;
}

export interface WrapScanOptions {
  /** Schemes to wrap; rows already wrapped are never returned. */
  schemes: readonly string[];
  /** Resume after this user id (the cursor of a job), in user id order. */
  afterUserId?: string;
  limit: number;
}

/**
 * Rows per INSERT statement. The rows travel as one text[] parameter per column expanded by
 * `unnest`, so the 65,535 bind-parameter limit never applies; the chunk only bounds the size of
 * one statement and of the server's working memory for it.
 */
const IMPORT_CHUNK_ROWS = 5000;

/** A page larger than this is a bug in the caller, not a wish for speed. */
const MAX_PAGE_ROWS = 100_000;

export async function importBatch(
  db: HashdDb,
  now: Date,
  tenant: string,
  rows: readonly ImportRow[],
  onConflict: ImportConflict,
): Promise<ImportResult> {
  if (onConflict !== 'skip' && onConflict !== 'overwrite') {
    throw new RangeError(`importBatch: onConflict must be 'skip' or 'overwrite'`);
  }
  // A statement may not update the same row twice, so repeated user ids are settled here with
  // the meaning of each mode: skip keeps the first row, overwrite lets the last one win.
  const unique = uniqueByUser(rows, onConflict === 'skip' ? 'first' : 'last');
  if (unique.length === 0) return { inserted: 0, skipped: rows.length };
  const stamp = now.toISOString();
  const inserted = await db.transaction(async (tx) => {
    let written = 0;
    for (let start = 0; start < unique.length; start += IMPORT_CHUNK_ROWS) {
      const chunk = unique.slice(start, start + IMPORT_CHUNK_ROWS);
      const [result] = await queryRows<{ n: number }>(tx, importStatement(tenant, stamp, chunk, onConflict));
      written += result?.n ?? 0;
    }
    return written;
  });
  return { inserted, skipped: rows.length - inserted };
}

/**
 * The same batch written through `COPY … FROM STDIN` (PostgreSQL through the Node pool): the rows
 * stream into a session-local staging table in PostgreSQL's text format, then one INSERT … SELECT
 * with the same conflict clause moves them, all in one transaction, so the result and the
 * all-or-nothing batch are those of `importBatch`. Measured on 200,000 rows (bench/store.ts, and
 * the per-backend CPU in the commit message): about a fifth less PostgreSQL CPU and a quarter
 * less client CPU than the unnest statement, which spends them parsing five big array literals.
 *
 * The staging table has no constraint and every value was checked storable before (no U+0000, no
 * lone surrogate), so the COPY itself cannot be refused by the server: postgres.js 3.4 never
 * settles a COPY that the server fails after its end (porsager/postgres#1173), and the conflicts
 * and checks that can fail are in the INSERT, an ordinary statement. A connection lost midway
 * rejects the transaction (sql.begin races the connection's close).
 */
export async function importBatchCopy(
  client: Sql,
  now: Date,
  tenant: string,
  rows: readonly ImportRow[],
  onConflict: ImportConflict,
): Promise<ImportResult> {
  if (onConflict !== 'skip' && onConflict !== 'overwrite') {
    throw new RangeError(`importBatch: onConflict must be 'skip' or 'overwrite'`);
  }
  const unique = uniqueByUser(rows, onConflict === 'skip' ? 'first' : 'last');
  if (unique.length === 0) return { inserted: 0, skipped: rows.length };
  const move = dialect.sqlToQuery(moveStatement(tenant, now.toISOString(), onConflict));
  const inserted = await client.begin(async (tx) => {
    // ON COMMIT DELETE ROWS empties it at the end of every transaction, committed or not.
    await tx`create temp table if not exists hashd_import_stage
      (user_id text not null, hash text not null, scheme text not null, salt text, pg_user text)
      on commit delete rows`;
    await copyRows(tx, unique);
    const [result] = await tx.unsafe<{ n: number }[]>(move.sql, move.params as never[]);
    return result?.n ?? 0;
  });
  return { inserted, skipped: rows.length - inserted };
}

const dialect = new PgDialect();

async function copyRows(tx: TransactionSql, rows: readonly ImportRow[]): Promise<void> {
  const stream = await tx`copy hashd_import_stage (user_id, hash, scheme, salt, pg_user) from stdin`.writable();
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('finish', resolve);
    // The text goes out a chunk of rows at a time, so no string holds the whole batch.
    for (let start = 0; start < rows.length; start += COPY_CHUNK_ROWS) {
      let text = '';
      const end = Math.min(rows.length, start + COPY_CHUNK_ROWS);
      for (let i = start; i < end; i++) {
        const row = rows[i] as ImportRow;
        text += `${copyText(row.userId)}\t${copyText(row.hash)}\t${copyText(row.scheme)}\t${copyText(row.salt)}\t${copyText(row.pgUser)}\n`;
      }
      stream.write(text);
    }
    stream.end();
  });
}

const COPY_CHUNK_ROWS = 1000;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One value in COPY's text format: backslash, tab, newline and carriage return escaped (the
 * whole of what the format gives a meaning to), a null as `\N`.
 */
function copyText(value: string | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string) : value;
}

/** The staged rows into credentials, with the conflict clause of the mode; counts what it wrote. */
function moveStatement(tenant: string, stamp: string, onConflict: ImportConflict): SQL {
  return sql`
    with written as (
      insert into credentials
        (tenant, user_id, hash, scheme, salt, pg_user, wrapped, source, created_at, updated_at, imported_at)
      select ${tenant}::text, r.user_id, r.hash, r.scheme, r.salt, r.pg_user, false, 'import',
             ${stamp}::text::timestamptz, ${stamp}::text::timestamptz, ${stamp}::text::timestamptz
      from hashd_import_stage as r
      ${conflictClause(onConflict)}
      returning 1
    )
    select count(*)::int as n from written`;
}

function conflictClause(onConflict: ImportConflict): SQL {
  return onConflict === 'skip'
    ? sql`on conflict (tenant, user_id) do nothing`
    : sql`on conflict (tenant, user_id) do update set
        hash = excluded.hash, scheme = excluded.scheme, salt = excluded.salt,
        pg_user = excluded.pg_user, wrapped = false, source = 'import',
        updated_at = excluded.updated_at, imported_at = excluded.imported_at
      where (credentials.hash, credentials.salt, credentials.pg_user)
        is distinct from (excluded.hash, excluded.salt, excluded.pg_user)`;
}

function uniqueByUser(rows: readonly ImportRow[], keep: 'first' | 'last'): ImportRow[] {
  const byUser = new Map<string, ImportRow>();
  for (const row of rows) {
    if (keep === 'last' || !byUser.has(row.userId)) byUser.set(row.userId, row);
  }
  return [...byUser.values()];
}

/**
 * One INSERT of a whole chunk that reports how many rows it wrote. With `overwrite` the update
 * is guarded by IS DISTINCT FROM, so importing the same file again writes nothing and every row
 * counts as skipped.
 */
function importStatement(tenant: string, stamp: string, chunk: readonly ImportRow[], onConflict: ImportConflict): SQL {
  const column = (pick: (row: ImportRow) => string | null | undefined): string =>
    textArrayLiteral(chunk.map((row) => pick(row) ?? null));
  const conflict = conflictClause(onConflict);
  return sql`
    with written as (
      insert into credentials
        (tenant, user_id, hash, scheme, salt, pg_user, wrapped, source, created_at, updated_at, imported_at)
      select ${tenant}::text, r.user_id, r.hash, r.scheme, r.salt, r.pg_user, false, 'import',
             ${stamp}::text::timestamptz, ${stamp}::text::timestamptz, ${stamp}::text::timestamptz
      from unnest(
        ${column((r) => r.userId)}::text::text[], ${column((r) => r.hash)}::text::text[],
        ${column((r) => r.scheme)}::text::text[], ${column((r) => r.salt)}::text::text[],
        ${column((r) => r.pgUser)}::text::text[]
      ) as r(user_id, hash, scheme, salt, pg_user)
      ${conflict}
      returning 1
    )
    select count(*)::int as n from written`;
}

/** Every credential of the tenant in user id order, one page in memory at a time. */
export async function* exportRows(
  db: HashdDb,
  tenant: string,
  options: ExportOptions,
): AsyncGenerator<CredentialRow, void, undefined> {
  const batchSize = checkPageSize('exportRows', options.batchSize);
  let after: string | undefined;
  for (;;) {
    const page = await db
      .select()
      .from(credentials)
      .where(and(eq(credentials.tenant, tenant), after === undefined ? undefined : gt(credentials.userId, after)))
      .orderBy(asc(credentials.userId))
      .limit(batchSize);
    yield* page;
    const last = page.at(-1);
    if (page.length < batchSize || last === undefined) return;
    after = last.userId;
  }
}

/** The next unwrapped rows of the given schemes after `afterUserId`, in user id order. */
export async function scanForWrap(db: HashdDb, tenant: string, options: WrapScanOptions): Promise<CredentialRow[]> {
  const limit = checkPageSize('scanForWrap', options.limit);
  if (options.schemes.length === 0) return [];
  return db
    .select()
    .from(credentials)
    .where(
      and(
        eq(credentials.tenant, tenant),
        inArray(credentials.scheme, [...options.schemes]),
        eq(credentials.wrapped, false),
        options.afterUserId === undefined ? undefined : gt(credentials.userId, options.afterUserId),
      ),
    )
    .orderBy(asc(credentials.userId))
    .limit(limit);
}

/** How many rows `scanForWrap` would walk through in total, for a job's progress. */
export async function countForWrap(db: HashdDb, tenant: string, schemes: readonly string[]): Promise<number> {
  if (schemes.length === 0) return 0;
  const [row] = await db
    .select({ n: count() })
    .from(credentials)
    .where(and(eq(credentials.tenant, tenant), inArray(credentials.scheme, [...schemes]), eq(credentials.wrapped, false)));
  return row?.n ?? 0;
}

function checkPageSize(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_PAGE_ROWS) {
    throw new RangeError(`${name}: page size must be an integer from 1 to ${MAX_PAGE_ROWS}`);
  }
  return value;
}

/** Bulk writes of legacy dumps: one transaction per batch, settled per user id. */
export interface ImportRepository {
  importBatch(tenant: string, rows: readonly ImportRow[], onConflict: ImportConflict): Promise<ImportResult>;
}

/**
 * Keyset-paginated reads over many credential rows in user id order: the export, and the wrap
 * job's scan for weak hashes (its writes are credential compare-and-swaps).
 */
export interface ExportRepository {
  exportRows(tenant: string, options: ExportOptions): AsyncIterable<CredentialRow>;
  scanForWrap(tenant: string, options: WrapScanOptions): Promise<CredentialRow[]>;
  countForWrap(tenant: string, schemes: readonly string[]): Promise<number>;
}

/** PostgreSQL through the Node pool imports with COPY; PGlite and a Worker with the unnest INSERT. */
export function createImportRepository(database: Database, clock: Clock): ImportRepository {
  const { db, copyClient } = database;
  if (copyClient) return { importBatch: (tenant, rows, onConflict) => importBatchCopy(copyClient, clock(), tenant, rows, onConflict) };
  return { importBatch: (tenant, rows, onConflict) => importBatch(db, clock(), tenant, rows, onConflict) };
}

/** The clock is unused today (reads only) and taken for the same signature as every repository. */
export function createExportRepository(database: Database, _clock: Clock): ExportRepository {
  const { db } = database;
  return {
    exportRows: (tenant, options) => exportRows(db, tenant, options),
    scanForWrap: (tenant, options) => scanForWrap(db, tenant, options),
    countForWrap: (tenant, schemes) => countForWrap(db, tenant, schemes),
  };
}
