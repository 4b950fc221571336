/**
 * Fernet against its references: the spec's published vectors (github.com/fernet/spec,
 * test/vectors/fernet/{generate,verify,invalid}.json) and Python's cryptography.fernet in both
 * directions (python.json, made by test/vectors/fernet_generate.py, which also decrypted every
 * hashd-made token of hashd.json with cryptography).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeFernetKey, encodeFernetKey, fernetDecrypt, fernetEncrypt, fernetRewrap, importFernetKey, type FernetKey } from '../../src/keys/fernet';
import generate from '../vectors/fernet/generate.json';
import hashdMade from '../vectors/fernet/hashd.json';
import invalid from '../vectors/fernet/invalid.json';
import python from '../vectors/fernet/python.json';
import verify from '../vectors/fernet/verify.json';

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
const b64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function key(text: string): Promise<FernetKey> {
  const raw = decodeFernetKey(text);
  expect(raw).toBeDefined();
  return importFernetKey(raw as Uint8Array);
}

describe('Fernet spec vectors', () => {
  it.each(generate)('generate: $src', async (v) => {
    expect(await fernetEncrypt(await key(v.secret), utf8(v.src), { timestamp: seconds(v.now), iv: new Uint8Array(v.iv) })).toBe(v.token);
  });

  it.each(verify)('verify: $src', async (v) => {
    const result = await fernetDecrypt([await key(v.secret)], v.token, { now: seconds(v.now), ttlSeconds: v.ttl_sec });
    expect(result.ok && new TextDecoder().decode(result.plaintext)).toBe(v.src);
  });

  it.each(invalid)('invalid: $desc', async (v) => {
    const result = await fernetDecrypt([await key(v.secret)], v.token, { now: seconds(v.now), ttlSeconds: v.ttl_sec });
    expect(result).toEqual({ ok: false, reason: v.desc === 'expired TTL' ? 'expired' : 'invalid' });
  });
});

describe('Fernet against Python cryptography', () => {
  it.each(python.tokens.map((t, i) => ({ ...t, i })))('decrypts the token cryptography made (#$i)', async (t) => {
    const result = await fernetDecrypt([await key(t.key)], t.token, { now: t.timestamp });
    expect(result).toEqual({ ok: true, plaintext: b64(t.plaintextBase64), timestamp: t.timestamp, keyIndex: 0 });
  });

  it.each(python.rotated.map((t, i) => ({ ...t, i })))('reads MultiFernet.rotate output and rotates the same way (#$i)', async (t) => {
    const [newKey, oldKey] = [await key(t.newKey), await key(t.oldKey)];
    expect(await fernetDecrypt([newKey], t.token, {})).toMatchObject({ ok: true, timestamp: t.timestamp, plaintext: b64(t.plaintextBase64) });
    const rewrapped = await fernetRewrap([newKey, oldKey], newKey, t.from, { iv: new Uint8Array(16).fill(7) });
    expect(rewrapped).toMatchObject({ ok: true, timestamp: t.timestamp });
    if (!rewrapped.ok) return;
    expect(await fernetDecrypt([oldKey], rewrapped.token, {})).toEqual({ ok: false, reason: 'invalid' });
    expect(await fernetDecrypt([newKey], rewrapped.token, {})).toMatchObject({ ok: true, timestamp: t.timestamp, plaintext: b64(t.plaintextBase64) });
  });

  it.each(python.decrypt_at_time)('agrees with cryptography on: $desc', async (v) => {
    const keys = await Promise.all(v.keys.map(key));
    const result = await fernetDecrypt(keys, v.token, { now: v.now, ttlSeconds: v.ttlSeconds ?? undefined });
    if (v.ok) expect(result).toMatchObject({ ok: true, plaintext: b64(v.plaintextBase64 as string) });
    else expect(result.ok).toBe(false);
    if (v.desc === 'one second past ttl') expect(result).toEqual({ ok: false, reason: 'expired' });
  });

  it('makes exactly the tokens that cryptography decrypted (hashd.json, verified in python.json)', async () => {
    const verified = new Map(python.hashd_verified.map((v) => [v.token, v]));
    expect(verified.size).toBe(hashdMade.cases.length);
    for (const c of hashdMade.cases) {
      const token = await fernetEncrypt(await key(c.key), b64(c.plaintextBase64), { timestamp: c.timestamp, iv: new Uint8Array(Buffer.from(c.iv, 'hex')) });
      expect(token).toBe(c.token);
      expect(verified.get(token)).toEqual({ token, plaintextBase64: c.plaintextBase64, timestamp: c.timestamp });
    }
  });
});

describe('Fernet edge cases', () => {
  const raw = new Uint8Array(randomBytes(32));

  it('keys round-trip in the url-safe form Fernet(key) takes, and only 32-byte keys are accepted', () => {
    const text = encodeFernetKey(raw);
    expect(text).toHaveLength(44);
    expect(decodeFernetKey(text)).toEqual(raw);
    for (const bad of ['', 'short', `${text.slice(0, 43)}!`, Buffer.alloc(31).toString('base64url').padEnd(44, '='), `${text}=`]) {
      expect(decodeFernetKey(bad)).toBeUndefined();
    }
  });

  it('refuses every single-bit flip of a valid token', async () => {
    const k = await importFernetKey(raw);
    const token = await fernetEncrypt(k, utf8('secret value'), { timestamp: 1_000, iv: new Uint8Array(16) });
    const bytes = Buffer.from(token, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const flipped = Buffer.from(bytes);
      flipped[i] = (flipped[i] as number) ^ 0x01;
      expect((await fernetDecrypt([k], flipped.toString('base64url'), { now: 1_000 })).ok).toBe(false);
    }
    // Truncated, version byte changed, garbage, huge.
    for (const bad of [token.slice(0, -4), `A${token.slice(1)}`, 'not a token', '', 'g'.repeat(100_000)]) {
      expect(await fernetDecrypt([k], bad, { now: 1_000 })).toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('an expired token whose HMAC is wrong is invalid, not expired (the HMAC comes first)', async () => {
    const k = await importFernetKey(raw);
    const other = await importFernetKey(raw.map((b) => b ^ 0xff));
    const token = await fernetEncrypt(k, utf8('x'), { timestamp: 1_000, iv: new Uint8Array(16) });
    expect(await fernetDecrypt([other], token, { now: 5_000, ttlSeconds: 10 })).toEqual({ ok: false, reason: 'invalid' });
    expect(await fernetDecrypt([other, k], token, { now: 5_000, ttlSeconds: 10 })).toEqual({ ok: false, reason: 'expired' });
    expect(await fernetDecrypt([other, k], token, { now: 1_005, ttlSeconds: 10 })).toMatchObject({ ok: true, keyIndex: 1 });
  });
});
