/**
 * The tables hashd stores, described once for drizzle: the repositories query through these
 * objects and drizzle-kit generates the SQL migrations in `drizzle/` from this file, so a column
 * added here becomes a migration instead of a hand-written ALTER.
 *
 * Every table starts with `tenant`, and every primary key and index leads with it: a caller only
 * ever sees its own tenant's rows, so every query filters on the tenant first and the indexes
 * make that filter the cheap one.
 */

import { type SQL, sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

/** Why a credential row holds the hash it holds: the last kind of write that replaced it. */
export const CREDENTIAL_SOURCES = ['set', 'import', 'login_upgrade', 'wrap'] as const;
export type CredentialSource = (typeof CREDENTIAL_SOURCES)[number];

/** The two ways a stored hash gets upgraded, counted per day for the inventory. */
export const UPGRADE_KINDS = ['login', 'wrap'] as const;
export type UpgradeKind = (typeof UPGRADE_KINDS)[number];

export const JOB_STATES = ['running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Timestamps are stored with their time zone, and handed to code as `Date` objects. */
function stamp(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}

/**
 * A CHECK that the column holds one of the listed words, so that a bug elsewhere cannot store a
 * value the rest of the code does not know. The words are constants of this file, never input,
 * which is why they may be written into the SQL literally.
 */
function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`;
}

/**
 * One stored password hash per (tenant, user). The hash string describes itself, but `scheme`
 * keeps the identified scheme name so that the inventory and the wrap scan can filter on it
 * without parsing millions of hashes. `salt` and `pg_user` hold the inputs that some legacy
 * formats keep outside the hash string (an external salt, the user name mixed into a
 * postgres_md5 hash); a wrapped hash still needs them to apply the legacy transform.
 */
export const credentials = pgTable(
  'credentials',
  {
    tenant: text('tenant').notNull(),
    userId: text('user_id').notNull(),
    hash: text('hash').notNull(),
    scheme: text('scheme').notNull(),
    salt: text('salt'),
    pgUser: text('pg_user'),
    wrapped: boolean('wrapped').notNull().default(false),
    source: text('source').$type<CredentialSource>().notNull().default('set'),
    createdAt: stamp('created_at').notNull().defaultNow(),
    updatedAt: stamp('updated_at').notNull().defaultNow(),
    importedAt: stamp('imported_at'),
    lastLoginAt: stamp('last_login_at'),
  },
  (t) => [
    primaryKey({ name: 'credentials_pkey', columns: [t.tenant, t.userId] }),
    index('credentials_tenant_scheme_idx').on(t.tenant, t.scheme),
    check('credentials_source_check', oneOf(t.source, CREDENTIAL_SOURCES)),
  ],
);

/**
 * Upgrade counters per tenant, day and kind. One row per day keeps the inventory's "upgraded
 * at login over time" answer a tiny read, and an upsert increment keeps concurrent logins from
 * losing counts.
 */
export const upgradeEvents = pgTable(
  'upgrade_events',
  {
    tenant: text('tenant').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    kind: text('kind').$type<UpgradeKind>().notNull(),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'upgrade_events_pkey', columns: [t.tenant, t.day, t.kind] }),
    check('upgrade_events_kind_check', oneOf(t.kind, UPGRADE_KINDS)),
  ],
);

/**
 * Resumable background jobs such as the wrap-upgrade. The cursor is the last user id a job
 * finished, so a job that died with the process resumes right after it. The partial unique
 * index allows at most one running job of a kind per tenant: a second start finds the running
 * one instead of racing it over the same rows.
 *
 * A running job is leased: `owner` names the process running it and `lease_until` says until
 * when. The claim and every renewal are one conditional UPDATE, so only one process at a time
 * holds the lease; a job whose lease ran out (its process died) is taken over by the next claim.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    tenant: text('tenant').notNull(),
    kind: text('kind').notNull(),
    state: text('state').$type<JobState>().notNull().default('running'),
    cursor: text('cursor'),
    processed: bigint('processed', { mode: 'number' }).notNull().default(0),
    total: bigint('total', { mode: 'number' }).notNull().default(0),
    startedAt: stamp('started_at').notNull().defaultNow(),
    updatedAt: stamp('updated_at').notNull().defaultNow(),
    finishedAt: stamp('finished_at'),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    /** The process holding the lease of a running job (random per process and claim). */
    owner: text('owner'),
    /** Until when the owner holds the lease; a running job past it may be taken over. */
    leaseUntil: stamp('lease_until'),
  },
  (t) => [
    index('jobs_tenant_kind_started_idx').on(t.tenant, t.kind, t.startedAt),
    uniqueIndex('jobs_one_running_idx')
      .on(t.tenant, t.kind)
      .where(sql`${t.state} = 'running'`),
    check('jobs_state_check', oneOf(t.state, JOB_STATES)),
  ],
);

export type CredentialRow = typeof credentials.$inferSelect;
export type UpgradeEventRow = typeof upgradeEvents.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;

/** Everything drizzle needs to type `db` over these tables. */
export const schema = { credentials, upgradeEvents, jobs };
export type Schema = typeof schema;
