/**
 * Migration administration: start and follow the wrap-upgrade job, and the credential inventory.
 */
import type { Context } from 'hono';
import type { Clock } from '../clock';
import type { Repositories } from '../db/index';
import { HashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import type { Registry } from '../hashing/registry';
import type { SchemeEnv } from '../hashing/scheme';
import type { Logger } from '../logger';
import { buildInventory, type InventoryReport } from '../store/inventory';
import { startWrap, statusOf, WRAP_JOB } from '../store/wrap';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { JSON_BODY_ERRORS } from './passwords';
import { inventoryResponse, wrapRequest, wrapStatusResponse } from './schemas';
import { databaseGate } from './users';

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
  /** How long the wrap job's lease lasts without a renewal. */
  wrapLeaseMs?: number;
  maxBodyBytes: number;
}

export const startWrapRoute = defineRoute({
  method: 'post',
  path: '/admin/wrap',
  tags: ['admin'],
  summary: 'Start (or resume) the wrap-upgrade of weak stored hashes into argon2id',
  description:
    'The body is optional: without one, every accepted scheme that can be wrapped is. One replica at a time runs the job: it holds a lease (HASHD_WRAP_LEASE_SECONDS) renewed with every batch; a second start while the lease holds answers 409 `conflict`, and a job whose replica died is taken over once its lease has run out.',
  request: { body: { required: false, content: { 'application/json': { schema: wrapRequest } } } },
  responses: { 202: { description: 'Started; follow it with GET /v1/admin/wrap', content: { 'application/json': { schema: wrapStatusResponse } } } },
  errors: [...JSON_BODY_ERRORS, 'forbidden', 'conflict', 'database_unavailable'],
});

export const wrapStatusRoute = defineRoute({
  method: 'get',
  path: '/admin/wrap',
  tags: ['admin'],
  summary: 'Progress of the latest wrap job',
  responses: { 200: { description: 'Progress', content: { 'application/json': { schema: wrapStatusResponse } } } },
  errors: ['unauthorized', 'forbidden', 'not_found', 'database_unavailable'],
});

export const inventoryRoute = defineRoute({
  method: 'get',
  path: '/admin/inventory',
  tags: ['admin'],
  summary: 'Stored credentials by scheme and cost, needing a rehash, wrapped, upgrades per day',
  responses: { 200: { description: 'Inventory', content: { 'application/json': { schema: inventoryResponse } } } },
  errors: ['unauthorized', 'forbidden', 'database_unavailable'],
});

export function adminRoutes(deps: AdminRoutesDeps) {
  const { repositories } = deps;
  const database = databaseGate(repositories);
  return createRouter()
    .openapi({ ...startWrapRoute, middleware: [database, jsonBody(deps.maxBodyBytes, { optional: true })] }, async (c) => {
      const body = c.req.valid('json');
      const tenant = c.get('tenant');
      const wrapDeps = { ...repositories(c), crypt: deps.crypt, registry: deps.registry, env: deps.env, clock: deps.clock };
      const { job, done } = await startWrap(wrapDeps, tenant, {
        concurrency: deps.wrapConcurrency,
        ...(deps.wrapLeaseMs !== undefined && { leaseMs: deps.wrapLeaseMs }),
        ...(body.schemes && { schemes: body.schemes }),
      });
      done.then(
        (status) => deps.logger.info({ tenant, job: job.id, processed: status.processed, wrapped: status.wrapped }, 'wrap done'),
        (err: unknown) => deps.logger.error({ tenant, job: job.id, err: { name: (err as Error)?.name, code: (err as { code?: string })?.code } }, 'wrap failed'),
      );
      return c.json(statusOf(job), 202);
    })
    .openapi({ ...wrapStatusRoute, middleware: [database] }, async (c) => {
      const job = await repositories(c).jobs.get(c.get('tenant'), WRAP_JOB);
      if (!job) throw new HashdError('not_found', 'no wrap job has run for this tenant');
      return c.json(statusOf(job), 200);
    })
    .openapi({ ...inventoryRoute, middleware: [database] }, async (c) => {
      const report: InventoryReport = await buildInventory({ ...repositories(c), crypt: deps.crypt }, c.get('tenant'));
      // Keys and TOTP: how many of the tenant's encrypted rows each master ring key id holds.
      const encryptedByRingKey = await repositories(c).ringRows.countByRingKey(c.get('tenant'));
      return c.json({ ...report, encryptedByRingKey } as unknown as Record<string, unknown>, 200);
    });
}
