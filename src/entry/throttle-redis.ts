/**
 * Counters in Redis (REDIS_URL), shared by every replica. Each operation is one Lua script, so
 * the check and the increment of every counter of an attempt happen in one atomic step on the
 * server, whichever replica sends it. Failures are forgotten `window` after the last one, and
 * in-flight reservations PENDING_TTL_MS after the last (a replica that died mid-check cannot
 * leak them for longer). The keys of one attempt share a hash tag (the tenant's digest), so a
 * Redis Cluster keeps them in one slot.
 *
 * The client never queues commands while disconnected (enableOfflineQueue: false) and gives up
 * on a command after a short timeout, so an outage turns into an immediate error, which the
 * throttle answers as 503 `throttle_unavailable`; ioredis reconnects by itself. This module uses
 * TCP sockets: only the Node entry imports it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { PENDING_TTL_MS, waitFor, type CounterState, type Settlement, type ThrottleCounter, type ThrottleStore } from '../throttle/throttle';

/**
 * One hash per counter: f (failures), t (last failure), e (failures forgotten at), p (in flight),
 * q (in-flight count dropped at), all times in the service's epoch milliseconds, so the rule is
 * decided on the service's clock (the same clock as the other stores and the tests). The key's
 * own Redis expiry only collects counters nobody reads any more.
 */
const LOAD = `
local function load(key, now)
  local v = redis.call('HMGET', key, 'f', 't', 'e', 'p', 'q')
  local f, t, e = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
  local p, q = tonumber(v[4]) or 0, tonumber(v[5]) or 0
  if e <= now then f, t, e = 0, 0, 0 end
  if q <= now then p, q = 0, 0 end
  return f, t, e, p, q
end
local function store(key, now, f, t, e, p, q)
  if f <= 0 and p <= 0 then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 'f', f, 't', t, 'e', e, 'p', p, 'q', q)
  local life = math.max(e, q) - now
  if life < 1 then life = 1 end
  redis.call('PEXPIRE', key, math.ceil(life))
end
`;

/** KEYS: one per counter. ARGV: now, pending ttl, then max, free, base, cap per counter. Returns 0 or { wait, refusing counter's index }. */
const RESERVE = `${LOAD}
local now = tonumber(ARGV[1])
local pendingTtl = tonumber(ARGV[2])
local wait, refusedBy = 0, 0
for i = 1, #KEYS do
  local o = 2 + (i - 1) * 4
  local max, free, base, cap = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local f, t, e, p = load(KEYS[i], now)
  local w = 0
  if f >= max then
    w = math.max(1, e - now)
  elseif f + p >= max then
    w = 1000
  elseif f + p >= free then
    w = t + math.min(cap, base * 2 ^ math.min(f + p - free, 40)) - now
  end
  if w > wait then wait, refusedBy = w, i - 1 end
end
if wait > 0 then return { math.ceil(wait), refusedBy } end
for i = 1, #KEYS do
  local f, t, e, p = load(KEYS[i], now)
  store(KEYS[i], now, f, t, e, p + 1, now + pendingTtl)
end
return 0
`;

/** KEYS: one per counter. ARGV: now, then settlement (failure/reset/release) and window per counter. */
const SETTLE = `${LOAD}
local now = tonumber(ARGV[1])
for i = 1, #KEYS do
  local how, window = ARGV[2 * i], tonumber(ARGV[2 * i + 1])
  local f, t, e, p, q = load(KEYS[i], now)
  p = math.max(0, p - 1)
  if how == 'failure' then
    f, t, e = f + 1, now, now + window
  elseif how == 'reset' then
    f, t, e = 0, 0, 0
  end
  store(KEYS[i], now, f, t, e, p, q)
end
return 0
`;

/** KEYS: the counter. ARGV: now. Returns f, t, e, p (effective at now). */
const INSPECT = `${LOAD}
local f, t, e, p = load(KEYS[1], tonumber(ARGV[1]))
return { f, t, e, p }
`;

type ScriptClient = Redis & {
  hashdThrottleReserve(numKeys: number, ...args: (string | number)[]): Promise<number | [number, number]>;
  hashdThrottleSettle(numKeys: number, ...args: (string | number)[]): Promise<number>;
  hashdThrottleInspect(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

export interface RedisThrottleOptions {
  url: string;
  /** Prefix of every key; tests use one of their own. */
  prefix: string;
  /** Milliseconds before a command is given up (then 503). Default 1000. */
  commandTimeoutMs?: number;
  /** Told when the connection is lost and when it is back (never with a key or a value). */
  onStatus?: (event: { status: 'down' | 'up'; error?: { name: string; code?: string } }) => void;
  /** Extra ioredis options (tests). */
  redis?: Partial<RedisOptions>;
}

export interface RedisThrottleStore extends ThrottleStore {
  /** Resolves when the first connection is ready, or after `ms` (the store then fails closed until it connects). */
  connected(ms: number): Promise<boolean>;
}

export function createRedisThrottleStore(options: RedisThrottleOptions): RedisThrottleStore {
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    // Reconnect forever, at most every 2 s: the store recovers by itself when Redis is back.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    ...options.redis,
  }) as ScriptClient;
  client.defineCommand('hashdThrottleReserve', { lua: RESERVE });
  client.defineCommand('hashdThrottleSettle', { lua: SETTLE });
  client.defineCommand('hashdThrottleInspect', { lua: INSPECT });

  // Down on the first sign of an outage: a connection error, or a connection that closed (a
  // server that went away cleanly raises no error before ioredis reconnects).
  let down = false;
  const lost = (err?: Error & { code?: string }): void => {
    if (down) return;
    down = true;
    options.onStatus?.({ status: 'down', ...(err && { error: { name: err.name, ...(err.code !== undefined && { code: err.code }) } }) });
  };
  client.on('error', (err: Error & { code?: string }) => lost(err));
  client.on('close', () => lost());
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.onStatus?.({ status: 'up' });
  });

  const keysOf = (counters: readonly ThrottleCounter[]): string[] => counters.map(({ key, group }) => `${options.prefix}{${group}}:${key}`);

  return {
    kind: 'redis',
    async reserve(counters, nowMs) {
      const args = counters.flatMap(({ rule }) => [rule.maxFailures, rule.freeFailures, rule.backoffBaseMs, rule.backoffMaxMs]);
      const keys = keysOf(counters);
      const answer = await client.hashdThrottleReserve(keys.length, ...keys, nowMs, PENDING_TTL_MS, ...args);
      // 0 (reserved), or { wait, index of the counter that refused }.
      if (!Array.isArray(answer)) return Number(answer);
      return { waitMs: Number(answer[0]), counter: Number(answer[1]) };
    },
    async settle(counters, settlements: readonly Settlement[], nowMs) {
      const args = counters.flatMap(({ rule }, i) => [settlements[i] ?? 'release', rule.windowMs]);
      const keys = keysOf(counters);
      await client.hashdThrottleSettle(keys.length, ...keys, nowMs, ...args);
    },
    async inspect(counter, nowMs): Promise<CounterState | undefined> {
      const [f, t, e, p] = (await client.hashdThrottleInspect(1, ...keysOf([counter]), nowMs)).map(Number) as [number, number, number, number];
      if (f === 0 && p === 0) return undefined;
      return { failures: f, inFlight: p, waitMs: waitFor(counter.rule, f, p, t, nowMs, e) };
    },
    async clear(counters) {
      await client.del(...keysOf(counters));
    },
    async ping() {
      await client.ping();
    },
    async close() {
      client.disconnect();
    },
    connected(ms) {
      if (client.status === 'ready') return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          client.off('ready', onReady);
          resolve(false);
        }, ms);
        const onReady = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        client.once('ready', onReady);
      });
    },
  };
}
