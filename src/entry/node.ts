/**
 * The Node.js server: configuration from the environment, pino logs, the native hashing backend,
 * @hono/node-server, and a graceful drain on SIGTERM/SIGINT.
 */
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createApp } from '../app';
import { ConfigError } from '../config';
import { PolicyError } from '../hashing/policy-config';
import { openNodeDatabase } from './database-node';
import { buildNodeCore, type NodeCore } from './runtime-node';

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
  const app = createApp({
    crypt,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    readiness: () => db.readiness(),
    store: { store: db.store, registry: core.registry, env: core.env, wrapConcurrency: config.hashConcurrency },
  });
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
      },
      'hashd listening',
    );
  });
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
