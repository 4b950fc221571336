/**
 * Django's non-PBKDF2 hashers (src/hashing/schemes/django.ts), Werkzeug's legacy salted digests
 * (werkzeug.ts), which share Django's `sha1$salt$hex` shape, and the locked-account markers
 * (disabled.ts). Vectors come from test/vectors and hashcat's examples; the malformed strings
 * below are mutations of those vectors.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { HashdError } from '../../../src/errors';
import type { Scheme } from '../../../src/hashing/scheme';
import { loadHashcatExamples, loadVectorFiles, makeCrypt, registry, type TestCrypt, type Vector, type VectorFile } from '../../helpers';

// ---- fixture runner (the same few lines open each framework scheme test file) ----------------
const REFUSED = ['malformed_hash', 'hash_cost_exceeds_cap'];
const FILES = loadVectorFiles();
const loadVectors = (file: string): VectorFile => FILES[file] as VectorFile;
const crypts = new Map<string, TestCrypt>();
/** The default policy, or one naming the scheme when the default cannot accept it (ambiguous, plaintext). */
function cryptFor(name: string): TestCrypt['crypt'] {
  const scheme = registry.get(name);
  const key = scheme?.ambiguous || scheme?.plaintext ? name : '';
  let made = crypts.get(key);
  if (!made) crypts.set(key, (made = makeCrypt(key ? { schemes: ['argon2id', name], default: 'argon2id' } : {})));
  return made.crypt;
}
async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HashdError);
    return (err as HashdError).code;
  }
  return 'no error';
}
const first = (file: VectorFile, scheme: string): Vector => file.vectors.find((v) => v.scheme === scheme) as Vector;
interface FixtureOptions {
  /** Why a vector cannot be checked (null: check it). */
  skip?: (v: Vector) => string | null;
  /** `scheme: why` of malformed fixtures that no longer have the scheme's shape at all. */
  notThisShape?: readonly string[];
  /** Other schemes that rightly claim the same strings first (Django's `!` marker is also `disabled`'s). */
  sameStrings?: Readonly<Record<string, readonly string[]>>;
}
function fixtureSuite(file: string, schemes: readonly string[], opts: FixtureOptions = {}): void {
  const data = loadVectors(file);
  describe(`${file}.json`, () => {
    for (const scheme of schemes) {
      const vectors = data.vectors.filter((v) => v.scheme === scheme) as Vector[];
      it(`${scheme} has vectors`, () => expect(vectors.length).toBeGreaterThan(0));
      vectors.forEach((v, i) => {
        const skip = opts.skip?.(v) ?? null;
        it.skipIf(skip !== null)(`${scheme} #${i} ${v.note ?? ''} ${skip ?? ''}`, async () => {
          const crypt = cryptFor(scheme);
          const names = [scheme, ...(opts.sameStrings?.[scheme] ?? [])];
          const right = await crypt.verify(v.password, v.hash, { rehash: false });
          expect(right.valid).toBe(v.expect ?? true);
          expect(names).toContain(right.scheme);
          await expect(crypt.verify(`${v.password}x`, v.hash, { rehash: false })).resolves.toMatchObject({ valid: false, scheme: right.scheme });
          expect(crypt.identify(v.hash).scheme).toBe(right.scheme);
        });
      });
      for (const m of (data.malformed ?? []).filter((x) => x.scheme === scheme)) {
        it(`${scheme} malformed: ${m.why}`, async () => {
          // A string that lost the scheme's shape is no longer this scheme's: it must not be claimed.
          if (opts.notThisShape?.includes(`${scheme}: ${m.why}`)) expect(registry.candidates(m.hash).map((s) => s.name)).not.toContain(scheme);
          else expect(REFUSED).toContain(await errorCode(cryptFor(scheme).verify('password', m.hash)));
        });
      }
    }
  });
}
/** Refused before any work: the scheme's verify is never called. */
async function expectCapped(name: string, hash: string): Promise<void> {
  const spy = vi.spyOn(registry.get(name) as Scheme, 'verify');
  try {
    expect(await errorCode(cryptFor(name).verify('password', hash))).toBe('hash_cost_exceeds_cap');
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
}
/** identify is total and parse throws nothing but malformed_hash, whose message never quotes the input. */
function fuzzSuite(names: readonly string[], seeds: readonly string[]): void {
  it('identify and parse of random and mutated strings only ever throw malformed_hash', () => {
    const schemes = names.map((n) => registry.get(n) as Scheme);
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.nat(), fc.nat(4), fc.string({ maxLength: 4 }))
      .map(([seed, at, del, ins]) => seed.slice(0, at % (seed.length + 1)) + ins + seed.slice((at % (seed.length + 1)) + del));
    const arb = fc.oneof(fc.string({ maxLength: 200 }), mutated, fc.constantFrom(...seeds).map((s) => s + '$'));
    fc.assert(
      fc.property(arb, (input) => {
        for (const scheme of schemes) {
          const claimed = scheme.identify(input);
          expect(typeof claimed).toBe('boolean');
          if (!claimed) continue;
          try {
            expect(scheme.parse(input).scheme).toBe(scheme.name);
          } catch (err) {
            expect(err).toBeInstanceOf(HashdError);
            expect((err as HashdError).code).toBe('malformed_hash');
            if (input.length >= 12) expect((err as HashdError).message).not.toContain(input);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
}
/** hashcat's example hashes (converted to the schemes' formats and checked with passlib), read at test time. */
function hashcatSuite(schemes: ReadonlySet<string>): void {
  // Throws under CI=true when shared/ is missing; elsewhere the suite is skipped.
  const examples = loadHashcatExamples();
  describe('hashcat example hashes (test/vectors/hashcat-examples.jsonl)', () => {
    const mine = (examples ?? []).filter((e) => schemes.has(e.scheme) && e.valid !== null);
    it('has examples for these schemes', () => expect(mine.length).toBeGreaterThan(0));
    for (const e of mine) {
      it(`${e.id} (${e.scheme})`, async () => {
        await expect(cryptFor(e.scheme).verify(e.password, e.hash, { rehash: false })).resolves.toMatchObject({ valid: e.valid, scheme: e.scheme });
      });
    }
  });
}
// ---- end of the fixture runner -----------------------------------------------------------------

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
    expect(both.identify(v.hash)).toMatchObject({ scheme: 'werkzeug_salted_sha1', candidates: ['werkzeug_salted_sha1', 'django_salted_sha1'] });
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
