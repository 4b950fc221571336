/**
 * The LDAP {SCHEME} formats (src/hashing/schemes/ldap.ts) against the reference fixtures
 * (test/vectors/ldap.json, from passlib with {CRYPT} payloads cross-checked by libxcrypt) and
 * hashcat's published examples.
 */
import { describe, expect, it, vi } from 'vitest';
import { HashdError } from '../../../src/errors';
import { loadHashcatExamples, registry, type Vector } from '../../helpers';
import { only, outcome, TYPED, vectorChecks, vectorFile } from './_unix';

const SCHEMES = ['ldap_md5', 'ldap_sha1', 'ldap_salted_md5', 'ldap_salted_sha1', 'ldap_salted_sha256', 'ldap_salted_sha512', 'ldap_crypt'] as const;
const file = vectorFile('ldap');

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
    for (const v of vectors) {
      for (const mutated of [v.hash.slice(0, -1), `${v.hash}.`, `${v.hash.slice(0, -1)}!`]) {
        expect(TYPED, mutated).toContain(await outcome(crypt.verify(v.password, mutated)));
      }
    }
  });
});

describe("hashcat's published examples", () => {
  const all = loadHashcatExamples();
  const examples = all.filter((e) => (SCHEMES as readonly string[]).includes(e.scheme) && e.valid !== null);

  it.each(examples.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
    await expect(only(e.scheme).verify(e.password, e.hash, { rehash: false })).resolves.toMatchObject({ scheme: e.scheme, valid: e.valid });
  });
});

describe('LDAP prefixes', () => {
  it('are case-insensitive, as LDAP scheme names are', async () => {
    for (const scheme of ['ldap_sha1', 'ldap_salted_sha1', 'ldap_crypt']) {
      const v = file.vectors.find((x) => x.scheme === scheme) as Vector;
      const lower = v.hash.replace(/^\{[A-Z0-9]+\}/, (tag) => tag.toLowerCase());
      expect(lower).not.toBe(v.hash);
      await expect(only(scheme).verify(v.password, lower, { rehash: false })).resolves.toMatchObject({ scheme, valid: true });
    }
  });

  it('tell {SSHA}, {SSHA256} and {SSHA512} apart', () => {
    for (const scheme of ['ldap_salted_sha1', 'ldap_salted_sha256', 'ldap_salted_sha512']) {
      const v = file.vectors.find((x) => x.scheme === scheme) as Vector;
      expect(registry.candidates(v.hash).map((s) => s.name)).toEqual([scheme]);
    }
  });

  it('report the salt length of salted digests', () => {
    const v = file.vectors.find((x) => x.scheme === 'ldap_salted_sha1') as Vector;
    const parsed = registry.get('ldap_salted_sha1')?.parse(v.hash);
    expect(parsed?.saltBytes).toBeGreaterThanOrEqual(4);
    expect(parsed?.params.salt_bytes).toBe(parsed?.saltBytes);
  });
});

describe('{CRYPT}', () => {
  const wrapped = (prefix: string): Vector => file.vectors.find((v) => v.scheme === 'ldap_crypt' && v.hash.startsWith(`{CRYPT}${prefix}`)) as Vector;

  it('reports the wrapped scheme and its parameters', () => {
    const parsed = registry.get('ldap_crypt')?.parse(wrapped('$6$rounds=').hash);
    expect(parsed?.params).toMatchObject({ inner: 'sha512_crypt', rounds: 1000 });
    expect(parsed?.variant).toBe('sha512_crypt');
    expect(parsed?.inner?.scheme.name).toBe('sha512_crypt');
    expect(parsed?.inner?.parsed.cost).toEqual({ rounds: 1000 });
  });

  it("refuses a wrapped hash above the wrapped scheme's cap before computing anything", async () => {
    const scheme = registry.get('ldap_crypt');
    const inner = registry.get('sha512_crypt');
    if (!scheme || !inner) throw new Error('schemes not registered');
    const spies = [vi.spyOn(scheme, 'verify'), vi.spyOn(inner, 'verify')];
    try {
      const hash = wrapped('$6$rounds=').hash.replace('rounds=1000$', `rounds=${(inner.costCaps.rounds as number) + 1}$`);
      expect(await outcome(only('ldap_crypt').verify('x', hash))).toBe('hash_cost_exceeds_cap');
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("names the wrapped scheme when the wrapped hash is malformed", async () => {
    const error = await only('ldap_crypt')
      .verify('x', '{CRYPT}$1$abcdefgh$tooshort')
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HashdError);
    expect((error as HashdError).details).toMatchObject({ scheme: 'md5_crypt' });
  });

  it("applies bcrypt's 72-byte limit to a wrapped bcrypt hash", async () => {
    const v = wrapped('$2');
    await expect(only('ldap_crypt').verify(v.password.padEnd(73, 'x'), v.hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('refuses a {CRYPT} around something that is not a crypt hash', async () => {
    expect(await outcome(only('ldap_crypt').verify('x', '{CRYPT}$md5$abc'))).toBe('malformed_hash');
    expect(await outcome(only('ldap_crypt').verify('x', '{CRYPT}{SSHA}abc'))).toBe('malformed_hash');
  });
});
