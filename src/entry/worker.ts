/**
 * The Cloudflare Worker: the same app as the Node entry (`createApp`), built from the Worker's
 * bindings with dependencies that run in workerd:
 *
 * - configuration from `env` (the `[vars]` of wrangler.toml, secrets from `wrangler secret put`
 *   or `.dev.vars`); the policy from `HASHD_POLICY` (TOML or JSON text, the Worker has no files)
 *   and the usual `HASHD_POLICY__…` overrides;
 * - the edge hashing backend (WebAssembly argon2 imported at build time, bcryptjs, WebCrypto,
 *   @noble/hashes scrypt), whose refusals answer 422 `scheme_unavailable_here`;
 * - PostgreSQL through the `HYPERDRIVE` binding: one `postgres` client per request (a Worker may
 *   not share I/O objects between requests), opened on first use and closed when the response
 *   body has been sent; the repositories and the throttle of that request share it;
 * - throttling in PostgreSQL (`throttle_counters`, the PostgreSQL throttle store), so the limits
 *   hold across isolates and locations; the client address is CF-Connecting-IP (Cloudflare sets
 *   it; X-Forwarded-For is never read), a body's `clientIp` still wins;
 * - the background endpoints answer 422 `unavailable_here`, pointing at the CLI and Node service.
 *
 * The app and hashing core are built once per isolate (per `env` object) and reused by every
 * request the isolate serves.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import argon2Module from '@phi-ag/argon2/argon2.wasm';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import journal from '../../drizzle/meta/_journal.json';
import { createApp, type AppType, type UnavailableEndpoint } from '../app';
import { systemClock } from '../clock';
import { ConfigError, loadConfig, type ServiceConfig } from '../config';
import { createRepositories, type Database, type Repositories } from '../db/index';
import { schema } from '../db/schema';
import { createEdgeBackend, withEdgeSchemeNames } from '../hashing/backend-edge';
import { CryptContext } from '../hashing/crypt-context';
import { createLimiter } from '../hashing/limiter';
import { PolicyError } from '../hashing/policy-config';
import { createRegistry } from '../hashing/registry';
import type { SchemeEnv } from '../hashing/scheme';
import { BUILTIN_SCHEMES } from '../hashing/schemes/index';
import type { Logger } from '../logger';
import { createKeyRing } from '../keys/ring';
import { OTP_SECRET_MISSING, ringOtpKeys, singleOtpKey } from '../sessions/otp-secret';
import { guardRepositories, guardRepository } from '../store/guard';
import { cloudflareClientAddress } from '../throttle/address';
import { createMemoryThrottleStore } from '../throttle/memory';
import { createPostgresThrottleStore } from '../throttle/postgres';
import { createDisabledThrottle, createThrottle, type Throttle } from '../throttle/throttle';

/** The part of Cloudflare's Hyperdrive binding hashd uses. */
export interface HyperdriveBinding {
  readonly connectionString: string;
}

export interface WorkerEnv {
  /** PostgreSQL through Hyperdrive; without it the Worker is stateless (hash/verify only). */
  HYPERDRIVE?: HyperdriveBinding;
  [name: string]: unknown;
}

interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

/** Background work does not run inside a request on the edge. */
export const EDGE_UNAVAILABLE: readonly UnavailableEndpoint[] = [
  { method: 'POST', path: '/admin/wrap', use: '`npx hashd wrap` (with DATABASE_URL) or the Node service' },
];

/** Hyperdrive's guidance for postgres.js: a small pool per request, no type-fetching round trip. */
const CLIENT_OPTIONS = { max: 5, fetch_types: false, connect_timeout: 5, onnotice: () => undefined } as const;
const CLOSE_TIMEOUT_SECONDS = 5;

/** The newest migration this build knows, as drizzle records it (`created_at` = the journal's `when`). */
const LATEST_MIGRATION = Math.max(...journal.entries.map((e) => e.when));

/** JSON lines on the console: Workers Logs and `wrangler tail` keep them as structured fields. */
function consoleLogger(level: string): Logger {
  const quiet = level === 'silent';
  const debugOrInfo = !quiet && level !== 'warn' && level !== 'error';
  const line = (lvl: string, fields: Record<string, unknown>, msg: string): string => JSON.stringify({ level: lvl, service: 'hashd', ...fields, msg });
  return {
    info: (fields, msg) => {
      if (debugOrInfo) console.log(line('info', fields, msg));
    },
    warn: (fields, msg) => {
      if (!quiet && level !== 'error') console.warn(line('warn', fields, msg));
    },
    error: (fields, msg) => {
      if (!quiet) console.error(line('error', fields, msg));
    },
  };
}

/** The string settings among the bindings (vars and secrets); objects are bindings such as Hyperdrive. */
function stringVars(env: WorkerEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function workerConfig(vars: Record<string, string>): ServiceConfig {
  const registry = createRegistry(BUILTIN_SCHEMES);
  const policyText = vars.HASHD_POLICY;
  // The policy text stands in for HASHD_CONFIG's file; its name tells the parser TOML from JSON.
  const policyName = policyText?.trimStart().startsWith('{') ? 'HASHD_POLICY.json' : 'HASHD_POLICY.toml';
  const config = loadConfig({
    env: { ...vars, HASHD_CONFIG: policyText ? policyName : undefined },
    registry,
    readFile: () => policyText ?? '',
    cpuCount: 1,
  });
  if (config.devMode && !config.allowInsecure) {
    // A Worker is reachable from the whole internet: no dev mode unless asked for by name.
    throw new ConfigError(['HASHD_API_KEYS: a Worker needs caller keys (npx hashd keys new TENANT, then wrangler secret put HASHD_API_KEYS), or HASHD_ALLOW_INSECURE=1 for a local test']);
  }
  return config;
}

/** One `postgres` client for one request, with the Database interface the repositories take. */
function requestDatabase(hyperdrive: HyperdriveBinding): { database: Database; close(): Promise<void> } {
  const client = postgres(hyperdrive.connectionString, CLIENT_OPTIONS);
  const db = drizzle({ client, schema });
  const close = (): Promise<void> => client.end({ timeout: CLOSE_TIMEOUT_SECONDS });
  return {
    close,
    database: {
      db,
      kind: 'postgres',
      async ping() {
        await db.execute(sql`select 1`);
      },
      async migrate() {
        throw new ConfigError(['migrations do not run inside a Worker: run `npx hashd migrate` with DATABASE_URL']);
      },
      close,
    },
  };
}

/**
 * The request being served: its database client, opened on first use. AsyncLocalStorage carries
 * it to code that has no request at hand (the throttle store, built once per isolate).
 */
interface RequestScope {
  database(): Database;
  /** Closes the client if one was opened. */
  close(): Promise<void>;
}

const scopes = new AsyncLocalStorage<RequestScope>();

function requestScope(hyperdrive: HyperdriveBinding): RequestScope {
  let opened: ReturnType<typeof requestDatabase> | undefined;
  return {
    database() {
      opened ??= requestDatabase(hyperdrive);
      return opened.database;
    },
    close: async () => opened?.close(),
  };
}

function currentDatabase(): Database {
  const scope = scopes.getStore();
  if (scope === undefined) throw new Error('hashd: database used outside a request');
  return scope.database();
}

/**
 * A Database whose every call goes to the current request's client: the PostgreSQL throttle store
 * is made once per isolate (its sweep counter lives as long as the isolate) and still never
 * touches another request's I/O objects.
 */
function requestBoundDatabase(): Database {
  const db = new Proxy({} as Database['db'], {
    get(_target, prop) {
      const real = currentDatabase().db;
      const value: unknown = Reflect.get(real, prop, real);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
  });
  return {
    db,
    kind: 'postgres',
    ping: () => currentDatabase().ping(),
    migrate: () => currentDatabase().migrate(),
    // The request's client is closed with the request.
    close: async () => undefined,
  };
}

/**
 * The throttle of a Worker. With Hyperdrive: PostgreSQL (HASHD_THROTTLE_STORE unset or
 * `database`), so every isolate counts on the same rows; `off` only by name. Memory would be one
 * isolate's (an attacker's requests spread over many) and Redis is not reachable: both refused.
 * Without a database nothing the throttle guards exists (login, TOTP): memory.
 */
function workerThrottle(vars: Record<string, string>, config: ServiceConfig, hasDatabase: boolean, logger: Logger): Throttle {
  const requested = vars.HASHD_THROTTLE_STORE || (vars.REDIS_URL ? 'redis' : hasDatabase ? 'database' : 'memory');
  if (requested === 'off') {
    logger.warn({}, 'throttling is off (HASHD_THROTTLE_STORE=off): failed logins are not limited');
    return createDisabledThrottle();
  }
  if (requested === 'redis') throw new ConfigError(['HASHD_THROTTLE_STORE: a Worker cannot reach Redis; leave it unset (the database through HYPERDRIVE) or set it to database']);
  if (requested === 'memory' && hasDatabase) {
    throw new ConfigError(['HASHD_THROTTLE_STORE=memory: an isolate\'s memory does not hold limits across isolates; leave it unset (the database through HYPERDRIVE)']);
  }
  if (requested === 'database' && !hasDatabase) throw new ConfigError(['HASHD_THROTTLE_STORE=database needs the HYPERDRIVE binding']);
  // Guarded like the repositories: the database being down is 503 database_unavailable (the
  // throttle passes typed errors through), and no driver message reaches a log or a response.
  const store = requested === 'database' ? guardRepository(createPostgresThrottleStore(requestBoundDatabase())) : createMemoryThrottleStore();
  return createThrottle({
    store,
    rules: config.throttle.rules,
    clock: systemClock,
    onStoreError: (err) => logger.warn({ store: store.kind, err: { name: (err as Error)?.name, code: (err as { code?: unknown })?.code } }, 'throttle store error'),
  });
}

/** null when the database answers and has this build's migrations, else why not. */
async function edgeReadiness(): Promise<string | null> {
  const database = currentDatabase();
  try {
    const rows = (await database.db.execute(sql`select max(created_at)::text as latest from drizzle.__drizzle_migrations`)) as unknown as { latest: string | null }[];
    const latest = Number(rows[0]?.latest ?? 0);
    return latest >= LATEST_MIGRATION ? null : 'migrations not applied (run npx hashd migrate)';
  } catch (err) {
    // 42P01 / 3F000: no migrations table or schema at all (drizzle puts the driver's error in `cause`).
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    return code === '42P01' || code === '3F000' ? 'migrations not applied (run npx hashd migrate)' : 'database unreachable';
  }
}

interface Built {
  app: AppType;
  hyperdrive: HyperdriveBinding | undefined;
}

async function build(env: WorkerEnv): Promise<Built> {
  const vars = stringVars(env);
  const config = workerConfig(vars);
  const logger = consoleLogger(config.logLevel);
  const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
  // The master key ring from the HASHD_KEYS secret. A Worker has no data directory for a dev
  // ring: without HASHD_KEYS the key and TOTP endpoints answer 503 key_unavailable.
  const keyRing = config.ringKeys === undefined ? undefined : await createKeyRing(config.ringKeys, random);
  if (keyRing === undefined && hyperdriveOf(env) !== undefined) {
    logger.warn({}, 'HASHD_KEYS is not configured: TOTP and the Fernet key endpoints answer 503 key_unavailable (wrangler secret put HASHD_KEYS)');
  }
  const registry = createRegistry(withEdgeSchemeNames(BUILTIN_SCHEMES));
  const schemeEnv: SchemeEnv = {
    backend: createEdgeBackend({ argon2Module, concurrency: config.hashConcurrency }),
    randomBytes: random,
  };
  const limiter = createLimiter({ concurrency: config.hashConcurrency, maxQueue: config.hashQueue });
  const crypt = new CryptContext({ policy: config.policy, registry, env: schemeEnv, limiter });
  const hyperdrive = hyperdriveOf(env);
  const throttle = workerThrottle(vars, config, hyperdrive !== undefined, logger);
  // One-time codes: keys derived from HASHD_KEYS when set (HASHD_OTP_SECRET then only verifies
  // its older codes), else HASHD_OTP_SECRET; a Worker has no data directory for a dev secret.
  const otpKeys = keyRing !== undefined ? await ringOtpKeys(keyRing, config.otpSecret) : config.otpSecret !== undefined ? singleOtpKey(config.otpSecret) : undefined;
  if (otpKeys === undefined && hyperdrive !== undefined) logger.warn({}, OTP_SECRET_MISSING);
  const app = createApp({
    crypt,
    apiKeys: config.apiKeys,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    clock: systemClock,
    random,
    unavailable: EDGE_UNAVAILABLE,
    throttle,
    clientAddress: cloudflareClientAddress,
    ...(hyperdrive && {
      readiness: edgeReadiness,
      data: {
        repositories(): Repositories {
          return guardRepositories(createRepositories(currentDatabase(), systemClock));
        },
        registry,
        env: schemeEnv,
        wrapConcurrency: config.hashConcurrency,
        sessions: config.sessions,
        otp: config.otp,
        otpKeys,
        keyRing,
        totp: config.totp,
      },
    }),
  });
  return { app, hyperdrive };
}

function hyperdriveOf(env: WorkerEnv): HyperdriveBinding | undefined {
  const binding = env.HYPERDRIVE as Partial<HyperdriveBinding> | undefined;
  return typeof binding?.connectionString === 'string' ? (binding as HyperdriveBinding) : undefined;
}

const isolates = new WeakMap<object, Built | ConfigError | PolicyError>();

function misconfigured(err: ConfigError | PolicyError): Response {
  // The issues name variables and policy fields, never values, so they may go to the log.
  console.error(JSON.stringify({ level: 'error', service: 'hashd', issues: err.issues, msg: 'invalid configuration' }));
  return Response.json({ error: { code: 'internal', message: 'hashd is misconfigured; the Worker log lists the problems' } }, { status: 500 });
}

async function handle(request: Request, env: WorkerEnv, ctx: ExecutionContextLike): Promise<Response> {
  let built = isolates.get(env);
  if (built === undefined) {
    // Only a finished build is shared: a promise made in one request and awaited by another
    // would cross request contexts, which workerd does not allow. Two first requests that race
    // both build (cheap: no I/O) and the last one is kept.
    try {
      built = await build(env);
    } catch (err) {
      if (!(err instanceof ConfigError || err instanceof PolicyError)) throw err;
      built = err;
    }
    isolates.set(env, built);
  }
  if (built instanceof ConfigError || built instanceof PolicyError) return misconfigured(built);
  const { app, hyperdrive } = built;
  if (hyperdrive === undefined) return app.fetch(request, env, ctx as never);
  const scope = requestScope(hyperdrive);
  const response = await scopes.run(scope, () => app.fetch(request, env, ctx as never));
  const close = (): Promise<void> => scope.close().catch(() => undefined);
  if (response.body === null) {
    ctx.waitUntil(close());
    return response;
  }
  // A streamed body (an export) still reads from the database: close once it is fully sent.
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  ctx.waitUntil(response.body.pipeTo(writable).catch(() => undefined).finally(close));
  return new Response(readable, response);
}

export default {
  fetch: handle,
};
