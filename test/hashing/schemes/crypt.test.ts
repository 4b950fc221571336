/**
 * md5_crypt, apr_md5_crypt, sha256_crypt and sha512_crypt (src/hashing/schemes/crypt.ts) and
 * yescrypt (src/hashing/schemes/yescrypt.ts) against the reference fixtures
 * (test/vectors/crypt.json, from passlib and libxcrypt) and hashcat's published examples, plus
 * the parsing rules passlib and libxcrypt enforce and the cost caps.
 */
import { describe, expect, it, vi } from 'vitest';
import { HashdError } from '../../../src/errors';
import { md5CryptChecksum, shaCryptChecksum, type Md5CryptData, type ShaCryptData } from '../../../src/hashing/schemes/crypt';
import { loadHashcatExamples, registry, type Vector } from '../../helpers';
import { only, outcome, TYPED, vectorChecks, vectorFile, verifyOptions } from './_unix';

const SCHEMES = ['md5_crypt', 'apr_md5_crypt', 'sha256_crypt', 'sha512_crypt', 'yescrypt'] as const;
const file = vectorFile('crypt');

/** Damaged copies of a hash: cut, extended, a bad last character, the checksum dropped. */
function mutations(hash: string): string[] {
  return [hash.slice(0, -1), `${hash}.`, `${hash.slice(0, -1)}!`, hash.slice(0, hash.lastIndexOf('$') + 1)];
}

describe.each(SCHEMES)('%s fixtures', (scheme) => {
  const vectors = file.vectors.filter((v) => v.scheme === scheme);
  const crypt = only(scheme);

  vectorChecks(scheme, vectors, crypt, 5);

  it('refuses every malformed fixture with a typed error', async () => {
    const malformed = (file.malformed ?? []).filter((m) => m.scheme === scheme);
    expect(malformed.length).toBeGreaterThan(0);
    for (const m of malformed) expect(TYPED, m.why).toContain(await outcome(crypt.verify('password', m.hash)));
  });

  it('refuses truncated, extended and damaged strings with a typed error', async () => {
    for (const v of vectors.slice(0, 3)) {
      for (const mutated of mutations(v.hash)) expect(TYPED, mutated).toContain(await outcome(crypt.verify(v.password, mutated)));
    }
  });
});

describe('the node:crypto path (runtimes without WebAssembly)', () => {
  it('gives the same checksums as the WebAssembly path', () => {
    const encoder = new TextEncoder();
    for (const v of file.vectors.filter((x) => (x.scheme === 'sha256_crypt' || x.scheme === 'sha512_crypt') && x.hash.includes('rounds=1000$'))) {
      const { bits, salt, rounds, checksum } = registry.get(v.scheme)?.parse(v.hash).data as ShaCryptData;
      const password = encoder.encode(v.password);
      expect(shaCryptChecksum(bits, password, salt, rounds, { portable: true })).toBe(checksum);
      expect(shaCryptChecksum(bits, password, salt, rounds)).toBe(checksum);
    }
    for (const v of file.vectors.filter((x) => x.scheme === 'md5_crypt' || x.scheme === 'apr_md5_crypt')) {
      const { salt, checksum } = registry.get(v.scheme)?.parse(v.hash).data as Md5CryptData;
      const magic = encoder.encode(v.scheme === 'md5_crypt' ? '$1$' : '$apr1$');
      expect(md5CryptChecksum(encoder.encode(v.password), salt, magic, { portable: true })).toBe(checksum);
    }
  });
});

describe("hashcat's published examples", () => {
  const examples = loadHashcatExamples().filter((e) => (SCHEMES as readonly string[]).includes(e.scheme) && e.valid !== null);

  it.each(examples.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
    await expect(only(e.scheme).verify(e.password, e.hash, { rehash: false })).resolves.toMatchObject({ scheme: e.scheme, valid: e.valid });
  });
});

describe('sha-crypt parsing rules (as passlib)', () => {
  const sha512 = file.vectors.find((v) => v.scheme === 'sha512_crypt' && v.hash.startsWith('$6$rounds=1000$')) as Vector;
  const body = sha512.hash.slice('$6$rounds=1000$'.length);
  const crypt = only('sha512_crypt');

  it('reads a missing rounds= as 5000 and reports it', () => {
    const parsed = registry.get('sha512_crypt')?.parse(`$6$${body}`);
    expect(parsed?.cost).toEqual({ rounds: 5000 });
    expect(parsed?.params).toMatchObject({ rounds: 5000, implicit_rounds: 1 });
  });

  it.each([
    ['rounds below 1000', '$6$rounds=999$'],
    ['rounds=0', '$6$rounds=0$'],
    ['zero-padded rounds', '$6$rounds=01000$'],
    ['rounds above 999999999', '$6$rounds=1000000000$'],
    ['non-numeric rounds', '$6$rounds=1e4$'],
    ['negative rounds', '$6$rounds=-5000$'],
  ])('refuses %s as malformed', async (_label, prefix) => {
    expect(await outcome(crypt.verify(sha512.password, `${prefix}${body}`))).toBe('malformed_hash');
  });

  it('refuses a salt longer than 16 characters (glibc would truncate it)', async () => {
    expect(await outcome(crypt.verify('x', `$6$rounds=1000$abcdefghijklmnopq$${body.split('$')[1]}`))).toBe('malformed_hash');
  });

  it('refuses a checksum whose last character carries bits no implementation writes', async () => {
    const checksum = body.split('$')[1] as string;
    // 64 bytes end in a group of 8 bits written as 2 characters: the last one is "." to "1".
    expect(await outcome(crypt.verify('x', `$6$rounds=1000$${body.split('$')[0]}$${checksum.slice(0, -1)}z`))).toBe('malformed_hash');
  });

  it('refuses rounds above the cap before computing anything', async () => {
    const scheme = registry.get('sha512_crypt');
    if (!scheme) throw new Error('sha512_crypt is not registered');
    const spy = vi.spyOn(scheme, 'verify');
    try {
      const over = (scheme.costCaps.rounds as number) + 1;
      const code = await outcome(crypt.verify(sha512.password, `$6$rounds=${over}$${body}`));
      expect(code).toBe('hash_cost_exceeds_cap');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('never matches a password containing NUL (no C crypt(3) can have hashed one)', async () => {
    const md5 = file.vectors.find((v) => v.scheme === 'md5_crypt') as Vector;
    await expect(only('md5_crypt').verify(`${md5.password}\u0000`, md5.hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });
});

describe('md5_crypt parsing rules', () => {
  const md5 = file.vectors.find((v) => v.scheme === 'md5_crypt') as Vector;
  const checksum = md5.hash.slice(md5.hash.lastIndexOf('$') + 1);
  const crypt = only('md5_crypt');

  it.each([
    ['a 9-character salt', `$1$abcdefghi$${checksum}`],
    ['a salt character outside hash64', `$1$abc!$${checksum}`],
    ['no checksum (a config string)', '$1$abcdefgh'],
    ['an empty checksum', '$1$abcdefgh$'],
    ['a non-canonical last character', `$1$abcdefgh$${checksum.slice(0, -1)}z`],
  ])('refuses %s as malformed', async (_label, hash) => {
    expect(await outcome(crypt.verify('x', hash))).toBe('malformed_hash');
  });

  it('reports the salt size and no cost (md5_crypt has fixed rounds)', () => {
    const parsed = registry.get('md5_crypt')?.parse(md5.hash);
    expect(parsed?.cost).toEqual({});
    expect(parsed?.saltBytes).toBe(8);
  });

  it('does not take an apr1 hash for md5_crypt or the other way round', () => {
    const apr = file.vectors.find((v) => v.scheme === 'apr_md5_crypt') as Vector;
    expect(registry.candidates(apr.hash).map((s) => s.name)).toEqual(['apr_md5_crypt']);
    expect(registry.candidates(md5.hash).map((s) => s.name)).toEqual(['md5_crypt']);
  });
});

describe('yescrypt parameters', () => {
  const vectors = file.vectors.filter((v) => v.scheme === 'yescrypt');
  const low = vectors.find((v) => v.hash.startsWith('$y$j75$')) as Vector;
  const rest = low.hash.slice('$y$j75'.length);
  const crypt = only('yescrypt');

  it('reports N (as ln), r and the memory a verify fills', () => {
    const parsed = registry.get('yescrypt')?.parse(low.hash);
    expect(parsed?.cost).toMatchObject({ ln: 10, r: 8, p: 1, t: 0 });
    expect(parsed?.cost.memory_kib).toBeGreaterThanOrEqual(1024);
    expect(parsed?.saltBytes).toBe(16);
  });

  it('refuses memory above the cap before computing anything', async () => {
    const scheme = registry.get('yescrypt');
    if (!scheme) throw new Error('yescrypt is not registered');
    const spy = vi.spyOn(scheme, 'verify');
    try {
      // "jBT": N = 2^14, r = 32, 64 MiB.
      expect(await outcome(crypt.verify(low.password, `$y$jBT${rest}`))).toBe('hash_cost_exceeds_cap');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it.each([
    ['another flavor (classic scrypt)', `$y$.75${rest}`],
    // After N and r, "have" (1 + the character's value) says which optional fields follow:
    // 1 p, 2 t, 4 the upgrade counter g, 8 a ROM.
    ['an upgrade counter g', `$y$j751.${rest}`],
    ['a ROM', `$y$j755.${rest}`],
    ['trailing parameter characters', `$y$j75...${rest}`],
    ['a 1-character salt group', `$y$j75$a$${rest.split('$')[2]}`],
  ])('refuses %s as malformed', async (_label, hash) => {
    expect(await outcome(crypt.verify(low.password, hash))).toBe('malformed_hash');
  });
});
