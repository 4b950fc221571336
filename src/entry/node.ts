/**
 * The Node.js server: configuration from the environment, pino logs, the native hashing backend,
 * @hono/node-server, and a graceful drain on SIGTERM/SIGINT.
 */
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createApp } from '../app';
import { systemClock } from '../clock';
import { ConfigError } from '../config';
import { PolicyError } from '../hashing/policy-config';
import type { Repositories } from '../db/index';
import { createMetrics } from '../metrics';
import { certificateCaller, readTlsFiles, tlsServerOptions } from '../tls/server';
import { openNodeDatabase } from './database-node';
import { unreadableRows } from '../keys/rotate';
import { lingeringClose } from './linger';
import { nodeClientAddress, openNodeThrottle } from './throttle-node';
import { resolveOtpKeys } from './otp-secret-node';
import { startPurgeJob } from './purge-node';
import { createNodeLogger } from './logger-node';
import { swaggerUiAsset } from './docs-node';
import { loadNodeKeyRing } from './keyring-node';
import { isHashingRequest, withEarlyRefusal, type ServerLimits } from './overload-node';
import type { Timeline } from '../hashing/timeline';
import { buildNodeCore, keepsLegacyThreads, type NodeCore } from './runtime-node';
import { watchWrapLeases } from '../store/wrap-lease';
import { createLoginTimes } from '../store/login';
import { stopWrapsAtBatchBoundary } from '../store/wrap';

/**
 * Lowers the CPU priority of every thread but the event loop's (on Linux a thread id is a
 * setpriority target of its own). Hashing runs on libuv's pool threads; when they compete with
 * the event loop for the cores, responses, 503s and health checks wait behind hashes, and the
 * next queued hash waits for the event loop to dispatch it. With the pool niced, the event loop
 * runs first and hashing takes every cycle it leaves. Off by default (HASHD_HASH_NICE=0): a nice
 * value also ranks the hashing threads below every other normal-priority process sharing the
 * cores, which cost throughput on a shared machine while the timeline showed no dispatch delay
 * to win back (README, Overload). Returns the number of threads changed (0 where the platform
 * does not allow it).
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

type Fetch = (
  request: Request,
  env: { incoming: { method?: string | undefined; url?: string | undefined }; outgoing: { once(event: 'finish', listener: () => void): unknown } },
) => Response | Promise<Response>;

/**
 * The timeline's last stage: for a hashing request, the time from its hash settling (stamped by
 * the limiter under the request's AbortSignal) to its response being handed to the socket.
 */
function timedFetch(fetch: Fetch, timeline: Timeline): Fetch {
  return (request, env) => {
    if (isHashingRequest(env.incoming.method, env.incoming.url)) {
      const signal = request.signal;
      env.outgoing.once('finish', () => timeline.responseWritten(signal, performance.now()));
    }
    return fetch(request, env);
  };
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
  const logger = createNodeLogger({ level: config.logLevel });
  if (config.devMode) {
    logger.warn({ host: config.host }, 'dev mode: no HASHD_API_KEYS configured, every caller is accepted as tenant "default"');
  }
  const db = await openNodeDatabase(config, logger);
  const throttle = await openNodeThrottle(config.throttle, { logger, clock: systemClock, database: db.database });
  const { ring: keyRing } = await loadNodeKeyRing(config, logger);
  if (keyRing) {
    // Rows under a ring key id that HASHD_KEYS no longer lists cannot be read: say so at start.
    // (Async, and failures ignored: with the database not reachable yet there is nothing to count.)
    void (async () => unreadableRows(keyRing, db.repositories().ringRows))().then(
      (unreadable) => {
        if (unreadable.total > 0) logger.error({ rows: unreadable.total, byKeyId: unreadable.byKeyId }, 'encrypted rows under ring key ids missing from HASHD_KEYS cannot be read (503 key_unavailable)');
        else logger.info({ ring: keyRing.ids }, 'key ring: every encrypted row is readable');
      },
      () => undefined,
    );
  }
  const metrics = createMetrics({ limiterStats: () => crypt.limiter.stats(), timeline: () => core.timeline.summary(), databasePoolMax: db.database.kind === 'pglite' ? 1 : config.databasePoolMax });
  metrics.instrumentCrypt(crypt);
  // db.repositories() hands out one object once migrated; its instrumented view is made once.
  const instrumented = new WeakMap<Repositories, Repositories>();
  const repositories = (): Repositories => {
    const repos = db.repositories();
    let view = instrumented.get(repos);
    if (view === undefined) instrumented.set(repos, (view = metrics.instrumentRepositories(repos)));
    return view;
  };
  // Valid logins answer without waiting for their last-login write; the times are written in
  // batches (store/login.ts), and flushed on shutdown.
  const loginTimes = createLoginTimes({ write: (logins) => repositories().credentials.touchLogins(logins), logger });
  const app = createApp({
    crypt,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    readiness: () => db.readiness(),
    data: {
      repositories,
      registry: core.registry,
      env: core.env,
      wrapConcurrency: config.hashConcurrency,
      wrapLeaseMs: config.wrapLeaseSeconds * 1000,
      sessions: config.sessions,
      otp: config.otp,
      otpKeys: await resolveOtpKeys(config, keyRing, logger),
      keyRing,
      totp: config.totp,
      loginTimes,
    },
    metrics,
    docsAsset: swaggerUiAsset,
    ...(config.ship.certificateTenants.length > 0 && { certificateCaller: certificateCaller(config.ship.certificateTenants) }),
    ...(config.ship.metricsToken !== undefined && { metricsToken: config.ship.metricsToken }),
    throttle,
    clientAddress: nodeClientAddress(config.throttle.trustedProxies),
  });
  const purgeJob = startPurgeJob(() => db.repositories(), { ...config.purge, totpPendingSeconds: config.totp.pendingSeconds }, logger);
  // A wrap job whose replica died is taken over here once its lease has run out.
  const stopWatchingLeases = watchWrapLeases({
    deps: () => ({ ...repositories(), crypt, registry: core.registry, env: core.env }),
    wrap: { concurrency: config.hashConcurrency, leaseMs: config.wrapLeaseSeconds * 1000 },
    intervalMs: Math.max(500, Math.min((config.wrapLeaseSeconds * 1000) / 2, 10_000)),
    logger,
  });
  // The first hash starts libuv's threadpool (and prepares the dummy hash for unknown users), so
  // the pool's threads exist when they are lowered below the event loop's priority.
  await crypt.dummyVerify('warm-up');
  const reniced = lowerWorkerThreads(config.hashNice);
  const limits: ServerLimits = config.server;
  // A hashing request the limiter could not take is refused before its body is read (overload-node.ts).
  const listener = withEarlyRefusal(getRequestListener(timedFetch(app.fetch, core.timeline), { hostname: config.host }), {
    full: () => crypt.refuseIfFull(),
    onRefused: () => metrics.overloaded.inc(),
  });
  const httpOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    ...(limits.maxRequestsPerSocket > 0 && { maxRequestsPerSocket: limits.maxRequestsPerSocket }),
  };
  const tls = config.ship.tls;
  let server: Server;
  try {
    // With TLS there is no plaintext listener at all (src/tls/server.ts).
    server = tls ? createHttpsServer({ ...httpOptions, ...tlsServerOptions(tls) }, listener) : createServer(httpOptions, listener);
  } catch (err) {
    process.stderr.write(`hashd: cannot load TLS_CERT_FILE/TLS_KEY_FILE/TLS_CLIENT_CA_FILE: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (tls) {
    // New handshakes use the files read now; open connections keep the context they started with.
    process.on('SIGHUP', () => {
      try {
        (server as unknown as { setSecureContext(o: object): void }).setSecureContext(readTlsFiles(tls));
        logger.info({ cert: tls.certFile }, 'tls certificates reloaded');
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'tls reload failed; keeping the certificates in use');
      }
    });
  }
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  // An early answer (413, 415, 401...) is read by clients that write their whole body first.
  lingeringClose(server);
  server.listen({ host: config.host, port: config.port, backlog: limits.listenBacklog }, () => {
    const info = server.address() as AddressInfo;
    logger.info(
      {
        host: info.address,
        port: info.port,
        policy: config.policySource,
        default: config.policy.default,
        hashConcurrency: config.hashConcurrency,
        hashQueue: config.hashQueue,
        database: db.database.kind,
        throttle: throttle.kind,
        threadpool: Number(process.env.UV_THREADPOOL_SIZE),
        hashNice: reniced > 0 ? config.hashNice : 0,
        maxConnections: limits.maxConnections,
        tls: tls ? (tls.clientCaFile ? 'mutual' : 'server') : 'off',
      },
      'hashd listening',
    );
  });
  // Kept legacy-verify threads (HASHD_HASH_NICE, or HASHD_LEGACY_IDLE_SECONDS=0) start once the
  // server listens (starting them competes for the CPU with opening the database), so the first
  // legacy login does not wait for them; then they are lowered below the event loop like libuv's
  // hashing threads. Otherwise they start on the first legacy verify and end when idle.
  if (keepsLegacyThreads(config)) {
    core.pool.warm().then(
      () => {
        const lowered = lowerWorkerThreads(config.hashNice);
        logger.info({ threads: core.pool.threadIds().length, reniced: lowered }, 'legacy-verify pool ready');
      },
      (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'legacy-verify pool failed to start; legacy verifies will fail'),
    );
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    stopWatchingLeases();
    logger.info({ signal }, 'draining');
    purgeJob.stop();
    // A running wrap job finishes its current batch, records its progress and releases its
    // lease, so the next start takes it over from its cursor (src/store/wrap.ts).
    const wraps = stopWrapsAtBatchBoundary().then((runs) => {
      if (runs > 0) logger.info({ runs }, 'wrap stopped at a batch boundary');
    });
    server.close(() => {
      void wraps
        .then(() => Promise.allSettled([loginTimes.flush(), throttle.close(), core.pool.close()]))
        .then(() => db.close())
        .finally(() => {
          logger.info({}, 'stopped');
          process.exit(0);
        });
    });
    // Idle keep-alive connections would hold close() open; in-flight requests finish first.
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    // In-flight requests get HASHD_SHUTDOWN_TIMEOUT_MS to finish; then the process exits anyway.
    setTimeout(() => {
      logger.warn({ timeoutMs: config.ship.shutdownTimeoutMs }, 'shutdown timeout: exiting with requests in flight');
      process.exit(1);
    }, config.ship.shutdownTimeoutMs).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await start();
