import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { loadNodeKeyRing } from '../../src/entry/keyring-node';
import { isHashdError } from '../../src/errors';
import { createKeyRing, newRingEntry, parseRingKeys, type KeyRing } from '../../src/keys/ring';
import { registry } from '../helpers';

const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const where = { tenant: 'acme', table: 'totp', rowId: 'alice' };
const secret = new TextEncoder().encode('JBSWY3DPEHPK3PXP seed bytes');

async function ring(value: string): Promise<KeyRing> {
  const issues: string[] = [];
  const entries = parseRingKeys(value, issues);
  expect(issues).toEqual([]);
  return createKeyRing(entries, csprng);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isHashdError(err)) return `${err.status} ${err.code}`;
    throw err;
  }
  return 'resolved';
}

describe('master key ring', () => {
  const k1 = newRingEntry('k1', csprng);
  const k2 = newRingEntry('k2', csprng);

  it('seals under the first key and opens what it sealed', async () => {
    const r = await ring(`${k2},${k1}`);
    expect(r.ids).toEqual(['k2', 'k1']);
    const sealed = await r.seal(secret, where);
    expect(sealed.keyId).toBe('k2');
    expect(sealed.blob).not.toContain('JBSWY3DP');
    expect(await r.open(sealed, where)).toEqual(secret);
    // A fresh IV every time: the same plaintext never seals to the same blob.
    expect((await r.seal(secret, where)).blob).not.toBe(sealed.blob);
  });

  it('opens rows written under an older key while that key is still listed', async () => {
    const old = await ring(k1);
    const sealed = await old.seal(secret, where);
    const rotated = await ring(`${k2},${k1}`);
    expect(await rotated.open(sealed, where)).toEqual(secret);
  });

  it('refuses a blob moved to another tenant, table or row (associated data)', async () => {
    const r = await ring(k1);
    const sealed = await r.seal(secret, where);
    for (const other of [
      { ...where, tenant: 'beta' },
      { ...where, table: 'fernet_key_versions' },
      { ...where, rowId: 'bob' },
    ]) {
      expect(await codeOf(r.open(sealed, other))).toBe('503 key_unavailable');
    }
  });

  it('answers key_unavailable for a key id that is no longer in the ring, and for a tampered blob', async () => {
    const sealed = await (await ring(k1)).seal(secret, where);
    expect(await codeOf((await ring(k2)).open(sealed, where))).toBe('503 key_unavailable');
    const r = await ring(k1);
    const bytes = Buffer.from(sealed.blob, 'base64');
    bytes[20] = (bytes[20] as number) ^ 1;
    expect(await codeOf(r.open({ keyId: 'k1', blob: bytes.toString('base64') }, where))).toBe('503 key_unavailable');
    expect(await codeOf(r.open({ keyId: 'k1', blob: '!!!' }, where))).toBe('503 key_unavailable');
  });

  it('derives a stable 32-byte key per purpose from the first key', async () => {
    const r = await ring(`${k2},${k1}`);
    const a = await r.deriveKey('sessions/otp');
    expect(a.length).toBe(32);
    expect(await r.deriveKey('sessions/otp')).toEqual(a);
    expect(await r.deriveKey('other')).not.toEqual(a);
    expect(await (await ring(k2)).deriveKey('sessions/otp')).toEqual(a);
    const all = await r.deriveKeys('sessions/otp');
    expect(all.map((d) => d.keyId)).toEqual(['k2', 'k1']);
    expect(all[0]?.key).toEqual(a);
    expect(all[1]?.key).toEqual(await (await ring(k1)).deriveKey('sessions/otp'));
  });

  it('parses url-safe or standard base64 and reports bad entries without echoing them', () => {
    const issues: string[] = [];
    const raw = Buffer.from(csprng(32));
    expect(parseRingKeys(`a:${raw.toString('base64url')}`, issues)[0]?.key).toEqual(new Uint8Array(raw));
    const secretish = Buffer.from(csprng(16)).toString('base64');
    parseRingKeys(`bad id:${raw.toString('base64')},k3:${secretish},k1:${raw.toString('base64')},k1:${raw.toString('base64')}`, issues);
    expect(issues).toHaveLength(3);
    expect(issues.join('\n')).not.toContain(secretish);
    expect(issues.join('\n')).not.toContain(raw.toString('base64'));
    expect(issues.join('\n')).toContain('HASHD_KEYS[1] (id "k3"): the key must be base64 of exactly 32 bytes');
  });

  it('config refuses a bad HASHD_KEYS by name, without the value', () => {
    const value = `k1:${Buffer.from(csprng(31)).toString('base64')}`;
    let error: unknown;
    try {
      loadConfig({ env: { HASHD_KEYS: value }, registry });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('HASHD_KEYS[0]');
    expect((error as ConfigError).message).not.toContain(value.slice(3));
    expect(loadConfig({ env: { HASHD_KEYS: k1 }, registry }).ringKeys?.map((e) => e.id)).toEqual(['k1']);
  });
});

describe('the Node entry ring', () => {
  const logs: string[] = [];
  const logger = { info: () => undefined, warn: (_f: unknown, m: string) => void logs.push(`warn ${m}`), error: (_f: unknown, m: string) => void logs.push(`error ${m}`) };

  it('dev mode generates a ring under the data directory once, mode 0600, and warns', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'hashd-ring-')), 'data');
    const config = loadConfig({ env: { HASHD_DATA_DIR: dataDir }, registry });
    const first = await loadNodeKeyRing(config, logger);
    expect(first.source).toBe('dev-file');
    const file = join(dataDir, 'keyring');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = await first.ring!.seal(secret, where);
    const again = await loadNodeKeyRing(config, logger);
    expect(await again.ring!.open(sealed, where)).toEqual(secret);
    expect(readFileSync(file, 'utf8')).toMatch(/^dev:[A-Za-z0-9+/]{43}=\n$/);
    expect(logs.some((l) => l.startsWith('warn dev mode'))).toBe(true);
  });

  it('production without HASHD_KEYS has no ring and says so naming HASHD_KEYS', async () => {
    const config = loadConfig({ env: { HASHD_API_KEYS: `acme=sha256:${'ab'.repeat(32)}` }, registry });
    const state = await loadNodeKeyRing(config, logger);
    expect(state.ring).toBeUndefined();
    expect(logs.at(-1)).toMatch(/^error HASHD_KEYS is not configured/);
  });

  it('HASHD_KEYS wins over the dev file', async () => {
    const entry = newRingEntry('prod1', csprng);
    const state = await loadNodeKeyRing(loadConfig({ env: { HASHD_KEYS: entry }, registry }), logger);
    expect(state.source).toBe('HASHD_KEYS');
    expect(state.ring!.primaryId).toBe('prod1');
  });
});
