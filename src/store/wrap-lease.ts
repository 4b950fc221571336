/**
 * Keeps wrap jobs alive across replicas: every few seconds, a service takes over any tenant's
 * wrap job whose lease has run out (the replica running it died or lost its database) and runs
 * it on from its cursor. While the owner renews its lease with every batch the watcher finds
 * nothing, so exactly one replica runs a job at a time.
 */
import type { Logger } from '../logger';
import { resumeAbandonedWraps, type WrapDeps, type WrapOptions } from './wrap';

export interface WrapLeaseWatcherOptions {
  /** The wrap deps for the process's database; throws while the database cannot serve. */
  deps: () => WrapDeps;
  /** Options of the taken-over runs (concurrency, lease). */
  wrap: WrapOptions;
  /** How often to look for abandoned jobs. */
  intervalMs: number;
  logger: Logger;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : ((err as Error | null)?.name ?? 'error');
}

/** Starts the watcher; the returned function stops it (runs in progress stop at their next lost renewal or finish). */
export function watchWrapLeases(options: WrapLeaseWatcherOptions): () => void {
  const { logger } = options;
  let busy = false;
  let stopped = false;
  const tick = async (): Promise<void> => {
    if (busy || stopped) return;
    busy = true;
    try {
      const taken = await resumeAbandonedWraps(options.deps(), options.wrap);
      for (const { job, done } of taken) {
        logger.info({ tenant: job.tenant, job: job.id, processed: job.processed, total: job.total }, 'wrap taken over');
        done.then(
          (status) => logger.info({ tenant: job.tenant, job: job.id, processed: status.processed, wrapped: status.wrapped }, 'wrap done'),
          (err: unknown) => logger.warn({ tenant: job.tenant, job: job.id, code: codeOf(err) }, 'wrap stopped'),
        );
      }
    } catch (err) {
      // The database is unavailable or not migrated yet: the next tick tries again.
      logger.warn({ code: codeOf(err) }, 'wrap lease check failed');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref?.();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
