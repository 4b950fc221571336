/**
 * Migration administration: start and follow the wrap-upgrade job, and the credential inventory.
 */
import { Hono, type Context } from 'hono';
import type { Clock } from '../clock';
import type { Repositories } from '../db/index';
import { HashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import type { Registry } from '../hashing/registry';
import type { SchemeEnv } from '../hashing/scheme';
import type { Logger } from '../logger';
import { buildInventory } from '../store/inventory';
import { startWrap, statusOf, WRAP_JOB } from '../store/wrap';
import type { AuthVariables } from './auth';
import { readJson } from './body';
import type { RouteDoc } from './openapi';
import { inventoryResponse, wrapRequest, wrapStatusResponse } from './schemas';

export interface AdminRoutesDeps {
  /** The request's repositories (throws 503 database_unavailable when the database cannot serve). */
  repositories: (c: Context) => Repositories;
  clock: Clock;
  crypt: CryptContext;
  registry: Registry;
  env: SchemeEnv;
  logger: Logger;
  /** Hashes the wrap job computes at once (the service uses its hashing concurrency). */
  wrapConcurrency: number;
  maxBodyBytes: number;
}

export function adminRoutes(deps: AdminRoutesDeps): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/admin/wrap', async (c) => {
    const repos = deps.repositories(c);
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    const body = hasBody ? await readJson(c, wrapRequest, deps.maxBodyBytes) : {};
    const tenant = c.get('tenant');
    const { job, done } = await startWrap({ ...repos, crypt: deps.crypt, registry: deps.registry, env: deps.env, clock: deps.clock }, tenant, { concurrency: deps.wrapConcurrency, ...(body.schemes && { schemes: body.schemes }) });
    done.then(
      (status) => deps.logger.info({ tenant, job: job.id, processed: status.processed, wrapped: status.wrapped }, 'wrap done'),
      (err: unknown) => deps.logger.error({ tenant, job: job.id, err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'wrap failed'),
    );
    return c.json(statusOf(job), 202);
  });

  app.get('/admin/wrap', async (c) => {
    const job = await deps.repositories(c).jobs.get(c.get('tenant'), WRAP_JOB);
    if (!job) throw new HashdError('not_found', 'no wrap job has run for this tenant');
    return c.json(statusOf(job));
  });

  app.get('/admin/inventory', async (c) => c.json(await buildInventory({ ...deps.repositories(c), crypt: deps.crypt }, c.get('tenant'))));

  return app;
}

export const adminRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/admin/wrap',
    tag: 'admin',
    auth: true,
    summary: 'Start (or resume) the wrap-upgrade of weak stored hashes into argon2id',
    request: wrapRequest,
    responses: { 202: { description: 'Started; follow it with GET /v1/admin/wrap', schema: wrapStatusResponse } },
    errors: ['invalid_request', 'conflict', 'unauthorized', 'database_unavailable'],
  },
  {
    method: 'get',
    path: '/v1/admin/wrap',
    tag: 'admin',
    auth: true,
    summary: 'Progress of the latest wrap job',
    responses: { 200: { description: 'Progress', schema: wrapStatusResponse } },
    errors: ['not_found', 'unauthorized', 'database_unavailable'],
  },
  {
    method: 'get',
    path: '/v1/admin/inventory',
    tag: 'admin',
    auth: true,
    summary: 'Stored credentials by scheme and cost, needing a rehash, wrapped, upgrades per day',
    responses: { 200: { description: 'Inventory', schema: inventoryResponse } },
    errors: ['unauthorized', 'database_unavailable'],
  },
];
