/**
 * CryptContext rules for inputs that other implementations read differently (issue 7): bcrypt
 * and the NUL character, needs-rehash on hashes hashd refuses to verify or that lock an account,
 * the built-in raw-digest readings, and the checks an import shares with verify.
 */
import { describe, expect, it } from 'vitest';
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

// pyca/bcrypt (test/vectors/bcrypt.json), password "password".
const BCRYPT_PASSWORD = '$2a$04$2tXmSi48HWep8ZLknQstruAZgjPD2WqDXSAn1nmAaN6RC9.I6sxv.';

describe('bcrypt and the NUL character', () => {
  const { crypt } = makeCrypt({ schemes: ['argon2id', 'bcrypt', 'bcrypt_sha256', 'django_bcrypt'], default: 'argon2id' });

  it('refuses to make a bcrypt hash of a password holding U+0000 (422 password_not_allowed_for_scheme)', async () => {
    expect(await codeOf(crypt.hash('pass\u0000word', { scheme: 'bcrypt' }))).toBe('password_not_allowed_for_scheme');
    expect(await codeOf(crypt.hash('\u0000', { scheme: 'bcrypt' }))).toBe('password_not_allowed_for_scheme');
    // bcrypt_sha256 is verify-only in hashd, so its refusal is the usual one.
    expect(await codeOf(crypt.hash('pass\u0000word', { scheme: 'bcrypt_sha256' }))).toBe('scheme_verify_only');
    // argon2id reads every byte.
    const argon = await crypt.hash('pass\u0000word');
    await expect(crypt.verify('pass\u0000word', argon.hash)).resolves.toMatchObject({ valid: true });
  });

  it('never verifies a password holding U+0000 against bcrypt (OpenBSD would compare only "password")', async () => {
    await expect(crypt.verify('password', BCRYPT_PASSWORD)).resolves.toMatchObject({ valid: true });
    await expect(crypt.verify('password\u0000', BCRYPT_PASSWORD)).resolves.toMatchObject({ valid: false });
    await expect(crypt.verify('password\u0000tail', BCRYPT_PASSWORD)).resolves.toMatchObject({ valid: false });
    await expect(crypt.verify('password\u0000', `bcrypt$${BCRYPT_PASSWORD}`)).resolves.toMatchObject({ valid: false });
  });
});

describe('needs-rehash on hashes that cannot be used', () => {
  const { crypt } = makeCrypt();
  const salt = 'c29tZXNhbHRzb21lc2FsdA';
  const digest = 'hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';

  it('says cost_exceeds_cap for a hash above the verify caps (verify refuses it)', async () => {
    for (const t of [1000, 2 ** 32 - 1]) {
      const hash = `$argon2id$v=19$m=256,t=${t},p=1$${salt}$${digest}`;
      expect(await codeOf(crypt.verify('password', hash))).toBe('hash_cost_exceeds_cap');
      const result = crypt.needsUpdate(hash);
      expect(result).toEqual({ scheme: 'argon2id', needsRehash: true, reasons: ['cost_exceeds_cap'] });
    }
    expect(crypt.needsUpdate('$2b$31$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou').reasons).toContain('cost_exceeds_cap');
  });

  it('reports the empty string and locked-account markers as unusable (needsRehash true)', () => {
    for (const marker of ['', '!', '!!', '*', '*LK*', '*NP*', `!${BCRYPT_PASSWORD}`, `*LOCKED*${BCRYPT_PASSWORD}`]) {
      expect(crypt.needsUpdate(marker), JSON.stringify(marker)).toMatchObject({ needsRehash: true, reasons: ['unusable'], unusable: true });
      expect(crypt.needsUpdate(marker).scheme).toMatch(/^(django_)?disabled$/);
    }
    // A current hash is not unusable.
    expect(crypt.needsUpdate(`$argon2id$v=19$m=256,t=1,p=1$${salt}$${digest}`)).not.toHaveProperty('unusable');
  });
});

describe('built-in legacy_raw: the most common reading of every bare hex length', () => {
  const { crypt } = makeCrypt();
  // Digests of "password" (RFC 1321 / FIPS 180 algorithms, as Python's hashlib writes them).
  const cases = [
    ['hex_md5', '5f4dcc3b5aa765d61d8327deb882cf99'],
    ['hex_sha1', '5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8'],
    ['hex_sha256', '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'],
    [
      'hex_sha512',
      'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86',
    ],
  ] as const;

  it.each(cases)('%s is accepted and verifies', async (scheme, hex) => {
    expect(crypt.identify(hex).scheme).toBe(scheme);
    await expect(crypt.verify('password', hex)).resolves.toMatchObject({ valid: true, scheme, needsRehash: true, reasons: ['deprecated_scheme'] });
    await expect(crypt.verify('password', hex.toUpperCase())).resolves.toMatchObject({ valid: true, scheme });
    await expect(crypt.verify('Password', hex)).resolves.toMatchObject({ valid: false, scheme });
  });

  it('still names every reading of an ambiguous length', () => {
    expect(crypt.identify('5f4dcc3b5aa765d61d8327deb882cf99').candidates).toEqual(['hex_md5', 'nthash', 'django_unsalted_md5']);
  });

  it('a policy that names legacy_raw keeps exactly its list', async () => {
    const { crypt: md5Only } = makeCrypt({ legacy_raw: ['hex_md5'] });
    expect(await codeOf(() => md5Only.identify(cases[2][1]))).toBe('scheme_not_allowed');
  });
});
