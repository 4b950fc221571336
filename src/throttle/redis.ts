/**
 * Counters in Redis (REDIS_URL), shared by every replica. Each operation is one Lua script, so
 * the check and the increment of every counter of an attempt happen in one atomic step on the
 * server, whichever replica sends it. A counter is a hash `{f, t}` (failures, last failure in
 * ms) that expires `window` after its last failure, plus an in-flight count that expires
 * PENDING_TTL_MS after its last reservation (a replica that died mid-check cannot leak it for
 * longer). The keys of one attempt share a hash tag (the tenant's digest), so a Redis Cluster
 * keeps them in one slot.
 *
 * The client never queues commands while disconnected (enableOfflineQueue: false) and gives up
 * on a command after a short timeout, so an outage turns into an immediate error, which the
 * throttle answers as 503 `throttle_unavailable`; ioredis reconnects by itself. This module uses
 * TCP sockets: only the Node entry imports it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { PENDING_TTL_MS, waitFor, type CounterState, type Settlement, type ThrottleCounter, type ThrottleStore } from './throttle';

/** KEYS: state and in-flight key of each counter. ARGV: now, pending ttl, then max, free, base, cap per counter. */
const RESERVE = `
local now = tonumber(ARGV[1])
local pendingTtl = tonumber(ARGV[2])
local count = #KEYS / 2
local wait = 0
for i = 1, count do
  local o = 2 + (i - 1) * 4
  local max, free, base, cap = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local state = redis.call('HMGET', KEYS[2 * i - 1], 'f', 't')
  local f = tonumber(state[1]) or 0
  local t = tonumber(state[2]) or 0
  local p = tonumber(redis.call('GET', KEYS[2 * i])) or 0
  local w = 0
  if f >= max then
    w = redis.call('PTTL', KEYS[2 * i - 1])
    if w < 1 then w = 1 end
  elseif f + p >= max then
    w = 1000
  elseif f + p >= free then
    w = t + math.min(cap, base * 2 ^ math.min(f + p - free, 40)) - now
  end
  if w > wait then wait = w end
end
if wait > 0 then return math.ceil(wait) end
for i = 1, count do
  redis.call('INCR', KEYS[2 * i])
  redis.call('PEXPIRE', KEYS[2 * i], pendingTtl)
end
return 0
`;

/** KEYS as for RESERVE. ARGV: now, then settlement (failure/reset/release) and window per counter. */
const SETTLE = `
local now = ARGV[1]
local count = #KEYS / 2
for i = 1, count do
  local how, window = ARGV[2 * i], ARGV[2 * i + 1]
  local p = redis.call('DECR', KEYS[2 * i])
  if p <= 0 then redis.call('DEL', KEYS[2 * i]) end
  if how == 'failure' then
    redis.call('HINCRBY', KEYS[2 * i - 1], 'f', 1)
    redis.call('HSET', KEYS[2 * i - 1], 't', now)
    redis.call('PEXPIRE', KEYS[2 * i - 1], window)
  elseif how == 'reset' then
    redis.call('DEL', KEYS[2 * i - 1])
  end
end
return 0
`;

type ScriptClient = Redis & {
  hashdThrottleReserve(numKeys: number, ...args: (string | number)[]): Promise<number>;
  hashdThrottleSettle(numKeys: number, ...args: (string | number)[]): Promise<number>;
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

  let down = false;
  client.on('error', (err: Error & { code?: string }) => {
    if (down) return;
    down = true;
    options.onStatus?.({ status: 'down', error: { name: err.name, ...(err.code !== undefined && { code: err.code }) } });
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.onStatus?.({ status: 'up' });
  });

  const keysOf = (counters: readonly ThrottleCounter[]): string[] =>
    counters.flatMap(({ key, group }) => {
      const base = `${options.prefix}{${group}}:${key}`;
      return [base, `${base}:p`];
    });

  return {
    kind: 'redis',
    async reserve(counters, nowMs) {
      const args = counters.flatMap(({ rule }) => [rule.maxFailures, rule.freeFailures, rule.backoffBaseMs, rule.backoffMaxMs]);
      const keys = keysOf(counters);
      return Number(await client.hashdThrottleReserve(keys.length, ...keys, nowMs, PENDING_TTL_MS, ...args));
    },
    async settle(counters, settlements: readonly Settlement[], nowMs) {
      const args = counters.flatMap(({ rule }, i) => [settlements[i] ?? 'release', rule.windowMs]);
      const keys = keysOf(counters);
      await client.hashdThrottleSettle(keys.length, ...keys, nowMs, ...args);
    },
    async inspect(counter, nowMs): Promise<CounterState | undefined> {
      const [state, pending] = keysOf([counter]) as [string, string];
      const replies = await client.multi().hmget(state, 'f', 't').get(pending).pttl(state).exec();
      if (!replies) throw new Error('redis transaction aborted');
      for (const [err] of replies) if (err) throw err;
      const [f, t] = replies[0]?.[1] as (string | null)[];
      const failures = Number(f ?? 0);
      const inFlight = Number((replies[1]?.[1] as string | null) ?? 0);
      if (failures === 0 && inFlight === 0) return undefined;
      const ttl = Number(replies[2]?.[1]);
      return { failures, inFlight, waitMs: waitFor(counter.rule, failures, inFlight, Number(t ?? 0), nowMs, nowMs + Math.max(0, ttl)) };
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
