/**
 * Moving credentials in and out: a streamed bulk import of legacy dumps and an NDJSON export, so
 * a tenant can always leave with its data.
 */
import { Hono, type Context } from 'hono';
import type { Repositories } from '../db/index';
import { HashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import { importCredentials, type ImportFormat } from '../store/import';
import type { AuthVariables } from './auth';
import type { RouteDoc } from './openapi';
import { importResponse } from './schemas';

export interface TransferRoutesDeps {
  /** The request's repositories (throws 503 database_unavailable when the database cannot serve). */
  repositories: (c: Context) => Repositories;
  crypt: CryptContext;
}

async function* chunks(body: ReadableStream<Uint8Array> | null): AsyncIterable<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export function transferRoutes(deps: TransferRoutesDeps): Hono<{ Variables: AuthVariables }> {
  const { repositories, crypt } = deps;
  const app = new Hono<{ Variables: AuthVariables }>();

  app.post('/import', async (c) => {
    const { imports } = repositories(c);
    const onConflict = c.req.query('onConflict') ?? 'skip';
    if (onConflict !== 'skip' && onConflict !== 'overwrite') throw new HashdError('invalid_request', 'onConflict must be skip or overwrite');
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    const format = (c.req.query('format') ?? (type.startsWith('text/csv') ? 'csv' : 'ndjson')) as ImportFormat;
    if (format !== 'csv' && format !== 'ndjson') throw new HashdError('invalid_request', 'format must be ndjson or csv');
    const summary = await importCredentials({ imports, crypt }, c.get('tenant'), chunks(c.req.raw.body), { format, onConflict });
    return c.json(summary);
  });

  app.get('/export', (c) => {
    const tenant = c.get('tenant');
    const encoder = new TextEncoder();
    const rows = repositories(c).exports.exportRows(tenant, { batchSize: 2000 })[Symbol.asyncIterator]();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await rows.next();
          if (done) {
            controller.close();
            return;
          }
          const line = {
            userId: value.userId,
            hash: value.hash,
            scheme: value.scheme,
            ...(value.salt !== null && { salt: value.salt }),
            ...(value.pgUser !== null && { user: value.pgUser }),
            wrapped: value.wrapped,
          };
          controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
        } catch {
          // Headers are sent already: end the stream abruptly so the client sees a truncated
          // body rather than a silently incomplete export.
          controller.error(new Error('export failed'));
        }
      },
      async cancel() {
        await rows.return?.();
      },
    });
    return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8' } });
  });

  return app;
}

export const transferRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/import',
    tag: 'transfer',
    auth: true,
    summary: 'Import a legacy hash dump (NDJSON or CSV), streamed, in transactional batches',
    description:
      'Body: NDJSON lines `{"userId","hash","salt"?,"user"?}` (Content-Type application/x-ndjson) or CSV with a header row `userId,hash[,salt][,user]` (Content-Type text/csv or `?format=csv`). `?onConflict=skip` (default) never replaces a stored hash; `overwrite` does. Importing the same file twice changes nothing the second time.',
    responses: { 200: { description: 'Counts and the first 100 rejected lines', schema: importResponse } },
    errors: ['invalid_request', 'invalid_utf8', 'unauthorized', 'database_unavailable'],
  },
  {
    method: 'get',
    path: '/v1/export',
    tag: 'transfer',
    auth: true,
    summary: "The tenant's credentials as NDJSON",
    responses: { 200: { description: 'application/x-ndjson: `{"userId","hash","scheme","salt"?,"user"?,"wrapped"}` per line' } },
    errors: ['unauthorized', 'database_unavailable'],
  },
];
