/**
 * The Node.js server: configuration from the environment, pino logs, the native hashing backend,
 * @hono/node-server, and a graceful drain on SIGTERM/SIGINT.
 */
import { readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { setPriority } from 'node:os';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createApp } from '../app';
import { ConfigError } from '../config';
import { PolicyError } from '../hashing/policy-config';
import { openNodeDatabase } from './database-node';
import { lingeringClose } from './linger';
import { loadNodeKeyRing } from './keyring-node';
import { buildNodeCore, type NodeCore } from './runtime-node';

/**
 * Lowers the CPU priority of every thread but the event loop's (on Linux a thread id is a
 * setpriority target of its own). Hashing runs on libuv's pool threads; when they compete with
 * the event loop for the cores, responses, 503s and health checks wait behind hashes, and the
 * next queued hash waits for the event loop to dispatch it. With the pool niced, the event loop
 * runs first and hashing takes every cycle it leaves (measured: HTTP hashing throughput from
 * 74% to 98% of raw, /healthz p50 under overload from 6 ms to 2 ms). Returns the number of
 * threads changed (0 where the platform does not allow it).
 */
function lowerWorkerThreads(nice: number): number {
  if (nice <= 0 || process.platform !== 'linux') return 0;
  let changed = 0;
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  for (const entry of tasks) {
    const tid = Number(entry);
    if (tid === process.pid) continue;
    try {
      setPriority(tid, nice);
      changed++;
    } catch {
      // A thread that ended meanwhile, or no permission: leave it as it is.
    }
  }
  return changed;
}

async function start(): Promise<void> {
  let core: NodeCore;
  try {
    core = buildNodeCore(process.env);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PolicyError) {
      process.stderr.write(`hashd: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { config, crypt } = core;
  const logger = pino({ level: config.logLevel, base: { service: 'hashd' } });
  if (config.devMode) {
    logger.warn({ host: config.host }, 'dev mode: no HASHD_API_KEYS configured, every caller is accepted as tenant "default"');
  }
  const db = await openNodeDatabase(config, logger);
  const { ring: keyRing } = await loadNodeKeyRing(config, logger);
  const app = createApp({
    crypt,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    readiness: () => db.readiness(),
    data: { repositories: () => db.repositories(), registry: core.registry, env: core.env, wrapConcurrency: config.hashConcurrency, keyRing },
  });
  // The first hash starts libuv's threadpool (and prepares the dummy hash for unknown users), so
  // the pool's threads exist when they are lowered below the event loop's priority.
  await crypt.dummyVerify('warm-up');
  const reniced = lowerWorkerThreads(config.hashNice);
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, (info) => {
    logger.info(
      {
        host: info.address,
        port: info.port,
        policy: config.policySource,
        default: config.policy.default,
        hashConcurrency: config.hashConcurrency,
        hashQueue: config.hashQueue,
        database: db.database.kind,
        threadpool: Number(process.env.UV_THREADPOOL_SIZE),
        hashNice: reniced > 0 ? config.hashNice : 0,
      },
      'hashd listening',
    );
  });
  // An early answer (413, 415, 401...) is read by clients that write their whole body first.
  lingeringClose(server as Server);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    server.close(() => {
      void db.close().finally(() => {
        logger.info({}, 'stopped');
        process.exit(0);
      });
    });
    // Idle keep-alive connections would hold close() open; in-flight requests finish first.
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await start();
