/**
 * Export after a database outage, on PGlite and on PostgreSQL (behind a TCP proxy the test
 * stops): when the first page cannot be read the answer is a typed 503 before any header is
 * sent; when a later page fails, the stream is aborted, so a client over HTTP sees an incomplete
 * chunked body (an error), never a clean 200 that silently lacks rows.
 */
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/entry/database-client';
import { createRepositories, type Database, type Repositories } from '../../src/db/index';
import { systemClock } from '../../src/clock';
import { guardRepositories } from '../../src/store/guard';
import { backends, type Backend } from '../db/_backends';
import { KEYS, makeStoreApp, type StoreApp } from './_app';
import { PgProxy } from './_proxy';

/** The export route reads pages of this many rows. */
const PAGE = 2000;
const ROWS = PAGE + 150;

interface Outage {
  database: Database;
  /** Makes every further query fail the way a real outage does. */
  cut(): Promise<void>;
  close(): Promise<void>;
}

async function openWithOutage(backend: Backend): Promise<Outage> {
  if (backend.name === 'pglite') {
    // In memory: the subject is the export's failure handling, not PGlite's files.
    const database = await openDatabase({ dataDir: 'memory://' });
    await database.migrate();
    let closed = false;
    return {
      database,
      cut: async () => {
        closed = true;
        await database.close();
      },
      close: async () => {
        if (!closed) await database.close();
      },
    };
  }
  const options = await backend.create();
  const proxy = await PgProxy.onFreePort();
  await proxy.start();
  const database = await openDatabase({ url: proxy.route(options.url as string), poolMax: 2 });
  await database.migrate();
  return {
    database,
    cut: () => proxy.stop(),
    close: async () => {
      await proxy.stop().catch(() => undefined);
      await database.close().catch(() => undefined);
    },
  };
}

/**
 * The real repositories over the database, whose export cuts the database once `afterRows` rows
 * were handed out (0: before the first page is read).
 */
function cutting(database: Database, outage: Outage, afterRows: number): Repositories {
  const real = createRepositories(database, systemClock);
  return guardRepositories({
    ...real,
    exports: {
      ...real.exports,
      async *exportRows(tenant, options) {
        expect(options.batchSize).toBe(PAGE);
        if (afterRows === 0) await outage.cut();
        let n = 0;
        for await (const row of real.exports.exportRows(tenant, options)) {
          yield row;
          if (++n === afterRows) await outage.cut();
        }
      },
    },
  });
}

async function seed(database: Database): Promise<void> {
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    userId: `user-${String(i).padStart(5, '0')}`,
    hash: '5f4dcc3b5aa765d61d8327deb882cf99',
    scheme: 'hex_md5',
  }));
  await createRepositories(database, systemClock).imports.importBatch('acme', rows, 'skip');
}

/** GET /v1/export over a real HTTP connection: status, headers, and how the body ended. */
function httpExport(port: number): Promise<{ status: number; contentType: string; body: string; complete: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/export', headers: { authorization: `Bearer ${KEYS.acme}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const finish = (error?: string) =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body, complete: res.complete, ...(error && { error }) });
      res.on('end', () => finish());
      res.on('aborted', () => finish('aborted'));
      res.on('error', (err) => finish(err.message));
    });
    req.on('error', reject);
    req.end();
  });
}

async function listen(s: StoreApp): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: s.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, port: info.port }));
  });
}

for (const backend of backends) {
  describe.skipIf(backend.skipReason !== undefined)(`export during an outage (${backend.name})`, { timeout: 180_000 }, () => {
    const opened: Outage[] = [];
    const servers: ServerType[] = [];
    afterAll(async () => {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      for (const o of opened) await o.close();
      await backend.cleanup();
    });

    async function setup(afterRows: number): Promise<{ s: StoreApp; port: number }> {
      const outage = await openWithOutage(backend);
      opened.push(outage);
      await seed(outage.database);
      const repos = cutting(outage.database, outage, afterRows);
      const s = makeStoreApp(outage.database, { repositories: () => repos });
      const { server, port } = await listen(s);
      servers.push(server);
      return { s, port };
    }

    it('exports every row when the database stays up (the control)', async () => {
      const { port } = await setup(-1);
      const res = await httpExport(port);
      expect(res).toMatchObject({ status: 200, complete: true });
      expect(res.body.trim().split('\n')).toHaveLength(ROWS);
    });

    it('answers a typed 503 before any header when the first page fails', async () => {
      const { s, port } = await setup(0);
      const res = await httpExport(port);
      expect(res.status).toBe(503);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'database_unavailable' } });
      expect(res.complete).toBe(true);
      // In process too (the Worker path has no socket to destroy).
      const inProcess = await s.call('/v1/export');
      expect(inProcess.status).toBe(503);
      expect(await inProcess.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    });

    it('aborts the body when a later page fails: the client sees an incomplete response', async () => {
      const { port } = await setup(PAGE);
      const res = await httpExport(port);
      expect(res.status).toBe(200);
      expect(res.complete).toBe(false);
      const lines = res.body.split('\n').filter((l) => l !== '');
      // Every line that arrived whole is a real row; the rows after the failure never arrive.
      expect(lines.length).toBeLessThan(ROWS);
      expect(lines.length).toBeGreaterThan(0);
    });

    it('errors the body stream in process when a later page fails', async () => {
      const outage = await openWithOutage(backend);
      opened.push(outage);
      await seed(outage.database);
      const repos = cutting(outage.database, outage, PAGE);
      const s = makeStoreApp(outage.database, { repositories: () => repos });
      const res = await s.call('/v1/export');
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
    });
  });
}
