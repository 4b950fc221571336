/**
 * The throttle and the client address for the Node entry: the store the configuration names
 * (memory, Redis, the credentials' database, or off by name), and the TCP peer's address read
 * through the trusted proxies' X-Forwarded-For.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Clock } from '../clock';
import type { ThrottleConfig } from '../config';
import type { Database } from '../db/index';
import type { Logger } from '../logger';
import { forwardedClient, parseTrustedProxies, type ClientAddress } from '../throttle/address';
import { createMemoryThrottleStore } from '../throttle/memory';
import { createPostgresThrottleStore } from '../throttle/postgres';
import { createRedisThrottleStore } from './throttle-redis';
import { createDisabledThrottle, createThrottle, type Throttle, type ThrottleStore } from '../throttle/throttle';

/** How long the start waits for Redis before serving (then 503 throttle_unavailable until it connects). */
const REDIS_START_WAIT_MS = 3000;

export async function openNodeThrottle(config: ThrottleConfig, options: { logger: Logger; clock: Clock; database?: Database }): Promise<Throttle> {
  const { logger, clock } = options;
  if (config.store === 'off') {
    logger.warn({}, 'throttling is off (HASHD_THROTTLE_STORE=off): failed logins are not limited');
    return createDisabledThrottle();
  }
  let store: ThrottleStore;
  if (config.store === 'redis') {
    const redis = createRedisThrottleStore({
      url: config.redisUrl as string,
      prefix: config.redisPrefix,
      onStatus: (event) => {
        if (event.status === 'down') logger.warn({ store: 'redis', err: event.error }, 'throttle store unreachable: secret checks answer 503 until it is back');
        else logger.info({ store: 'redis' }, 'throttle store reachable again');
      },
    });
    if (!(await redis.connected(REDIS_START_WAIT_MS))) logger.warn({ store: 'redis' }, 'redis not reachable at start; retrying in the background');
    store = redis;
  } else if (config.store === 'database') {
    if (!options.database) throw new Error('HASHD_THROTTLE_STORE=database needs the database');
    store = createPostgresThrottleStore(options.database);
  } else store = createMemoryThrottleStore();
  return createThrottle({
    store,
    rules: config.rules,
    clock,
    onStoreError: (err) => logger.warn({ store: store.kind, err: { name: (err as Error)?.name, code: (err as { code?: unknown })?.code } }, 'throttle store error'),
  });
}

/** The TCP peer, or the right-most untrusted X-Forwarded-For hop when the peer is a trusted proxy. */
export function nodeClientAddress(trustedProxies: readonly string[]): ClientAddress {
  const { matcher } = parseTrustedProxies(trustedProxies);
  const readHeaders = trustedProxies.length > 0;
  return (c) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      // Not a @hono/node-server request (app.request in tests): no peer.
      peer = undefined;
    }
    return readHeaders ? forwardedClient(peer, c.req.header('x-forwarded-for'), matcher) : peer;
  };
}
