/**
 * Housekeeping: expired sessions and dead one-time codes are deleted in bounded batches, so a
 * purge never holds a long lock or a huge transaction. Run periodically by the Node entry and by
 * `npx hashd purge`.
 */
import type { Clock } from '../clock';
import type { Repositories } from '../db/index';

export interface PurgeOptions {
  /** Rows per DELETE. */
  batchSize: number;
  /** Batches per table and run; the next run takes the rest. */
  maxBatches?: number;
}

export interface PurgeResult {
  sessions: number;
  codes: number;
}

async function drain(purge: (limit: number) => Promise<number>, batchSize: number, maxBatches: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await purge(batchSize);
    total += n;
    if (n < batchSize) break;
  }
  return total;
}

export async function purgeExpired(repos: Pick<Repositories, 'sessions' | 'otp'>, clock: Clock, options: PurgeOptions): Promise<PurgeResult> {
  const now = clock();
  const maxBatches = options.maxBatches ?? 100;
  const sessions = await drain((limit) => repos.sessions.purgeExpired(now, limit), options.batchSize, maxBatches);
  const codes = await drain((limit) => repos.otp.purgeExpired(now, limit), options.batchSize, maxBatches);
  return { sessions, codes };
}
