/**
 * The one-time code repository. One row per (tenant, user, purpose) holds the current code's MAC
 * and the issuance counter; every change is one statement, so the database decides every race:
 *
 * - `issue` is one upsert that replaces the previous code (voiding it) and counts the issuance,
 *   and does neither when the user and purpose are over the limit in the current window;
 * - `spendAttempt` is one conditional UPDATE that takes an attempt only while one is left, on a
 *   code that is neither used nor expired, and returns what is left: concurrent guesses are
 *   serialised on the row, so no more than the limit are ever evaluated and no two see the same
 *   count;
 * - `consume` marks the code used only if it was not, so of two right answers exactly one wins.
 */

import { and, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import { type Database, queryRows } from './database.ts';
import { otpCodes } from './schema-sessions.ts';

export interface IssueCodeInput {
  userId: string;
  purpose: string;
  id: string;
  codeMac: string;
  /** The ring key id of the MAC key (null: the non-ring secret). */
  macKeyId: string | null;
  digits: number;
  attempts: number;
  expiresAt: Date;
  /** At most `limit` codes per user and purpose in a window of `windowSeconds`. */
  limit: number;
  windowSeconds: number;
}

export type IssueResult = { issued: true } | { issued: false; retryAfterSeconds: number };

export interface SpentAttempt {
  userId: string;
  purpose: string;
  codeMac: string;
  macKeyId: string | null;
  /** Attempts left after this one (0 when this was the last). */
  attemptsLeft: number;
}

export interface OtpRepository {
  issue(tenant: string, input: IssueCodeInput): Promise<IssueResult>;
  /** Takes one attempt of a live code; undefined when the code is unknown, used, expired or out of attempts. */
  spendAttempt(tenant: string, id: string, now: Date): Promise<SpentAttempt | undefined>;
  /** Marks a live code used; true only for the one call that did. */
  consume(tenant: string, id: string, now: Date): Promise<boolean>;
  removeUser(tenant: string, userId: string): Promise<number>;
  /** Codes that can still be used at `now` in the tenant. */
  countActive(tenant: string, now: Date): Promise<number>;
  /** Deletes up to `limit` rows (of every tenant) whose code expired and whose issuance window ended. */
  purgeExpired(now: Date, limit: number): Promise<number>;
}

export function createOtpRepository(database: Database, clock: Clock): OtpRepository {
  const { db } = database;
  const live = (now: Date) => and(isNull(otpCodes.consumedAt), gt(otpCodes.expiresAt, now), gt(otpCodes.attemptsLeft, 0));

  return {
    async issue(tenant, input) {
      const now = clock();
      const nowSql = sql`${now.toISOString()}::timestamptz`;
      const windowEnd = new Date(now.getTime() + input.windowSeconds * 1000);
      // excluded.* is the new code; the row's own columns are the previous one and its window.
      const windowOver = sql`${otpCodes.windowEndsAt} <= ${nowSql}`;
      const rows = await db
        .insert(otpCodes)
        .values({
          tenant,
          userId: input.userId,
          purpose: input.purpose,
          id: input.id,
          codeMac: input.codeMac,
          macKeyId: input.macKeyId,
          digits: input.digits,
          attemptsLeft: input.attempts,
          createdAt: now,
          expiresAt: input.expiresAt,
          consumedAt: null,
          windowEndsAt: windowEnd,
          issuedInWindow: 1,
        })
        .onConflictDoUpdate({
          target: [otpCodes.tenant, otpCodes.userId, otpCodes.purpose],
          set: {
            id: sql`excluded.id`,
            codeMac: sql`excluded.code_mac`,
            macKeyId: sql`excluded.mac_key_id`,
            digits: sql`excluded.digits`,
            attemptsLeft: sql`excluded.attempts_left`,
            createdAt: sql`excluded.created_at`,
            expiresAt: sql`excluded.expires_at`,
            consumedAt: sql`null`,
            windowEndsAt: sql`case when ${windowOver} then excluded.window_ends_at else ${otpCodes.windowEndsAt} end`,
            issuedInWindow: sql`case when ${windowOver} then 1 else ${otpCodes.issuedInWindow} + 1 end`,
          },
          setWhere: sql`${windowOver} or ${otpCodes.issuedInWindow} < ${input.limit}`,
        })
        .returning({ id: otpCodes.id });
      if (rows.length > 0) return { issued: true };
      const [row] = await db
        .select({ windowEndsAt: otpCodes.windowEndsAt })
        .from(otpCodes)
        .where(and(eq(otpCodes.tenant, tenant), eq(otpCodes.userId, input.userId), eq(otpCodes.purpose, input.purpose)));
      const end = row?.windowEndsAt.getTime() ?? now.getTime();
      return { issued: false, retryAfterSeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)) };
    },

    async spendAttempt(tenant, id, now) {
      const [row] = await db
        .update(otpCodes)
        .set({ attemptsLeft: sql`${otpCodes.attemptsLeft} - 1` })
        .where(and(eq(otpCodes.tenant, tenant), eq(otpCodes.id, id), live(now)))
        .returning({ userId: otpCodes.userId, purpose: otpCodes.purpose, codeMac: otpCodes.codeMac, macKeyId: otpCodes.macKeyId, attemptsLeft: otpCodes.attemptsLeft });
      return row;
    },

    async consume(tenant, id, now) {
      const rows = await db
        .update(otpCodes)
        .set({ consumedAt: now })
        .where(and(eq(otpCodes.tenant, tenant), eq(otpCodes.id, id), isNull(otpCodes.consumedAt), gt(otpCodes.expiresAt, now)))
        .returning({ id: otpCodes.id });
      return rows.length > 0;
    },

    async removeUser(tenant, userId) {
      const removed = await db
        .delete(otpCodes)
        .where(and(eq(otpCodes.tenant, tenant), eq(otpCodes.userId, userId)))
        .returning({ id: otpCodes.id });
      return removed.length;
    },

    async countActive(tenant, now) {
      const [row] = await db.select({ n: count() }).from(otpCodes).where(and(eq(otpCodes.tenant, tenant), live(now)));
      return Number(row?.n ?? 0);
    },

    async purgeExpired(now, limit) {
      const at = sql`${now.toISOString()}::timestamptz`;
      const rows = await queryRows<{ n: number }>(
        db,
        sql`with doomed as (
              select tenant, user_id, purpose from otp_codes where expires_at <= ${at} and window_ends_at <= ${at} limit ${limit}
            ), gone as (
              delete from otp_codes o using doomed d
              where o.tenant = d.tenant and o.user_id = d.user_id and o.purpose = d.purpose returning 1
            )
            select count(*)::int as n from gone`,
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
