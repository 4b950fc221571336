import { describe, expect, it } from 'vitest';
import { HashdError } from '../../src/errors';
import { createLimiter } from '../../src/hashing/limiter';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('limiter', () => {
  it('runs at most `concurrency` tasks at once and queues the rest in order', async () => {
    const limiter = createLimiter({ concurrency: 2, maxQueue: 10 });
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.stats()).toMatchObject({ running: 2, queued: 2 });
    gates[0]?.resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates.forEach((g) => g.resolve());
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3]);
    expect(limiter.stats()).toMatchObject({ running: 0, queued: 0, completed: 4 });
  });

  it('refuses at once with overloaded + Retry-After when the queue is full', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 1 });
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const second = limiter.run(() => gate.promise);
    const third = limiter.run(() => gate.promise);
    await expect(third).rejects.toMatchObject({ code: 'overloaded', status: 503, retryAfter: 1 });
    gate.resolve();
    await Promise.all([first, second]);
    expect(limiter.stats().rejected).toBe(1);
  });

  it('drops a queued task whose client went away, without running it', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 5 });
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const queued = limiter.run(async () => {
      ran = true;
    }, controller.signal);
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(HashdError);
    expect(limiter.stats()).toMatchObject({ queued: 0, dropped: 1 });
    gate.resolve();
    await first;
    expect(ran).toBe(false);
  });

  it('never starts a task whose signal is already aborted', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 5 });
    let ran = false;
    await expect(limiter.run(async () => void (ran = true), AbortSignal.abort())).rejects.toMatchObject({ code: 'client_closed' });
    expect(ran).toBe(false);
  });

  it('frees the slot when a task throws', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 0 });
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(() => {
      throw new Error('sync boom');
    })).rejects.toThrow('sync boom');
    await expect(limiter.run(async () => 7)).resolves.toBe(7);
  });

  it('validates its options', () => {
    expect(() => createLimiter({ concurrency: 0, maxQueue: 1 })).toThrow(RangeError);
    expect(() => createLimiter({ concurrency: 1, maxQueue: -1 })).toThrow(RangeError);
  });
});

describe('limiter.assertCapacity', () => {
  it('throws overloaded only when both the slots and the queue are full', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    expect(() => limiter.assertCapacity()).not.toThrow();
    const a = limiter.run(() => gate);
    expect(() => limiter.assertCapacity()).not.toThrow();
    const b = limiter.run(() => gate);
    expect(() => limiter.assertCapacity()).toThrow(expect.objectContaining({ code: 'overloaded', retryAfter: 1 }));
    release();
    await Promise.all([a, b]);
    expect(() => limiter.assertCapacity()).not.toThrow();
  });
});

describe('limiter priorities', () => {
  it('gives a freed slot to a waiting request before any waiting background task', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 10 });
    const order: string[] = [];
    const gate = deferred();
    const first = limiter.run(async () => {
      order.push('bg-0');
      await gate.promise;
    }, { priority: 'background' });
    const backgrounds = [1, 2].map((i) => limiter.run(async () => void order.push(`bg-${i}`), { priority: 'background' }));
    const requests = [1, 2].map((i) => limiter.run(async () => void order.push(`req-${i}`)));
    expect(limiter.stats()).toMatchObject({ running: 1, runningBackground: 1, queued: 2, queuedBackground: 2 });
    gate.resolve();
    await Promise.all([first, ...backgrounds, ...requests]);
    expect(order).toEqual(['bg-0', 'req-1', 'req-2', 'bg-1', 'bg-2']);
    expect(limiter.stats()).toMatchObject({ running: 0, runningBackground: 0, queued: 0, queuedBackground: 0, completed: 5 });
  });

  it('lets background work take every slot while no request waits (no starvation)', async () => {
    const limiter = createLimiter({ concurrency: 3, maxQueue: 0 });
    const gate = deferred();
    const started: number[] = [];
    const runs = [0, 1, 2].map((i) => limiter.run(async () => {
      started.push(i);
      await gate.promise;
    }, { priority: 'background' }));
    expect(started).toEqual([0, 1, 2]);
    expect(limiter.stats()).toMatchObject({ running: 3, runningBackground: 3 });
    gate.resolve();
    await Promise.all(runs);
  });

  it('a background task never jumps ahead of a queued request, even with a slot free at submission', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 5 });
    const gate = deferred();
    const order: string[] = [];
    const first = limiter.run(() => gate.promise);
    const request = limiter.run(async () => void order.push('req'));
    gate.resolve();
    // While `first` settles, a background task arrives; the request still goes first.
    const background = limiter.run(async () => void order.push('bg'), { priority: 'background' });
    await Promise.all([first, request, background]);
    expect(order).toEqual(['req', 'bg']);
  });

  it('bounds the background queue separately and counts background work against the same slots', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 1, maxBackgroundQueue: 1 });
    const gate = deferred();
    const a = limiter.run(() => gate.promise, { priority: 'background' });
    const b = limiter.run(() => gate.promise, { priority: 'background' });
    await expect(limiter.run(() => gate.promise, { priority: 'background' })).rejects.toMatchObject({ code: 'overloaded' });
    // The request queue is its own: one request still fits, a second is refused.
    expect(() => limiter.assertCapacity()).not.toThrow();
    const r = limiter.run(() => gate.promise);
    expect(() => limiter.assertCapacity()).toThrow(expect.objectContaining({ code: 'overloaded' }));
    await expect(limiter.run(() => gate.promise)).rejects.toMatchObject({ code: 'overloaded' });
    gate.resolve();
    await Promise.all([a, b, r]);
    expect(limiter.stats()).toMatchObject({ rejected: 3, completed: 3 });
  });

  it('accepts the signal in the options object and drops an aborted background waiter', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 1 });
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const queued = limiter.run(async () => void (ran = true), { signal: controller.signal, priority: 'background' });
    expect(limiter.stats().queuedBackground).toBe(1);
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'client_closed' });
    gate.resolve();
    await first;
    expect(ran).toBe(false);
    expect(limiter.stats()).toMatchObject({ queuedBackground: 0, dropped: 1 });
  });

  it('validates the background queue bound', () => {
    expect(() => createLimiter({ concurrency: 1, maxQueue: 1, maxBackgroundQueue: -1 })).toThrow(RangeError);
  });
});
