/**
 * Counters in this process's memory: the default, right for one process. Each operation runs
 * synchronously on the event loop, so check and increment cannot interleave with another
 * request's. Expired counters are swept as the map grows, so a spray of distinct users or
 * addresses cannot grow it without bound for longer than a window.
 */
import { PENDING_TTL_MS, waitFor, type CounterState, type Settlement, type ThrottleCounter, type ThrottleStore } from './throttle';

interface Entry {
  failures: number;
  lastFailureMs: number;
  /** When the failures are forgotten (window after the last one). */
  expiresMs: number;
  inFlight: number;
  /** When the in-flight count is dropped (a reservation that was never settled). */
  inFlightExpiresMs: number;
}

const SWEEP_EVERY = 1024;

export function createMemoryThrottleStore(): ThrottleStore {
  const entries = new Map<string, Entry>();
  let operations = 0;

  const live = (key: string, nowMs: number): Entry | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.inFlightExpiresMs <= nowMs) entry.inFlight = 0;
    if (entry.expiresMs <= nowMs) {
      entry.failures = 0;
      entry.lastFailureMs = 0;
    }
    if (entry.failures === 0 && entry.inFlight === 0) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const sweep = (nowMs: number): void => {
    if (++operations % SWEEP_EVERY !== 0) return;
    for (const key of [...entries.keys()]) live(key, nowMs);
  };

  return {
    kind: 'memory',
    async reserve(counters, nowMs) {
      sweep(nowMs);
      let wait = 0;
      let refusedBy = 0;
      counters.forEach(({ key, rule }, i) => {
        const e = live(key, nowMs);
        const w = e ? waitFor(rule, e.failures, e.inFlight, e.lastFailureMs, nowMs, e.expiresMs) : 0;
        if (w > wait) [wait, refusedBy] = [w, i];
      });
      if (wait > 0) return { waitMs: wait, counter: refusedBy };
      for (const { key } of counters) {
        const e = live(key, nowMs) ?? { failures: 0, lastFailureMs: 0, expiresMs: 0, inFlight: 0, inFlightExpiresMs: 0 };
        e.inFlight += 1;
        e.inFlightExpiresMs = nowMs + PENDING_TTL_MS;
        entries.set(key, e);
      }
      return 0;
    },
    async settle(counters, settlements: readonly Settlement[], nowMs) {
      counters.forEach(({ key, rule }, i) => {
        const e = live(key, nowMs);
        const how = settlements[i];
        if (how === 'failure') {
          const entry = e ?? { failures: 0, lastFailureMs: 0, expiresMs: 0, inFlight: 0, inFlightExpiresMs: 0 };
          entry.failures += 1;
          entry.lastFailureMs = nowMs;
          entry.expiresMs = nowMs + rule.windowMs;
          entry.inFlight = Math.max(0, entry.inFlight - 1);
          entries.set(key, entry);
          return;
        }
        if (!e) return;
        e.inFlight = Math.max(0, e.inFlight - 1);
        if (how === 'reset') {
          e.failures = 0;
          e.lastFailureMs = 0;
        }
        live(key, nowMs);
      });
    },
    async inspect(counter: ThrottleCounter, nowMs): Promise<CounterState | undefined> {
      const e = live(counter.key, nowMs);
      if (!e) return undefined;
      return { failures: e.failures, inFlight: e.inFlight, waitMs: waitFor(counter.rule, e.failures, e.inFlight, e.lastFailureMs, nowMs, e.expiresMs) };
    },
    async clear(counters) {
      for (const { key } of counters) entries.delete(key);
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
