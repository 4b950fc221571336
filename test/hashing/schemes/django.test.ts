/**
 * Django's non-PBKDF2 hashers (src/hashing/schemes/django.ts), Werkzeug's legacy salted digests
 * (werkzeug.ts), which share Django's `sha1$salt$hex` shape, and the locked-account markers
 * (disabled.ts). Vectors come from test/vectors and hashcat's examples; the malformed strings
 * below are mutations of those vectors.
 */
import { describe, expect, it } from 'vitest';
import type { Scheme } from '../../../src/hashing/scheme';
import { makeCrypt, registry, type Vector } from '../../helpers';
import { loadVectors, cryptFor, errorCode, first, fixtureSuite, expectCapped, fuzzSuite, hashcatSuite } from './_fixtures';


const DJANGO = [
  'django_argon2',
  'django_bcrypt_sha256',
  'django_bcrypt',
  'django_salted_md5',
  'django_salted_sha1',
  'django_unsalted_md5',
  'django_unsalted_sha1',
  'django_disabled',
] as const;
const WERKZEUG = ['werkzeug_salted_sha1', 'werkzeug_salted_md5'] as const;

fixtureSuite('django', DJANGO, {
  // A bare MD5 hex that lost or gained a digit is not an MD5 hex any more: no scheme's shape.
  notThisShape: ['django_unsalted_md5: 31 hex characters', 'django_unsalted_md5: non-hex character', 'django_unsalted_md5: 33 hex characters'],
});
fixtureSuite('beyond', WERKZEUG);
fixtureSuite('disabled', ['disabled'], { sameStrings: { disabled: ['django_disabled'] } });
hashcatSuite(new Set(['django_salted_md5', 'django_salted_sha1', 'django_bcrypt_sha256']));

const django = loadVectors('django');
const beyond = loadVectors('beyond');

describe('malformed and over-cap mutations', () => {
  it('django_argon2: argon2 parameters are checked and capped like argon2 itself', async () => {
    const hash = first(django, 'django_argon2').hash; // argon2$argon2id$v=19$m=256,t=2,p=1$…
    const crypt = cryptFor('django_argon2');
    expect(await errorCode(crypt.verify('password', hash.replace('m=256', 'm=0')))).toBe('malformed_hash');
    expect(await errorCode(crypt.verify('password', hash.slice(0, -2)))).toBe('malformed_hash');
    expect(await errorCode(crypt.verify('password', hash.replace('argon2$argon2id', 'argon2$argon2x')))).toBe('malformed_hash');
    await expectCapped('django_argon2', hash.replace('t=2', 't=999'));
    await expectCapped('django_argon2', hash.replace('m=256', 'm=4194304'));
  });

  for (const scheme of ['django_bcrypt', 'django_bcrypt_sha256'] as const) {
    it(`${scheme}: bcrypt cost range and cap`, async () => {
      const hash = first(django, scheme).hash; // …$2b$04$…
      const crypt = cryptFor(scheme);
      expect(await errorCode(crypt.verify('password', hash.replace('$2b$04$', '$2b$03$')))).toBe('malformed_hash');
      expect(await errorCode(crypt.verify('password', hash.replace('$2b$04$', '$2b$99$')))).toBe('malformed_hash');
      expect(await errorCode(crypt.verify('password', hash.replace('$2b$04$', '$2x$04$')))).toBe('malformed_hash');
      expect(await errorCode(crypt.verify('password', hash.slice(0, -2)))).toBe('malformed_hash');
      await expectCapped(scheme, hash.replace('$2b$04$', '$2b$20$'));
    });
  }

  it('the digest formats refuse upper-case, short and long hex', async () => {
    for (const scheme of ['django_salted_md5', 'django_salted_sha1', 'django_unsalted_sha1'] as const) {
      const hash = first(django, scheme).hash;
      for (const bad of [hash.toUpperCase().replace(/^(MD5|SHA1)/, (x) => x.toLowerCase()), hash.slice(0, -1), `${hash}0`]) {
        expect(await errorCode(cryptFor(scheme).verify('password', bad)), bad).toBe('malformed_hash');
      }
    }
    for (const scheme of WERKZEUG) {
      const hash = first(beyond, scheme).hash;
      expect(await errorCode(cryptFor(scheme).verify('password', hash.slice(0, -1)))).toBe('malformed_hash');
      expect(await errorCode(cryptFor(scheme).verify('password', hash.replace(/\$[^$]*\$/, '$sa$lt$')))).toBe('malformed_hash');
    }
  });
});

describe('identification', () => {
  const { crypt } = makeCrypt();

  it("Werkzeug's HMAC sha1$salt$hex is read as Django's unless the policy names Werkzeug's scheme", async () => {
    const v = first(beyond, 'werkzeug_salted_sha1');
    // The default policy does not accept the ambiguous scheme: Django's reading, which does not match.
    await expect(crypt.verify(v.password, v.hash, { rehash: false })).resolves.toMatchObject({ valid: false, scheme: 'django_salted_sha1' });
    const both = makeCrypt({ schemes: ['argon2id', 'werkzeug_salted_sha1', 'django_salted_sha1'], default: 'argon2id' }).crypt;
    await expect(both.verify(v.password, v.hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'werkzeug_salted_sha1' });
    expect(both.identify(v.hash).scheme).toBe('werkzeug_salted_sha1');
    expect(both.identify(v.hash).candidates?.slice(0, 2)).toEqual(['werkzeug_salted_sha1', 'django_salted_sha1']);
    const djangoFirst = makeCrypt({ schemes: ['argon2id', 'django_salted_sha1', 'werkzeug_salted_sha1'], default: 'argon2id' }).crypt;
    expect(djangoFirst.identify(first(django, 'django_salted_sha1').hash).scheme).toBe('django_salted_sha1');
  });

  it('sha1$$hex is unsalted SHA-1 (Django and Werkzeug agree); md5$$hex verifies under the default policy', async () => {
    expect(registry.get('werkzeug_salted_sha1')?.identify(first(django, 'django_unsalted_sha1').hash)).toBe(false);
    expect(crypt.identify(first(django, 'django_unsalted_sha1').hash).scheme).toBe('django_unsalted_sha1');
    const md5Form = django.vectors.find((v) => v.scheme === 'django_unsalted_md5' && v.hash.startsWith('md5$$')) as Vector;
    await expect(crypt.verify(md5Form.password, md5Form.hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'django_salted_md5' });
  });

  it('a bare MD5 hex is ambiguous: only a policy that names django_unsalted_md5 reads it as Django', () => {
    const bare = first(django, 'django_unsalted_md5').hash;
    expect(registry.get('django_unsalted_md5')?.ambiguous).toBe(true);
    expect(crypt.identify(bare).scheme).not.toBe('django_unsalted_md5');
  });

  it('the markers never shadow a real hash', () => {
    const disabled = registry.get('disabled') as Scheme;
    for (const s of ['*' + 'A'.repeat(40), '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29', '$2b$04$abc', 'x', '**']) expect(disabled.identify(s), s).toBe(false);
    for (const s of ['', '!', '!!', '*', '*LK*', '*NP*', '*LOCKED*', '*LOCKED*$6$salt$hash', '!$1$abc$def']) expect(disabled.identify(s), s).toBe(true);
    const names = registry.schemes.map((s) => s.name);
    expect(names.indexOf('disabled')).toBe(names.length - 1);
  });

  it('markers parse and verify as false through the policy, including the empty string', async () => {
    for (const marker of ['', '!', '*', '*LOCKED*$2b$04$2VX.NUiAFwQKXkM14RZU0edt7YzMVJpkhwU1uOjgjPGWjNEeHtbfK']) {
      await expect(crypt.verify('anything', marker)).resolves.toMatchObject({ valid: false });
    }
  });

  fuzzSuite([...DJANGO, ...WERKZEUG, 'disabled'], [...DJANGO.map((s) => first(django, s).hash), ...WERKZEUG.map((s) => first(beyond, s).hash)]);
});
