import { describe, expect, it, vi } from 'vitest';
import { HashdError } from '../../src/errors';
import { makeCrypt } from '../helpers';

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(HashdError);
    return (err as HashdError).code;
  }
  throw new Error('expected a HashdError');
}

// Vectors made by the reference libraries (argon2-cffi low_level.hash_secret), password "password".
const ARGON2ID_V19 = '$argon2id$v=19$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';

describe('CryptContext.hash and verify', () => {
  const { crypt } = makeCrypt();

  it('hashes with argon2id by default and verifies the result', async () => {
    const { hash, scheme } = await crypt.hash('correct horse');
    expect(scheme).toBe('argon2id');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    await expect(crypt.verify('correct horse', hash)).resolves.toEqual({ valid: true, scheme: 'argon2id', needsRehash: false, reasons: [] });
    await expect(crypt.verify('correct horsE', hash)).resolves.toEqual({ valid: false, scheme: 'argon2id', needsRehash: false, reasons: [] });
  });

  it('uses a fresh random salt for every hash', async () => {
    const a = await crypt.hash('same');
    const b = await crypt.hash('same');
    expect(a.hash).not.toBe(b.hash);
  });

  it('makes bcrypt $2b$ hashes when asked by name', async () => {
    const { hash, scheme } = await crypt.hash('pw', { scheme: 'bcrypt' });
    expect(scheme).toBe('bcrypt');
    expect(hash).toMatch(/^\$2b\$04\$/);
    const result = await crypt.verify('pw', hash);
    expect(result.valid).toBe(true);
    expect(result.reasons).toEqual(['deprecated_scheme']);
    expect(result.newHash).toMatch(/^\$argon2id\$/);
    await expect(crypt.verify('pw', result.newHash as string)).resolves.toMatchObject({ valid: true, needsRehash: false });
  });

  it('returns newHash only for a valid password on an outdated hash', async () => {
    const { hash } = await crypt.hash('pw', { scheme: 'bcrypt' });
    const wrong = await crypt.verify('wrong', hash);
    expect(wrong).toEqual({ valid: false, scheme: 'bcrypt', needsRehash: true, reasons: ['deprecated_scheme'] });
    expect('newHash' in wrong).toBe(false);
  });

  it('refuses unknown schemes and schemes the policy does not list', async () => {
    expect(await codeOf(crypt.hash('pw', { scheme: 'rot13' }))).toBe('scheme_not_allowed');
    expect(await codeOf(crypt.hash('pw', { scheme: 'argon2i' }))).toBe('scheme_not_allowed');
  });

  it('verifies argon2-cffi argon2id output', async () => {
    const { crypt: strict } = makeCrypt({ params: { argon2id: { memory_cost: 256, time_cost: 1 } } });
    await expect(strict.verify('password', ARGON2ID_V19)).resolves.toMatchObject({ valid: true, scheme: 'argon2id' });
    await expect(strict.verify('Password', ARGON2ID_V19)).resolves.toMatchObject({ valid: false });
  });
});

describe('needs-rehash rules', () => {
  const { crypt } = makeCrypt({ params: { argon2id: { memory_cost: 256, time_cost: 1 }, bcrypt: { rounds: 5 } } });

  it('current parameters need nothing', async () => {
    const { hash } = await crypt.hash('x');
    expect(crypt.needsUpdate(hash)).toEqual({ scheme: 'argon2id', needsRehash: false, reasons: [] });
  });

  it('flags parameters below the minimum and above a maximum', () => {
    const low = '$argon2id$v=19$m=128,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
    expect(crypt.needsUpdate(low).reasons).toEqual(['param_below_min:memory_cost']);
    const { crypt: bounded } = makeCrypt({ params: { argon2id: { memory_cost: 256, time_cost: { default: 1, max: 2 } } } });
    const high = '$argon2id$v=19$m=256,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
    expect(bounded.needsUpdate(high).reasons).toEqual(['param_above_max:time_cost']);
  });

  it('flags a short salt (argon2 minimum 16 bytes)', () => {
    // 8-byte salt "saltsalt".
    const short = '$argon2id$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
    expect(crypt.needsUpdate(short).reasons).toEqual(['param_below_min:salt_bytes']);
  });

  it('flags argon2 version 16 and argon2i/argon2d variants under argon2id', () => {
    const v16 = '$argon2id$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
    expect(crypt.needsUpdate(v16)).toEqual({ scheme: 'argon2id', needsRehash: true, reasons: ['outdated_variant'] });
    const i = '$argon2i$v=19$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
    expect(crypt.needsUpdate(i)).toEqual({ scheme: 'argon2i', needsRehash: true, reasons: ['outdated_variant'] });
    const d = i.replace('argon2i', 'argon2d');
    expect(crypt.needsUpdate(d).scheme).toBe('argon2d');
  });

  it('flags bcrypt $2a$/$2y$ under $2b$, a deprecated scheme, and low cost', () => {
    const h = '$2a$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou';
    expect(crypt.needsUpdate(h).reasons).toEqual(['deprecated_scheme', 'outdated_variant']);
    const { crypt: bcryptDefault } = makeCrypt({ schemes: ['bcrypt', 'argon2id'], default: 'bcrypt', params: { bcrypt: { rounds: 6 } } });
    expect(bcryptDefault.needsUpdate(h).reasons).toEqual(['outdated_variant', 'param_below_min:rounds']);
    expect(bcryptDefault.needsUpdate(h.replace('$2a$', '$2b$').replace('$05$', '$06$')).reasons).toEqual([]);
  });
});

describe('caps: a hash asking for too much work is refused before any work', () => {
  it('refuses argon2 m=4 GiB and bcrypt cost 31 without calling the backend', async () => {
    const { crypt } = makeCrypt();
    const env = (crypt as unknown as { env: { backend: Record<string, (...a: unknown[]) => unknown> } }).env;
    const argon = vi.spyOn(env.backend, 'argon2Raw');
    const bcrypt = vi.spyOn(env.backend, 'bcryptVerify');
    const huge = '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
    expect(await codeOf(crypt.verify('x', huge))).toBe('hash_cost_exceeds_cap');
    expect(await codeOf(crypt.verify('x', '$2b$31$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou'))).toBe('hash_cost_exceeds_cap');
    expect(await codeOf(crypt.verify('x', huge.replace('t=2', 't=1').replace('m=4194304', 'm=1024').replace('p=1', 'p=64')))).toBe('hash_cost_exceeds_cap');
    expect(argon).not.toHaveBeenCalled();
    expect(bcrypt).not.toHaveBeenCalled();
  });

  it('lets a policy raise or lower a cap', async () => {
    const { crypt } = makeCrypt({ verify_caps: { bcrypt: { rounds: 4 } } });
    expect(await codeOf(crypt.verify('x', '$2b$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou'))).toBe('hash_cost_exceeds_cap');
  });
});

describe('malformed and unknown hashes', () => {
  const { crypt } = makeCrypt();
  it.each([
    ['unknown_hash_format', 'not-a-hash'],
    ['unknown_hash_format', '$argon3$v=19$m=1,t=1,p=1$AAAA$AAAA'],
    ['malformed_hash', '$argon2id$v=19$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA'],
    ['malformed_hash', '$argon2id$v=19$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$!!!!'],
    ['malformed_hash', '$argon2id$v=18$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM'],
    ['malformed_hash', '$argon2id$v=19$m=256,t=0,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM'],
    ['malformed_hash', '$argon2id$v=19$m=4,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM'],
    ['malformed_hash', '$2b$04$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.O'],
    ['malformed_hash', '$2b$03$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou'],
    ['malformed_hash', '$2x$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou'],
  ])('%s: %s', async (code, hash) => {
    expect(await codeOf(crypt.verify('password', hash))).toBe(code);
    expect(await codeOf(() => crypt.identify(hash))).toBe(code);
    expect(await codeOf(() => crypt.needsUpdate(hash))).toBe(code);
  });
});

describe('passwords as bytes', () => {
  const { crypt } = makeCrypt({ max_password_bytes: 64 });

  it('refuses lone surrogates instead of hashing U+FFFD', async () => {
    expect(await codeOf(crypt.hash('a\ud800'))).toBe('invalid_password_encoding');
    expect(await codeOf(crypt.hash('\udc00b'))).toBe('invalid_password_encoding');
    const { hash } = await crypt.hash('a\ufffd');
    expect(await codeOf(crypt.verify('a\ud800', hash))).toBe('invalid_password_encoding');
  });

  it('counts bytes, not characters, against max_password_bytes', async () => {
    await expect(crypt.hash('é'.repeat(32))).resolves.toMatchObject({ scheme: 'argon2id' });
    expect(await codeOf(crypt.hash('é'.repeat(33)))).toBe('password_too_long');
    expect(await codeOf(crypt.verify('x'.repeat(65), '$2b$04$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou'))).toBe('password_too_long');
  });

  it('hashes the UTF-8 bytes as given unless a normalization form is configured', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    const { hash } = await crypt.hash(composed);
    await expect(crypt.verify(decomposed, hash)).resolves.toMatchObject({ valid: false });
    const { crypt: nfc } = makeCrypt({ normalize: 'NFC' });
    const normalized = await nfc.hash(decomposed);
    await expect(nfc.verify(composed, normalized.hash)).resolves.toMatchObject({ valid: true });
    const { crypt: nfkc } = makeCrypt({ normalize: 'NFKC' });
    const ligature = await nfkc.hash('\ufb01le');
    await expect(nfkc.verify('file', ligature.hash)).resolves.toMatchObject({ valid: true });
  });

  it('never truncates at a NUL byte (bcrypt, which would, refuses it: test/hashing/hardening-inputs.test.ts)', async () => {
    const { hash } = await crypt.hash('ab\u0000cd', { scheme: 'argon2id' });
    await expect(crypt.verify('ab\u0000cd', hash)).resolves.toMatchObject({ valid: true });
    await expect(crypt.verify('ab', hash)).resolves.toMatchObject({ valid: false });
    await expect(crypt.verify('ab\u0000ce', hash)).resolves.toMatchObject({ valid: false });
    await expect(crypt.hash('ab\u0000cd', { scheme: 'bcrypt' })).rejects.toMatchObject({ code: 'password_not_allowed_for_scheme' });
  });
});

describe("bcrypt's 72-byte limit: no silent truncation", () => {
  const prefix = 'p'.repeat(72);

  it('refuses to make a bcrypt hash of a longer password', async () => {
    const { crypt } = makeCrypt();
    expect(await codeOf(crypt.hash(`${prefix}x`, { scheme: 'bcrypt' }))).toBe('password_too_long_for_scheme');
    await expect(crypt.hash(prefix, { scheme: 'bcrypt' })).resolves.toMatchObject({ scheme: 'bcrypt' });
  });

  it('never verifies a longer password against a bcrypt hash (the Okta 2024 failure)', async () => {
    const { crypt } = makeCrypt();
    const { hash } = await crypt.hash(prefix, { scheme: 'bcrypt' });
    await expect(crypt.verify(prefix, hash)).resolves.toMatchObject({ valid: true });
    await expect(crypt.verify(`${prefix}anything`, hash)).resolves.toMatchObject({ valid: false });
  });

  it('truncates only when legacy_bcrypt_truncation is turned on by name', async () => {
    const { crypt } = makeCrypt({ legacy_bcrypt_truncation: true });
    const { hash } = await crypt.hash(prefix, { scheme: 'bcrypt' });
    const result = await crypt.verify(`${prefix}anything`, hash);
    expect(result.valid).toBe(true);
  });
});

describe('dummyVerify', () => {
  it('spends a real verify of the default scheme and is always false', async () => {
    const { crypt } = makeCrypt();
    const env = (crypt as unknown as { env: { backend: Record<string, (...a: unknown[]) => unknown> } }).env;
    const argon = vi.spyOn(env.backend, 'argon2Raw');
    await expect(crypt.dummyVerify('anything')).resolves.toBe(false);
    await expect(crypt.dummyVerify('anything')).resolves.toBe(false);
    // One hash to make the dummy, then one verify per call.
    expect(argon).toHaveBeenCalledTimes(3);
  });
});

describe('locked accounts', () => {
  it('verify as false after the time of a real verify, never as a match or an error', async () => {
    const { crypt, limiter } = makeCrypt();
    await crypt.dummyVerify('warm-up');
    for (const marker of ['', '!', '*', '!!', '*LK*', '!$6$rounds=5000$salt$abc', `!${'a'.repeat(40)}`]) {
      const before = limiter.stats().completed;
      const result = await crypt.verify('anything', marker);
      expect(result.valid, marker).toBe(false);
      expect(result.newHash).toBeUndefined();
      expect(limiter.stats().completed - before, marker).toBe(1);
    }
  });
});

describe('locked accounts under a narrow policy', () => {
  it('still verify as false with no rehash, even when the policy lists no marker scheme', async () => {
    const { crypt } = makeCrypt({ schemes: ['argon2id', 'bcrypt'] });
    for (const marker of ['', '!', '*', `!${'b'.repeat(40)}`]) {
      await expect(crypt.verify('x', marker), marker).resolves.toMatchObject({ valid: false, needsRehash: false, reasons: [] });
      // needs-rehash tells a migration the account is not current: it needs a new password.
      expect(crypt.needsUpdate(marker), marker).toMatchObject({ needsRehash: true, reasons: ['unusable'], unusable: true });
    }
  });
});
