/**
 * Tables of sessions and one-time codes. Like every hashd table they lead with `tenant`: the
 * primary keys are (tenant, id), so a lookup by id is one index probe inside the caller's tenant
 * and another tenant's id simply is not found.
 *
 * Only digests are stored: a session keeps SHA-256 of its secret, a code keeps
 * HMAC-SHA256(server secret, otpId ‖ code). A copy of these tables lets nobody log in.
 *
 * The two expiry indexes do not lead with the tenant on purpose: the purge job deletes expired
 * rows of every tenant in bounded batches, and these indexes make each batch an index range.
 */

import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

function stamp(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}

/**
 * One row per session. `expires_at` is absolute and never moves; `idle_expires_at` (when the
 * session has an idle timeout of `idle_seconds`) slides forward on use, written at most once a
 * minute (`last_used_at` tells when it was last written), so most verifies are pure reads.
 */
export const sessions = pgTable(
  'sessions',
  {
    tenant: text('tenant').notNull(),
    id: text('id').notNull(),
    userId: text('user_id').notNull(),
    /** Lower-case hex SHA-256 of the secret part of the token. */
    secretHash: text('secret_hash').notNull(),
    createdAt: stamp('created_at').notNull(),
    lastUsedAt: stamp('last_used_at').notNull(),
    expiresAt: stamp('expires_at').notNull(),
    idleSeconds: integer('idle_seconds'),
    idleExpiresAt: stamp('idle_expires_at'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
  },
  (t) => [
    primaryKey({ name: 'sessions_pkey', columns: [t.tenant, t.id] }),
    index('sessions_tenant_user_idx').on(t.tenant, t.userId),
    index('sessions_expires_idx').on(t.expiresAt),
    index('sessions_idle_expires_idx').on(t.idleExpiresAt),
  ],
);

/**
 * One row per (tenant, user, purpose): the current code, and the issuance counter of that user
 * and purpose. Issuing a new code overwrites the row in one upsert, so the previous code (and its
 * otpId) is gone the moment the new one exists, and the counter is counted in the same statement,
 * by the database, for every replica at once.
 *
 * `attempts_left` is decremented by a conditional UPDATE (`… where attempts_left > 0`), which the
 * database serialises per row: concurrent wrong guesses cannot evaluate more than the limit.
 * `consumed_at` marks a code that was used; the row stays until it is purged, because it still
 * holds the issuance window.
 */
export const otpCodes = pgTable(
  'otp_codes',
  {
    tenant: text('tenant').notNull(),
    userId: text('user_id').notNull(),
    purpose: text('purpose').notNull(),
    id: text('id').notNull(),
    /** Lower-case hex HMAC-SHA256(server secret, id ‖ code). */
    codeMac: text('code_mac').notNull(),
    /**
     * The HASHD_KEYS ring key id whose derived key MACed the code (so a ring rotation does not
     * void live codes); null: HASHD_OTP_SECRET or the dev file's secret.
     */
    macKeyId: text('mac_key_id'),
    digits: integer('digits').notNull(),
    attemptsLeft: integer('attempts_left').notNull(),
    createdAt: stamp('created_at').notNull(),
    expiresAt: stamp('expires_at').notNull(),
    consumedAt: stamp('consumed_at'),
    /** End of the current issuance window, and how many codes were issued in it. */
    windowEndsAt: stamp('window_ends_at').notNull(),
    issuedInWindow: integer('issued_in_window').notNull(),
  },
  (t) => [
    primaryKey({ name: 'otp_codes_pkey', columns: [t.tenant, t.userId, t.purpose] }),
    uniqueIndex('otp_codes_tenant_id_idx').on(t.tenant, t.id),
    index('otp_codes_expires_idx').on(t.expiresAt),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;
export type OtpCodeRow = typeof otpCodes.$inferSelect;
