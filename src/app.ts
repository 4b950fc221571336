/**
 * createApp(deps) builds the whole HTTP service from injected dependencies: the CryptContext,
 * configuration, logger and readiness check. Nothing here is runtime-specific, so the Node entry,
 * a Worker entry and the tests build the very same app. Errors become JSON in one place (onError).
 */
import { Hono, type Context } from 'hono';
import { swaggerUI } from '@hono/swagger-ui';
import type { ApiKeyEntry } from './config';
import { HashdError, isHashdError } from './errors';
import type { CryptContext } from './hashing/crypt-context';
import type { Logger } from './logger';
import { apiKeyAuth, requireScope, type AuthVariables } from './routes/auth';
import { healthRouteDocs, healthRoutes } from './routes/health';
import { buildOpenApiDocument, type RouteDoc } from './routes/openapi';
import { passwordRouteDocs, passwordRoutes } from './routes/passwords';
import { adminRouteDocs, adminRoutes } from './routes/admin';
import { transferRouteDocs, transferRoutes } from './routes/transfer';
import { userRouteDocs, userRoutes } from './routes/users';
import { systemClock, type Clock } from './clock';
import type { Repositories } from './db/index';
import type { Registry } from './hashing/registry';
import type { SchemeEnv } from './hashing/scheme';

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
  /** The database; without it the service is stateless (hash/verify only). */
  data?: DataDeps;
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
}

export function createApp(deps: AppDeps): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;

  app.use(async function requestLog(c, next) {
    const started = performance.now();
    await next();
    const fields: Record<string, unknown> = {
      method: c.req.method,
      path: c.req.routePath === '/*' ? c.req.path : c.req.routePath,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    const tenant = c.get('tenant');
    if (tenant) fields.tenant = tenant;
    const code = c.res.headers.get('x-hashd-error');
    if (code) fields.error = code;
    if (c.res.status >= 500) logger.error(fields, 'request');
    else logger.info(fields, 'request');
  });

  app.route('/', healthRoutes({ readiness: deps.readiness ?? (async () => null) }));

  const stored = deps.data;
  const docs: RouteDoc[] = [...healthRouteDocs, ...passwordRouteDocs, ...(stored ? [...userRouteDocs, ...transferRouteDocs, ...adminRouteDocs] : [])];
  const openapi = buildOpenApiDocument(docs, { version: VERSION });
  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'hashd API' }));

  const v1 = new Hono<{ Variables: AuthVariables }>();
  v1.use(apiKeyAuth(deps.apiKeys));
  // The operator's routes need an admin key; everything else a service key.
  for (const path of ADMIN_PATHS) v1.use(path, requireScope('admin'));
  v1.route('/', passwordRoutes({ crypt: deps.crypt, maxBodyBytes: deps.maxBodyBytes }));
  if (stored) {
    const common = { repositories: (c: Context) => stored.repositories(c), crypt: deps.crypt };
    v1.route('/', userRoutes({ ...common, maxBodyBytes: deps.maxBodyBytes }));
    v1.route('/', transferRoutes(common));
    v1.route('/', adminRoutes({ ...common, clock, registry: stored.registry, env: stored.env, logger, wrapConcurrency: stored.wrapConcurrency, maxBodyBytes: deps.maxBodyBytes }));
  }
  app.route('/v1', v1);

  const respond = (c: Context, error: HashdError): Response => {
    if (error.retryAfter !== undefined) c.header('Retry-After', String(error.retryAfter));
    c.header('x-hashd-error', error.code);
    return c.json(error.toJSON(), error.status as 400);
  };

  app.notFound((c) => respond(c, new HashdError('not_found', 'no such endpoint')));

  app.onError((err, c) => {
    let error: HashdError;
    if (isHashdError(err)) error = err;
    else {
      // Only a bug gets here. The message of a foreign error may quote input, so it is logged
      // by class and stack location only, and the caller gets a generic 500.
      logger.error({ err: { name: (err as Error)?.name, stack: (err as Error)?.stack?.split('\n').slice(1, 7).join('\n') } }, 'unhandled error');
      error = new HashdError('internal', 'internal error');
    }
    return respond(c, error);
  });

  return app;
}
