/**
 * Housekeeping: expired sessions, dead one-time codes and stale pending TOTP enrolments are
 * deleted in bounded batches, so a purge never holds a long lock or a huge transaction. Run
 * periodically by the Node entry and by `npx hashd purge`.
 */
import type { Clock } from '../clock';
import type { Repositories } from '../db/index';
import { DEFAULT_TOTP_SETTINGS } from '../totp/settings';

export interface PurgeOptions {
  /** Rows per DELETE. */
  batchSize: number;
  /** Batches per table and run; the next run takes the rest. */
  maxBatches?: number;
  /** Pending TOTP enrolments older than this are removed (default DEFAULT_TOTP_SETTINGS). */
  totpPendingSeconds?: number;
  /** Called after every batch with the table's running total (for the CLI's progress). */
  onProgress?: (progress: { table: PurgeTable; removed: number }) => void;
}

export type PurgeTable = 'sessions' | 'codes' | 'pendingEnrolments';

export interface PurgeResult {
  sessions: number;
  codes: number;
  pendingEnrolments: number;
}

async function drain(purge: (limit: number) => Promise<number>, batchSize: number, maxBatches: number, progress: (removed: number) => void): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await purge(batchSize);
    total += n;
    progress(total);
    if (n < batchSize) break;
  }
  return total;
}

export async function purgeExpired(repos: Pick<Repositories, 'sessions' | 'otp' | 'totp'>, clock: Clock, options: PurgeOptions): Promise<PurgeResult> {
  const now = clock();
  const maxBatches = options.maxBatches ?? 100;
  const progress = (table: PurgeTable) => (removed: number) => options.onProgress?.({ table, removed });
  const pendingCutoff = new Date(now.getTime() - (options.totpPendingSeconds ?? DEFAULT_TOTP_SETTINGS.pendingSeconds) * 1000);
  const sessions = await drain((limit) => repos.sessions.purgeExpired(now, limit), options.batchSize, maxBatches, progress('sessions'));
  const codes = await drain((limit) => repos.otp.purgeExpired(now, limit), options.batchSize, maxBatches, progress('codes'));
  const pendingEnrolments = await drain((limit) => repos.totp.purgeStalePending(pendingCutoff, limit), options.batchSize, maxBatches, progress('pendingEnrolments'));
  return { sessions, codes, pendingEnrolments };
}
