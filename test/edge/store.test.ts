/**
 * The credential store through the Worker: the HYPERDRIVE binding points at a PostgreSQL
 * database of this file's own (migrated as `npx hashd migrate` does), and each request opens its
 * own `postgres` client over it. The cases are the Node store tests that apply on the edge
 * (test/store/store.test.ts): set-password, login with upgrade for every scheme family, unknown
 * users, tenant isolation, a small import (NDJSON and CSV) and export; plus the edge's own:
 * background endpoints answer 422 unavailable_here, /readyz checks the migrations.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVectorFiles, registry, type Vector } from '../helpers';
import { apiKey, createTestDatabase, startWorkers, type TestDatabase } from './_worker';

const KEYS = {
  acme: apiKey('acme:admin', 'hashd_edge_store_acme_admin_key_01'),
  beta: apiKey('beta:admin', 'hashd_edge_store_beta_admin_key_02'),
  acmeService: apiKey('acme', 'hashd_edge_store_acme_service_key_3'),
};

// One reference vector per scheme that the built-in policy accepts without naming it (as the Node test picks them).
const perScheme = new Map<string, Vector>();
for (const file of Object.values(loadVectorFiles())) {
  for (const v of file.vectors) {
    const scheme = registry.get(v.scheme);
    if (!scheme || scheme.plaintext || scheme.ambiguous || v.default_cost || v.params || v.expect === false || v.salt) continue;
    if (!perScheme.has(v.scheme)) perScheme.set(v.scheme, v);
  }
}

let db: TestDatabase;
let empty: TestDatabase;
let workers: Awaited<ReturnType<typeof startWorkers>>;
let worker: { fetch(path: string, init?: RequestInit): Promise<Response> };
let sql: postgres.Sql;

beforeAll(async () => {
  [db, empty] = await Promise.all([createTestDatabase(), createTestDatabase({ migrate: false })]);
  sql = postgres(db.url, { max: 2, onnotice: () => undefined });
  // One workerd for the three configurations: the store, a database that refuses connections
  // (the binding as a plain object, so the Worker's own socket meets the refused port; Miniflare's
  // local Hyperdrive proxy would report the refusal as an uncaught error of the test process),
  // and a database without the migrations.
  workers = await startWorkers({
    store: { databaseUrl: db.url, vars: { HASHD_API_KEYS: Object.values(KEYS).map((k) => k.entry).join(',') } },
    down: { rawHyperdrive: 'postgres://postgres:unused@127.0.0.1:1/nothing', vars: { HASHD_API_KEYS: KEYS.acme.entry } },
    fresh: { databaseUrl: empty.url, vars: { HASHD_API_KEYS: KEYS.acme.entry } },
  });
  // The store's own configuration over HTTP on loopback, the others through their fetchers.
  worker = { fetch: (path, init) => fetch(`${workers.url}${path}`, init) };
}, 300_000);
afterAll(async () => {
  await workers?.close();
  await sql?.end({ timeout: 5 });
  await db?.drop();
  await empty?.drop();
});

function call(path: string, init: RequestInit & { tenant?: keyof typeof KEYS; json?: unknown } = {}): Promise<Response> {
  const { tenant = 'acme', json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set('authorization', `Bearer ${KEYS[tenant].key}`);
  if (json !== undefined) headers.set('content-type', 'application/json');
  if (path.startsWith('/v1/import') && rest.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/x-ndjson');
  return worker.fetch(path, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json), method: rest.method ?? 'POST' }) });
}

function ndjson(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

async function stored(tenant: string, userId: string): Promise<{ hash: string; scheme: string; source: string } | undefined> {
  const rows = await sql<{ hash: string; scheme: string; source: string }[]>`select hash, scheme, source from credentials where tenant = ${tenant} and user_id = ${userId}`;
  return rows[0];
}

describe('the store on the edge (Hyperdrive → PostgreSQL)', () => {
  it('is ready once the migrations are in', async () => {
    expect(await (await worker.fetch('/readyz')).json()).toEqual({ status: 'ready' });
  });

  it('sets a password, logs in, refuses a wrong one, deletes', async () => {
    expect((await call('/v1/users/alice/password', { method: 'PUT', json: { password: 'pw-1' } })).status).toBe(204);
    expect(await (await call('/v1/login', { json: { userId: 'alice', password: 'pw-1' } })).json()).toEqual({ valid: true, upgraded: false });
    expect(await (await call('/v1/login', { json: { userId: 'alice', password: 'pw-2' } })).json()).toEqual({ valid: false, upgraded: false });
    expect((await stored('acme', 'alice'))?.hash).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    expect((await call('/v1/users/alice', { method: 'DELETE' })).status).toBe(204);
    expect(await stored('acme', 'alice')).toBeUndefined();
    expect(await (await call('/v1/login', { json: { userId: 'alice', password: 'pw-1' } })).json()).toEqual({ valid: false, upgraded: false });
    expect(await (await call('/v1/login', { json: { userId: 'nobody', password: 'x' } })).json()).toEqual({ valid: false, upgraded: false });
  });

  it(`imports a small file and upgrades on login for every scheme family (${perScheme.size} schemes)`, async () => {
    expect(perScheme.size).toBeGreaterThanOrEqual(20);
    const rows = [...perScheme.entries()].map(([scheme, v]) => ({ userId: `u-${scheme}`, hash: v.hash, ...(v.user && { user: v.user }) }));
    const imported = await (await call('/v1/import', { method: 'POST', body: ndjson(rows) })).json();
    expect(imported).toEqual({ imported: rows.length, skipped: 0, rejected: 0, errors: [] });
    for (const [scheme, v] of perScheme) {
      const userId = `u-${scheme}`;
      expect((await stored('acme', userId))?.scheme, userId).toBe(scheme);
      // A wrong password first for a few families (every login opens its own connection, so not for all).
      if (['bcrypt', 'md5_crypt', 'pbkdf2_sha256', 'django_pbkdf2_sha256', 'scrypt'].includes(scheme)) {
        expect(await (await call('/v1/login', { json: { userId, password: `X${v.password}` } })).json(), userId).toEqual({ valid: false, upgraded: false });
      }
      const first = (await (await call('/v1/login', { json: { userId, password: v.password } })).json()) as { valid: boolean; upgraded: boolean };
      expect(first, userId).toEqual({ valid: true, upgraded: scheme !== 'argon2id' || first.upgraded });
      const after = await stored('acme', userId);
      if (first.upgraded) expect(after?.hash, userId).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
      else expect(after?.hash, userId).toBe(v.hash);
      expect(after?.source, userId).toBe(first.upgraded ? 'login_upgrade' : 'import');
      // The stored upgrade verifies as current (a stateless verify: every login opens a connection).
      expect(await (await call('/v1/verify', { json: { password: v.password, hash: after?.hash } })).json(), userId).toMatchObject({ valid: true, needsRehash: false });
    }
    expect(await (await call('/v1/login', { json: { userId: 'u-bcrypt', password: perScheme.get('bcrypt')?.password } })).json()).toEqual({ valid: true, upgraded: false });
    const inventory = (await (await call('/v1/admin/inventory')).json()) as { upgradesByDay: { kind: string; count: number }[] };
    expect(inventory.upgradesByDay.find((u) => u.kind === 'login')?.count).toBeGreaterThanOrEqual(perScheme.size - 1);
  }, 240_000);

  it('imports CSV, reports bad rows by line, and exports NDJSON that imports back unchanged', async () => {
    const csv = 'userId,hash\ncsv-1,"$1$38652870$DUjsu4TTlTsOe/xxZ05uf/"\ncsv-2,8743b52063cd84097a65d1633f5c74f5\ncsv-3,not-a-hash\n';
    const res = await call('/v1/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(await res.json()).toMatchObject({ imported: 2, rejected: 1, errors: [{ line: 4, code: 'unknown_hash_format' }] });
    const text = await (await call('/v1/export')).text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { userId: string });
    expect(lines.map((l) => l.userId)).toEqual(expect.arrayContaining(['csv-1', 'csv-2']));
    const again = await (await call('/v1/import', { method: 'POST', body: text })).json();
    expect(again).toEqual({ imported: 0, skipped: lines.length, rejected: 0, errors: [] });
  });

  it('isolates tenants', async () => {
    await call('/v1/users/shared/password', { method: 'PUT', json: { password: 'acme-pw' } });
    expect(await (await call('/v1/login', { tenant: 'beta', json: { userId: 'shared', password: 'acme-pw' } })).json()).toEqual({ valid: false, upgraded: false });
    expect((await call('/v1/users/shared', { tenant: 'beta', method: 'DELETE' })).status).toBe(204);
    expect(await stored('acme', 'shared')).toBeDefined();
    expect(await (await call('/v1/export', { tenant: 'beta' })).text()).toBe('');
    expect((await worker.fetch('/v1/export')).status).toBe(401);
  });

  it('scopes: a service key logs in but cannot import', async () => {
    expect((await call('/v1/users/svc/password', { tenant: 'acmeService', method: 'PUT', json: { password: 'p' } })).status).toBe(204);
    expect(await (await call('/v1/login', { tenant: 'acmeService', json: { userId: 'svc', password: 'p' } })).json()).toEqual({ valid: true, upgraded: false });
    const res = await call('/v1/import', { tenant: 'acmeService', method: 'POST', body: ndjson([{ userId: 'x', hash: '8743b52063cd84097a65d1633f5c74f5' }]) });
    expect(res.status).toBe(403);
  });

  it('answers the background wrap job with 422 unavailable_here pointing at the CLI, and still reports its status', async () => {
    const res = await call('/v1/admin/wrap', { method: 'POST', json: {} });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; message: string; details: { use: string } } };
    expect(body.error.code).toBe('unavailable_here');
    expect(body.error.details.use).toContain('npx hashd wrap');
    // The scope check still comes first, and the status read is a plain query that runs here.
    expect((await call('/v1/admin/wrap', { tenant: 'acmeService', method: 'POST', json: {} })).status).toBe(403);
    expect((await call('/v1/admin/wrap')).status).toBe(404);
  });

  it('answers 503 database_unavailable (and /readyz not ready) when PostgreSQL cannot be reached', async () => {
    const down = workers.fetchers.down as (path: string, init?: RequestInit) => Promise<Response>;
    const res = await down('/v1/login', { method: 'POST', headers: { authorization: `Bearer ${KEYS.acme.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'a', password: 'secret-pw-xyz' }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'database_unavailable' } });
    const ready = await down('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', reason: 'database unreachable' });
    expect(workers.logs.join('\n')).not.toContain('secret-pw-xyz');
  });

  it('is not ready on a database without the migrations', async () => {
    const ready = await (workers.fetchers.fresh as (path: string) => Promise<Response>)('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not_ready', reason: 'migrations not applied (run npx hashd migrate)' });
  });
});
