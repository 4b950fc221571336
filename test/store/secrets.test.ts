/**
 * The store's password paths (set-password, login with and without upgrade, unknown users,
 * invalid bodies) never put the password into a log line or a response body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/entry/database-client';
import type { Database } from '../../src/db/index';
import { makeStoreApp, ndjson, type StoreApp } from './_app';

const SECRET = 'St0re-S3cret-\u{1F510}-91ab';

let database: Database;
let s: StoreApp;
beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
  s = makeStoreApp(database);
});
afterAll(async () => {
  await database?.close();
});

describe('secrets stay out of the store paths', () => {
  it('on set-password, login, upgrade, unknown users and bad bodies', async () => {
    const bodies: string[] = [];
    const record = async (res: Response): Promise<void> => {
      bodies.push(await res.text());
      expect(res.status).toBeLessThan(500);
    };
    await record(await s.call('/v1/import', { method: 'POST', body: ndjson([{ userId: 'legacy', hash: '8743b52063cd84097a65d1633f5c74f5' }]) }));
    await record(await s.call('/v1/users/alice/password', { method: 'PUT', json: { password: SECRET } }));
    await record(await s.call('/v1/users/alice/password', { method: 'PUT', json: { password: SECRET.repeat(100) } }));
    await record(await s.call('/v1/users/alice/password', { method: 'PUT', json: { password: SECRET, extra: SECRET } }));
    await record(await s.call('/v1/users/alice/password', { method: 'PUT', body: `{"password":"${SECRET}"` }));
    await record(await s.call('/v1/login', { json: { userId: 'alice', password: SECRET } }));
    await record(await s.call('/v1/login', { json: { userId: 'alice', password: `${SECRET}x` } }));
    await record(await s.call('/v1/login', { json: { userId: 'nobody', password: SECRET } }));
    await record(await s.call('/v1/login', { json: { userId: 'legacy', password: 'hashcat' } }));
    await record(await s.call('/v1/login', { json: { userId: SECRET, password: [SECRET] } }));
    await record(await s.call('/v1/login', { json: { userId: 'alice', password: `${SECRET}\ud800` } }));
    await record(await s.call('/v1/export'));
    const logs = s.logs.join('\n');
    expect(s.logs.length).toBeGreaterThanOrEqual(12);
    for (const haystack of [logs, ...bodies]) {
      expect(haystack).not.toContain(SECRET);
      expect(haystack).not.toContain('St0re-S3cret');
    }
  });
});
