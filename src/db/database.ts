/**
 * The handle every repository receives. Both drivers (embedded PGlite and the `postgres` pool)
 * produce a drizzle database over the same schema, so the repositories are written once against
 * the common `PgDatabase` type and never ask which driver is underneath.
 */

import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Sql } from 'postgres';
import type { Schema } from './schema.ts';

/** A drizzle database typed over hashd's schema, whichever driver is underneath. */
export type HashdDb = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly db: HashdDb;
  readonly kind: DatabaseKind;
  /** Resolves when the database answers a trivial query; rejects with the driver's error. */
  ping(): Promise<void>;
  /** Applies the generated migrations in `drizzle/` that have not been applied yet. */
  migrate(): Promise<void>;
  /**
   * The `postgres` pool underneath, set where `COPY … FROM STDIN` can stream through it (the Node
   * PostgreSQL path; not PGlite, not a Worker's per-request Hyperdrive client). Imports use it.
   */
  readonly copyClient?: Sql;
  /** Releases the pool or closes the embedded database; the handle is unusable afterwards. */
  close(): Promise<void>;
}

/** Something that can run a raw statement: the database itself or an open transaction. */
type Executor = Pick<HashdDb, 'execute'>;

/**
 * Runs a raw statement and returns its rows. The drivers disagree on the shape of a raw result
 * (postgres-js answers an array, PGlite an object with `rows`), and this is the one place that
 * knows it. Raw statements are kept for what the query builder cannot express well (bulk
 * `json_to_recordset` inserts); they return plain text and numbers only, never timestamps,
 * because the drivers would parse those differently too.
 */
export async function queryRows<T extends Record<string, unknown>>(
  executor: Executor,
  query: SQL,
): Promise<T[]> {
  const result: unknown = await executor.execute(query);
  if (Array.isArray(result)) return result as T[];
  return (result as { rows: T[] }).rows;
}
