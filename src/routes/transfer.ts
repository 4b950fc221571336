/**
 * Moving credentials in and out: a streamed bulk import of legacy dumps and an NDJSON export, so
 * a tenant can always leave with its data.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { CredentialRow, Repositories } from '../db/index';
import type { CryptContext } from '../hashing/crypt-context';
import { importCredentials, type ImportFormat } from '../store/import';
import { acceptedContentType } from './body';
import { createRouter, defineRoute } from './openapi';
import { importResponse } from './schemas';
import { databaseGate } from './users';

export interface TransferRoutesDeps {
  /** The request's repositories (throws 503 database_unavailable when the database cannot serve). */
  repositories: (c: Context) => Repositories;
  crypt: CryptContext;
}

/** The body types an import takes, and the format each one means. */
const IMPORT_TYPES: Record<string, ImportFormat> = {
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'text/csv': 'csv',
};

/** 415 before the body is read unless it is NDJSON or CSV. */
const importContentType: MiddlewareHandler = async function importContentTypeMiddleware(c, next) {
  acceptedContentType(c.req.header('content-type'), Object.keys(IMPORT_TYPES));
  await next();
};

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

export const importRoute = defineRoute({
  method: 'post',
  path: '/import',
  tags: ['transfer'],
  summary: 'Import a legacy hash dump (NDJSON or CSV), streamed, in transactional batches',
  description:
    'Body: NDJSON lines `{"userId","hash","salt"?,"user"?}` (Content-Type application/x-ndjson) or CSV with a header row `userId,hash[,salt][,user]` (Content-Type text/csv). `?format=` overrides what the Content-Type says. `?onConflict=skip` (default) never replaces a stored hash; `overwrite` does. Importing the same file twice changes nothing the second time. Every row passes the checks a verify of it would make; a refused row is listed in `errors` with its line and code (`invalid_json`, `invalid_request` (a missing field, or a string with U+0000 or an unpaired surrogate), `record_too_large` (an NDJSON line over 64 KiB, skipped in bounded memory), `unknown_hash_format`, `malformed_hash`, `scheme_not_allowed`, `hash_cost_exceeds_cap`, `missing_hash_input`) and the import goes on. A CSV record over 64 KiB stops the import with 413 `record_too_large`.',
  request: {
    query: z.object({
      onConflict: z.enum(['skip', 'overwrite']).optional().meta({ description: 'Default skip.' }),
      format: z.enum(['ndjson', 'csv']).optional(),
    }),
    body: {
      required: true,
      content: {
        'application/x-ndjson': { schema: z.string().meta({ description: 'One JSON object per line.' }) },
        'text/csv': { schema: z.string().meta({ description: 'A header row, then one credential per row.' }) },
      },
    },
  },
  responses: { 200: { description: 'Counts and the first 100 rejected lines', content: { 'application/json': { schema: importResponse } } } },
  errors: ['unauthorized', 'forbidden', 'unsupported_media_type', 'invalid_request', 'invalid_utf8', 'record_too_large', 'database_unavailable'],
});

export const exportRoute = defineRoute({
  method: 'get',
  path: '/export',
  tags: ['transfer'],
  summary: "The tenant's credentials as NDJSON",
  responses: {
    200: {
      description: '`{"userId","hash","scheme","salt"?,"user"?,"wrapped"}` per line',
      content: { 'application/x-ndjson': { schema: z.string() } },
    },
  },
  errors: ['unauthorized', 'forbidden', 'database_unavailable'],
});

export function transferRoutes(deps: TransferRoutesDeps) {
  const { repositories, crypt } = deps;
  const database = databaseGate(repositories);
  return createRouter()
    .openapi({ ...importRoute, middleware: [importContentType, database] }, async (c) => {
      const query = c.req.valid('query');
      const type = acceptedContentType(c.req.header('content-type'), Object.keys(IMPORT_TYPES));
      const format = query.format ?? (IMPORT_TYPES[type] as ImportFormat);
      const { imports } = repositories(c);
      const summary = await importCredentials({ imports, crypt }, c.get('tenant'), chunks(c.req.raw.body), { format, onConflict: query.onConflict ?? 'skip' });
      return c.json(summary, 200);
    })
    .openapi({ ...exportRoute, middleware: [database] }, async (c) => {
      const tenant = c.get('tenant');
      const encoder = new TextEncoder();
      const rows = repositories(c).exports.exportRows(tenant, { batchSize: 2000 })[Symbol.asyncIterator]();
      // The first page is read before anything is sent: when the database cannot serve it, the
      // answer is the typed error (503 database_unavailable), not a 200 with an empty body.
      let first: IteratorResult<CredentialRow, unknown> | undefined = await rows.next();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { done, value } = first ?? (await rows.next());
            first = undefined;
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
            // The status line and some rows are sent already. Erroring the stream makes the Node
            // adapter destroy the connection, so the chunked body never gets its final chunk and
            // the client sees an incomplete response instead of a clean, shorter export.
            controller.error(new Error('export failed'));
          }
        },
        async cancel() {
          await rows.return?.();
        },
      });
      // @hono/zod-openapi types a response whose media type contains "json" as JSON, and NDJSON
      // is not: the stream is returned as the untyped body it is.
      return c.body(stream, 200, { 'content-type': 'application/x-ndjson; charset=utf-8' }) as never;
    });
}
