/**
 * Liveness and readiness. /healthz answers from the event loop alone, so it stays fast while
 * every hashing slot is busy; /readyz asks the injected readiness check (the database, once the
 * store exists).
 */
import { z } from 'zod';
import { createRouter, defineRoute } from './openapi';

export interface HealthDeps {
  /** Resolves to null when ready, or a short reason. Must not throw. */
  readiness: () => Promise<string | null>;
}

const healthResponse = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const readyResponse = z.object({ status: z.literal('ready') }).meta({ id: 'Ready' });
const notReadyResponse = z.object({ status: z.literal('not_ready'), reason: z.string() }).meta({ id: 'NotReady' });

export const healthzRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'The process is up',
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: healthResponse } } } },
  errors: [],
  auth: false,
});

export const readyzRoute = defineRoute({
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Ready to serve (dependencies reachable)',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: readyResponse } } },
    503: { description: 'Not ready; retry later (Retry-After: 1)', content: { 'application/json': { schema: notReadyResponse } } },
  },
  errors: [],
  auth: false,
});

export function healthRoutes(deps: HealthDeps) {
  return createRouter()
    .openapi(healthzRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyzRoute, async (c) => {
      const reason = await deps.readiness().catch(() => 'readiness check failed');
      if (reason === null) return c.json({ status: 'ready' as const }, 200);
      c.header('Retry-After', '1');
      return c.json({ status: 'not_ready' as const, reason }, 503);
    });
}
