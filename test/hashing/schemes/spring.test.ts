/**
 * Spring Security's DelegatingPasswordEncoder strings (src/hashing/schemes/spring.ts): {bcrypt},
 * {pbkdf2}, {scrypt}, {argon2}, {sha256} and the plaintext {noop}. Vectors come from
 * test/vectors/beyond.json, which includes the examples of Spring's own documentation.
 */
import { describe, expect, it } from 'vitest';
import type { Scheme } from '../../../src/hashing/scheme';
import { makeCrypt, registry, type Vector } from '../../helpers';
import { loadVectors, cryptFor, errorCode, first, fixtureSuite, expectCapped, fuzzSuite } from './_fixtures';


const SPRING = ['spring_bcrypt', 'spring_pbkdf2', 'spring_scrypt', 'spring_argon2', 'spring_sha256', 'spring_noop'] as const;

/** What PasswordEncoderFactories' pbkdf2 encoders use; the string itself carries no count. */
const SPRING_PBKDF2_ROUNDS: Record<string, number> = { PBKDF2WithHmacSHA1: 185_000, PBKDF2WithHmacSHA256: 310_000 };

fixtureSuite('beyond', SPRING, {
  // {pbkdf2} strings do not say how many rounds made them: hashd reads them with the rounds of
  // Spring's encoder defaults (v5.5: 185,000 SHA-1; v5.8: 310,000 SHA-256). The fixture's cheap
  // low-round variants cannot be read without that number and are skipped.
  skip: (v) =>
    v.scheme === 'spring_pbkdf2' && v.params?.iterations !== SPRING_PBKDF2_ROUNDS[String(v.params?.algorithm)]
      ? '(low-round variant: the string does not carry its round count)'
      : null,
});

const beyond = loadVectors('beyond');
const hashOf = (scheme: string): string => first(beyond, scheme).hash;

describe('spring_pbkdf2', () => {
  it('reads the v5.5 layout (80 hex digits) and the v5.8 layout (96 hex digits) under either id', () => {
    const scheme = registry.get('spring_pbkdf2') as Scheme;
    const published = '{pbkdf2}5d923b44a6d129f3ddf3e3c8d29412723dcbde72445e8ef6bf3b508fbf17fa4ed4d6b99ca763d8dc';
    expect(scheme.parse(published)).toMatchObject({ variant: 'v5_5', params: { digest: 'sha1', rounds: 185000, salt_bytes: 8 } });
    const v58 = beyond.vectors.find((v) => v.hash.startsWith('{pbkdf2@SpringSecurity_v5_8}')) as Vector;
    expect(scheme.parse(v58.hash)).toMatchObject({ variant: 'v5_8', params: { digest: 'sha256', rounds: 310000, salt_bytes: 16 } });
    expect(scheme.parse(v58.hash.replace('{pbkdf2@SpringSecurity_v5_8}', '{pbkdf2}')).variant).toBe('v5_8');
    expect(scheme.parse(published.toUpperCase().replace('{PBKDF2}', '{pbkdf2}')).variant).toBe('v5_5');
  });

  it('refuses other lengths and non-hex text', async () => {
    const published = '{pbkdf2}5d923b44a6d129f3ddf3e3c8d29412723dcbde72445e8ef6bf3b508fbf17fa4ed4d6b99ca763d8dc';
    for (const bad of [published.slice(0, -2), `${published}00`, `${published.slice(0, -1)}z`, '{pbkdf2}']) {
      expect(await errorCode(cryptFor('spring_pbkdf2').verify('password', bad)), bad).toBe('malformed_hash');
    }
  });
});

describe('malformed and over-cap mutations', () => {
  it('spring_bcrypt: bcrypt cost range and cap; the 72-byte limit applies', async () => {
    const hash = hashOf('spring_bcrypt'); // {bcrypt}$2a$10$…
    expect(await errorCode(cryptFor('spring_bcrypt').verify('password', hash.replace('$2a$10$', '$2a$03$')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('spring_bcrypt').verify('password', hash.slice(0, -2)))).toBe('malformed_hash');
    await expectCapped('spring_bcrypt', hash.replace('$2a$10$', '$2a$17$'));
    await expect(cryptFor('spring_bcrypt').verify('x'.repeat(73), hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('spring_scrypt: packed parameters are range-checked and capped; the key is 32 bytes', async () => {
    const hash = hashOf('spring_scrypt'); // {scrypt}$e0801$… : N=2^14, r=8, p=1
    const crypt = cryptFor('spring_scrypt');
    for (const params of ['0801', 'e0001', 'e0800', '100101']) {
      expect(await errorCode(crypt.verify('password', hash.replace('$e0801$', `$${params}$`))), params).toBe('malformed_hash');
    }
    const short = hash.replace(/\$[^$]+$/, `$${Buffer.alloc(31, 1).toString('base64')}`);
    expect(await errorCode(crypt.verify('password', short))).toBe('malformed_hash');
    await expectCapped('spring_scrypt', hash.replace('$e0801$', '$190801$')); // N = 2^25
    await expectCapped('spring_scrypt', hash.replace('$e0801$', '$e08ff$')); // p = 255
  });

  it('spring_argon2: argon2 parameters are capped like argon2 itself, also by the policy\'s argon2 caps', async () => {
    const hash = hashOf('spring_argon2'); // {argon2}$argon2id$v=19$m=256,t=2,p=1$…
    expect(await errorCode(cryptFor('spring_argon2').verify('password', hash.replace('m=256', 'm=1')))).toBe('malformed_hash');
    await expectCapped('spring_argon2', hash.replace('t=2', 't=500'));
    const strict = makeCrypt({ schemes: ['argon2id', 'spring_argon2'], default: 'argon2id', verify_caps: { argon2id: { memory_cost: 512 } } }).crypt;
    const m1024 = beyond.vectors.find((v) => v.scheme === 'spring_argon2' && v.hash.includes('m=1024')) as Vector;
    expect(await errorCode(strict.verify(m1024.password, m1024.hash))).toBe('hash_cost_exceeds_cap');
    await expect(strict.verify('password', hash, { rehash: false })).resolves.toMatchObject({ valid: true });
  });

  it('spring_sha256: only 80 hex digits', async () => {
    const hash = hashOf('spring_sha256');
    for (const bad of [hash.slice(0, -2), `${hash}00`, `${hash.slice(0, -1)}g`]) {
      expect(await errorCode(cryptFor('spring_sha256').verify('password', bad)), bad).toBe('malformed_hash');
    }
  });
});

describe('{noop} plaintext', () => {
  it('is refused by the default policy and accepted only when a policy names it', async () => {
    const { crypt } = makeCrypt();
    expect(await errorCode(crypt.verify('password', '{noop}password'))).toBe('scheme_not_allowed');
    const named = cryptFor('spring_noop');
    await expect(named.verify('password', '{noop}password', { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'spring_noop' });
    await expect(named.verify('passwor', '{noop}password', { rehash: false })).resolves.toMatchObject({ valid: false });
    await expect(named.verify('password', '{noop}', { rehash: false })).resolves.toMatchObject({ valid: false });
    expect(registry.get('spring_noop')?.plaintext).toBe(true);
  });
});

describe('identification', () => {
  it('the {id} prefix picks the scheme; unknown ids and LDAP-style ids are not claimed', () => {
    for (const scheme of SPRING) expect(registry.candidates(hashOf(scheme)).map((s) => s.name)).toEqual([scheme]);
    for (const other of ['{MD5}X03MO1qnZdYdgyfeuILPmQ==', '{SHA256}abc', '{ldap}{SSHA}abc', '{sha256x}00']) {
      expect(registry.candidates(other).map((s) => s.name).filter((n) => n.startsWith('spring_')), other).toEqual([]);
    }
  });

  fuzzSuite(SPRING.filter((s) => s !== 'spring_noop'), SPRING.map(hashOf));
});
