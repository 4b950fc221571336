/**
 * The periodic purge of expired sessions and codes in the Node server (sessions/purge.ts does
 * the work). Every replica runs it; the batches are small DELETEs of rows nobody can use, so two
 * replicas purging at once only share the work. A failed run is logged and the next one retries.
 */
import { systemClock, type Clock } from '../clock';
import type { Repositories } from '../db/index';
import type { Logger } from '../logger';
import { purgeExpired } from '../sessions/purge';
import type { PurgeSettings } from '../sessions/settings';

export interface PurgeJob {
  stop(): void;
}

export function startPurgeJob(repositories: () => Repositories, settings: PurgeSettings, logger: Logger, clock: Clock = systemClock): PurgeJob {
  if (settings.intervalSeconds === 0) return { stop: () => undefined };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const result = await purgeExpired(repositories(), clock, { batchSize: settings.batchSize });
        if (result.sessions + result.codes > 0) logger.info({ ...result }, 'purged expired sessions and codes');
      } catch (err) {
        logger.warn({ err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'purge failed; retrying at the next interval');
      } finally {
        running = false;
      }
    })();
  }, settings.intervalSeconds * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
