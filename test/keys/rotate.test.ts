/**
 * Master ring rotation on PGlite and PostgreSQL: rows under an old key id are re-sealed under the
 * first key in small batches, then that id can leave the ring; a row whose key id was removed
 * before rotating fails with a clear key_unavailable, is reported, and never decrypts wrongly.
 * Also `hashd keys rotate` end to end on a PGlite data directory.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock';
import { createRepositories, type Database, type Repositories } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { createKeyRing, newRingEntry, parseRingKeys, type KeyRing } from '../../src/keys/ring';
import { rotateRing, unreadableRows } from '../../src/keys/rotate';
import { backends, openFresh } from '../db/_backends';
import { makeStoreApp } from '../store/_app';

const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const ringOf = (entries: string[]): Promise<KeyRing> => createKeyRing(parseRingKeys(entries.join(','), []), csprng);

describe.each(backends)('ring rotation on $name', (backend) => {
  let database: Database;
  let repos: Repositories;
  const k1 = newRingEntry('k1', csprng);
  const k2 = newRingEntry('k2', csprng);
  const k0 = newRingEntry('k0', csprng);
  beforeAll(async () => {
    if (backend.skipReason) return;
    database = await openFresh(backend);
    repos = createRepositories(database, systemClock);
  });
  afterAll(async () => {
    await database?.close();
    await backend.cleanup();
  });

  it.skipIf(backend.skipReason)('re-seals rows under old key ids in batches, keeps them readable, and reports counts per key id', async () => {
    const old = makeStoreApp(database, { keyRing: await ringOf([k1]) });
    for (const tenant of ['acme', 'beta'] as const) {
      for (let i = 0; i < 3; i++) expect((await old.call('/v1/keys', { tenant, json: { name: `key-${i}` } })).status).toBe(201);
      await old.call('/v1/keys/key-0/rotate', { tenant, json: {} });
      await old.call('/v1/totp/enroll', { tenant, json: { userId: 'u1', issuer: 'I', accountName: 'a' } });
    }
    const tokens = await Promise.all([0, 1, 2].map(async (i) => ((await (await old.call(`/v1/keys/key-${i}/encrypt`, { json: { plaintext: `p${i}` } })).json()) as { token: string }).token));
    expect((await repos.ringRows.countByRingKey()).map((c) => [c.slot, c.ringKeyId, c.count])).toEqual([
      ['fernet_key_versions', 'k1', 8],
      ['totp_credentials.pending', 'k1', 2],
    ]);

    const ring = await ringOf([k2, k1]);
    const progress: number[] = [];
    const result = await rotateRing({ ring, rows: repos.ringRows }, { batchSize: 3, onProgress: (p) => progress.push(p.done) });
    expect(result).toMatchObject({ rewritten: 10, unavailable: 0, failed: 0 });
    expect(progress).toEqual([3, 6, 8, 10]);
    expect(result.counts.map((c) => [c.slot, c.ringKeyId, c.count])).toEqual([
      ['fernet_key_versions', 'k2', 8],
      ['totp_credentials.pending', 'k2', 2],
    ]);
    // Nothing left to do: a second run finds no row (this is also how a stopped run resumes).
    expect(await rotateRing({ ring, rows: repos.ringRows })).toMatchObject({ rewritten: 0 });

    // k1 can now leave the ring: everything still decrypts.
    const fresh = makeStoreApp(database, { keyRing: await ringOf([k2]) });
    for (const [i, token] of tokens.entries()) {
      expect(await (await fresh.call(`/v1/keys/key-${i}/decrypt`, { json: { token } })).json()).toEqual({ plaintext: `p${i}` });
    }
    const inventory = (await (await fresh.call('/v1/admin/inventory')).json()) as { encryptedByRingKey: unknown };
    expect(inventory.encryptedByRingKey).toEqual([
      { slot: 'fernet_key_versions', ringKeyId: 'k2', count: 4 },
      { slot: 'totp_credentials.pending', ringKeyId: 'k2', count: 1 },
    ]);
  });

  it.skipIf(backend.skipReason)('a row whose key id was removed from the ring fails with key_unavailable, is counted, and is left alone', async () => {
    const early = makeStoreApp(database, { keyRing: await ringOf([k0]) });
    expect((await early.call('/v1/keys', { json: { name: 'orphan' } })).status).toBe(201);
    const ring = await ringOf([k2]);
    expect(await unreadableRows(ring, repos.ringRows)).toEqual({ total: 1, byKeyId: { k0: 1 } });
    const app = makeStoreApp(database, { keyRing: ring });
    const res = await app.call('/v1/keys/orphan/encrypt', { json: { plaintext: 'x' } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string; details: { keyId: string } } };
    expect(body.error).toMatchObject({ code: 'key_unavailable', details: { keyId: 'k0' } });
    expect(body.error.message).toContain('HASHD_KEYS');
    // Other keys are unaffected.
    expect((await app.call('/v1/keys/key-1/encrypt', { json: { plaintext: 'x' } })).status).toBe(200);
    const result = await rotateRing({ ring, rows: repos.ringRows });
    expect(result).toMatchObject({ rewritten: 0, unavailable: 1, failed: 0 });
    expect(result.counts.find((c) => c.ringKeyId === 'k0')?.count).toBe(1);
    // With k0 back in the ring (after k2), rotation moves it and it reads again.
    const healed = await rotateRing({ ring: await ringOf([k2, k0]), rows: repos.ringRows });
    expect(healed).toMatchObject({ rewritten: 1, unavailable: 0 });
    expect((await app.call('/v1/keys/orphan/encrypt', { json: { plaintext: 'x' } })).status).toBe(200);
  });
});

describe('hashd keys rotate (CLI)', () => {
  it('rotates a PGlite data directory and prints rows per key id', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'hashd-rotate-')), 'data');
    const k1 = newRingEntry('k1', csprng);
    const k2 = newRingEntry('k2', csprng);
    const database = await openDatabase({ dataDir });
    await database.migrate();
    const app = makeStoreApp(database, { keyRing: await ringOf([k1]) });
    for (let i = 0; i < 5; i++) await app.call('/v1/keys', { json: { name: `n${i}` } });
    await database.close();
    const bin = new URL('../../bin/hashd.cjs', import.meta.url).pathname;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'keys', 'rotate', '--batch', '2'], {
      env: { ...process.env, DATABASE_URL: '', HASHD_DATA_DIR: dataDir, HASHD_KEYS: `${k2},${k1}`, HASHD_API_KEYS: '' },
    });
    expect(stderr).toContain('rotating to ring key "k2"');
    expect(stderr).toContain('5/5 rows');
    expect(JSON.parse(stdout)).toMatchObject({ primary: 'k2', rewritten: 5, unavailable: 0, failed: 0, rowsByRingKey: { k2: 5 } });
    expect(stdout + stderr).not.toContain(k1.slice(3));
    expect(stdout + stderr).not.toContain(k2.slice(3));
    // Two PGlite opens and a CLI process start: minutes on a loaded 2-core machine.
  }, 240_000);
});
