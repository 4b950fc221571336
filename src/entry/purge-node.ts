/**
 * The periodic purge of expired sessions, codes and stale pending TOTP enrolments in the Node server (sessions/purge.ts does
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

export interface PurgeJobSettings extends PurgeSettings {
  /** HASHD_TOTP_PENDING_SECONDS: pending enrolments older than this are removed. */
  totpPendingSeconds?: number;
}

export function startPurgeJob(repositories: () => Repositories, settings: PurgeJobSettings, logger: Logger, clock: Clock = systemClock): PurgeJob {
  if (settings.intervalSeconds === 0) return { stop: () => undefined };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      try {
        const result = await purgeExpired(repositories(), clock, {
          batchSize: settings.batchSize,
          ...(settings.totpPendingSeconds !== undefined && { totpPendingSeconds: settings.totpPendingSeconds }),
        });
        if (result.sessions + result.codes + result.pendingEnrolments > 0) logger.info({ ...result }, 'purged expired sessions, codes and pending TOTP enrolments');
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
