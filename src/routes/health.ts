/**
 * Liveness and readiness. /healthz answers from the event loop alone, so it stays fast while
 * every hashing slot is busy; /readyz asks the injected readiness check (the database, once the
 * store exists).
 */
import { Hono } from 'hono';
import type { RouteDoc } from './openapi';

export interface HealthDeps {
  /** Resolves to null when ready, or a short reason. Must not throw. */
  readiness: () => Promise<string | null>;
}

export function healthRoutes(deps: HealthDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const reason = await deps.readiness().catch(() => 'readiness check failed');
    if (reason === null) return c.json({ status: 'ready' });
    c.header('Retry-After', '1');
    return c.json({ status: 'not_ready', reason }, 503);
  });
  return app;
}

export const healthRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/healthz', tag: 'health', auth: false, summary: 'The process is up', responses: { 200: { description: 'Up' } } },
  {
    method: 'get',
    path: '/readyz',
    tag: 'health',
    auth: false,
    summary: 'Ready to serve (dependencies reachable)',
    responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready; retry later' } },
  },
];
