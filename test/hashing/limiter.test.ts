import { describe, expect, it } from 'vitest';
import { HashdError } from '../../src/errors';
import { createLimiter } from '../../src/hashing/limiter';
import { quantile, Timeline } from '../../src/hashing/timeline';

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

describe('limiter.refuseIfFull', () => {
  it('answers true, and counts a rejection, only when both the slots and the queue are full', async () => {
    const limiter = createLimiter({ concurrency: 1, maxQueue: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    expect(limiter.refuseIfFull()).toBe(false);
    const a = limiter.run(() => gate);
    expect(limiter.refuseIfFull()).toBe(false);
    const b = limiter.run(() => gate);
    expect(limiter.stats().rejected).toBe(0);
    expect(limiter.refuseIfFull()).toBe(true);
    expect(limiter.refuseIfFull()).toBe(true);
    expect(limiter.stats().rejected).toBe(2);
    release();
    await Promise.all([a, b]);
    expect(limiter.refuseIfFull()).toBe(false);
    expect(limiter.stats().rejected).toBe(2);
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

describe('limiter timeline', () => {
  /** A clock the test moves by hand, so every stage has a known length. */
  function clock(): { now: () => number; advance: (ms: number) => void } {
    let t = 1000;
    return { now: () => t, advance: (ms) => void (t += ms) };
  }

  it('records queue wait, dispatch delay and run time of request tasks, and the response write through the signal', async () => {
    const c = clock();
    const timeline = new Timeline(16);
    const limiter = createLimiter({ concurrency: 1, maxQueue: 5, timeline, now: c.now });
    const gates = [deferred(), deferred()];
    const controllers = [new AbortController(), new AbortController()];
    const a = limiter.run(() => gates[0]!.promise, controllers[0]!.signal);
    const b = limiter.run(() => gates[1]!.promise, controllers[1]!.signal);
    c.advance(30); // a runs 30 ms while b waits
    gates[0]!.resolve();
    await a;
    // b started in the same tick a settled: it waited 30 ms and its slot was free 0 ms.
    c.advance(5);
    timeline.responseWritten(controllers[0]!.signal, c.now());
    c.advance(15);
    gates[1]!.resolve();
    await b;
    c.advance(2);
    timeline.responseWritten(controllers[1]!.signal, c.now());
    // A request whose hash never settled (refused before hashing) records no response write.
    timeline.responseWritten(new AbortController().signal, c.now());
    const s = timeline.summary();
    expect(s.queue_wait).toMatchObject({ count: 2, p50: 0, max: 30 });
    expect(s.run).toMatchObject({ count: 2, p50: 20, max: 30 });
    expect(s.dispatch_delay).toMatchObject({ count: 1, p50: 0, max: 0 });
    expect(s.response_write).toMatchObject({ count: 2, p50: 2, max: 5 });
  });

  it('counts a slot left free between two hashes as dispatch delay, but not a slot idle for over a second', async () => {
    const c = clock();
    const timeline = new Timeline(16);
    const limiter = createLimiter({ concurrency: 1, maxQueue: 5, timeline, now: c.now });
    await limiter.run(async () => c.advance(10));
    c.advance(7); // nothing waited: the slot sat free 7 ms
    await limiter.run(async () => c.advance(10));
    c.advance(5000); // idle service
    await limiter.run(async () => c.advance(10));
    const s = timeline.summary();
    expect(s.dispatch_delay).toMatchObject({ count: 1, p50: 7, max: 7 });
    expect(s.run).toMatchObject({ count: 3, p50: 10 });
  });

  it('keeps background work out of the request stages and records a failed task', async () => {
    const c = clock();
    const timeline = new Timeline(16);
    const limiter = createLimiter({ concurrency: 1, maxQueue: 5, timeline, now: c.now });
    await limiter.run(async () => c.advance(40), { priority: 'background' });
    await expect(limiter.run(async () => {
      c.advance(3);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    const s = timeline.summary();
    expect(s.run).toMatchObject({ count: 1, p50: 3 });
    expect(s.queue_wait.count).toBe(1);
    // The background task's slot, freed and taken by the request at once.
    expect(s.dispatch_delay).toMatchObject({ count: 1, p50: 0 });
  });
});

describe('timeline rings', () => {
  it('keeps the last `capacity` samples per stage with nearest-rank quantiles', () => {
    const timeline = new Timeline(100);
    for (let i = 1; i <= 1000; i++) timeline.record('run', i);
    const s = timeline.summary().run;
    // Samples 901..1000 remain.
    expect(s).toEqual({ count: 1000, p50: 950, p99: 999, max: 1000, mean: 950.5 });
    expect(timeline.summary().queue_wait).toMatchObject({ count: 0, p50: NaN });
    timeline.record('queue_wait', -1);
    timeline.record('queue_wait', Number.NaN);
    expect(timeline.summary().queue_wait.count).toBe(0);
    timeline.reset();
    expect(timeline.summary().run.count).toBe(0);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(() => new Timeline(0)).toThrow(RangeError);
  });
});
