/**
 * Bounded hashing concurrency with a bounded queue. Hashing is the one expensive thing hashd does,
 * and argon2 holds `memory_cost` KiB per running hash, so the number of hashes in flight bounds
 * the memory the service can use. When the queue is full a request is refused at once (503 with
 * Retry-After) instead of waiting until its client has timed out. A queued request whose client
 * has gone away is dropped before any hashing work is spent on it.
 */
import { HashdError } from '../errors';

export interface LimiterOptions {
  /** Hashes running at once. */
  concurrency: number;
  /** Requests waiting for a slot; beyond this, `overloaded`. */
  maxQueue: number;
  /** Seconds suggested in Retry-After when the queue is full. */
  retryAfterSeconds?: number;
}

export interface LimiterStats {
  running: number;
  queued: number;
  rejected: number;
  dropped: number;
  completed: number;
}

export interface Limiter {
  /** Runs `task` when a slot is free; rejects with `overloaded` when the queue is full. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  stats(): LimiterStats;
  /**
   * Throws `overloaded` when a task submitted now would be refused. Lets a handler refuse before
   * it spends time reading and parsing a body it could not serve anyway.
   */
  assertCapacity(): void;
  readonly concurrency: number;
}

interface Waiter {
  start: () => void;
  abandon: (err: HashdError) => void;
  signal: AbortSignal | undefined;
}

export function createLimiter(options: LimiterOptions): Limiter {
  const { concurrency, maxQueue } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer');
  const retryAfter = options.retryAfterSeconds ?? 1;
  const queue: Waiter[] = [];
  let running = 0;
  const counters = { rejected: 0, dropped: 0, completed: 0 };

  const gone = (): HashdError => new HashdError('client_closed', 'the client closed the request');
  const full = (): HashdError => {
    counters.rejected++;
    return new HashdError('overloaded', 'hashing capacity is exhausted, retry shortly', { retryAfter });
  };

  function next(): void {
    while (running < concurrency && queue.length > 0) {
      const waiter = queue.shift() as Waiter;
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
    stats: () => ({ running, queued: queue.length, ...counters }),
    assertCapacity() {
      if (running >= concurrency && queue.length >= maxQueue) throw full();
    },
    run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) {
        counters.dropped++;
        return Promise.reject(gone());
      }
      return new Promise<T>((resolve, reject) => {
        const start = (): void => {
          running++;
          let result: Promise<T>;
          try {
            result = task();
          } catch (err) {
            result = Promise.reject(err);
          }
          result.then(resolve, reject).finally(() => {
            running--;
            counters.completed++;
            next();
          });
        };
        if (running < concurrency) {
          start();
          return;
        }
        if (queue.length >= maxQueue) {
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
