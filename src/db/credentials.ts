/**
 * The credential repository: every read and write of stored password hashes goes through these
 * functions. Each takes the tenant first and puts it in every WHERE clause, so no call can read
 * or change another tenant's rows whatever user id it is given.
 *
 * Writes that upgrade a hash (upgrade-on-login, the wrap job) use `compareAndSwap`: they replace
 * only the exact hash they verified, so a password change that lands in between always wins.
 * A plain `set` is a password change and always replaces.
 *
 * The clock is injected so tests can pin the timestamps and the day an upgrade is counted on.
 */

import { and, eq, sql } from 'drizzle-orm';
import {
  countForWrap,
  type ExportOptions,
  exportRows,
  type ImportConflict,
  type ImportResult,
  type ImportRow,
  importBatch,
  scanForWrap,
  type WrapScanOptions,
} from './bulk.ts';
import type { Database } from './database.ts';
import { type Inventory, inventory, recordUpgrade } from './inventory.ts';
import { createJob, type FinalJobState, finishJob, getJob, type JobProgress, type NewJob, updateJobProgress } from './jobs.ts';
import { type CredentialRow, type CredentialSource, credentials, type JobRow, type UpgradeKind } from './schema.ts';

export interface SetCredentialInput {
  hash: string;
  scheme: string;
  salt?: string | null;
  pgUser?: string | null;
  source: CredentialSource;
}

export interface SwapCredentialInput {
  hash: string;
  scheme: string;
  /** True when `hash` is an argon2id wrapper over the legacy hash it replaces. */
  wrapped: boolean;
  source: CredentialSource;
  /**
   * Omitted: the stored value stays (a wrapped hash still needs the legacy salt and user name).
   * Null: cleared (an upgrade to a plain argon2id hash no longer needs them).
   */
  salt?: string | null;
  pgUser?: string | null;
}

export interface CredentialStore {
  get(tenant: string, userId: string): Promise<CredentialRow | undefined>;
  set(tenant: string, userId: string, input: SetCredentialInput): Promise<void>;
  compareAndSwap(tenant: string, userId: string, expectedHash: string, input: SwapCredentialInput): Promise<boolean>;
  touchLogin(tenant: string, userId: string): Promise<boolean>;
  recordUpgrade(tenant: string, kind: UpgradeKind, n?: number): Promise<void>;
  remove(tenant: string, userId: string): Promise<boolean>;
  importBatch(tenant: string, rows: readonly ImportRow[], onConflict: ImportConflict): Promise<ImportResult>;
  exportRows(tenant: string, options: ExportOptions): AsyncIterable<CredentialRow>;
  scanForWrap(tenant: string, options: WrapScanOptions): Promise<CredentialRow[]>;
  countForWrap(tenant: string, schemes: readonly string[]): Promise<number>;
  inventory(tenant: string): Promise<Inventory>;
  createJob(tenant: string, job: NewJob): Promise<JobRow | undefined>;
  getJob(tenant: string, kind: string): Promise<JobRow | undefined>;
  updateJobProgress(tenant: string, id: string, progress: JobProgress): Promise<boolean>;
  finishJob(tenant: string, id: string, state: FinalJobState): Promise<boolean>;
}

export function createCredentialStore(database: Database, clock: () => Date = () => new Date()): CredentialStore {
  const { db } = database;
  const byUser = (tenant: string, userId: string) =>
    and(eq(credentials.tenant, tenant), eq(credentials.userId, userId));

  return {
    async get(tenant, userId) {
      const [row] = await db.select().from(credentials).where(byUser(tenant, userId)).limit(1);
      return row;
    },

    async set(tenant, userId, input) {
      const now = clock();
      const fields = {
        hash: input.hash,
        scheme: input.scheme,
        salt: input.salt ?? null,
        pgUser: input.pgUser ?? null,
        wrapped: false,
        source: input.source,
        updatedAt: now,
      };
      const importedAt = input.source === 'import' ? now : null;
      await db
        .insert(credentials)
        .values({ tenant, userId, ...fields, createdAt: now, importedAt })
        .onConflictDoUpdate({
          target: [credentials.tenant, credentials.userId],
          // A password change keeps when the user was imported; a re-import restamps it.
          set: { ...fields, importedAt: importedAt ?? sql`${credentials.importedAt}` },
        });
    },

    async compareAndSwap(tenant, userId, expectedHash, input) {
      const changed = await db
        .update(credentials)
        .set({
          hash: input.hash,
          scheme: input.scheme,
          wrapped: input.wrapped,
          source: input.source,
          updatedAt: clock(),
          ...(input.salt === undefined ? {} : { salt: input.salt }),
          ...(input.pgUser === undefined ? {} : { pgUser: input.pgUser }),
        })
        // Under READ COMMITTED a concurrent writer's row is re-checked against this condition
        // after its commit, so a hash changed in between makes this update match nothing.
        .where(and(byUser(tenant, userId), eq(credentials.hash, expectedHash)))
        .returning({ userId: credentials.userId });
      return changed.length > 0;
    },

    async touchLogin(tenant, userId) {
      const changed = await db
        .update(credentials)
        .set({ lastLoginAt: clock() })
        .where(byUser(tenant, userId))
        .returning({ userId: credentials.userId });
      return changed.length > 0;
    },

    recordUpgrade: (tenant, kind, n = 1) => recordUpgrade(db, clock(), tenant, kind, n),

    async remove(tenant, userId) {
      const removed = await db
        .delete(credentials)
        .where(byUser(tenant, userId))
        .returning({ userId: credentials.userId });
      return removed.length > 0;
    },

    importBatch: (tenant, rows, onConflict) => importBatch(db, clock(), tenant, rows, onConflict),
    exportRows: (tenant, options) => exportRows(db, tenant, options),
    scanForWrap: (tenant, options) => scanForWrap(db, tenant, options),
    countForWrap: (tenant, schemes) => countForWrap(db, tenant, schemes),
    inventory: (tenant) => inventory(db, tenant),

    createJob: (tenant, job) => createJob(db, clock(), tenant, job),
    getJob: (tenant, kind) => getJob(db, tenant, kind),
    updateJobProgress: (tenant, id, progress) => updateJobProgress(db, clock(), tenant, id, progress),
    finishJob: (tenant, id, state) => finishJob(db, clock(), tenant, id, state),
  };
}
