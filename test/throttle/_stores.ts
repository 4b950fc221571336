/**
 * The throttle stores every throttle test runs against: memory, Redis (127.0.0.1:6379, database
 * 5, a key prefix per store, every key removed afterwards) and the database store on PGlite and
 * on the PostgreSQL server (a database created for the run, dropped afterwards).
 *
 * When Redis cannot be reached, CI fails (a skipped half would pass silently); a developer
 * without Redis gets the other stores and a clear message.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Database } from '../../src/db/index';
import { createMemoryThrottleStore } from '../../src/throttle/memory';
import { createPostgresThrottleStore } from '../../src/throttle/postgres';
import { createRedisThrottleStore, type RedisThrottleOptions } from '../../src/entry/throttle-redis';
import type { ThrottleStore } from '../../src/throttle/throttle';
import { backends, openFresh } from '../db/_backends';

export const REDIS_URL = process.env.HASHD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/5';
/** The second database the throttle tests may use (replicas, outage). */
export const REDIS_URL_2 = REDIS_URL.replace(/\/\d+$/, '/6');

async function probeRedis(): Promise<string | undefined> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return `Redis at ${REDIS_URL} is unreachable (${(err as Error).message})`;
  } finally {
    client.disconnect();
  }
}

export const redisProblem = await probeRedis();
if (redisProblem !== undefined) {
  if (process.env.CI === 'true') throw new Error(`${redisProblem}; CI requires the Redis half of the throttle tests`);
  console.warn(`[test/throttle] skipping the Redis store: ${redisProblem}`);
}

/** A fresh key prefix, unique to one test run. */
export function testPrefix(): string {
  return `hashd-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` in the database of `url`. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** The number of keys under `prefix` (tests check that nothing is left behind or leaked). */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}

export interface StoreBackend {
  name: 'memory' | 'redis' | 'pglite' | 'postgres';
  skipReason: string | undefined;
  /** A fresh, empty store. */
  open(options?: Partial<RedisThrottleOptions>): Promise<ThrottleStore>;
  cleanup(): Promise<void>;
}

function memoryBackend(): StoreBackend {
  return { name: 'memory', skipReason: undefined, open: async () => createMemoryThrottleStore(), cleanup: async () => undefined };
}

function redisBackend(): StoreBackend {
  const opened: { store: ThrottleStore; prefix: string }[] = [];
  return {
    name: 'redis',
    skipReason: redisProblem,
    async open(options = {}) {
      const prefix = testPrefix();
      const store = createRedisThrottleStore({ url: REDIS_URL, prefix, ...options });
      await (store as ReturnType<typeof createRedisThrottleStore>).connected(5000);
      opened.push({ store, prefix });
      return store;
    },
    async cleanup() {
      for (const { store, prefix } of opened.splice(0)) {
        await store.close();
        await dropPrefix(REDIS_URL, prefix);
      }
    },
  };
}

function databaseBackend(name: 'pglite' | 'postgres'): StoreBackend {
  const backend = backends.find((b) => b.name === name) as (typeof backends)[number];
  const databases: Database[] = [];
  return {
    name,
    skipReason: backend.skipReason,
    async open() {
      const database = await openFresh(backend);
      databases.push(database);
      return createPostgresThrottleStore(database);
    },
    async cleanup() {
      await Promise.all(databases.splice(0).map((d) => d.close()));
      await backend.cleanup();
    },
  };
}

export const storeBackends: readonly StoreBackend[] = [memoryBackend(), redisBackend(), databaseBackend('pglite'), databaseBackend('postgres')];
