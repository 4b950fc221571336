/**
 * Background jobs that must survive a crash or a restart, such as the wrap-upgrade of a whole
 * table. A job records the last user id it finished as its cursor; whoever finds a job still
 * `running` after a restart resumes it from that cursor instead of starting over. Every function
 * takes the tenant, so one tenant can neither see nor move another tenant's job.
 */

import { and, desc, eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import type { Database, HashdDb } from './database.ts';
import { type JobRow, jobs } from './schema.ts';

export interface NewJob {
  kind: string;
  /** Rows the job expects to process, for progress; 0 when unknown. */
  total: number;
  params?: Record<string, unknown>;
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

/** Ends a running job; false when it was unknown, another tenant's, or already finished. */
export async function finishJob(
  db: HashdDb,
  now: Date,
  tenant: string,
  id: string,
  state: FinalJobState,
): Promise<boolean> {
  const changed = await db
    .update(jobs)
    .set({ state, finishedAt: now, updatedAt: now })
    .where(and(eq(jobs.tenant, tenant), eq(jobs.id, id), eq(jobs.state, 'running')))
    .returning({ id: jobs.id });
  return changed.length > 0;
}

/** A tenant's durable jobs; progress and finish are conditional on the job still running. */
export interface JobRepository {
  create(tenant: string, job: NewJob): Promise<JobRow | undefined>;
  get(tenant: string, kind: string): Promise<JobRow | undefined>;
  progress(tenant: string, id: string, progress: JobProgress): Promise<boolean>;
  finish(tenant: string, id: string, state: FinalJobState): Promise<boolean>;
}

export function createJobRepository(database: Database, clock: Clock): JobRepository {
  const { db } = database;
  return {
    create: (tenant, job) => createJob(db, clock(), tenant, job),
    get: (tenant, kind) => getJob(db, tenant, kind),
    progress: (tenant, id, progress) => updateJobProgress(db, clock(), tenant, id, progress),
    finish: (tenant, id, state) => finishJob(db, clock(), tenant, id, state),
  };
}
