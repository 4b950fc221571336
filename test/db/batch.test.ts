/**
 * The read batcher behind session verifies (src/db/batch.ts): reads asked for in one turn of the
 * event loop go out as one load, duplicates share it, a batch is bounded, a failure reaches every
 * read of its batch and only those, and a read asked for after a batch left goes in the next one.
 */
import { describe, expect, it } from 'vitest';
import { createReadBatcher } from '../../src/db/batch';

function recorder(fail?: (keys: number[]) => boolean) {
  const calls: number[][] = [];
  const batcher = createReadBatcher<number, string>({
    keyOf: (k) => String(k),
    maxBatch: 4,
    async loadMany(keys) {
      calls.push([...keys]);
      if (fail?.(keys)) throw new Error('connection lost');
      return new Map(keys.filter((k) => k % 10 !== 0).map((k) => [String(k), `row-${k}`]));
    },
  });
  return { calls, batcher };
}

describe('read batcher', () => {
  it('sends the reads of one turn together, bounded by maxBatch, and answers each read its own row', async () => {
    const { calls, batcher } = recorder();
    const answers = await Promise.all([1, 2, 3, 10, 5, 6, 7].map((k) => batcher.load(k)));
    expect(answers).toEqual(['row-1', 'row-2', 'row-3', undefined, 'row-5', 'row-6', 'row-7']);
    expect(calls).toEqual([[1, 2, 3, 10], [5, 6, 7]]);
  });

  it('asks once for a key read twice in a turn, and both reads get the row', async () => {
    const { calls, batcher } = recorder();
    expect(await Promise.all([batcher.load(4), batcher.load(4), batcher.load(8)])).toEqual(['row-4', 'row-4', 'row-8']);
    expect(calls).toEqual([[4, 8]]);
  });

  it('a read asked for after its turn ended goes in a later batch, sent after it was asked for', async () => {
    const { calls, batcher } = recorder();
    const first = batcher.load(1);
    await new Promise((r) => setImmediate(r));
    const second = batcher.load(1);
    expect(await Promise.all([first, second])).toEqual(['row-1', 'row-1']);
    expect(calls).toEqual([[1], [1]]);
  });

  it('a failing load rejects every read of its batch with its error, and no other batch', async () => {
    const { calls, batcher } = recorder((keys) => keys.includes(3));
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((k) => batcher.load(k)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('connection lost'));
    expect((results[4] as PromiseFulfilledResult<string>).value).toBe('row-5');
    expect(calls).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('with maxInFlight 1, reads asked for while a batch is out leave together once it settles', async () => {
    const calls: number[][] = [];
    const gates: (() => void)[] = [];
    const batcher = createReadBatcher<number, string>({
      keyOf: (k) => String(k),
      maxBatch: 3,
      maxInFlight: 1,
      loadMany(keys) {
        calls.push([...keys]);
        return new Promise((resolve) => gates.push(() => resolve(new Map(keys.map((k) => [String(k), `row-${k}`])))));
      },
    });
    const first = batcher.load(1);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1]]);
    // Three turns of reads while the first batch is out: none leaves yet.
    const later: Promise<string | undefined>[] = [];
    for (const k of [2, 3, 4, 5, 1]) {
      later.push(batcher.load(k));
      await new Promise((r) => setImmediate(r));
    }
    expect(calls).toEqual([[1]]);
    (gates.shift() as () => void)();
    expect(await first).toBe('row-1');
    // Then one batch (bounded by maxBatch), and the rest after it; key 1 is read again, since it
    // was asked for after the first batch had left.
    expect(calls).toEqual([[1], [2, 3, 4]]);
    (gates.shift() as () => void)();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1], [2, 3, 4], [5, 1]]);
    (gates.shift() as () => void)();
    expect(await Promise.all(later)).toEqual(['row-2', 'row-3', 'row-4', 'row-5', 'row-1']);
  });
});
