/**
 * TOTP credentials and recovery codes. Every acceptance is a conditional UPDATE, so the database
 * decides races: a time step is accepted only by raising `last_step` above it (20 parallel
 * verifies of one code: exactly one row update succeeds), a pending seed is confirmed only if it
 * is still the one that was checked, and a recovery code is spent only by setting its `used_at`
 * from null.
 */

import { and, count, eq, gt, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import { type Database, queryRows } from './database.ts';
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
   * Makes the pending seed active (if it is still `expectedSealed` and was made after
   * `pendingAfter`), records `step` as used and replaces the recovery codes, in one transaction.
   */
  confirm(tenant: string, userId: string, expectedSealed: string, step: number, recoveryDigests: readonly string[], pendingAfter: Date): Promise<boolean>;
  /**
   * Removes up to `limit` pending enrolments (of every tenant) made at or before `cutoff`: a row
   * that was never confirmed is deleted, a confirmed one keeps its active TOTP and loses only the
   * stale pending seed. Returns how many enrolments were removed.
   */
  purgeStalePending(cutoff: Date, limit: number): Promise<number>;
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
    async confirm(tenant, userId, expectedSealed, step, recoveryDigests, pendingAfter) {
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
          .where(and(byUser(tenant, userId), eq(t.pendingSealed, expectedSealed), gt(t.pendingCreatedAt, pendingAfter)))
          .returning({ userId: t.userId });
        if (done.length === 0) return false;
        await tx.delete(r).where(codesOf(tenant, userId));
        await tx.insert(r).values(recoveryDigests.map((digest) => ({ tenant, userId, digest, createdAt: now })));
        return true;
      });
    },
    async purgeStalePending(cutoff, limit) {
      const at = sql`${cutoff.toISOString()}::timestamptz`;
      // Never confirmed: the whole row goes (it has no recovery codes; confirm writes them).
      const unconfirmed = await queryRows<{ n: number }>(
        db,
        sql`with doomed as (
              select tenant, user_id from totp_credentials
              where confirmed_at is null and pending_created_at <= ${at} limit ${limit}
            ), gone as (
              delete from totp_credentials c using doomed d
              where c.tenant = d.tenant and c.user_id = d.user_id and c.confirmed_at is null and c.pending_created_at <= ${at}
              returning 1
            )
            select count(*)::int as n from gone`,
      );
      const deleted = Number(unconfirmed[0]?.n ?? 0);
      if (deleted >= limit) return deleted;
      // A stale replacement of an active TOTP: clear the pending seed, keep the active one.
      const replaced = await queryRows<{ n: number }>(
        db,
        sql`with doomed as (
              select tenant, user_id from totp_credentials
              where confirmed_at is not null and pending_created_at <= ${at} limit ${limit - deleted}
            ), cleared as (
              update totp_credentials c set pending_ring_key_id = null, pending_sealed = null, pending_digits = null,
                pending_period = null, pending_algorithm = null, pending_created_at = null
              from doomed d
              where c.tenant = d.tenant and c.user_id = d.user_id and c.pending_created_at <= ${at}
              returning 1
            )
            select count(*)::int as n from cleared`,
      );
      return deleted + Number(replaced[0]?.n ?? 0);
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
