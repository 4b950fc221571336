/**
 * The wrap-upgrade job: replaces every stored hash of a weak scheme with argon2id over its
 * checksum (see hashing/schemes/wrapped.ts), without waiting for the users to log in. The job
 * hashes on every core through the process's one hashing limiter, at background priority (requests
 * first: it uses the slots they leave), records its progress (cursor = last user id done) after every batch, and
 * resumes from that cursor after a crash or restart. Each row is replaced by a compare-and-swap
 * on the hash that was read, so a login or a password change that landed meanwhile wins.
 *
 * One process at a time runs a job: it holds the job's lease (db/jobs.ts), renews it with every
 * batch's progress, and stops the moment a renewal fails. A job whose process died is taken over
 * once its lease runs out, by the next start or by `resumeAbandonedWraps`.
 */
import type { Clock } from '../clock';
import type { CredentialRow, JobLease, JobRow, Repositories, SwapRow } from '../db/index';
import { HashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import type { Registry } from '../hashing/registry';
import type { ParamValue, SchemeEnv } from '../hashing/scheme';
import { argon2id } from '../hashing/schemes/argon2';
import { WRAPPED_SCHEME, wrapLegacyHash } from '../hashing/schemes/wrapped';

export interface WrapDeps extends Pick<Repositories, 'credentials' | 'exports' | 'jobs' | 'inventory'> {
  crypt: CryptContext;
  registry: Registry;
  env: SchemeEnv;
  clock?: Clock;
}

export interface WrapOptions {
  /** Schemes to wrap; default: every accepted scheme that supports wrapping. */
  schemes?: readonly string[];
  /**
   * Hashes kept in flight (default: the limiter's concurrency). The hashes run through the
   * process's one limiter at background priority, so they only take the slots requests leave.
   */
  concurrency?: number;
  batchSize?: number;
  /**
   * How long the job's lease lasts from the claim and from each batch's renewal. A running job
   * whose lease ran out (its process died) is taken over by the next claim. Default 30 s.
   */
  leaseMs?: number;
  /** The lease owner's name (default: a new random one per start). */
  owner?: string;
  onProgress?: (status: WrapStatus) => void;
}

export interface WrapStatus {
  state: 'running' | 'done' | 'failed';
  processed: number;
  total: number;
  wrapped: number;
  rowsPerSecond: number;
}

export const WRAP_JOB = 'wrap';

/** The weak schemes a wrap covers by default: every accepted scheme that can be wrapped. */
export function wrappableSchemes(deps: Pick<WrapDeps, 'crypt' | 'registry'>, requested?: readonly string[]): string[] {
  const accepted = deps.crypt.policy.schemes;
  if (!requested) return accepted.filter((name) => deps.registry.get(name)?.wrap !== undefined);
  for (const name of requested) {
    if (!deps.registry.get(name)?.wrap) {
      throw new HashdError('invalid_request', `scheme "${name}" cannot be wrapped`, { details: { scheme: name } });
    }
  }
  return [...requested];
}

/** Progress of a job row, as the status endpoint reports it. */
export function statusOf(job: JobRow): WrapStatus {
  const seconds = Math.max(0.001, ((job.finishedAt ?? job.updatedAt).getTime() - job.startedAt.getTime()) / 1000);
  const wrapped = Number((job.params as { wrapped?: number }).wrapped ?? 0);
  return { state: job.state, processed: job.processed, total: job.total, wrapped, rowsPerSecond: job.processed / seconds };
}

function argon2Params(crypt: CryptContext): Record<string, ParamValue> {
  const configured = crypt.policy.params.argon2id;
  const specs = argon2id.producer?.params ?? {};
  return Object.fromEntries(Object.entries(specs).map(([k, spec]) => [k, configured?.[k]?.default ?? spec.default]));
}

export const DEFAULT_WRAP_LEASE_MS = 30_000;

/** A lease owner name: unique per process and start, so a restarted process is a new owner. */
export function newLeaseOwner(): string {
  const pid = typeof process === 'undefined' ? 0 : process.pid;
  return `${pid}:${crypto.randomUUID()}`;
}

function leaseOf(options: WrapOptions): JobLease {
  return { owner: options.owner ?? newLeaseOwner(), ms: options.leaseMs ?? DEFAULT_WRAP_LEASE_MS };
}

/**
 * Claims the tenant's wrap job, each step one conditional statement: take over a running job
 * whose lease ran out; else refuse while its owner holds it; else start one (the partial unique
 * index lets exactly one of two concurrent starts through).
 */
async function claim(deps: WrapDeps, tenant: string, schemes: string[], lease: JobLease): Promise<JobRow> {
  const taken = await deps.jobs.claim(tenant, WRAP_JOB, lease);
  if (taken) return taken;
  const existing = await deps.jobs.get(tenant, WRAP_JOB);
  if (existing?.state === 'running') {
    throw new HashdError('conflict', 'a wrap job is already running for this tenant', { details: { processed: existing.processed, total: existing.total } });
  }
  const total = await deps.exports.countForWrap(tenant, schemes);
  const job = await deps.jobs.create(tenant, { kind: WRAP_JOB, total, params: { schemes, wrapped: 0 }, lease });
  if (!job) throw new HashdError('conflict', 'a wrap job is already running for this tenant');
  return job;
}

/** Starts (or takes over) the tenant's wrap job and returns once the claim is made and the run begun. */
export async function startWrap(deps: WrapDeps, tenant: string, options: WrapOptions = {}): Promise<{ job: JobRow; done: Promise<WrapStatus> }> {
  const schemes = wrappableSchemes(deps, options.schemes);
  const lease = leaseOf(options);
  const job = await claim(deps, tenant, schemes, lease);
  return { job, done: runJob(deps, tenant, job, options, lease) };
}

/**
 * Takes over every tenant's wrap job whose lease ran out (its process died) and runs each to the
 * end; a service calls this now and then, so a job survives the replica that started it.
 */
export async function resumeAbandonedWraps(deps: WrapDeps, options: WrapOptions = {}): Promise<{ job: JobRow; done: Promise<WrapStatus> }[]> {
  const lease = leaseOf(options);
  const taken = await deps.jobs.claimAbandoned(WRAP_JOB, lease);
  return taken.map((job) => ({ job, done: runJob(deps, job.tenant, job, options, lease) }));
}

/**
 * The process is shutting down (SIGTERM): the run stopped at a batch boundary, with its progress
 * (cursor, processed) written, and released its lease, so the next start (this replica's or
 * another's) takes the job over at once and goes on from the cursor.
 */
export class WrapStoppedError extends HashdError {
  constructor() {
    super('conflict', 'the wrap job stopped at a batch boundary for shutdown; it resumes from its cursor on the next start');
    this.name = 'WrapStoppedError';
  }
}

/** The runs of this process, for stopWrapsAtBatchBoundary. */
const runs = new Set<{ stop: () => void; settled: Promise<unknown> }>();

/**
 * Asks every wrap run of this process to stop after its current batch; resolves once each has
 * recorded that batch's progress and released its lease (or ended otherwise). Runs started
 * after this call stop before their first batch.
 */
export async function stopWrapsAtBatchBoundary(): Promise<number> {
  shuttingDown = true;
  const current = [...runs];
  for (const run of current) run.stop();
  await Promise.allSettled(current.map((r) => r.settled));
  return current.length;
}
let shuttingDown = false;

/** The job's lease was taken over by another process (or the job was ended): this run stops. */
export class LeaseLostError extends HashdError {
  constructor() {
    super('conflict', 'the wrap job is no longer leased to this process; it stopped');
    this.name = 'LeaseLostError';
  }
}

/** One scanned batch in the pipeline: its rows still to settle and the swaps hashed so far. */
interface Batch {
  left: number;
  swaps: SwapRow[];
  /** Resolves once every row of the batch is hashed or skipped. */
  done: Promise<void>;
  settle: () => void;
  /** Releases `done` although rows are left (the run is ending without them). */
  abandon: () => void;
}

function runJob(deps: WrapDeps, tenant: string, job: JobRow, options: WrapOptions, lease: JobLease): Promise<WrapStatus> {
  const control = { stopping: shuttingDown };
  const done = runBatches(deps, tenant, job, options, lease, control);
  const entry = { stop: () => (control.stopping = true), settled: done.catch(() => undefined) };
  runs.add(entry);
  void entry.settled.then(() => runs.delete(entry));
  return done;
}

async function runBatches(deps: WrapDeps, tenant: string, job: JobRow, options: WrapOptions, lease: JobLease, control: { stopping: boolean }): Promise<WrapStatus> {
  const { credentials, exports, jobs, inventory, registry, env } = deps;
  const schemes = ((job.params as { schemes?: string[] }).schemes ?? []).filter((s) => registry.get(s)?.wrap);
  const hashing = deps.crypt.limiter;
  const concurrency = Math.max(1, options.concurrency ?? hashing.concurrency);
  const batchSize = options.batchSize ?? 256;
  const params = argon2Params(deps.crypt);
  let cursor = job.cursor ?? undefined;
  let processed = job.processed;
  if (cursor !== undefined) {
    // A resumed job may have finished rows after its last recorded progress (the process died
    // between the writes and the progress update). Those rows are no longer weak, so the scan
    // skips them; count them as processed from what is left to do.
    processed = Math.max(processed, job.total - (await exports.countForWrap(tenant, schemes)));
  }
  let wrapped = Number((job.params as { wrapped?: number }).wrapped ?? 0);
  const started = performance.now();
  const startProcessed = processed;
  const report = (state: WrapStatus['state']): WrapStatus => {
    const status = { state, processed, total: Math.max(job.total, processed), wrapped, rowsPerSecond: (processed - startProcessed) / Math.max(0.001, (performance.now() - started) / 1000) };
    options.onProgress?.(status);
    return status;
  };
  // Between the per-batch renewals, a heartbeat renews the lease too, so a batch slower than the
  // lease (a busy machine) does not let another process take a live job; when a renewal answers
  // false the workers stop taking rows and the run ends.
  let lost = false;
  let beat: Promise<unknown> = Promise.resolve();
  const heartbeat = setInterval(() => {
    beat = jobs.renew(tenant, job.id, lease).then(
      (held) => {
        if (!held) lost = true;
      },
      () => undefined, // a database error: the batch's own renewal reports it
    );
  }, Math.max(100, Math.floor(lease.ms / 3)));
  (heartbeat as { unref?: () => void }).unref?.();
  // The run is a pipeline, so the hashing slots never wait for the database: the scan of batch
  // N+1 is in flight while batch N hashes; the workers go on to batch N+1's rows as soon as every
  // row of N is taken (not done); and batch N's swaps are written in one statement, followed by
  // its progress (cursor, processed, the lease's renewal), while batch N+1 hashes. Commits run one
  // at a time in batch order, so the recorded cursor only ever covers rows whose swaps are written.
  let failure: unknown;
  let commits: Promise<void> = Promise.resolve();
  const swapInput = { scheme: WRAPPED_SCHEME, wrapped: true, source: 'wrap' } as const;
  const scan = (after: string | undefined): Promise<CredentialRow[]> => {
    const next = exports.scanForWrap(tenant, { schemes, limit: batchSize, ...(after !== undefined && { afterUserId: after }) });
    next.catch(() => undefined); // awaited when used; a scan left behind by a stop must not go unhandled
    return next;
  };
  const open = (rows: CredentialRow[]): Batch => {
    let finish = (): void => undefined;
    const batch: Batch = {
      left: rows.length,
      swaps: [],
      done: new Promise<void>((resolve) => (finish = resolve)),
      settle: () => {
        if (--batch.left === 0) finish();
      },
      abandon: () => finish(),
    };
    commits = commits.then(async () => {
      await batch.done;
      if (failure !== undefined || lost) return;
      const swapped = (await credentials.compareAndSwapMany(tenant, batch.swaps, swapInput)).size;
      processed += rows.length;
      wrapped += swapped;
      cursor = rows[rows.length - 1]?.userId;
      if (swapped > 0) await inventory.recordUpgrade(tenant, 'wrap', swapped);
      // The progress write renews the lease; when it answers false another process holds the
      // job now (this one was presumed dead), so this one stops at once.
      if (!(await jobs.renew(tenant, job.id, lease, { cursor: cursor ?? null, processed, params: { ...job.params, wrapped } }))) throw new LeaseLostError();
      report('running');
    });
    commits.catch((err: unknown) => (failure ??= err));
    return batch;
  };
  // Every row to wrap, batch after batch, shared by the workers (an async generator hands each
  // row to one caller). A stop request ends it at a batch boundary.
  async function* source(): AsyncGenerator<{ row: CredentialRow; batch: Batch }> {
    if (control.stopping) return;
    let current: Batch | undefined;
    try {
      let rows = await scan(cursor);
      while (rows.length > 0) {
        current = open(rows);
        const following = control.stopping ? undefined : scan(rows[rows.length - 1]?.userId);
        for (const row of rows) {
          if (lost || failure !== undefined) return;
          yield { row, batch: current };
        }
        if (control.stopping || !following) return;
        rows = await following;
      }
    } finally {
      // Ending early (lease lost, a failure): rows never handed out will not settle, so the
      // batch's commit is released now; it sees why and writes nothing.
      if (lost || failure !== undefined) current?.abandon();
    }
  }
  const rowsToWrap = source();
  const worker = async (): Promise<void> => {
    while (!lost && failure === undefined) {
      let next;
      try {
        next = await rowsToWrap.next();
      } catch (err) {
        failure ??= err; // a scan failed
        return;
      }
      if (next.done) return;
      const { row, batch } = next.value;
      try {
        const scheme = registry.get(row.scheme);
        if (!scheme?.wrap) continue;
        let parsed;
        try {
          parsed = scheme.parse(row.hash);
        } catch {
          // A stored hash that no longer parses is left for a human; the inventory shows it.
          continue;
        }
        const hash = await hashing.run(() => wrapLegacyHash(scheme, parsed, params, env), { priority: 'background' });
        batch.swaps.push({ userId: row.userId, expectedHash: row.hash, hash });
      } catch (err) {
        failure ??= err;
      } finally {
        batch.settle();
      }
    }
  };
  try {
    if (lost) throw new LeaseLostError();
    // Twice as many workers as hashing slots: a freed slot goes at once to a hash already waiting
    // in the limiter's background queue, never to a worker still between two rows.
    await Promise.all(Array.from({ length: concurrency * 2 }, worker));
    await rowsToWrap.return(undefined);
    await commits.catch(() => undefined);
    if (lost) throw new LeaseLostError();
    if (failure !== undefined) throw failure;
    if (control.stopping) {
      // A batch boundary: the last batch's progress is written. Release the lease (it ends
      // now) once no heartbeat can extend it again, so the next start takes the job over.
      clearInterval(heartbeat);
      await beat;
      if (!(await jobs.renew(tenant, job.id, { owner: lease.owner, ms: 0 }))) throw new LeaseLostError();
      report('running');
      throw new WrapStoppedError();
    }
    // Rows that stopped being weak by other means (a login upgrade, a password change) were
    // skipped by the scan; at the end every counted row is dealt with.
    if (processed < job.total) {
      processed = job.total;
      if (!(await jobs.renew(tenant, job.id, lease, { cursor: cursor ?? null, processed, params: { ...job.params, wrapped } }))) throw new LeaseLostError();
    }
    if (!(await jobs.finish(tenant, job.id, 'done', lease.owner))) throw new LeaseLostError();
    return report('done');
  } catch (err) {
    // A lost lease leaves the job to its new owner; any other failure ends it, if still ours.
    if (!(err instanceof LeaseLostError) && !(err instanceof WrapStoppedError)) await jobs.finish(tenant, job.id, 'failed', lease.owner).catch(() => undefined);
    if (!(err instanceof WrapStoppedError)) report('failed');
    throw err;
  } finally {
    clearInterval(heartbeat);
  }
}
