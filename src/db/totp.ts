/**
 * TOTP credentials and recovery codes. Every acceptance is a conditional UPDATE, so the database
 * decides races: a time step is accepted only by raising `last_step` above it (20 parallel
 * verifies of one code: exactly one row update succeeds), a pending seed is confirmed only if it
 * is still the one that was checked, and a recovery code is spent only by setting its `used_at`
 * from null.
 */

import { and, count, eq, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database } from './database.ts';
import type { SealedValue } from './keys.ts';
import { totpCredentials, totpRecoveryCodes, type TotpCredentialRow } from './schema-keys.ts';

export interface PendingTotp extends SealedValue {
  digits: number;
  period: number;
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
}

export interface TotpRepository {
  get(tenant: string, userId: string): Promise<TotpCredentialRow | undefined>;
  /**
   * Stores a pending seed. False (nothing written) when a confirmed TOTP exists and `replace` is
   * false. An active TOTP stays active until the new one is confirmed.
   */
  setPending(tenant: string, userId: string, pending: PendingTotp, replace: boolean): Promise<boolean>;
  /**
   * Makes the pending seed active (if it is still `expectedSealed`), records `step` as used and
   * replaces the recovery codes, in one transaction.
   */
  confirm(tenant: string, userId: string, expectedSealed: string, step: number, recoveryDigests: readonly string[]): Promise<boolean>;
  /** Accepts `step` for a confirmed TOTP only if no step >= it was accepted before. */
  acceptStep(tenant: string, userId: string, step: number): Promise<boolean>;
  unusedRecoveryDigests(tenant: string, userId: string): Promise<string[]>;
  /** Spends one code; false if it was spent meanwhile. Returns the codes left. */
  useRecoveryCode(tenant: string, userId: string, digest: string): Promise<{ used: boolean; remaining: number }>;
  /** Replaces every code of a confirmed TOTP; false when there is none. */
  replaceRecoveryCodes(tenant: string, userId: string, digests: readonly string[]): Promise<boolean>;
  remove(tenant: string, userId: string): Promise<boolean>;
}

export function createTotpRepository(database: Database, clock: Clock): TotpRepository {
  const { db } = database;
  const t = totpCredentials;
  const r = totpRecoveryCodes;
  const byUser = (tenant: string, userId: string) => and(eq(t.tenant, tenant), eq(t.userId, userId));
  const codesOf = (tenant: string, userId: string) => and(eq(r.tenant, tenant), eq(r.userId, userId));
  const remaining = async (tenant: string, userId: string): Promise<number> => {
    const [row] = await db.select({ n: count() }).from(r).where(and(codesOf(tenant, userId), isNull(r.usedAt)));
    return row?.n ?? 0;
  };
  return {
    async get(tenant, userId) {
      const [row] = await db.select().from(t).where(byUser(tenant, userId)).limit(1);
      return row;
    },
    async setPending(tenant, userId, pending, replace) {
      const now = clock();
      const fields = {
        pendingRingKeyId: pending.ringKeyId,
        pendingSealed: pending.sealed,
        pendingDigits: pending.digits,
        pendingPeriod: pending.period,
        pendingAlgorithm: pending.algorithm,
        pendingCreatedAt: now,
        updatedAt: now,
      };
      const rows = await db
        .insert(t)
        .values({ tenant, userId, ...fields, createdAt: now })
        .onConflictDoUpdate({
          target: [t.tenant, t.userId],
          set: fields,
          ...(replace ? {} : { setWhere: isNull(t.confirmedAt) }),
        })
        .returning({ userId: t.userId });
      return rows.length > 0;
    },
    async confirm(tenant, userId, expectedSealed, step, recoveryDigests) {
      const now = clock();
      return db.transaction(async (tx) => {
        const done = await tx
          .update(t)
          .set({
            ringKeyId: sql`${t.pendingRingKeyId}`,
            sealed: sql`${t.pendingSealed}`,
            digits: sql`${t.pendingDigits}`,
            period: sql`${t.pendingPeriod}`,
            algorithm: sql`${t.pendingAlgorithm}`,
            confirmedAt: now,
            lastStep: step,
            pendingRingKeyId: null,
            pendingSealed: null,
            pendingDigits: null,
            pendingPeriod: null,
            pendingAlgorithm: null,
            pendingCreatedAt: null,
            updatedAt: now,
          })
          .where(and(byUser(tenant, userId), eq(t.pendingSealed, expectedSealed)))
          .returning({ userId: t.userId });
        if (done.length === 0) return false;
        await tx.delete(r).where(codesOf(tenant, userId));
        await tx.insert(r).values(recoveryDigests.map((digest) => ({ tenant, userId, digest, createdAt: now })));
        return true;
      });
    },
    async acceptStep(tenant, userId, step) {
      const done = await db
        .update(t)
        .set({ lastStep: step, updatedAt: clock() })
        .where(and(byUser(tenant, userId), isNotNull(t.confirmedAt), sql`(${t.lastStep} is null or ${t.lastStep} < ${step})`))
        .returning({ userId: t.userId });
      return done.length > 0;
    },
    async unusedRecoveryDigests(tenant, userId) {
      const rows = await db.select({ digest: r.digest }).from(r).where(and(codesOf(tenant, userId), isNull(r.usedAt)));
      return rows.map((row) => row.digest);
    },
    async useRecoveryCode(tenant, userId, digest) {
      const done = await db
        .update(r)
        .set({ usedAt: clock() })
        .where(and(codesOf(tenant, userId), eq(r.digest, digest), isNull(r.usedAt)))
        .returning({ digest: r.digest });
      return { used: done.length > 0, remaining: await remaining(tenant, userId) };
    },
    async replaceRecoveryCodes(tenant, userId, digests) {
      const now = clock();
      return db.transaction(async (tx) => {
        const [active] = await tx.select({ userId: t.userId }).from(t).where(and(byUser(tenant, userId), isNotNull(t.confirmedAt))).for('update');
        if (!active) return false;
        await tx.delete(r).where(codesOf(tenant, userId));
        await tx.insert(r).values(digests.map((digest) => ({ tenant, userId, digest, createdAt: now })));
        return true;
      });
    },
    async remove(tenant, userId) {
      return db.transaction(async (tx) => {
        await tx.delete(r).where(codesOf(tenant, userId));
        const deleted = await tx.delete(t).where(byUser(tenant, userId)).returning({ userId: t.userId });
        return deleted.length > 0;
      });
    },
  };
}
