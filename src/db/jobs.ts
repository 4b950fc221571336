/**
 * Background jobs that must survive a crash or a restart, such as the wrap-upgrade of a whole
 * table. A job records the last user id it finished as its cursor; whoever finds a job still
 * `running` after a restart resumes it from that cursor instead of starting over. Every function
 * takes the tenant, so one tenant can neither see nor move another tenant's job.
 *
 * A running job is leased to one process (`owner`, `lease_until`). Starting a job, taking over
 * one whose lease ran out, and renewing a lease are each one conditional statement (an INSERT
 * that the partial unique index arbitrates, an `UPDATE … WHERE lease ran out … RETURNING`, an
 * `UPDATE … WHERE owner = me … RETURNING`), so two processes can never both hold it: the loser
 * of a race gets no row back. A job's owner stops as soon as a renewal answers false.
 */

import { and, desc, eq, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database, HashdDb } from './database.ts';
import { type JobRow, jobs } from './schema.ts';

export interface NewJob {
  kind: string;
  /** Rows the job expects to process, for progress; 0 when unknown. */
  total: number;
  params?: Record<string, unknown>;
  /** The lease the starting process takes on the new job. */
  lease?: JobLease;
}

/** Who holds a job and for how long a claim or renewal holds it. */
export interface JobLease {
  /** A name unique to the process (and claim), such as `hostname:pid:random`. */
  owner: string;
  /** How long the lease lasts from the claim or the last renewal. */
  ms: number;
}

export interface JobProgress {
  /** The last user id finished; the job resumes after it. */
  cursor: string | null;
  /** Rows processed since the job started (an absolute count, not an increment). */
  processed: number;
  /** A corrected estimate of the rows to process, when the job learns one. */
  total?: number;
  /** Replaces the job's params (job-specific counters such as rows wrapped). */
  params?: Record<string, unknown>;
}

export type FinalJobState = 'done' | 'failed';

/**
 * Starts a job, or answers undefined when a job of the same kind is already running for the
 * tenant: the partial unique index on running jobs decides, so two concurrent starts cannot both
 * win. The caller then resumes the running job (`getJob`) instead.
 */
export async function createJob(db: HashdDb, now: Date, tenant: string, job: NewJob): Promise<JobRow | undefined> {
  const [row] = await db
    .insert(jobs)
    .values({
      id: crypto.randomUUID(),
      tenant,
      kind: job.kind,
      state: 'running',
      cursor: null,
      processed: 0,
      total: job.total,
      startedAt: now,
      updatedAt: now,
      params: job.params ?? {},
      owner: job.lease?.owner ?? null,
      leaseUntil: job.lease ? new Date(now.getTime() + job.lease.ms) : null,
    })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** The tenant's job of this kind that is running, or else the one started last. */
export async function getJob(db: HashdDb, tenant: string, kind: string): Promise<JobRow | undefined> {
  const [row] = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.tenant, tenant), eq(jobs.kind, kind)))
    .orderBy(desc(sql`${jobs.state} = 'running'`), desc(jobs.startedAt))
    .limit(1);
  return row;
}

/** Records progress of a running job; false when the job is unknown, another tenant's, or finished. */
export async function updateJobProgress(
  db: HashdDb,
  now: Date,
  tenant: string,
  id: string,
  progress: JobProgress,
): Promise<boolean> {
  const changed = await db
    .update(jobs)
    .set({
      cursor: progress.cursor,
      processed: progress.processed,
      ...(progress.total === undefined ? {} : { total: progress.total }),
      ...(progress.params === undefined ? {} : { params: progress.params }),
      updatedAt: now,
    })
    .where(and(eq(jobs.tenant, tenant), eq(jobs.id, id), eq(jobs.state, 'running')))
    .returning({ id: jobs.id });
  return changed.length > 0;
}

/** Ends a running job; false when it was unknown, another tenant's, already finished, or (with `owner`) leased to someone else. */
export async function finishJob(
  db: HashdDb,
  now: Date,
  tenant: string,
  id: string,
  state: FinalJobState,
  owner?: string,
): Promise<boolean> {
  const changed = await db
    .update(jobs)
    .set({ state, finishedAt: now, updatedAt: now, leaseUntil: null })
    .where(and(eq(jobs.tenant, tenant), eq(jobs.id, id), eq(jobs.state, 'running'), owner === undefined ? undefined : eq(jobs.owner, owner)))
    .returning({ id: jobs.id });
  return changed.length > 0;
}

/**
 * A running job's lease has run out. A job written before leases existed (no `lease_until`)
 * counts as leased until `ms` after its last update, so a running old process keeps it.
 */
function leaseExpired(now: Date, ms: number): SQL {
  return or(
    lt(jobs.leaseUntil, now),
    and(sql`${jobs.leaseUntil} is null`, lt(jobs.updatedAt, new Date(now.getTime() - ms))),
  ) as SQL;
}

/**
 * Takes over the tenant's running job of this kind when its lease has run out (its process
 * died), in one statement: undefined when there is none or its owner still holds it.
 */
export async function claimJob(db: HashdDb, now: Date, tenant: string, kind: string, lease: JobLease): Promise<JobRow | undefined> {
  const [row] = await db
    .update(jobs)
    .set({ owner: lease.owner, leaseUntil: new Date(now.getTime() + lease.ms), updatedAt: now })
    .where(and(eq(jobs.tenant, tenant), eq(jobs.kind, kind), eq(jobs.state, 'running'), leaseExpired(now, lease.ms)))
    .returning();
  return row;
}

/** Takes over every tenant's running job of this kind whose lease has run out, in one statement. */
export async function claimAbandonedJobs(db: HashdDb, now: Date, kind: string, lease: JobLease): Promise<JobRow[]> {
  return db
    .update(jobs)
    .set({ owner: lease.owner, leaseUntil: new Date(now.getTime() + lease.ms), updatedAt: now })
    .where(and(eq(jobs.kind, kind), eq(jobs.state, 'running'), leaseExpired(now, lease.ms)))
    .returning();
}

/**
 * Extends the lease of a job this owner holds, recording its progress in the same statement;
 * false when the job is finished or another process has taken it over: then the caller stops.
 */
export async function renewJob(
  db: HashdDb,
  now: Date,
  tenant: string,
  id: string,
  lease: JobLease,
  progress?: JobProgress,
): Promise<boolean> {
  const changed = await db
    .update(jobs)
    .set({
      leaseUntil: new Date(now.getTime() + lease.ms),
      updatedAt: now,
      ...(progress && {
        cursor: progress.cursor,
        processed: progress.processed,
        ...(progress.total === undefined ? {} : { total: progress.total }),
        ...(progress.params === undefined ? {} : { params: progress.params }),
      }),
    })
    .where(and(eq(jobs.tenant, tenant), eq(jobs.id, id), eq(jobs.state, 'running'), eq(jobs.owner, lease.owner)))
    .returning({ id: jobs.id });
  return changed.length > 0;
}

/**
 * A tenant's durable jobs; progress and finish are conditional on the job still running, and
 * renew (and finish given an owner) on the caller still holding the lease.
 */
export interface JobRepository {
  create(tenant: string, job: NewJob): Promise<JobRow | undefined>;
  get(tenant: string, kind: string): Promise<JobRow | undefined>;
  progress(tenant: string, id: string, progress: JobProgress): Promise<boolean>;
  finish(tenant: string, id: string, state: FinalJobState, owner?: string): Promise<boolean>;
  /** Takes over the tenant's running job whose lease ran out (see claimJob). */
  claim(tenant: string, kind: string, lease: JobLease): Promise<JobRow | undefined>;
  /** Takes over every tenant's running job of `kind` whose lease ran out. */
  claimAbandoned(kind: string, lease: JobLease): Promise<JobRow[]>;
  /** Extends the caller's lease (and records progress); false: the caller must stop. */
  renew(tenant: string, id: string, lease: JobLease, progress?: JobProgress): Promise<boolean>;
}

export function createJobRepository(database: Database, clock: Clock): JobRepository {
  const { db } = database;
  return {
    create: (tenant, job) => createJob(db, clock(), tenant, job),
    get: (tenant, kind) => getJob(db, tenant, kind),
    progress: (tenant, id, progress) => updateJobProgress(db, clock(), tenant, id, progress),
    finish: (tenant, id, state, owner) => finishJob(db, clock(), tenant, id, state, owner),
    claim: (tenant, kind, lease) => claimJob(db, clock(), tenant, kind, lease),
    claimAbandoned: (kind, lease) => claimAbandonedJobs(db, clock(), kind, lease),
    renew: (tenant, id, lease, progress) => renewJob(db, clock(), tenant, id, lease, progress),
  };
}
