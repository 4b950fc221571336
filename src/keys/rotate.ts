/**
 * `hashd keys rotate`: re-seals every ring-encrypted row under the ring's first key, in bounded
 * batches (keyset pagination, so memory and transaction size stay small whatever the table
 * size), each row by compare-and-swap on the exact blob it read, so a concurrent write (a new
 * enrolment, a key rotation) is never overwritten. It is resumable by construction: the scan
 * selects only rows not yet under the first key, so a run that stopped half way simply finds
 * fewer rows next time. Rows under a key id the ring no longer lists cannot be re-sealed; they
 * are counted and reported, never touched.
 */
import type { RingKeyCount, RingRowRepository, RingSlot } from '../db/index';
import { RING_SLOTS } from '../db/index';
import { isHashdError } from '../errors';
import type { KeyRing } from './ring';

export interface RotateProgress {
  slot: RingSlot;
  /** Rows looked at so far, over all slots. */
  done: number;
  /** Rows not under the first key when the run started. */
  total: number;
}

export interface RotateResult {
  rewritten: number;
  /** Rows under a key id that is not in the ring (left as they are). */
  unavailable: number;
  /** Rows whose blob did not open under its listed key (damaged), or that changed meanwhile. */
  failed: number;
  /** Rows per slot and key id after the run. */
  counts: RingKeyCount[];
}

export async function rotateRing(
  deps: { ring: KeyRing; rows: RingRowRepository },
  options: { batchSize?: number; onProgress?: (p: RotateProgress) => void } = {},
): Promise<RotateResult> {
  const { ring, rows } = deps;
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 500, 10_000));
  const before = await rows.countByRingKey();
  const total = before.filter((c) => c.ringKeyId !== ring.primaryId).reduce((n, c) => n + c.count, 0);
  let done = 0;
  let rewritten = 0;
  let unavailable = 0;
  let failed = 0;
  for (const slot of RING_SLOTS) {
    let cursor: string[] | undefined;
    for (;;) {
      const batch = await rows.batchNotUnder(slot, ring.primaryId, batchSize, cursor);
      if (batch.length === 0) break;
      for (const row of batch) {
        done++;
        if (!ring.has(row.ringKeyId)) {
          unavailable++;
          continue;
        }
        const where = { tenant: row.tenant, table: row.table, rowId: row.rowId };
        try {
          const plaintext = await ring.open({ keyId: row.ringKeyId, blob: row.sealed }, where);
          const next = await ring.seal(plaintext, where);
          if (await rows.swap(row, { ringKeyId: next.keyId, sealed: next.blob })) rewritten++;
          else failed++;
        } catch (err) {
          if (!isHashdError(err) || err.code !== 'key_unavailable') throw err;
          failed++;
        }
      }
      cursor = batch[batch.length - 1]?.cursor;
      options.onProgress?.({ slot, done, total });
    }
  }
  return { rewritten, unavailable, failed, counts: await rows.countByRingKey() };
}

/** Rows under key ids the ring does not list, per key id: what the service reports at start. */
export async function unreadableRows(ring: KeyRing, rows: RingRowRepository): Promise<{ total: number; byKeyId: Record<string, number> }> {
  const byKeyId: Record<string, number> = {};
  let total = 0;
  for (const c of await rows.countByRingKey()) {
    if (ring.has(c.ringKeyId)) continue;
    byKeyId[c.ringKeyId] = (byKeyId[c.ringKeyId] ?? 0) + c.count;
    total += c.count;
  }
  return { total, byKeyId };
}
