/**
 * Tables of the keys-and-TOTP feature. Everything secret in them is sealed under the master key
 * ring (src/keys/ring.ts): the `ring_key_id` column names the ring key that sealed the blob next
 * to it, so `hashd keys rotate` finds rows still under an old key and a row whose key has left
 * the ring is reported, never misread. The associated data of each blob is its tenant, table
 * name and row id (see the comments on each table), so a blob copied elsewhere does not open.
 */

import { sql } from 'drizzle-orm';
import { bigint, boolean, check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

function stamp(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}

/**
 * A tenant's named Fernet key (Vault transit style): its versions live in fernet_key_versions;
 * `latest_version` encrypts, versions below `min_decryption_version` no longer decrypt.
 */
export const fernetKeys = pgTable(
  'fernet_keys',
  {
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    exportable: boolean('exportable').notNull().default(false),
    latestVersion: integer('latest_version').notNull(),
    minDecryptionVersion: integer('min_decryption_version').notNull().default(1),
    createdAt: stamp('created_at').notNull().defaultNow(),
    updatedAt: stamp('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'fernet_keys_pkey', columns: [t.tenant, t.name] }),
    check('fernet_keys_versions_check', sql`${t.minDecryptionVersion} >= 1 and ${t.minDecryptionVersion} <= ${t.latestVersion}`),
  ],
);

/** One version of a named key: 32 Fernet key bytes sealed with AD (tenant, 'fernet_key_versions', `name/version`). */
export const fernetKeyVersions = pgTable(
  'fernet_key_versions',
  {
    tenant: text('tenant').notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    ringKeyId: text('ring_key_id').notNull(),
    sealed: text('sealed').notNull(),
    createdAt: stamp('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'fernet_key_versions_pkey', columns: [t.tenant, t.name, t.version] }),
    foreignKey({ name: 'fernet_key_versions_key_fk', columns: [t.tenant, t.name], foreignColumns: [fernetKeys.tenant, fernetKeys.name] }).onDelete('cascade'),
    index('fernet_key_versions_ring_idx').on(t.ringKeyId),
  ],
);

/**
 * A user's TOTP: the active (confirmed) seed and, while an enrolment waits for its first code, a
 * pending one; both sealed with AD (tenant, 'totp_credentials', user id). `last_step` is the
 * highest time step ever accepted: a code is accepted only by a conditional UPDATE that raises
 * it, which is what makes a replay (even 20 parallel ones) fail.
 */
export const totpCredentials = pgTable(
  'totp_credentials',
  {
    tenant: text('tenant').notNull(),
    userId: text('user_id').notNull(),
    ringKeyId: text('ring_key_id'),
    sealed: text('sealed'),
    digits: integer('digits'),
    period: integer('period'),
    /** 'SHA1' | 'SHA256' | 'SHA512'; null (rows written before the column existed) is SHA1. */
    algorithm: text('algorithm'),
    confirmedAt: stamp('confirmed_at'),
    lastStep: bigint('last_step', { mode: 'number' }),
    pendingRingKeyId: text('pending_ring_key_id'),
    pendingSealed: text('pending_sealed'),
    pendingDigits: integer('pending_digits'),
    pendingPeriod: integer('pending_period'),
    pendingAlgorithm: text('pending_algorithm'),
    pendingCreatedAt: stamp('pending_created_at'),
    createdAt: stamp('created_at').notNull().defaultNow(),
    updatedAt: stamp('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'totp_credentials_pkey', columns: [t.tenant, t.userId] }),
    index('totp_credentials_ring_idx').on(t.ringKeyId),
    index('totp_credentials_pending_ring_idx').on(t.pendingRingKeyId),
  ],
);

/** Recovery codes: SHA-256 digests only; `used_at` set once by a conditional UPDATE (single use). */
export const totpRecoveryCodes = pgTable(
  'totp_recovery_codes',
  {
    tenant: text('tenant').notNull(),
    userId: text('user_id').notNull(),
    digest: text('digest').notNull(),
    usedAt: stamp('used_at'),
    createdAt: stamp('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'totp_recovery_codes_pkey', columns: [t.tenant, t.userId, t.digest] })],
);

export type FernetKeyRow = typeof fernetKeys.$inferSelect;
export type FernetKeyVersionRow = typeof fernetKeyVersions.$inferSelect;
export type TotpCredentialRow = typeof totpCredentials.$inferSelect;
