/**
 * What a migration needs to see about one tenant's stored credentials, and the per-day upgrade
 * counters behind its "upgraded at login over time" line. Counting happens in SQL with one scan
 * of the tenant's rows; judging which schemes or parameters are weak is policy, and stays with
 * the caller.
 */

import { asc, count, eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database, HashdDb } from './database.ts';
import { credentials, type UpgradeKind, upgradeEvents } from './schema.ts';

export interface SchemeCount {
  scheme: string;
  count: number;
}

export interface UpgradeDay {
  /** `YYYY-MM-DD`, in UTC. */
  day: string;
  kind: UpgradeKind;
  count: number;
}

export interface Inventory {
  total: number;
  byScheme: SchemeCount[];
  /** Rows whose hash is an argon2id wrapper over a legacy hash. */
  wrapped: number;
  upgradesByDay: UpgradeDay[];
  /**
   * Rows still holding the hash they were imported with and whose user has not logged in since,
   * by scheme. A login upgrade, a wrap or a password change moves a row out of this count.
   */
  weakNotLoggedInSinceImport: SchemeCount[];
}

export async function inventory(db: HashdDb, tenant: string): Promise<Inventory> {
  const perScheme = await db
    .select({
      scheme: credentials.scheme,
      count: count(),
      wrapped: sql<number>`count(*) filter (where ${credentials.wrapped})`.mapWith(Number),
      importedIdle:
        sql<number>`count(*) filter (where ${credentials.source} = 'import' and ${credentials.lastLoginAt} is null)`.mapWith(
          Number,
        ),
    })
    .from(credentials)
    .where(eq(credentials.tenant, tenant))
    .groupBy(credentials.scheme)
    .orderBy(asc(credentials.scheme));
  const upgrades = await db
    .select({ day: upgradeEvents.day, kind: upgradeEvents.kind, count: upgradeEvents.count })
    .from(upgradeEvents)
    .where(eq(upgradeEvents.tenant, tenant))
    .orderBy(asc(upgradeEvents.day), asc(upgradeEvents.kind));
  return {
    total: perScheme.reduce((sum, r) => sum + r.count, 0),
    byScheme: perScheme.map((r) => ({ scheme: r.scheme, count: r.count })),
    wrapped: perScheme.reduce((sum, r) => sum + r.wrapped, 0),
    upgradesByDay: upgrades,
    weakNotLoggedInSinceImport: perScheme
      .filter((r) => r.importedIdle > 0)
      .map((r) => ({ scheme: r.scheme, count: r.importedIdle })),
  };
}

/**
 * Adds `n` upgrades of `kind` to the tenant's counter for the clock's current UTC day. The
 * increment happens in the upsert itself, so concurrent logins never overwrite each other's
 * count.
 */
export async function recordUpgrade(db: HashdDb, now: Date, tenant: string, kind: UpgradeKind, n: number): Promise<void> {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('recordUpgrade: n must be a non-negative integer');
  if (n === 0) return;
  await db
    .insert(upgradeEvents)
    .values({ tenant, day: now.toISOString().slice(0, 10), kind, count: n })
    .onConflictDoUpdate({
      target: [upgradeEvents.tenant, upgradeEvents.day, upgradeEvents.kind],
      set: { count: sql`${upgradeEvents.count} + excluded.count` },
    });
}


/** The tenant's counts by scheme and its per-day upgrade counters. */
export interface InventoryRepository {
  inventory(tenant: string): Promise<Inventory>;
  /** Adds `n` (default 1) upgrades of `kind` on the clock's current UTC day. */
  recordUpgrade(tenant: string, kind: UpgradeKind, n?: number): Promise<void>;
}

export function createInventoryRepository(database: Database, clock: Clock): InventoryRepository {
  const { db } = database;
  return {
    inventory: (tenant) => inventory(db, tenant),
    recordUpgrade: (tenant, kind, n = 1) => recordUpgrade(db, clock(), tenant, kind, n),
  };
}
