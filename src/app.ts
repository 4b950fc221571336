/**
 * createApp(deps) builds the whole HTTP service from injected dependencies: the CryptContext,
 * configuration, logger and readiness check. Nothing here is runtime-specific, so the Node entry,
 * a Worker entry and the tests build the very same app. Errors become JSON in one place (onError).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ExtractSchema, MergeSchemaPath } from 'hono/types';
import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { cryptoRandomBytes, systemClock, type Clock, type RandomBytes } from './clock';
import type { ApiKeyEntry } from './config';
import type { Repositories } from './db/index';
import { HashdError, isHashdError, type ErrorCode } from './errors';
import type { CryptContext } from './hashing/crypt-context';
import type { Registry } from './hashing/registry';
import type { SchemeEnv } from './hashing/scheme';
import type { KeyRing } from './keys/ring';
import type { Logger } from './logger';
import { DEFAULT_OTP_SETTINGS, DEFAULT_SESSION_SETTINGS, type OtpSettings, type SessionSettings } from './sessions/settings';
import { adminRoutes } from './routes/admin';
import { apiKeyAuth, requireScope } from './routes/auth';
import { healthRoutes } from './routes/health';
import { docsRoutes, type DocsAsset } from './routes/docs';
import { metricsRoutes } from './routes/metrics';
import { buildDocument, createRouter, registerDocumentParts, type RouterEnv } from './routes/openapi';
import { keyRoutes } from './routes/keys';
import { passwordRoutes } from './routes/passwords';
import { throttleRoutes } from './routes/throttle';
import { totpRoutes } from './routes/totp';
import type { OtpKeys } from './sessions/otp-secret';
import type { TotpSettings } from './totp/settings';
import { transferRoutes } from './routes/transfer';
import { otpRoutes } from './routes/otp';
import { sessionRoutes } from './routes/sessions';
import { tokenRoutes } from './routes/tokens';
import { userRoutes } from './routes/users';
import type { LoginTimes } from './store/login';
import type { ClientAddress } from './throttle/address';
import { createMemoryThrottleStore } from './throttle/memory';
import { createThrottle, refusalReason, type Throttle } from './throttle/throttle';

export const VERSION = '0.1.0';

/** Paths under /v1 that only an admin-scoped key may call. */
export const ADMIN_PATHS: readonly string[] = ['/admin/*', '/import', '/export'];

export interface AppDeps {
  crypt: CryptContext;
  apiKeys: readonly ApiKeyEntry[];
  maxBodyBytes: number;
  logger: Logger;
  readiness?: () => Promise<string | null>;
  /** The source of "now" for everything that stores or expires things. Default: the system clock. */
  clock?: Clock;
  /** The CSPRNG for tokens, session secrets and codes. Default: WebCrypto's getRandomValues. */
  random?: RandomBytes;
  /** The database; without it the service is stateless (hash/verify only). */
  data?: DataDeps;
  /**
   * Limits failed secret checks per account and client address. Default: in this process's
   * memory with the default rules (createDisabledThrottle() turns it off, by name only).
   */
  throttle?: Throttle;
  /**
   * The request's client address when a body names no `clientIp`: the TCP peer (through trusted
   * proxies) on Node, CF-Connecting-IP on a Worker. Provided by the entry; default: unknown.
   */
  clientAddress?: ClientAddress;
  /**
   * Endpoints this runtime cannot serve (a Worker cannot run background jobs inside a request).
   * They answer 422 `unavailable_here` after authentication and scope checks, with `use` (where
   * to run it instead) in the message and details.
   */
  unavailable?: readonly UnavailableEndpoint[];
  /**
   * Reads a file of the installed swagger-ui-dist (the Node entry): with it /docs serves Swagger UI
   * from this origin under a strict CSP (routes/docs.ts); without it, the CDN-loaded page.
   */
  docsAsset?: (name: DocsAsset) => Promise<Uint8Array | undefined>;
  /** Mutual TLS: the caller named by the request's verified client certificate (src/tls/server.ts). */
  certificateCaller?: (c: Context) => { tenant: string; scope: 'service' | 'admin' } | undefined;
  /** Metrics (the Node entry's prom-client registry, src/metrics.ts); with them, GET /metrics. */
  metrics?: AppMetrics;
  /** The bearer token GET /metrics needs (HASHD_METRICS_TOKEN); unset: no token needed. */
  metricsToken?: string;
}

/** One finished request, as the metrics see it: no path, no body, no header value. */
export interface RequestRecord {
  method: string;
  /** The route template (`/v1/users/:userId/password`), or `unmatched`. */
  route: string;
  status: number;
  seconds: number;
  /** The error code of an error response. */
  error?: string;
  /** Which limit refused a 429 `rate_limited` (throttle/throttle.ts RefusalReason); never a key or an id. */
  refusal?: string;
}

/** The metrics seam: the app reports requests and serves the exposition, nothing more. */
export interface AppMetrics {
  request(record: RequestRecord): void;
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * A caller's X-Request-Id is accepted when it looks like an id (UUIDs, hex, ULIDs, trace ids):
 * anything else could inject text into log lines, so it is replaced by a fresh id.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface UnavailableEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path under /v1, in the route's own syntax (`/admin/wrap`). */
  path: string;
  /** Where it runs instead, e.g. "npx hashd wrap, or the Node service". */
  use: string;
}

export interface DataDeps {
  /**
   * The repositories for one request, failures already translated (store/guard.ts). Called once
   * per request that needs the database, before its body is read, so an entry can open the
   * request's own client (a Worker's Hyperdrive binding in `c.env`) or answer 503
   * `database_unavailable` (throw it) while the database cannot serve.
   */
  repositories(c: Context): Repositories;
  registry: Registry;
  env: SchemeEnv;
  /** Hashes the wrap job computes at once. */
  wrapConcurrency: number;
  /** How long the wrap job's lease lasts without a renewal (default 30 s). */
  wrapLeaseMs?: number;
  /** Session lifetimes (default: DEFAULT_SESSION_SETTINGS). */
  sessions?: SessionSettings;
  /** One-time code lifetimes, attempts and issuance limit (default: DEFAULT_OTP_SETTINGS). */
  otp?: OtpSettings;
  /** The server secret of one-time codes (sessions/otp-secret.ts); without it /v1/otp answers 503 key_unavailable. */
  otpSecret?: Uint8Array | undefined;
  /** The MAC keys of one-time codes (HASHD_KEYS-derived, with key ids); preferred over otpSecret. */
  otpKeys?: OtpKeys | undefined;
  /**
   * Keys and TOTP: the master key ring (HASHD_KEYS, or the dev ring). Without it the Fernet key
   * and TOTP endpoints answer 503 `key_unavailable` naming HASHD_KEYS.
   */
  keyRing?: KeyRing | undefined;
  /** TOTP pending enrolment lifetime (default: DEFAULT_TOTP_SETTINGS). */
  totp?: TotpSettings;
  /**
   * Batched last-login writes (store/login.ts createLoginTimes) for an entry whose database
   * outlives a request (Node). Unset (a Worker, whose client is per request): each valid login
   * writes its time before answering.
   */
  loginTimes?: LoginTimes;
}

/** The codes Hono's own exceptions stand for (a safety net: hashd's middleware answers first). */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  413: 'body_too_large',
  415: 'unsupported_media_type',
};

type V1Schema =
  | ExtractSchema<ReturnType<typeof passwordRoutes>>
  | ExtractSchema<ReturnType<typeof tokenRoutes>>
  | ExtractSchema<ReturnType<typeof userRoutes>>
  | ExtractSchema<ReturnType<typeof transferRoutes>>
  | ExtractSchema<ReturnType<typeof sessionRoutes>>
  | ExtractSchema<ReturnType<typeof otpRoutes>>
  | ExtractSchema<ReturnType<typeof adminRoutes>>
  | ExtractSchema<ReturnType<typeof throttleRoutes>>
  | ExtractSchema<ReturnType<typeof keyRoutes>>
  | ExtractSchema<ReturnType<typeof totpRoutes>>;

/**
 * The whole API's type, for a typed client: `hc<AppType>(baseUrl)` from `hono/client`. The store
 * routes are in it whether or not a database is configured (without one they answer 404).
 */
export type AppType = OpenAPIHono<RouterEnv, ExtractSchema<ReturnType<typeof healthRoutes>> | MergeSchemaPath<V1Schema, '/v1'>, '/'>;

export function createApp(deps: AppDeps): AppType {
  const app = createRouter();
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const throttle = deps.throttle ?? createThrottle({ store: createMemoryThrottleStore(), clock });
  const baseReadiness = deps.readiness ?? (async () => null);
  // Not ready while either the database or the throttle's store cannot serve.
  const readiness = async (): Promise<string | null> => (await baseReadiness()) ?? (await throttle.readiness());
  const random = deps.random ?? cryptoRandomBytes;

  const metrics = deps.metrics;

  app.use(async function requestLog(c, next) {
    const started = performance.now();
    const given = c.req.header('x-request-id');
    // A fresh id is a random UUID's 32 hex digits: crypto.randomUUID draws from a buffered pool,
    // which costs a fraction of a getRandomValues call per request.
    const requestId = given !== undefined && REQUEST_ID.test(given) ? given : crypto.randomUUID().replaceAll('-', '');
    c.set('requestId', requestId);
    // Set before the handler runs, so the response is built with it. Setting a header on a
    // finished response makes Hono copy it into a new one, which on Node turns the body into a
    // stream and costs the fast write path (a third of a small request's CPU).
    c.header('X-Request-Id', requestId);
    await next();
    // Read from the context, never from c.res.headers: on Node that getter turns the response's
    // plain header object into a Headers instance, and the response then leaves by the slow path.
    // (Every response is built through the context, so it carries the prepared X-Request-Id.)
    const routePath = c.req.routePath;
    const matched = routePath !== '/*';
    // A request no route answered ends in a middleware's `/*` (or `/v1/*`): never its raw path,
    // which may hold anything the caller typed.
    const route = routePath.endsWith('*') ? 'unmatched' : routePath;
    const status = c.res.status;
    const seconds = (performance.now() - started) / 1000;
    const fields: Record<string, unknown> = {
      requestId,
      method: c.req.method,
      path: matched ? routePath : c.req.path,
      status,
      ms: Math.round(seconds * 10_000) / 10,
    };
    const tenant = c.get('tenant');
    if (tenant) fields.tenant = tenant;
    const code = c.get('errorCode');
    if (code) fields.error = code;
    const refusal = code === 'rate_limited' ? c.get('refusal') : undefined;
    metrics?.request({ method: c.req.method, route, status, seconds, ...(code && { error: code }), ...(refusal !== undefined && { refusal }) });
    if (status >= 500) logger.error(fields, 'request');
    else logger.info(fields, 'request');
  });

  app.route('/', healthRoutes({ readiness }));
  if (metrics) app.route('/', metricsRoutes({ metrics, ...(deps.metricsToken !== undefined && { token: deps.metricsToken }) }));

  const v1 = createRouter();
  v1.use(apiKeyAuth(deps.apiKeys, deps.certificateCaller));
  // The operator's routes need an admin key; everything else a service key.
  for (const path of ADMIN_PATHS) v1.use(path, requireScope('admin'));
  for (const u of deps.unavailable ?? []) {
    v1.on(u.method, u.path, () => {
      throw new HashdError('unavailable_here', `${u.method} /v1${u.path} does not run here; use ${u.use}`, { details: { endpoint: `${u.method} /v1${u.path}`, use: u.use } });
    });
  }
  v1.route('/', passwordRoutes({ crypt: deps.crypt, maxBodyBytes: deps.maxBodyBytes }));
  v1.route('/', tokenRoutes({ random, maxBodyBytes: deps.maxBodyBytes }));
  const data = deps.data;
  if (data) {
    // One call of the entry's factory per request, however many handlers and gates ask.
    const perRequest = new WeakMap<Request, Repositories>();
    const repositories = (c: Context): Repositories => {
      let repos = perRequest.get(c.req.raw);
      if (repos === undefined) {
        repos = data.repositories(c);
        perRequest.set(c.req.raw, repos);
      }
      return repos;
    };
    const common = { repositories, crypt: deps.crypt };
    const sessionSettings = data.sessions ?? DEFAULT_SESSION_SETTINGS;
    v1.route('/', userRoutes({ ...common, maxBodyBytes: deps.maxBodyBytes, clock, random, sessionSettings, logger, throttle, clientAddress: deps.clientAddress, loginTimes: data.loginTimes }));
    v1.route('/', sessionRoutes({ repositories, clock, random, settings: sessionSettings, maxBodyBytes: deps.maxBodyBytes }));
    v1.route('/', otpRoutes({ repositories, clock, random, settings: data.otp ?? DEFAULT_OTP_SETTINGS, secret: data.otpKeys ?? data.otpSecret, maxBodyBytes: deps.maxBodyBytes, throttle, clientAddress: deps.clientAddress }));
    v1.route('/', transferRoutes(common));
    v1.route('/', keyRoutes({ ...common, keyRing: data.keyRing, clock, randomBytes: random, maxBodyBytes: deps.maxBodyBytes }));
    v1.route('/', totpRoutes({ ...common, keyRing: data.keyRing, clock, randomBytes: random, maxBodyBytes: deps.maxBodyBytes, throttle, clientAddress: deps.clientAddress, settings: data.totp }));
    v1.route('/', adminRoutes({ ...common, clock, registry: data.registry, env: data.env, logger, wrapConcurrency: data.wrapConcurrency, ...(data.wrapLeaseMs !== undefined && { wrapLeaseMs: data.wrapLeaseMs }), maxBodyBytes: deps.maxBodyBytes }));
  }
  v1.route('/', throttleRoutes({ throttle }));
  app.route('/v1', v1);

  // Generated once, from the routes mounted above: the document cannot list a route that does
  // not exist here or miss one that does.
  registerDocumentParts(app);
  const openapi = buildDocument(app, { version: VERSION });
  app.get('/openapi.json', (c) => c.json(openapi));
  if (deps.docsAsset) app.route('/', docsRoutes({ asset: deps.docsAsset }));
  // A runtime that cannot read swagger-ui-dist's files keeps the CDN-loaded page.
  else app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'hashd API' }));

  const respond = (c: Context, error: HashdError): Response => {
    if (error.retryAfter !== undefined) c.header('Retry-After', String(error.retryAfter));
    c.header('x-hashd-error', error.code);
    c.set('errorCode', error.code);
    if (error.code === 'rate_limited') c.set('refusal', refusalReason(error) ?? 'unknown');
    return c.json(error.toJSON(), error.status as 400);
  };

  app.notFound((c) => respond(c, new HashdError('not_found', 'no such endpoint')));

  app.onError((err, c) => {
    let error: HashdError;
    if (isHashdError(err)) error = err;
    else if (err instanceof HTTPException && HTTP_EXCEPTION_CODES[err.status] !== undefined) {
      // Its message may describe the input (a Content-Type, a parse error): a generic one instead.
      error = new HashdError(HTTP_EXCEPTION_CODES[err.status] as ErrorCode, 'the request was refused');
    } else {
      // Only a bug gets here. The message of a foreign error may quote input, so it is logged
      // by class and stack location only, and the caller gets a generic 500.
      logger.error({ err: { name: (err as Error)?.name, stack: (err as Error)?.stack?.split('\n').slice(1, 7).join('\n') } }, 'unhandled error');
      error = new HashdError('internal', 'internal error');
    }
    return respond(c, error);
  });

  return app as unknown as AppType;
}
