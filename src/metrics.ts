/**
 * Prometheus metrics for the Node service (prom-client). Node-only: the app sees the small
 * `AppMetrics` seam (src/app.ts) and never imports prom-client, so a Worker build stays free of it.
 *
 * No label ever holds a user id, a password, a token or a key: labels are route templates
 * (`/v1/users/{userId}/password`, never the path), HTTP methods and statuses, scheme names, error
 * codes and fixed sources. A request that matched no route is counted under `route="unmatched"`.
 *
 * Throttled requests are counted from the responses (every 429 `rate_limited`, by route and by
 * the limit that refused it: `reason` is one of REFUSAL_REASONS, anything else counts as
 * `unknown`), and so are the 503 `throttle_unavailable` answers (the limiter's store could not
 * answer), so the throttling feature needs no call of its own; `HashdMetrics.throttled` is
 * exported for work that is refused outside a request.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppMetrics, RequestRecord } from './app';
import type { Repositories } from './db/index';
import type { CryptContext } from './hashing/crypt-context';
import type { LimiterStats } from './hashing/limiter';
import { TIMELINE_STAGES, type TimelineSummary } from './hashing/timeline';
import type { RefusalReason } from './throttle/throttle';

export interface MetricsOptions {
  /** The hashing limiter's snapshot (queue depth, slots in use, refusals), read at scrape time. */
  limiterStats?: () => LimiterStats;
  /** The database pool's size, and how many repository calls are running now. */
  databasePoolMax?: number;
  /** The per-request hashing timeline (src/hashing/timeline.ts), summarised at scrape time. */
  timeline?: () => TimelineSummary;
  /** Process metrics (CPU, memory, event loop lag). Default true. */
  defaultMetrics?: boolean;
}

export interface HashdMetrics extends AppMetrics {
  readonly registry: Registry;
  /** Requests refused by throttling (429 rate_limited), by route template and refusing limit. */
  readonly throttled: Counter<'route' | 'reason'>;
  /** Secret checks answered 503 throttle_unavailable (the limiter's store could not answer), by route template. */
  readonly throttleUnavailable: Counter<'route'>;
  /** 503 `overloaded`, counted by the app's responses and by the server's early refusals (overload-node.ts). */
  readonly overloaded: Counter;
  /** Hash upgrades written, by source (`login_upgrade`, `wrap`). */
  readonly upgrades: Counter<'source'>;
  readonly hashDuration: Histogram<'scheme'>;
  readonly verifyDuration: Histogram<'scheme'>;
  /** Wraps `crypt.hash` and `crypt.verify` of this instance to time them by scheme. */
  instrumentCrypt(crypt: CryptContext): void;
  /** Counts upgrades (successful compare-and-swap writes) and repository calls in flight. */
  instrumentRepositories(repositories: Repositories): Repositories;
}

/** The values of the `reason` label of hashd_throttled_requests_total (throttle/throttle.ts RefusalReason). */
export const REFUSAL_REASONS: readonly RefusalReason[] = ['account', 'address', 'issuance', 'enrolment', 'unknown'];

/** A bounded label: a reason outside the list is `unknown`, whatever a store or route passed. */
function refusalLabel(reason: string | undefined): RefusalReason {
  return REFUSAL_REASONS.find((r) => r === reason) ?? 'unknown';
}

/** Seconds, from a cheap bcrypt/legacy verify to an expensive argon2id. */
const HASH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(options: MetricsOptions = {}): HashdMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'hashd_process_' });

  const requests = new Counter({
    name: 'hashd_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'hashd_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'hashd_http_errors_total',
    help: 'Error responses by error code (overloaded: 503s from a full hashing queue)',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const overloaded = new Counter({
    name: 'hashd_overload_rejections_total',
    help: 'Requests answered 503 overloaded because every hashing slot and queue place was taken',
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'hashd_throttled_requests_total',
    help: 'Requests refused by throttling (429 rate_limited), by route template and the limit that refused (account, address, issuance, enrolment, unknown)',
    labelNames: ['route', 'reason'] as const,
    registers: [registry],
  });
  const throttleUnavailable = new Counter({
    name: 'hashd_throttle_unavailable_total',
    help: "Secret checks answered 503 throttle_unavailable because the attempt limiter's store (Redis, the database) could not answer, by route template",
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const upgrades = new Counter({
    name: 'hashd_hash_upgrades_total',
    help: 'Stored hashes replaced by a stronger one, by source (login_upgrade, wrap)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const hashDuration = new Histogram({
    name: 'hashd_hash_duration_seconds',
    help: 'Time to make a new hash (waiting for a slot included), by scheme',
    labelNames: ['scheme'] as const,
    buckets: HASH_BUCKETS,
    registers: [registry],
  });
  const verifyDuration = new Histogram({
    name: 'hashd_verify_duration_seconds',
    help: 'Time to verify a password (waiting for a slot included; a rehash on login not included), by scheme',
    labelNames: ['scheme'] as const,
    buckets: HASH_BUCKETS,
    registers: [registry],
  });
  const stats = options.limiterStats;
  if (stats) {
    const gauge = (name: string, help: string, read: (s: LimiterStats) => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read(stats()));
        },
      });
    };
    gauge('hashd_hash_slots', 'Hashing slots (HASHD_HASH_CONCURRENCY)', (s) => s.concurrency);
    gauge('hashd_hash_slots_in_use', 'Hashing slots in use, request and background work', (s) => s.running);
    gauge('hashd_hash_slots_in_use_background', 'Hashing slots in use by background work (the wrap job)', (s) => s.runningBackground);
    gauge('hashd_hash_queue_depth', 'Requests waiting for a hashing slot', (s) => s.queued);
    gauge('hashd_hash_queue_depth_background', 'Background tasks waiting for a hashing slot', (s) => s.queuedBackground);
    gauge('hashd_hash_rejected', 'Hashing tasks refused at once because the queue was full (since start)', (s) => s.rejected);
    gauge('hashd_hash_dropped', 'Queued hashing tasks dropped because their client went away (since start)', (s) => s.dropped);
  }
  const timeline = options.timeline;
  if (timeline) {
    // Quantiles of the recent samples of each stage (the last few thousand hash requests), read
    // at scrape time: the limiter and the server only write into fixed-size rings.
    new Gauge({
      name: 'hashd_hash_timeline_seconds',
      help: 'Per-request hashing timeline over the recent hash requests: queue_wait, dispatch_delay (slot freed to next hash started), run (hash started to settled), response_write (hash settled to response written); quantile 0.5, 0.99, 1 (max)',
      labelNames: ['stage', 'quantile'] as const,
      registers: [registry],
      collect() {
        const summary = timeline();
        for (const stage of TIMELINE_STAGES) {
          const s = summary[stage];
          if (s.count === 0) continue;
          this.set({ stage, quantile: '0.5' }, s.p50 / 1000);
          this.set({ stage, quantile: '0.99' }, s.p99 / 1000);
          this.set({ stage, quantile: '1' }, s.max / 1000);
        }
      },
    });
    new Gauge({
      name: 'hashd_hash_timeline_samples',
      help: 'Samples recorded per timeline stage since start',
      labelNames: ['stage'] as const,
      registers: [registry],
      collect() {
        const summary = timeline();
        for (const stage of TIMELINE_STAGES) this.set({ stage }, summary[stage].count);
      },
    });
  }
  let inFlight = 0;
  new Gauge({
    name: 'hashd_db_operations_in_flight',
    help: 'Repository calls running now (each holds a database connection while it runs)',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });
  if (options.databasePoolMax !== undefined) {
    const max = options.databasePoolMax;
    new Gauge({
      name: 'hashd_db_pool_max',
      help: 'Connections the PostgreSQL pool may open (HASHD_DB_POOL_MAX; 1 for PGlite)',
      registers: [registry],
      collect() {
        this.set(max);
      },
    });
  }

  const timed = <T>(histogram: Histogram<'scheme'>, run: () => Promise<T>, scheme: (value: T) => string): Promise<T> => {
    const started = performance.now();
    return run().then((value) => {
      histogram.observe({ scheme: scheme(value) }, (performance.now() - started) / 1000);
      return value;
    });
  };

  return {
    registry,
    overloaded,
    throttled,
    throttleUnavailable,
    upgrades,
    hashDuration,
    verifyDuration,
    request(record: RequestRecord): void {
      const status = String(record.status);
      requests.inc({ method: record.method, route: record.route, status });
      requestDuration.observe({ method: record.method, route: record.route }, record.seconds);
      if (record.error !== undefined) {
        errors.inc({ code: record.error });
        if (record.error === 'overloaded') overloaded.inc();
        if (record.error === 'rate_limited') throttled.inc({ route: record.route, reason: refusalLabel(record.refusal) });
        if (record.error === 'throttle_unavailable') throttleUnavailable.inc({ route: record.route });
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    instrumentCrypt(crypt) {
      const hash = crypt.hash.bind(crypt);
      const verify = crypt.verify.bind(crypt);
      crypt.hash = (password, opts) => timed(hashDuration, () => hash(password, opts), (r) => r.scheme);
      crypt.verify = (password, stored, opts) => timed(verifyDuration, () => verify(password, stored, opts), (r) => r.scheme);
    },
    instrumentRepositories(repositories) {
      // Built once per repository, not a Proxy: a verify calls a repository method on its hot
      // path, and a trap that makes a closure and a finally() chain per call showed in its CPU.
      const settled = (): void => {
        inFlight--;
      };
      const track = <R extends object>(repo: R, overrides: Record<string, unknown> = {}): R => {
        const wrapped: Record<string, unknown> = {};
        for (const [name, own] of Object.entries(repo)) {
          const value = (name in overrides ? overrides[name] : own) as unknown;
          if (typeof value !== 'function') {
            wrapped[name] = value;
            continue;
          }
          const method = value as (...a: unknown[]) => unknown;
          wrapped[name] = (...args: unknown[]) => {
            const out = method.apply(repo, args);
            if (!(out instanceof Promise)) return out;
            inFlight++;
            // The caller gets the method's own promise; this branch only counts it down.
            out.then(settled, settled);
            return out;
          };
        }
        return wrapped as R;
      };
      const credentials = repositories.credentials;
      const compareAndSwap: typeof credentials.compareAndSwap = async (tenant, userId, expectedHash, input) => {
        const swapped = await credentials.compareAndSwap(tenant, userId, expectedHash, input);
        if (swapped) upgrades.inc({ source: input.source });
        return swapped;
      };
      const compareAndSwapMany: typeof credentials.compareAndSwapMany = async (tenant, rows, input) => {
        const swapped = await credentials.compareAndSwapMany(tenant, rows, input);
        if (swapped.size > 0) upgrades.inc({ source: input.source }, swapped.size);
        return swapped;
      };
      const out: Record<string, unknown> = {};
      for (const [name, repo] of Object.entries(repositories)) out[name] = track(repo as object, name === 'credentials' ? { compareAndSwap, compareAndSwapMany } : {});
      return out as unknown as Repositories;
    },
  };
}
