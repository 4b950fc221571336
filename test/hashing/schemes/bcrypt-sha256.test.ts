/**
 * bcrypt over a pre-hash of the password: passlib's bcrypt_sha256 v1/v2
 * (src/hashing/schemes/bcrypt_sha256.ts) and WordPress 6.8+ `$wp$` (wordpress.ts). Vectors come
 * from test/vectors and from passlib's own test suite; the malformed strings below are mutations.
 */
import { describe, expect, it } from 'vitest';
import { makeCrypt, registry, type Vector } from '../../helpers';
import { loadVectors, cryptFor, errorCode, first, fixtureSuite, expectCapped, fuzzSuite } from './_fixtures';


fixtureSuite('bcrypt', ['bcrypt_sha256']);
fixtureSuite('beyond', ['wordpress_bcrypt']);

const bcryptFile = loadVectors('bcrypt');
const beyond = loadVectors('beyond');
const crypt = cryptFor('bcrypt_sha256');

describe('bcrypt_sha256', () => {
  // passlib 1.7.4 passlib/tests/test_handlers_bcrypt.py known_correct_hashes (v1), and the v2
  // example of passlib's documentation; repeat_string("abc123", 72) is "abc123" repeated to 72 characters.
  const abc72 = 'abc123'.repeat(12);
  const published: [string, string][] = [
    ['', '$bcrypt-sha256$2a,5$E/e/2AOhqM5W/KJTFQzLce$F6dYSxOdAEoJZO2eoHUZWZljW/e0TXO'],
    ['password', '$bcrypt-sha256$2a,5$5Hg1DKFqPE8C2aflZ5vVoe$12BjNE0p7axMg55.Y/mHsYiVuFBDQyu'],
    ['password', '$bcrypt-sha256$2b,5$5Hg1DKFqPE8C2aflZ5vVoe$12BjNE0p7axMg55.Y/mHsYiVuFBDQyu'],
    [abc72, '$bcrypt-sha256$2b,5$X1g1nh3g0v4h6970O68cxe$r/hyEtqJ0teqPEmfTLoZ83ciAI1Q74.'],
    [`${abc72}qwr`, '$bcrypt-sha256$2b,5$X1g1nh3g0v4h6970O68cxe$021KLEif6epjot5yoxk0m8I0929ohEa'],
    [`${abc72}xyz`, '$bcrypt-sha256$2b,5$X1g1nh3g0v4h6970O68cxe$7.1kgpHduMGEjvM3fX6e/QCvfn6OKja'],
    ['password', '$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2'],
  ];
  for (const [password, hash] of published) {
    it(`passlib's published ${hash.slice(0, 24)}… for a ${password.length}-character password`, async () => {
      await expect(crypt.verify(password, hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'bcrypt_sha256' });
    });
  }

  it('reads passwords past 72 bytes in full (unlike plain bcrypt)', async () => {
    await expect(crypt.verify(`${abc72}xyz`, published[4]?.[1] as string, { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('v1 verifies and is reported as an outdated variant; v2 is current', () => {
    const v1 = bcryptFile.vectors.find((v) => v.scheme === 'bcrypt_sha256' && !v.hash.includes('v=2')) as Vector;
    const v2 = first(bcryptFile, 'bcrypt_sha256');
    expect(crypt.needsUpdate(v1.hash).reasons).toContain('outdated_variant');
    expect(crypt.identify(v2.hash).params).toMatchObject({ version: 2, ident: '2b', rounds: 4 });
    expect(crypt.needsUpdate(v2.hash).reasons).not.toContain('outdated_variant');
  });

  it('refuses zero-padded rounds, an unknown ident, a v2 salt with padding bits, and rounds over the cap unseen', async () => {
    const v2 = first(bcryptFile, 'bcrypt_sha256').hash; // $bcrypt-sha256$v=2,t=2b,r=4$<salt>$<digest>
    const v1 = '$bcrypt-sha256$2a,5$5Hg1DKFqPE8C2aflZ5vVoe$12BjNE0p7axMg55.Y/mHsYiVuFBDQyu';
    const salt = v2.split('$')[3] as string;
    const padded = v2.replace(salt, `${salt.slice(0, 21)}${'.Oeu'.includes(salt[21] as string) ? 'P' : '.'}`);
    for (const bad of [v1.replace('2a,5', '2a,05'), v1.replace('2a,5', '2y,5'), v1.replace('2a,5', '2a,3'), v2.replace('r=4', 'r=04'), v2.replace('t=2b', 't=2a'), padded]) {
      expect(await errorCode(crypt.verify('password', bad)), bad).toBe('malformed_hash');
    }
    await expectCapped('bcrypt_sha256', v2.replace('r=4', 'r=17'));
    await expectCapped('bcrypt_sha256', v1.replace('2a,5', '2a,31'));
  });

  it("applies the policy's bcrypt caps to the inner bcrypt as well", async () => {
    const strict = makeCrypt({ schemes: ['argon2id', 'bcrypt_sha256', 'bcrypt'], default: 'argon2id', verify_caps: { bcrypt: { rounds: 4 } } }).crypt;
    const hash = bcryptFile.vectors.find((v) => v.scheme === 'bcrypt_sha256' && v.hash.includes('r=5'))?.hash as string;
    expect(await errorCode(strict.verify('password', hash))).toBe('hash_cost_exceeds_cap');
  });
});

describe('wordpress_bcrypt', () => {
  const wp = cryptFor('wordpress_bcrypt');
  const hash = first(beyond, 'wordpress_bcrypt').hash; // $wp$2y$04$…

  it("hands PHP's $2y$ to the backend and reads the full password (no 72-byte limit)", async () => {
    const long = beyond.vectors.find((v) => v.scheme === 'wordpress_bcrypt' && Buffer.byteLength(v.password) > 72) as Vector;
    await expect(wp.verify(long.password, long.hash, { rehash: false })).resolves.toMatchObject({ valid: true });
    await expect(wp.verify(long.password.slice(0, 72), long.hash, { rehash: false })).resolves.toMatchObject({ valid: false });
    expect(wp.identify(hash).params).toMatchObject({ ident: '2y', rounds: 4 });
  });

  it('refuses bad costs, non-bcrypt $wp$ forms and costs over the cap unseen', async () => {
    for (const bad of [hash.replace('$2y$04$', '$2y$03$'), hash.replace('$2y$04$', '$2y$xx$'), '$wp$argon2id$v=19$m=65536,t=4,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', '$wp$', hash.slice(0, -1)]) {
      expect(await errorCode(wp.verify('password', bad)), bad).toBe('malformed_hash');
    }
    await expectCapped('wordpress_bcrypt', hash.replace('$2y$04$', '$2y$18$'));
  });

  it("is not WordPress's older phpass $P$ format", () => {
    expect(registry.get('wordpress_bcrypt')?.identify('$P$984478476IagS59wHZvyQMArzfx58u.')).toBe(false);
  });
});

describe('robustness', () => {
  fuzzSuite(['bcrypt_sha256', 'wordpress_bcrypt'], [first(bcryptFile, 'bcrypt_sha256').hash, '$bcrypt-sha256$2a,5$5Hg1DKFqPE8C2aflZ5vVoe$12BjNE0p7axMg55.Y/mHsYiVuFBDQyu', first(beyond, 'wordpress_bcrypt').hash]);
});
