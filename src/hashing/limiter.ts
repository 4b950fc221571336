/**
 * The process's one hashing budget: bounded concurrency with bounded queues and two priorities.
 * Hashing is the one expensive thing hashd does, and argon2 holds `memory_cost` KiB per running
 * hash, so the number of hashes in flight bounds the memory the service can use. Every hash in
 * the process goes through one limiter: request hashes (hash, verify, login and its upgrade) and
 * background work (the wrap job, later sessions' and codes' housekeeping).
 *
 * Requests come first: when a slot frees, a waiting request takes it before any background task,
 * and background work only ever uses the slots requests leave. When no request is waiting a
 * background task takes a free slot at once, so a background job never starves on an idle
 * service. When the request queue is full a request is refused at once (503 with Retry-After)
 * instead of waiting until its client has timed out; a queued request whose client has gone
 * away is dropped before any hashing work is spent on it.
 */
import { HashdError } from '../errors';
import type { Timeline } from './timeline';

export type Priority = 'request' | 'background';

export interface LimiterOptions {
  /** Hashes running at once, across both priorities. */
  concurrency: number;
  /** Requests waiting for a slot; beyond this, `overloaded`. */
  maxQueue: number;
  /**
   * Background tasks waiting for a slot (default 1024); beyond this a background submission is
   * refused with `overloaded` too. Background callers keep a few tasks in flight at a time.
   */
  maxBackgroundQueue?: number;
  /** Seconds suggested in Retry-After when the queue is full. */
  retryAfterSeconds?: number;
  /**
   * Records the per-request timeline (timeline.ts): queue wait, dispatch delay and run time of
   * every request-priority task, a few `now()` stamps each. Unset: nothing is recorded.
   */
  timeline?: Timeline;
  /** The clock of the timeline, in milliseconds (default `performance.now`). */
  now?: () => number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Default `request`. */
  priority?: Priority;
}

/** A read-only snapshot, cheap enough for a metrics scrape. */
export interface LimiterStats {
  concurrency: number;
  /** Slots in use, both priorities. */
  running: number;
  /** Slots in use by background work. */
  runningBackground: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Background tasks waiting for a slot. */
  queuedBackground: number;
  rejected: number;
  dropped: number;
  completed: number;
}

export interface Limiter {
  /**
   * Runs `task` when a slot is free; rejects with `overloaded` when its queue is full and with
   * `client_closed` when the signal aborts while it waits. The second argument may be the signal
   * itself (the older form) or a RunOptions.
   */
  run<T>(task: () => Promise<T>, options?: RunOptions | AbortSignal): Promise<T>;
  stats(): LimiterStats;
  /**
   * Throws `overloaded` when a request submitted now would be refused. Lets a handler refuse before
   * it spends time reading and parsing a body it could not serve anyway.
   */
  assertCapacity(): void;
  /**
   * True (and counted as rejected, like assertCapacity's throw) when a request submitted now
   * would be refused; no error object is built: the server's early 503 asks this per refusal.
   */
  refuseIfFull(): boolean;
  readonly concurrency: number;
}

interface Waiter {
  start: () => void;
  abandon: (err: HashdError) => void;
  signal: AbortSignal | undefined;
}

/** A slot free for longer than this was idle: its wait is not recorded as a dispatch delay. */
const IDLE_MS = 1000;

function runOptions(options: RunOptions | AbortSignal | undefined): RunOptions {
  if (options === undefined) return {};
  // An AbortSignal (from any realm: undici's and Node's differ) has `aborted` and `addEventListener`.
  if ('aborted' in options && 'addEventListener' in options) return { signal: options };
  return options as RunOptions;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const { concurrency, maxQueue } = options;
  const maxBackgroundQueue = options.maxBackgroundQueue ?? 1024;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer');
  if (!Number.isInteger(maxBackgroundQueue) || maxBackgroundQueue < 0) throw new RangeError('maxBackgroundQueue must be a non-negative integer');
  const retryAfter = options.retryAfterSeconds ?? 1;
  const queues: Record<Priority, Waiter[]> = { request: [], background: [] };
  const limits: Record<Priority, number> = { request: maxQueue, background: maxBackgroundQueue };
  let running = 0;
  let runningBackground = 0;
  const counters = { rejected: 0, dropped: 0, completed: 0 };
  const timeline = options.timeline;
  const now = options.now ?? (() => performance.now());
  // When each free slot was freed, oldest first (slots never used yet have no stamp): the
  // dispatch delay of a task is the time the slot it takes sat free.
  const freedAt: number[] = [];

  const gone = (): HashdError => new HashdError('client_closed', 'the client closed the request');
  /** Every slot busy and the request queue at its bound: a request submitted now is refused. */
  const isFull = (): boolean => running >= concurrency && queues.request.length >= maxQueue;
  const full = (): HashdError => {
    counters.rejected++;
    return new HashdError('overloaded', 'hashing capacity is exhausted, retry shortly', { retryAfter });
  };

  /** The next waiter to start: requests before background work. */
  function take(): Waiter | undefined {
    return queues.request.shift() ?? queues.background.shift();
  }

  function next(): void {
    while (running < concurrency) {
      const waiter = take();
      if (!waiter) return;
      if (waiter.signal?.aborted) {
        counters.dropped++;
        waiter.abandon(gone());
        continue;
      }
      waiter.start();
    }
  }

  return {
    concurrency,
    stats: () => ({
      concurrency,
      running,
      runningBackground,
      queued: queues.request.length,
      queuedBackground: queues.background.length,
      ...counters,
    }),
    assertCapacity() {
      if (isFull()) throw full();
    },
    refuseIfFull() {
      if (!isFull()) return false;
      counters.rejected++;
      return true;
    },
    run<T>(task: () => Promise<T>, options?: RunOptions | AbortSignal): Promise<T> {
      const { signal, priority = 'request' } = runOptions(options);
      if (signal?.aborted) {
        counters.dropped++;
        return Promise.reject(gone());
      }
      const background = priority === 'background';
      const submitted = timeline ? now() : 0;
      return new Promise<T>((resolve, reject) => {
        let started = 0;
        // The slot is released, and the next waiter started, before this task's caller resumes:
        // the next hash is on its way to a thread before this one's response is built.
        const release = (): void => {
          running--;
          if (background) runningBackground--;
          counters.completed++;
          if (timeline) {
            const at = now();
            freedAt.push(at);
            if (!background) {
              timeline.record('run', at - started);
              if (signal) timeline.markSettled(signal, at);
            }
          }
          next();
        };
        const start = (): void => {
          running++;
          if (background) runningBackground++;
          if (timeline) {
            started = now();
            const freed = freedAt.shift();
            // A slot free for more than a second was idle, not waiting to be dispatched.
            if (freed !== undefined && started - freed <= IDLE_MS) timeline.record('dispatch_delay', started - freed);
            if (!background) timeline.record('queue_wait', started - submitted);
          }
          let result: Promise<T>;
          try {
            result = task();
          } catch (err) {
            result = Promise.reject(err);
          }
          result.then(
            (value) => {
              release();
              resolve(value);
            },
            (err: unknown) => {
              release();
              reject(err);
            },
          );
        };
        const queue = queues[priority];
        // A free slot goes to the newcomer only when nobody of its priority or higher waits (a
        // free slot with waiters exists only for the length of one next() call, but be exact).
        if (running < concurrency && queue.length === 0 && (background ? queues.request.length === 0 : true)) {
          start();
          return;
        }
        if (queue.length >= limits[priority]) {
          reject(full());
          return;
        }
        const waiter: Waiter = { start, abandon: reject, signal };
        queue.push(waiter);
        // Free the queue slot as soon as the client leaves, not only when the waiter reaches the front.
        signal?.addEventListener(
          'abort',
          () => {
            const index = queue.indexOf(waiter);
            if (index >= 0) {
              queue.splice(index, 1);
              counters.dropped++;
              reject(gone());
            }
          },
          { once: true },
        );
      });
    },
  };
}
