/**
 * The wrap-upgrade job: replaces every stored hash of a weak scheme with argon2id over its
 * checksum (see hashing/schemes/wrapped.ts), without waiting for the users to log in. The job
 * hashes on every core through the process's one hashing limiter, at background priority (requests
 * first: it uses the slots they leave), records its progress (cursor = last user id done) after every batch, and
 * resumes from that cursor after a crash or restart. Each row is replaced by a compare-and-swap
 * on the hash that was read, so a login or a password change that landed meanwhile wins.
 */
import { systemClock, type Clock } from '../clock';
import type { JobRow, Repositories } from '../db/index';
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
  /** A running job not updated for this long is taken to have died and is resumed. */
  staleAfterMs?: number;
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

/** Claims the tenant's wrap job: resumes a dead one, refuses while a live one runs, else starts one. */
async function claim(deps: WrapDeps, tenant: string, schemes: string[], staleAfterMs: number): Promise<JobRow> {
  const now = (deps.clock ?? systemClock)();
  const existing = await deps.jobs.get(tenant, WRAP_JOB);
  if (existing?.state === 'running') {
    if (now.getTime() - existing.updatedAt.getTime() < staleAfterMs) {
      throw new HashdError('conflict', 'a wrap job is already running for this tenant', { details: { processed: existing.processed, total: existing.total } });
    }
    return existing;
  }
  const total = await deps.exports.countForWrap(tenant, schemes);
  const job = await deps.jobs.create(tenant, { kind: WRAP_JOB, total, params: { schemes, wrapped: 0 } });
  if (!job) throw new HashdError('conflict', 'a wrap job is already running for this tenant');
  return job;
}

/** Starts (or resumes) the tenant's wrap job and returns once the claim is made and the run begun. */
export async function startWrap(deps: WrapDeps, tenant: string, options: WrapOptions = {}): Promise<{ job: JobRow; done: Promise<WrapStatus> }> {
  const schemes = wrappableSchemes(deps, options.schemes);
  const job = await claim(deps, tenant, schemes, options.staleAfterMs ?? 30_000);
  return { job, done: runJob(deps, tenant, job, options) };
}

async function runJob(deps: WrapDeps, tenant: string, job: JobRow, options: WrapOptions): Promise<WrapStatus> {
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
  try {
    for (;;) {
      const rows = await exports.scanForWrap(tenant, { schemes, limit: batchSize, ...(cursor !== undefined && { afterUserId: cursor }) });
      if (rows.length === 0) break;
      let next = 0;
      let swapped = 0;
      const worker = async (): Promise<void> => {
        while (next < rows.length) {
          const row = rows[next++];
          if (!row) break;
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
          if (await credentials.compareAndSwap(tenant, row.userId, row.hash, { hash, scheme: WRAPPED_SCHEME, wrapped: true, source: 'wrap' })) swapped++;
        }
      };
      // Twice as many workers as hashing slots: while one waits for its compare-and-swap, another
      // hashes, so the slots never idle on a database round trip.
      await Promise.all(Array.from({ length: Math.min(concurrency * 2, rows.length) }, worker));
      processed += rows.length;
      wrapped += swapped;
      cursor = rows[rows.length - 1]?.userId;
      if (swapped > 0) await inventory.recordUpgrade(tenant, 'wrap', swapped);
      await jobs.progress(tenant, job.id, { cursor: cursor ?? null, processed, params: { ...job.params, wrapped } });
      report('running');
    }
    // Rows that stopped being weak by other means (a login upgrade, a password change) were
    // skipped by the scan; at the end every counted row is dealt with.
    if (processed < job.total) {
      processed = job.total;
      await jobs.progress(tenant, job.id, { cursor: cursor ?? null, processed, params: { ...job.params, wrapped } });
    }
    await jobs.finish(tenant, job.id, 'done');
    return report('done');
  } catch (err) {
    await jobs.finish(tenant, job.id, 'failed').catch(() => undefined);
    report('failed');
    throw err;
  }
}
