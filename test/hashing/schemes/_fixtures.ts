/**
 * The fixture runner shared by the framework scheme tests: every reference vector of a scheme
 * verifies with its password and not with a wrong one, every malformed fixture is refused with a
 * typed error, over-cap hashes are refused before any work, identify/parse survive random and
 * mutated strings, and hashcat's example hashes verify.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { HashdError } from '../../../src/errors';
import type { Scheme } from '../../../src/hashing/scheme';
import { loadHashcatExamples, loadVectorFiles, makeCrypt, registry, type TestCrypt, type Vector, type VectorFile } from '../../helpers';

export const REFUSED = ['malformed_hash', 'hash_cost_exceeds_cap'];
export const FILES = loadVectorFiles();
export const loadVectors = (file: string): VectorFile => FILES[file] as VectorFile;
export const crypts = new Map<string, TestCrypt>();
/** The default policy, or one naming the scheme when the default cannot accept it (ambiguous, plaintext). */
export function cryptFor(name: string): TestCrypt['crypt'] {
  const scheme = registry.get(name);
  const key = scheme?.ambiguous || scheme?.plaintext ? name : '';
  let made = crypts.get(key);
  if (!made) crypts.set(key, (made = makeCrypt(key ? { schemes: ['argon2id', name], default: 'argon2id' } : {})));
  return made.crypt;
}
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HashdError);
    return (err as HashdError).code;
  }
  return 'no error';
}
export const first = (file: VectorFile, scheme: string): Vector => file.vectors.find((v) => v.scheme === scheme) as Vector;
export interface FixtureOptions {
  /** Why a vector cannot be checked (null: check it). */
  skip?: (v: Vector) => string | null;
  /** `scheme: why` of malformed fixtures that no longer have the scheme's shape at all. */
  notThisShape?: readonly string[];
  /** Other schemes that rightly claim the same strings first (Django's `!` marker is also `disabled`'s). */
  sameStrings?: Readonly<Record<string, readonly string[]>>;
}
export function fixtureSuite(file: string, schemes: readonly string[], opts: FixtureOptions = {}): void {
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
export async function expectCapped(name: string, hash: string): Promise<void> {
  const spy = vi.spyOn(registry.get(name) as Scheme, 'verify');
  try {
    expect(await errorCode(cryptFor(name).verify('password', hash))).toBe('hash_cost_exceeds_cap');
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
}
/** identify is total and parse throws nothing but malformed_hash, whose message never quotes the input. */
export function fuzzSuite(names: readonly string[], seeds: readonly string[]): void {
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
export function hashcatSuite(schemes: ReadonlySet<string>): void {
  const examples = loadHashcatExamples();
  describe('hashcat example hashes (test/vectors/hashcat-examples.jsonl)', () => {
    const mine = examples.filter((e) => schemes.has(e.scheme) && e.valid !== null);
    it('has examples for these schemes', () => expect(mine.length).toBeGreaterThan(0));
    for (const e of mine) {
      it(`${e.id} (${e.scheme})`, async () => {
        await expect(cryptFor(e.scheme).verify(e.password, e.hash, { rehash: false })).resolves.toMatchObject({ valid: e.valid, scheme: e.scheme });
      });
    }
  });
}
