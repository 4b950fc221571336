/**
 * Raw digests (src/hashing/schemes/raw.ts): hex_md5/sha1/sha256/sha512, mysql41, postgres_md5
 * and nthash, against the reference fixtures (test/vectors/raw.json, from passlib) and hashcat's
 * published examples.
 */
import { describe, expect, it } from 'vitest';
import { loadHashcatExamples, makeCrypt, registry, type Vector } from '../../helpers';
import { only, outcome, TYPED, vectorFile, verifyOptions, wrong } from './_unix';

const SCHEMES = ['hex_md5', 'hex_sha1', 'hex_sha256', 'hex_sha512', 'mysql41', 'postgres_md5', 'nthash'] as const;
/** A bare digest is only a shape: a string of the wrong length or alphabet is no digest at all. */
const BARE = ['hex_md5', 'hex_sha1', 'hex_sha256', 'hex_sha512', 'nthash'];
const file = vectorFile('raw');

/** Whether some scheme other than `scheme` claims and parses `hash`: it is then another format's hash. */
function parsedByAnother(scheme: string, hash: string): string | undefined {
  for (const candidate of registry.candidates(hash)) {
    if (candidate.name === scheme) continue;
    try {
      candidate.parse(hash);
      return candidate.name;
    } catch {
      // Not this one either.
    }
  }
  return undefined;
}

describe.each(SCHEMES)('%s fixtures', (scheme) => {
  const vectors = file.vectors.filter((v) => v.scheme === scheme);
  const crypt = only(scheme);

  it('has reference vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(5);
  });

  it.each(vectors.map((v) => [v.note ?? v.hash, v] as const))('verifies %s, and refuses a wrong password', async (_label, v) => {
    await expect(crypt.verify(v.password, v.hash, verifyOptions(v))).resolves.toMatchObject({ scheme, valid: true });
    await expect(crypt.verify(wrong(v.password), v.hash, verifyOptions(v))).resolves.toMatchObject({ scheme, valid: false });
    await expect(crypt.verify(`${v.password} `, v.hash, verifyOptions(v))).resolves.toMatchObject({ scheme, valid: false });
  });

  it('is identified as this scheme by a policy that accepts it', () => {
    for (const v of vectors) expect(crypt.identify(v.hash).scheme).toBe(scheme);
  });

  it('refuses every malformed fixture with a typed error, unless it is another format', async () => {
    const malformed = (file.malformed ?? []).filter((m) => m.scheme === scheme);
    expect(malformed.length).toBeGreaterThan(0);
    const codes = BARE.includes(scheme) ? [...TYPED, 'unknown_hash_format'] : TYPED;
    for (const m of malformed) {
      if (!BARE.includes(scheme) && !registry.candidates(m.hash).some((s) => s.name === scheme)) {
        // "mysql41 without its *" is a well-formed hex_sha1, "postgres_md5 without md5" a hex_md5:
        // those strings belong to another format, and this scheme rightly does not claim them.
        expect(parsedByAnother(scheme, m.hash), m.why).toBeDefined();
        continue;
      }
      expect(codes, m.why).toContain(await outcome(crypt.verify('password', m.hash, { user: 'postgres' })));
    }
  });

  it('refuses truncated, extended and damaged strings with a typed error', async () => {
    // A prefixed digest with a wrong length or a non-hex letter is a damaged hash of its format;
    // a bare one is no digest at all (unknown format). Either way it is a typed 422, never a match.
    const codes = BARE.includes(scheme) ? [...TYPED, 'unknown_hash_format'] : TYPED;
    for (const v of vectors.slice(0, 3)) {
      for (const mutated of [v.hash.slice(0, -1), `${v.hash}0`, `${v.hash.slice(0, -1)}g`, `${v.hash.slice(0, -2)}`, `${v.hash.slice(0, -1)}Z`]) {
        expect(codes, mutated).toContain(await outcome(crypt.verify(v.password, mutated, verifyOptions(v))));
      }
    }
  });
});

describe("hashcat's published examples", () => {
  const all = loadHashcatExamples();
  const examples = all.filter((e) => (SCHEMES as readonly string[]).includes(e.scheme) && e.valid !== null);

  it.each(examples.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
    await expect(only(e.scheme).verify(e.password, e.hash, verifyOptions(e))).resolves.toMatchObject({ scheme: e.scheme, valid: e.valid });
  });
});

describe('bare hex ambiguity', () => {
  const md5 = file.vectors.find((v) => v.scheme === 'hex_md5') as Vector;

  it('marks every bare-hex scheme ambiguous and the prefixed ones not', () => {
    for (const name of ['hex_md5', 'hex_sha1', 'hex_sha256', 'hex_sha512', 'nthash']) expect(registry.get(name)?.ambiguous).toBe(true);
    for (const name of ['mysql41', 'postgres_md5']) expect(registry.get(name)?.ambiguous).toBeFalsy();
  });

  it('reads a bare 32-hex string as hex_md5 under the default policy', () => {
    expect(makeCrypt().crypt.identify(md5.hash).scheme).toBe('hex_md5');
  });

  it('lists the candidates a policy accepts in policy order, then the other readings', () => {
    const { crypt } = makeCrypt({ schemes: ['argon2id', 'nthash', 'hex_md5'], default: 'argon2id' });
    expect(crypt.identify(md5.hash)).toMatchObject({ scheme: 'nthash', candidates: ['nthash', 'hex_md5', 'django_unsalted_md5'] });
  });

  it('accepts upper-case hex', async () => {
    await expect(only('hex_md5').verify(md5.password, md5.hash.toUpperCase(), { rehash: false })).resolves.toMatchObject({ valid: true });
  });
});

describe('postgres_md5', () => {
  const v = file.vectors.find((x) => x.scheme === 'postgres_md5') as Vector;

  it('needs the user: without it the request is refused with missing_hash_input', async () => {
    expect(await outcome(only('postgres_md5').verify(v.password, v.hash))).toBe('missing_hash_input');
  });

  it('does not verify under another user', async () => {
    await expect(only('postgres_md5').verify(v.password, v.hash, { rehash: false, user: `${v.user ?? ''}x` })).resolves.toMatchObject({ valid: false });
  });
});

describe('nthash', () => {
  it('hashes the UTF-16 code units of the password, surrogate pairs included', async () => {
    const unicode = file.vectors.find((x) => x.scheme === 'nthash' && /[^\x00-\x7f]/.test(x.password));
    expect(unicode).toBeDefined();
    await expect(only('nthash').verify(unicode?.password ?? '', unicode?.hash ?? '', { rehash: false })).resolves.toMatchObject({ valid: true });
  });
});
