/**
 * The throttle's counters when they live in the database (HASHD_THROTTLE_STORE=database, and
 * the Worker entry, which has no Redis). One row per counter: `grp` is the digest of the tenant
 * and `key` the digest of what is counted (an account and purpose, or an address), so the table
 * holds no user id and no address. Times are epoch milliseconds, chosen by the service's clock,
 * so every replica and the tests agree on "now" without the database's own.
 */
import { bigint, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

export const throttleCounters = pgTable(
  'throttle_counters',
  {
    grp: text('grp').notNull(),
    key: text('key').notNull(),
    failures: integer('failures').notNull().default(0),
    lastFailureMs: bigint('last_failure_ms', { mode: 'number' }).notNull().default(0),
    /** The failures are forgotten at this time (window after the last one). */
    expiresMs: bigint('expires_ms', { mode: 'number' }).notNull().default(0),
    inFlight: integer('in_flight').notNull().default(0),
    /** The in-flight count is dropped at this time (reservations of a replica that died). */
    inFlightExpiresMs: bigint('in_flight_expires_ms', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'throttle_counters_pkey', columns: [t.grp, t.key] }),
    // The sweep of forgotten counters reads by expiry.
    index('throttle_counters_expires_idx').on(t.expiresMs),
  ],
);
