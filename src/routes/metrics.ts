/**
 * GET /metrics: the Prometheus exposition of the injected metrics. Outside the /v1 API (no API
 * key; Prometheus scrapes with its own credentials): with a metrics token configured
 * (HASHD_METRICS_TOKEN) it needs `Authorization: Bearer <token>`, compared as SHA-256 digests in
 * constant time. Not in the OpenAPI document, which describes the API that callers use.
 */
import { Hono } from 'hono';
import { HashdError } from '../errors';
import { equalBytes } from '../hashing/compare';
import type { AppMetrics } from '../app';

export interface MetricsRouteDeps {
  metrics: AppMetrics;
  /** The bearer token /metrics needs; unset: open (bind the service to a private network). */
  token?: string;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

export function metricsRoutes(deps: MetricsRouteDeps): Hono {
  const app = new Hono();
  const expected = deps.token === undefined || deps.token === '' ? undefined : sha256(deps.token);
  app.get('/metrics', async function metrics(c) {
    if (expected) {
      const header = c.req.header('authorization') ?? '';
      const presented = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
      if (!equalBytes(await sha256(presented), await expected)) {
        c.header('WWW-Authenticate', 'Bearer realm="hashd metrics"');
        throw new HashdError('unauthorized', 'GET /metrics needs the metrics bearer token');
      }
    }
    const { contentType, body } = await deps.metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
  return app;
}
