/**
 * The store's availability: data survives a restart on PGlite; with PostgreSQL behind a TCP proxy
 * that the test stops and starts (never the machine's shared server), requests that need the
 * database answer 503 database_unavailable with Retry-After, /readyz answers 503, and the service
 * recovers by itself when the database returns — also when it was down at start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { openNodeDatabase, type NodeDatabase } from '../../src/entry/database-node';
import { silentLogger } from '../../src/logger';
import { backends } from '../db/_backends';
import { registry } from '../helpers';
import { makeStoreApp } from './_app';
import { PgProxy as Proxy } from './_proxy';

function configFor(env: Record<string, string>): ReturnType<typeof loadConfig> {
  return loadConfig({ env, registry });
}

describe('PGlite persistence', () => {
  it('keeps credentials across a restart of the service', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hashd-persist-'));
    try {
      const config = configFor({ HASHD_DATA_DIR: join(dir, 'data') });
      const first = await openNodeDatabase(config, silentLogger);
      const a = makeStoreApp(first.database);
      expect((await a.call('/v1/users/persisted/password', { method: 'PUT', json: { password: 'still-here' } })).status).toBe(204);
      await first.close();

      const second = await openNodeDatabase(config, silentLogger);
      const b = makeStoreApp(second.database);
      expect(await (await b.call('/v1/login', { json: { userId: 'persisted', password: 'still-here' } })).json()).toEqual({ valid: true, upgraded: false });
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not reached in time');
}

const pg = backends.find((b) => b.name === 'postgres');

describe.skipIf(pg?.skipReason !== undefined)('PostgreSQL outage', () => {
  const opened: NodeDatabase[] = [];
  const proxies: Proxy[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((d) => d.close().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.stop().catch(() => undefined)));
    await pg?.cleanup();
  });

  async function setup(startProxy: boolean): Promise<{ proxy: Proxy; db: NodeDatabase }> {
    const { url } = await (pg as NonNullable<typeof pg>).create();
    const proxy = await Proxy.onFreePort();
    proxies.push(proxy);
    if (startProxy) await proxy.start();
    const target = new URL(url as string);
    target.port = String(proxy.port);
    const db = await openNodeDatabase(configFor({ DATABASE_URL: target.toString(), HASHD_DB_POOL_MAX: '4' }), silentLogger);
    opened.push(db);
    return { proxy, db };
  }

  it('answers 503 database_unavailable while the database is gone, and recovers by itself', async () => {
    const { proxy, db } = await setup(true);
    const s = makeStoreApp(db.database, { repositories: () => db.repositories(), readiness: () => db.readiness() });
    expect((await s.call('/v1/users/u1/password', { method: 'PUT', json: { password: 'pw' } })).status).toBe(204);
    expect((await s.app.request('/readyz')).status).toBe(200);

    await proxy.stop();
    const login = await s.call('/v1/login', { json: { userId: 'u1', password: 'pw' } });
    expect(login.status).toBe(503);
    expect(login.headers.get('retry-after')).toBe('1');
    expect(await login.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    expect((await s.call('/v1/users/u2/password', { method: 'PUT', json: { password: 'pw' } })).status).toBe(503);
    const ready = await s.app.request('/readyz');
    expect(ready.status).toBe(503);
    // Stateless endpoints keep working.
    expect((await s.call('/v1/hash', { json: { password: 'pw' } })).status).toBe(200);

    await proxy.start();
    await until(async () => (await s.app.request('/readyz')).status === 200);
    await until(async () => (await s.call('/v1/login', { json: { userId: 'u1', password: 'pw' } })).status === 200);
    expect(await (await s.call('/v1/login', { json: { userId: 'u1', password: 'pw' } })).json()).toEqual({ valid: true, upgraded: false });
  });

  it('starts while the database is down, answers 503, and migrates once it appears', async () => {
    const { proxy, db } = await setup(false);
    const s = makeStoreApp(db.database, { repositories: () => db.repositories(), readiness: () => db.readiness() });
    // The entry's repositories are "unavailable" until migrated, and requests fail before reading a body.
    expect(() => db.repositories()).toThrow(expect.objectContaining({ code: 'database_unavailable' }));
    const early = await s.call('/v1/login', { json: { userId: 'x', password: 'pw' } });
    expect(early.status).toBe(503);
    expect(await early.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    expect((await s.app.request('/readyz')).status).toBe(503);
    await proxy.start();
    await until(async () => (await db.readiness()) === null);
    await expect(db.repositories().credentials.get('acme', 'x')).resolves.toBeUndefined();
  });
});
