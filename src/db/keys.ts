/**
 * Named Fernet keys per tenant, and the scan over every ring-sealed row that `hashd keys rotate`
 * and the inventory use. Key material reaches this file only sealed (src/keys/ring.ts); the
 * tenant is in every WHERE clause. A new version is added by compare-and-swap on
 * `latest_version`, so two concurrent rotations make two versions, never one version twice.
 */

import { and, asc, count, eq, ne, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database } from './database.ts';
import { fernetKeys, fernetKeyVersions, totpCredentials, type FernetKeyRow } from './schema-keys.ts';

export interface SealedValue {
  ringKeyId: string;
  sealed: string;
}

export interface StoredKeyVersion extends SealedValue {
  version: number;
  createdAt: Date;
}

export interface StoredNamedKey extends FernetKeyRow {
  versions: StoredKeyVersion[];
}

export interface FernetKeyRepository {
  /** False when the name is taken. Versions are 1..n, in order. */
  create(tenant: string, name: string, exportable: boolean, versions: readonly SealedValue[]): Promise<boolean>;
  list(tenant: string): Promise<FernetKeyRow[]>;
  get(tenant: string, name: string): Promise<StoredNamedKey | undefined>;
  /** Adds version `expectedLatest + 1`; false when another rotation got there first or the key is gone. */
  addVersion(tenant: string, name: string, expectedLatest: number, version: SealedValue): Promise<boolean>;
  /** Undefined when the key does not exist or `min` is above its latest version. */
  setMinDecryptionVersion(tenant: string, name: string, min: number): Promise<FernetKeyRow | undefined>;
  remove(tenant: string, name: string): Promise<boolean>;
}

export function createFernetKeyRepository(database: Database, clock: Clock): FernetKeyRepository {
  const { db } = database;
  const byName = (tenant: string, name: string) => and(eq(fernetKeys.tenant, tenant), eq(fernetKeys.name, name));
  return {
    async create(tenant, name, exportable, versions) {
      const now = clock();
      return db.transaction(async (tx) => {
        const inserted = await tx
          .insert(fernetKeys)
          .values({ tenant, name, exportable, latestVersion: versions.length, minDecryptionVersion: 1, createdAt: now, updatedAt: now })
          .onConflictDoNothing()
          .returning({ name: fernetKeys.name });
        if (inserted.length === 0) return false;
        await tx.insert(fernetKeyVersions).values(versions.map((v, i) => ({ tenant, name, version: i + 1, ringKeyId: v.ringKeyId, sealed: v.sealed, createdAt: now })));
        return true;
      });
    },
    async list(tenant) {
      return db.select().from(fernetKeys).where(eq(fernetKeys.tenant, tenant)).orderBy(asc(fernetKeys.name));
    },
    async get(tenant, name) {
      const [key] = await db.select().from(fernetKeys).where(byName(tenant, name)).limit(1);
      if (!key) return undefined;
      const versions = await db
        .select({ version: fernetKeyVersions.version, ringKeyId: fernetKeyVersions.ringKeyId, sealed: fernetKeyVersions.sealed, createdAt: fernetKeyVersions.createdAt })
        .from(fernetKeyVersions)
        .where(and(eq(fernetKeyVersions.tenant, tenant), eq(fernetKeyVersions.name, name)))
        .orderBy(asc(fernetKeyVersions.version));
      return { ...key, versions };
    },
    async addVersion(tenant, name, expectedLatest, version) {
      const now = clock();
      return db.transaction(async (tx) => {
        const bumped = await tx
          .update(fernetKeys)
          .set({ latestVersion: expectedLatest + 1, updatedAt: now })
          .where(and(byName(tenant, name), eq(fernetKeys.latestVersion, expectedLatest)))
          .returning({ name: fernetKeys.name });
        if (bumped.length === 0) return false;
        await tx.insert(fernetKeyVersions).values({ tenant, name, version: expectedLatest + 1, ringKeyId: version.ringKeyId, sealed: version.sealed, createdAt: now });
        return true;
      });
    },
    async setMinDecryptionVersion(tenant, name, min) {
      const [row] = await db
        .update(fernetKeys)
        .set({ minDecryptionVersion: min, updatedAt: clock() })
        .where(and(byName(tenant, name), sql`${fernetKeys.latestVersion} >= ${min}`))
        .returning();
      return row;
    },
    async remove(tenant, name) {
      const deleted = await db.delete(fernetKeys).where(byName(tenant, name)).returning({ name: fernetKeys.name });
      return deleted.length > 0;
    },
  };
}

/** The encrypted tables and slots, as `hashd keys rotate` walks them. */
export const RING_SLOTS = ['fernet_key_versions', 'totp_credentials', 'totp_credentials.pending'] as const;
export type RingSlot = (typeof RING_SLOTS)[number];

/** One sealed value somewhere in the database, with what its associated data needs. */
export interface RingRow {
  slot: RingSlot;
  tenant: string;
  /** The row id of the associated data: `name/version` for key versions, the user id for TOTP. */
  rowId: string;
  /** The table name of the associated data. */
  table: 'fernet_key_versions' | 'totp_credentials';
  ringKeyId: string;
  sealed: string;
  /** Where the scan goes on from after this row. */
  cursor: string[];
}

export interface RingKeyCount {
  slot: RingSlot;
  ringKeyId: string;
  count: number;
}

export interface RingRowRepository {
  /** Rows per slot and ring key id; `tenant` limits it to one tenant. */
  countByRingKey(tenant?: string): Promise<RingKeyCount[]>;
  /** Up to `limit` rows of `slot` not under `primaryId`, after `cursor` in primary-key order. */
  batchNotUnder(slot: RingSlot, primaryId: string, limit: number, cursor: string[] | undefined): Promise<RingRow[]>;
  /** Replaces the sealed value only if it is still exactly `expected` (someone else may have rewritten it). */
  swap(row: RingRow, next: SealedValue): Promise<boolean>;
}

export function createRingRowRepository(database: Database): RingRowRepository {
  const { db } = database;
  return {
    async countByRingKey(tenant) {
      const out: RingKeyCount[] = [];
      const versions = await db
        .select({ ringKeyId: fernetKeyVersions.ringKeyId, count: count() })
        .from(fernetKeyVersions)
        .where(tenant === undefined ? undefined : eq(fernetKeyVersions.tenant, tenant))
        .groupBy(fernetKeyVersions.ringKeyId)
        .orderBy(asc(fernetKeyVersions.ringKeyId));
      for (const r of versions) out.push({ slot: 'fernet_key_versions', ringKeyId: r.ringKeyId, count: r.count });
      for (const [slot, column] of [
        ['totp_credentials', totpCredentials.ringKeyId],
        ['totp_credentials.pending', totpCredentials.pendingRingKeyId],
      ] as const) {
        const rows = await db
          .select({ ringKeyId: column, count: count() })
          .from(totpCredentials)
          .where(and(sql`${column} is not null`, tenant === undefined ? undefined : eq(totpCredentials.tenant, tenant)))
          .groupBy(column)
          .orderBy(asc(column));
        for (const r of rows) out.push({ slot, ringKeyId: r.ringKeyId as string, count: r.count });
      }
      return out;
    },
    async batchNotUnder(slot, primaryId, limit, cursor) {
      if (slot === 'fernet_key_versions') {
        const t = fernetKeyVersions;
        const rows = await db
          .select({ tenant: t.tenant, name: t.name, version: t.version, ringKeyId: t.ringKeyId, sealed: t.sealed })
          .from(t)
          .where(and(ne(t.ringKeyId, primaryId), cursor === undefined ? undefined : sql`(${t.tenant}, ${t.name}, ${t.version}) > (${cursor[0]}, ${cursor[1]}, ${Number(cursor[2])})`))
          .orderBy(asc(t.tenant), asc(t.name), asc(t.version))
          .limit(limit);
        return rows.map((r) => ({
          slot,
          table: 'fernet_key_versions' as const,
          tenant: r.tenant,
          rowId: `${r.name}/${r.version}`,
          ringKeyId: r.ringKeyId,
          sealed: r.sealed,
          cursor: [r.tenant, r.name, String(r.version)],
        }));
      }
      const t = totpCredentials;
      const [keyColumn, sealedColumn] = slot === 'totp_credentials' ? [t.ringKeyId, t.sealed] : [t.pendingRingKeyId, t.pendingSealed];
      const rows = await db
        .select({ tenant: t.tenant, userId: t.userId, ringKeyId: keyColumn, sealed: sealedColumn })
        .from(t)
        .where(and(sql`${keyColumn} is not null`, ne(keyColumn, primaryId), cursor === undefined ? undefined : sql`(${t.tenant}, ${t.userId}) > (${cursor[0]}, ${cursor[1]})`))
        .orderBy(asc(t.tenant), asc(t.userId))
        .limit(limit);
      return rows.map((r) => ({
        slot,
        table: 'totp_credentials' as const,
        tenant: r.tenant,
        rowId: r.userId,
        ringKeyId: r.ringKeyId as string,
        sealed: r.sealed as string,
        cursor: [r.tenant, r.userId],
      }));
    },
    async swap(row, next) {
      if (row.slot === 'fernet_key_versions') {
        const t = fernetKeyVersions;
        const [name, version] = [row.cursor[1] as string, Number(row.cursor[2])];
        const done = await db
          .update(t)
          .set({ ringKeyId: next.ringKeyId, sealed: next.sealed })
          .where(and(eq(t.tenant, row.tenant), eq(t.name, name), eq(t.version, version), eq(t.ringKeyId, row.ringKeyId), eq(t.sealed, row.sealed)))
          .returning({ v: t.version });
        return done.length > 0;
      }
      const t = totpCredentials;
      const pending = row.slot === 'totp_credentials.pending';
      const done = await db
        .update(t)
        .set(pending ? { pendingRingKeyId: next.ringKeyId, pendingSealed: next.sealed } : { ringKeyId: next.ringKeyId, sealed: next.sealed })
        .where(
          and(
            eq(t.tenant, row.tenant),
            eq(t.userId, row.rowId),
            pending ? eq(t.pendingRingKeyId, row.ringKeyId) : eq(t.ringKeyId, row.ringKeyId),
            pending ? eq(t.pendingSealed, row.sealed) : eq(t.sealed, row.sealed),
          ),
        )
        .returning({ u: t.userId });
      return done.length > 0;
    },
  };
}
