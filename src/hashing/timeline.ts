/**
 * The per-request hashing timeline: where the time of a hash request goes between the moment the
 * handler asks for a hashing slot and the moment its response has been written. Four stages, all
 * stamped with `performance.now()` on the event loop (so the instrumentation costs a few clock
 * reads per request and never sees a password, a hash or any other request data):
 *
 * - `queue_wait`: the limiter took the task (run()) → the task started in a slot.
 * - `dispatch_delay`: a slot freed → the next hash started in it. Near zero while requests wait
 *   in the queue (the limiter starts the next one in the same tick); when nobody waited it is the
 *   time the slot sat idle until a request arrived, which is throughput lost against a raw loop.
 * - `run`: the task started → its promise settled on the event loop. For a native hash this is
 *   the thread's run time plus the handoffs to and from libuv's threadpool; comparing it with a
 *   raw loop's per-operation time shows what the service around the hash costs the thread.
 * - `response_write`: the hash settled → the response's last byte was handed to the socket
 *   (recorded by the Node entry, which sees the socket).
 *
 * Each stage keeps its last `capacity` samples in a fixed-size ring (a Float64Array, allocated
 * once), so memory is bounded whatever the traffic and the percentiles describe recent work.
 * Runtime-free: the Worker entry can use it too (its clock is coarse there).
 */

export const TIMELINE_STAGES = ['queue_wait', 'dispatch_delay', 'run', 'response_write'] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export interface StageSummary {
  /** Samples recorded since start (the percentiles cover at most the last `capacity`). */
  count: number;
  /** Milliseconds. NaN when no sample was recorded. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export type TimelineSummary = Record<TimelineStage, StageSummary>;

class Ring {
  readonly samples: Float64Array;
  count = 0;
  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }
  push(ms: number): void {
    this.samples[this.count % this.samples.length] = ms;
    this.count++;
  }
  summary(): StageSummary {
    const n = Math.min(this.count, this.samples.length);
    if (n === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN, mean: NaN };
    const sorted = this.samples.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i] as number;
    return { count: this.count, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[n - 1] as number, mean: sum / n };
  }
}

/** The nearest-rank quantile of sorted samples (q in (0, 1]). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * When the last hash of a request settled, stamped on the request's AbortSignal itself (a symbol
 * property: cheaper on the event loop than a WeakMap, and gone with the signal).
 */
const SETTLED = Symbol('hashd.timeline.settled');
type Stamped = { [SETTLED]?: number | undefined };

export class Timeline {
  private readonly rings: Record<TimelineStage, Ring>;
  readonly capacity: number;

  constructor(capacity = 4096) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.capacity = capacity;
    this.rings = Object.fromEntries(TIMELINE_STAGES.map((s) => [s, new Ring(capacity)])) as Record<TimelineStage, Ring>;
  }

  /** Records one sample of `stage`, in milliseconds (negative or non-finite values are ignored). */
  record(stage: TimelineStage, ms: number): void {
    if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) return;
    this.rings[stage].push(ms);
  }

  /** The limiter: the last hash of the request whose signal is `key` settled at `at`. */
  markSettled(key: object, at: number): void {
    (key as Stamped)[SETTLED] = at;
  }

  /**
   * The server: the response of the request whose signal is `key` was written at `at`. Records
   * `response_write` when a hash of that request settled (requests refused before hashing, or
   * answered from a cache, have none).
   */
  responseWritten(key: object, at: number): void {
    const settledAt = (key as Stamped)[SETTLED];
    if (settledAt === undefined) return;
    (key as Stamped)[SETTLED] = undefined;
    this.record('response_write', at - settledAt);
  }

  summary(): TimelineSummary {
    return Object.fromEntries(TIMELINE_STAGES.map((s) => [s, this.rings[s].summary()])) as TimelineSummary;
  }

  /** Forgets every sample. */
  reset(): void {
    for (const s of TIMELINE_STAGES) this.rings[s].count = 0;
  }
}
