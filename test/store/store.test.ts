/**
 * The credential store over HTTP, against both backends (PGlite and PostgreSQL): set-password,
 * login with upgrade on login for every scheme family, the login/password-change race, tenant
 * isolation on every endpoint, and export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../db/_backends';
import { loadVectorFiles, registry, type Vector } from '../helpers';
import { ndjson, storeAppOn } from './_app';

// One reference vector per scheme that the built-in policy accepts without naming it.
const perScheme = new Map<string, Vector>();
for (const file of Object.values(loadVectorFiles())) {
  for (const v of file.vectors) {
    const scheme = registry.get(v.scheme);
    if (!scheme || scheme.plaintext || scheme.ambiguous || v.default_cost || v.params || v.expect === false || v.salt) continue;
    if (!perScheme.has(v.scheme)) perScheme.set(v.scheme, v);
  }
}

describe.each(backends)('store on $name', (backend) => {
  const on = storeAppOn(backend);

  it.skipIf(backend.skipReason !== undefined)('sets a password, logs in, refuses a wrong one, deletes', async () => {
    const s = on.s;
    expect((await s.call('/v1/users/alice/password', { method: 'PUT', json: { password: 'pw-1' } })).status).toBe(204);
    expect(await (await s.call('/v1/login', { json: { userId: 'alice', password: 'pw-1' } })).json()).toEqual({ valid: true, upgraded: false });
    expect(await (await s.call('/v1/login', { json: { userId: 'alice', password: 'pw-2' } })).json()).toEqual({ valid: false, upgraded: false });
    const row = await s.repos.credentials.get('acme', 'alice');
    expect(row?.hash).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    expect(row?.lastLoginAt).toBeInstanceOf(Date);
    expect((await s.call('/v1/users/alice', { method: 'DELETE' })).status).toBe(204);
    expect(await s.repos.credentials.get('acme', 'alice')).toBeUndefined();
    expect(await (await s.call('/v1/login', { json: { userId: 'alice', password: 'pw-1' } })).json()).toEqual({ valid: false, upgraded: false });
  });

  it.skipIf(backend.skipReason !== undefined)('answers an unknown user like a wrong password, after a dummy verify', async () => {
    const s = on.s;
    const limiter = (s.crypt as unknown as { limiter: { stats(): { completed: number } } }).limiter;
    await s.call('/v1/login', { json: { userId: 'warmup-nobody', password: 'x' } });
    const before = limiter.stats().completed;
    const res = await s.call('/v1/login', { json: { userId: 'nobody', password: 'x' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ valid: false, upgraded: false });
    expect(limiter.stats().completed - before).toBe(1);
  });

  it.skipIf(backend.skipReason !== undefined)('validates input with typed errors', async () => {
    const s = on.s;
    expect((await s.call('/v1/login', { json: { userId: '', password: 'x' } })).status).toBe(400);
    expect((await s.call('/v1/login', { json: { userId: 'a' } })).status).toBe(400);
    expect((await s.call(`/v1/users/${'u'.repeat(257)}/password`, { method: 'PUT', json: { password: 'x' } })).status).toBe(400);
    expect((await s.call('/v1/users/x/password', { method: 'PUT', json: { password: 'a\ud800' } })).status).toBe(400);
    expect((await s.call('/v1/import?onConflict=replace', { method: 'POST', body: '' })).status).toBe(400);
  });

  it.skipIf(backend.skipReason !== undefined)(`upgrades on login for every scheme family (${perScheme.size} schemes)`, async () => {
    const s = on.s;
    expect(perScheme.size).toBeGreaterThanOrEqual(20);
    for (const family of ['bcrypt', 'md5_crypt', 'phpass', 'pbkdf2_sha256', 'sha512_crypt', 'django_pbkdf2_sha256', 'ldap_salted_sha1']) {
      expect([...perScheme.keys()]).toContain(family);
    }
    const rows = [...perScheme.entries()].map(([scheme, v]) => ({ userId: `u-${scheme}`, hash: v.hash, ...(v.user && { user: v.user }) }));
    const imported = await (await s.call('/v1/import', { method: 'POST', body: ndjson(rows), headers: { 'content-type': 'application/x-ndjson' } })).json();
    expect(imported).toEqual({ imported: rows.length, skipped: 0, rejected: 0, errors: [] });
    for (const [scheme, v] of perScheme) {
      const userId = `u-${scheme}`;
      const stored = await s.repos.credentials.get('acme', userId);
      expect(stored?.scheme, userId).toBe(scheme);
      expect(await (await s.call('/v1/login', { json: { userId, password: `X${v.password}` } })).json(), userId).toEqual({ valid: false, upgraded: false });
      const first = await (await s.call('/v1/login', { json: { userId, password: v.password } })).json();
      expect(first, userId).toEqual({ valid: true, upgraded: scheme !== 'argon2id' || first.upgraded });
      const after = await s.repos.credentials.get('acme', userId);
      if (first.upgraded) expect(after?.hash, userId).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
      else expect(after?.hash, userId).toBe(v.hash);
      expect(after?.source, userId).toBe(first.upgraded ? 'login_upgrade' : 'import');
      expect(await (await s.call('/v1/login', { json: { userId, password: v.password } })).json(), userId).toEqual({ valid: true, upgraded: false });
    }
    const inventory = (await (await s.call('/v1/admin/inventory')).json()) as { upgradesByDay: { kind: string; count: number }[] };
    expect(inventory.upgradesByDay.find((u) => u.kind === 'login')?.count).toBeGreaterThanOrEqual(perScheme.size - 1);
  });

  it.skipIf(backend.skipReason !== undefined)('race: 1,000 concurrent outdated logins against password changes lose no write', async () => {
    const s = on.s;
    const users = Array.from({ length: 100 }, (_, i) => `race-${i}`);
    // Outdated hashes (bcrypt, deprecated) of "old", imported.
    const { hash: old } = await s.crypt.hash('old', { scheme: 'bcrypt' });
    await s.call('/v1/import', { method: 'POST', body: ndjson(users.map((userId) => ({ userId, hash: old }))) });
    const logins = Array.from({ length: 1000 }, (_, i) => s.call('/v1/login', { json: { userId: users[i % users.length], password: 'old' } }));
    const changes = users.map((userId, i) => new Promise((r) => setTimeout(r, i % 10)).then(() => s.call(`/v1/users/${userId}/password`, { method: 'PUT', json: { password: `new-${userId}` } })));
    const [loginResponses, changeResponses] = await Promise.all([Promise.all(logins), Promise.all(changes)]);
    expect(changeResponses.every((r) => r.status === 204)).toBe(true);
    const results = (await Promise.all(loginResponses.map((r) => r.json()))) as { valid: boolean; upgraded: boolean }[];
    expect(loginResponses.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.upgraded).length).toBeLessThanOrEqual(users.length);
    for (const userId of users) {
      const row = await s.repos.credentials.get('acme', userId);
      await expect(s.crypt.verify(`new-${userId}`, row?.hash as string), userId).resolves.toMatchObject({ valid: true });
      await expect(s.crypt.verify('old', row?.hash as string), userId).resolves.toMatchObject({ valid: false });
    }
  });

  it.skipIf(backend.skipReason !== undefined)('isolates tenants on every endpoint', async () => {
    const s = on.s;
    await s.call('/v1/users/shared/password', { method: 'PUT', json: { password: 'acme-pw' } });
    // beta cannot log in as acme's user, delete it, see it in export or inventory, or wrap it.
    expect(await (await s.call('/v1/login', { tenant: 'beta', json: { userId: 'shared', password: 'acme-pw' } })).json()).toEqual({ valid: false, upgraded: false });
    expect((await s.call('/v1/users/shared', { tenant: 'beta', method: 'DELETE' })).status).toBe(204);
    expect(await s.repos.credentials.get('acme', 'shared')).toBeDefined();
    expect(await (await s.call('/v1/export', { tenant: 'beta' })).text()).toBe('');
    expect(await (await s.call('/v1/admin/inventory', { tenant: 'beta' })).json()).toMatchObject({ total: 0, schemes: [] });
    expect((await s.call('/v1/admin/wrap', { tenant: 'beta' })).status).toBe(404);
    // beta's own user of the same id is separate.
    await s.call('/v1/users/shared/password', { tenant: 'beta', method: 'PUT', json: { password: 'beta-pw' } });
    expect(await (await s.call('/v1/login', { json: { userId: 'shared', password: 'acme-pw' } })).json()).toMatchObject({ valid: true });
    expect(await (await s.call('/v1/login', { tenant: 'beta', json: { userId: 'shared', password: 'beta-pw' } })).json()).toMatchObject({ valid: true });
    expect(await (await s.call('/v1/login', { tenant: 'beta', json: { userId: 'shared', password: 'acme-pw' } })).json()).toMatchObject({ valid: false });
    // beta's import with overwrite does not reach acme's row.
    const acmeHash = (await s.repos.credentials.get('acme', 'shared'))?.hash;
    await s.call('/v1/import?onConflict=overwrite', { tenant: 'beta', method: 'POST', body: ndjson([{ userId: 'shared', hash: '8743b52063cd84097a65d1633f5c74f5' }]) });
    expect((await s.repos.credentials.get('acme', 'shared'))?.hash).toBe(acmeHash);
    const betaExport = (await (await s.call('/v1/export', { tenant: 'beta' })).text()).trim().split('\n').map((l) => JSON.parse(l) as { userId: string; hash: string });
    expect(betaExport).toEqual([{ userId: 'shared', hash: '8743b52063cd84097a65d1633f5c74f5', scheme: 'hex_md5', wrapped: false }]);
    // Requests without a key see nothing at all.
    expect((await s.app.request('/v1/export')).status).toBe(401);
  });

  it.skipIf(backend.skipReason !== undefined)('describes the store endpoints in OpenAPI', async () => {
    const s = on.s;
    const doc = (await (await s.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    for (const [path, method] of [
      ['/v1/users/{userId}/password', 'put'],
      ['/v1/users/{userId}', 'delete'],
      ['/v1/login', 'post'],
      ['/v1/import', 'post'],
      ['/v1/export', 'get'],
      ['/v1/admin/wrap', 'post'],
      ['/v1/admin/wrap', 'get'],
      ['/v1/admin/inventory', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
  });

  it.skipIf(backend.skipReason !== undefined)('exports NDJSON that imports back unchanged', async () => {
    const s = on.s;
    const text = await (await s.call('/v1/export')).text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(100);
    const ids = lines.map((l) => l.userId as string);
    expect([...ids].sort()).toEqual(ids);
    const again = await (await s.call('/v1/import', { method: 'POST', body: text })).json();
    expect(again).toEqual({ imported: 0, skipped: lines.length, rejected: 0, errors: [] });
  });
});

describe('key scopes', () => {
  const on = storeAppOn(backends[0] as Backend);

  it.each([
    ['POST', '/v1/admin/wrap'],
    ['GET', '/v1/admin/wrap'],
    ['GET', '/v1/admin/inventory'],
    ['POST', '/v1/import'],
    ['GET', '/v1/export'],
  ])('a service key gets 403 forbidden on %s %s', async (method, path) => {
    const res = await on.s.call(path, { method, tenant: 'acmeService' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('a service key logs in and sets passwords; the admin key of the same tenant reads the inventory', async () => {
    const put = await on.s.call('/v1/users/scoped/password', { method: 'PUT', json: { password: 'pw-scoped' }, tenant: 'acmeService' });
    expect(put.status).toBe(204);
    const login = await on.s.call('/v1/login', { json: { userId: 'scoped', password: 'pw-scoped' }, tenant: 'acmeService' });
    expect(((await login.json()) as { valid: boolean }).valid).toBe(true);
    const inventory = await on.s.call('/v1/admin/inventory', { method: 'GET', tenant: 'acme' });
    expect(inventory.status).toBe(200);
    expect(((await inventory.json()) as { total: number }).total).toBeGreaterThanOrEqual(1);
  });
});
