/**
 * Fernet keys as a service over HTTP, on PGlite and PostgreSQL: create/import, rotate, retire,
 * encrypt/decrypt/rewrap, ttl with an injected clock, export and delete with the admin scope,
 * tenant isolation, and no plaintext, token or key material in logs or error bodies.
 */
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index';
import { fernetKeyVersions } from '../../src/db/schema-keys';
import { decodeFernetKey, fernetDecrypt, importFernetKey } from '../../src/keys/fernet';
import { createKeyRing, newRingEntry, parseRingKeys, type KeyRing } from '../../src/keys/ring';
import { backends, manualClock, openFresh } from '../db/_backends';
import { makeStoreApp, type StoreApp } from '../store/_app';
import python from '../vectors/fernet/python.json';

const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
export async function testRing(...ids: string[]): Promise<KeyRing> {
  return createKeyRing(parseRingKeys(ids.map((id) => newRingEntry(id, csprng)).join(','), []), csprng);
}
const timestampOf = (token: string): number => Number(Buffer.from(token, 'base64url').readBigUInt64BE(1));

describe.each(backends)('Fernet keys on $name', (backend) => {
  let database: Database;
  let s: StoreApp;
  const clock = manualClock('2026-01-01T00:00:00Z');
  beforeAll(async () => {
    if (backend.skipReason) return;
    database = await openFresh(backend);
    s = makeStoreApp(database, { keyRing: await testRing('k1'), clock: clock.now });
  });
  afterAll(async () => {
    await database?.close();
    await backend.cleanup();
  });

  const post = async (path: string, json: unknown, tenant: 'acme' | 'beta' | 'acmeService' = 'acme') => {
    const res = await s.call(path, { json, tenant });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const get = async (path: string, tenant: 'acme' | 'beta' | 'acmeService' = 'acme') => {
    const res = await s.call(path, { tenant });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it.skipIf(backend.skipReason)('creates, lists and describes keys without key material', async () => {
    expect(await post('/v1/keys', { name: 'app-secrets' })).toEqual({ status: 201, body: { name: 'app-secrets', version: 1 } });
    expect((await post('/v1/keys', { name: 'app-secrets' })).body.error.code).toBe('conflict');
    expect((await post('/v1/keys', { name: 'bad name!' })).status).toBe(400);
    expect((await post('/v1/keys', { name: 'x', unknown: 1 })).status).toBe(400);
    const list = await get('/v1/keys');
    expect(list.body.keys.map((k: { name: string }) => k.name)).toEqual(['app-secrets']);
    const one = await get('/v1/keys/app-secrets');
    expect(one.body).toMatchObject({ name: 'app-secrets', latestVersion: 1, minDecryptionVersion: 1, exportable: false, versions: [{ version: 1, createdAt: '2026-01-01T00:00:00.000Z' }] });
    expect(JSON.stringify(one.body)).not.toMatch(/sealed|ring|key"/i);
    expect((await get('/v1/keys/missing')).body.error.code).toBe('not_found');
  });

  it.skipIf(backend.skipReason)('encrypts text and bytes to Fernet tokens and decrypts them', async () => {
    const enc = await post('/v1/keys/app-secrets/encrypt', { plaintext: 'refresh-token-Ωmega' });
    expect(enc.status).toBe(200);
    expect(enc.body.version).toBe(1);
    expect(timestampOf(enc.body.token)).toBe(Date.parse('2026-01-01T00:00:00Z') / 1000);
    expect(await post('/v1/keys/app-secrets/decrypt', { token: enc.body.token })).toEqual({ status: 200, body: { plaintext: 'refresh-token-Ωmega' } });
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64');
    const encB = await post('/v1/keys/app-secrets/encrypt', { plaintextBase64: binary });
    expect((await post('/v1/keys/app-secrets/decrypt', { token: encB.body.token })).body).toEqual({ plaintextBase64: binary });
    expect((await post('/v1/keys/app-secrets/encrypt', { plaintextBase64: 'not base64!' })).body.error.code).toBe('invalid_request');
    expect((await post('/v1/keys/app-secrets/encrypt', { plaintext: 'a', plaintextBase64: 'YQ==' })).status).toBe(400);
    expect((await post('/v1/keys/app-secrets/encrypt', { plaintext: 5 })).status).toBe(400);
  });

  it.skipIf(backend.skipReason)('refuses tampered, truncated, malformed and foreign tokens with 422 invalid_token', async () => {
    const { token } = (await post('/v1/keys/app-secrets/encrypt', { plaintext: 'x' })).body;
    await post('/v1/keys', { name: 'other' });
    const foreign = (await post('/v1/keys/other/encrypt', { plaintext: 'x' })).body.token;
    const bytes = Buffer.from(token, 'base64url');
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] as number) ^ 1;
    for (const bad of [bytes.toString('base64url'), token.slice(0, -10), 'garbage', foreign, `${token}AAAA`]) {
      const res = await post('/v1/keys/app-secrets/decrypt', { token: bad });
      expect(res).toMatchObject({ status: 422, body: { error: { code: 'invalid_token' } } });
    }
    expect((await post('/v1/keys/app-secrets/decrypt', { token: 12345 })).status).toBe(400);
    expect((await post('/v1/keys/app-secrets/decrypt', { token: '' })).status).toBe(400);
  });

  it.skipIf(backend.skipReason)('honours ttlSeconds and the 60 s clock skew with the injected clock', async () => {
    clock.set('2026-01-02T00:00:00Z');
    const { token } = (await post('/v1/keys/app-secrets/encrypt', { plaintext: 'fresh' })).body;
    clock.set('2026-01-02T00:01:40Z');
    expect((await post('/v1/keys/app-secrets/decrypt', { token, ttlSeconds: 60 })).body.error.code).toBe('token_expired');
    expect((await post('/v1/keys/app-secrets/decrypt', { token, ttlSeconds: 100 })).body).toEqual({ plaintext: 'fresh' });
    expect((await post('/v1/keys/app-secrets/decrypt', { token })).body).toEqual({ plaintext: 'fresh' });
    clock.set('2026-01-01T23:58:59Z');
    expect((await post('/v1/keys/app-secrets/decrypt', { token })).body.error.code).toBe('invalid_token');
    clock.set('2026-01-01T23:59:00Z');
    expect((await post('/v1/keys/app-secrets/decrypt', { token })).body).toEqual({ plaintext: 'fresh' });
    expect((await post('/v1/keys/app-secrets/decrypt', { token, ttlSeconds: 0 })).status).toBe(400);
    clock.set('2026-01-03T00:00:00Z');
  });

  it.skipIf(backend.skipReason)('rotates, rewraps keeping the timestamp, and retires old versions', async () => {
    clock.set('2026-01-03T00:00:00Z');
    const old = (await post('/v1/keys/app-secrets/encrypt', { plaintext: 'v1 secret' })).body.token;
    clock.set('2026-01-04T00:00:00Z');
    expect(await post('/v1/keys/app-secrets/rotate', {})).toEqual({ status: 200, body: { name: 'app-secrets', version: 2 } });
    const fresh = await post('/v1/keys/app-secrets/encrypt', { plaintext: 'v2 secret' });
    expect(fresh.body.version).toBe(2);
    expect((await post('/v1/keys/app-secrets/decrypt', { token: old })).body).toEqual({ plaintext: 'v1 secret' });
    const rewrapped = await post('/v1/keys/app-secrets/rewrap', { token: old });
    expect(rewrapped.body.version).toBe(2);
    expect(timestampOf(rewrapped.body.token)).toBe(timestampOf(old));
    expect(rewrapped.body.token).not.toBe(old);
    expect((await post('/v1/keys/app-secrets/rewrap', { token: 'garbage' })).body.error.code).toBe('invalid_token');

    const patched = await s.call('/v1/keys/app-secrets', { method: 'PATCH', json: { minDecryptionVersion: 2 } });
    expect(((await patched.json()) as { minDecryptionVersion: number }).minDecryptionVersion).toBe(2);
    expect((await post('/v1/keys/app-secrets/decrypt', { token: old })).body.error.code).toBe('invalid_token');
    expect((await post('/v1/keys/app-secrets/decrypt', { token: rewrapped.body.token })).body).toEqual({ plaintext: 'v1 secret' });
    const tooHigh = await s.call('/v1/keys/app-secrets', { method: 'PATCH', json: { minDecryptionVersion: 3 } });
    expect(tooHigh.status).toBe(400);
    expect((await get('/v1/keys/app-secrets')).body.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
  });

  it.skipIf(backend.skipReason)('imports Python keys, reads Python tokens, and exports them for MultiFernet (admin scope)', async () => {
    const k1 = python.tokens[0]!.key;
    const k2 = python.rotated[0]!.newKey;
    expect(await post('/v1/keys', { name: 'py', exportable: true, fernetKeys: [k1, k2] })).toEqual({ status: 201, body: { name: 'py', version: 2 } });
    for (const t of python.tokens) {
      const res = await post('/v1/keys/py/decrypt', { token: t.token });
      const got = res.body.plaintext !== undefined ? Buffer.from(res.body.plaintext, 'utf8') : Buffer.from(res.body.plaintextBase64, 'base64');
      expect(got.toString('base64')).toBe(t.plaintextBase64);
    }
    const exported = await get('/v1/keys/py/export');
    expect(exported.body).toEqual({ name: 'py', keys: [{ version: 1, key: k1 }, { version: 2, key: k2 }] });
    // A hashd token decrypts with the exported newest key, as Python's MultiFernet would.
    const { token } = (await post('/v1/keys/py/encrypt', { plaintext: 'to python' })).body;
    const opened = await fernetDecrypt([await importFernetKey(decodeFernetKey(k2)!)], token, {});
    expect(opened.ok && new TextDecoder().decode(opened.plaintext)).toBe('to python');

    expect((await get('/v1/keys/py/export', 'acmeService')).body.error.code).toBe('forbidden');
    expect((await get('/v1/keys/app-secrets/export')).body.error.code).toBe('key_not_exportable');
    expect((await post('/v1/keys', { name: 'bad-import', fernetKeys: ['not-a-key'] })).body.error.code).toBe('invalid_request');
    expect((await post('/v1/keys', { name: 'bad-import', fernetKeys: [] })).status).toBe(400);
    expect((await get('/v1/keys/bad-import')).status).toBe(404);
  });

  it.skipIf(backend.skipReason)('deletes only with the admin scope and a confirmation naming the key', async () => {
    await post('/v1/keys', { name: 'doomed' });
    const del = (json: unknown, tenant: 'acme' | 'acmeService' = 'acme') => s.call('/v1/keys/doomed', { method: 'DELETE', json, tenant });
    expect((await del({ confirm: 'doomed' }, 'acmeService')).status).toBe(403);
    const unconfirmed = await del({ confirm: 'other' });
    expect(unconfirmed.status).toBe(400);
    expect(((await unconfirmed.json()) as { error: { code: string } }).error.code).toBe('confirmation_required');
    expect((await s.call('/v1/keys/doomed', { method: 'DELETE' })).status).toBe(415);
    expect((await del({ confirm: 'doomed' })).status).toBe(204);
    expect((await get('/v1/keys/doomed')).status).toBe(404);
    expect((await del({ confirm: 'doomed' })).status).toBe(404);
  });

  it.skipIf(backend.skipReason)('keeps tenants apart: names, keys and tokens', async () => {
    const acmeToken = (await post('/v1/keys/app-secrets/encrypt', { plaintext: 'acme only' })).body.token;
    expect((await get('/v1/keys', 'beta')).body.keys).toEqual([]);
    expect((await get('/v1/keys/app-secrets', 'beta')).status).toBe(404);
    expect((await post('/v1/keys/app-secrets/decrypt', { token: acmeToken }, 'beta')).status).toBe(404);
    expect((await post('/v1/keys', { name: 'app-secrets' }, 'beta')).status).toBe(201);
    expect((await post('/v1/keys/app-secrets/decrypt', { token: acmeToken }, 'beta')).body.error.code).toBe('invalid_token');
    // A sealed key version copied into the other tenant's row does not open there (associated data).
    const [acmeV1] = await database.db.select().from(fernetKeyVersions).where(and(eq(fernetKeyVersions.tenant, 'acme'), eq(fernetKeyVersions.name, 'app-secrets'), eq(fernetKeyVersions.version, 1)));
    await database.db
      .update(fernetKeyVersions)
      .set({ sealed: acmeV1!.sealed, ringKeyId: acmeV1!.ringKeyId })
      .where(and(eq(fernetKeyVersions.tenant, 'beta'), eq(fernetKeyVersions.name, 'app-secrets')));
    const moved = await post('/v1/keys/app-secrets/encrypt', { plaintext: 'x' }, 'beta');
    expect(moved).toMatchObject({ status: 503, body: { error: { code: 'key_unavailable' } } });
  });

  it.skipIf(backend.skipReason)('answer 503 key_unavailable naming HASHD_KEYS without a master key ring', async () => {
    const res = await makeStoreApp(database).call('/v1/keys', { json: { name: 'k' } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('key_unavailable');
    expect(body.error.message).toContain('HASHD_KEYS');
  });

  it.skipIf(backend.skipReason)('never logs or echoes plaintext, tokens or key material', async () => {
    const plaintext = 'very-secret-plaintext-4242';
    const { token } = (await post('/v1/keys/py/encrypt', { plaintext })).body;
    await post('/v1/keys/py/decrypt', { token });
    const bad = await post('/v1/keys/py/decrypt', { token: `${token.slice(0, -6)}AAAAAA` });
    const exported = (await get('/v1/keys/py/export')).body.keys.map((k: { key: string }) => k.key);
    const errorBodies = JSON.stringify([bad.body, (await post('/v1/keys/missing/decrypt', { token })).body, (await post('/v1/keys/py/decrypt', { token, extra: plaintext })).body]);
    const logs = s.logs.join('\n');
    for (const secret of [plaintext, token, token.slice(10, 40), ...exported, ...python.tokens.map((t) => t.token)]) {
      expect(logs).not.toContain(secret);
      expect(errorBodies).not.toContain(secret);
    }
  });
});
