/**
 * Wrapping weak legacy hashes in argon2id: for every reference vector of every scheme that
 * supports wrapping, the blank (checksum zeroed) still parses, recomputing the checksum from the
 * password under the blank's settings gives back the stored checksum, and the wrapped string
 * verifies the original password through the policy, needs a rehash, upgrades to plain argon2id,
 * and no longer contains the legacy checksum.
 */
import { describe, expect, it } from 'vitest';
import { nodeSchemeEnv } from '../../src/entry/runtime-node';
import { toHex } from '../../src/hashing/encoding';
import { wrapLegacyHash } from '../../src/hashing/schemes/wrapped';
import { loadVectorFiles, makeCrypt, registry, type Vector } from '../helpers';

const env = nodeSchemeEnv();
const wrappable = registry.schemes.filter((s) => s.wrap).map((s) => s.name);
const vectors: Vector[] = Object.values(loadVectorFiles())
  .flatMap((f) => f.vectors)
  .filter((v) => wrappable.includes(v.scheme) && v.expect !== false && !v.default_cost);
const { crypt } = makeCrypt({ schemes: ['argon2id', 'hashd_wrapped', ...wrappable], legacy_raw: wrappable.filter((n) => registry.get(n)?.ambiguous) });
const ARGON2 = { memory_cost: 256, time_cost: 1, parallelism: 1, salt_bytes: 16, hash_bytes: 32 };

describe('wrap support', () => {
  it('covers the weak formats a migration meets', () => {
    for (const name of ['hex_md5', 'hex_sha1', 'md5_crypt', 'des_crypt', 'phpass', 'mysql41', 'django_salted_md5', 'django_salted_sha1', 'ldap_salted_sha1']) {
      expect(wrappable).toContain(name);
    }
    expect(wrappable).not.toContain('argon2id');
    expect(wrappable).not.toContain('bcrypt');
  });

  it.each(vectors.map((v) => [v.scheme, v.hash.slice(0, 40), v] as const))('%s %s', async (name, _short, v) => {
    const scheme = registry.get(name);
    const support = scheme?.wrap;
    if (!scheme || !support) throw new Error(`no wrap support for ${name}`);
    const parsed = scheme.parse(v.hash);
    const blank = support.blank(parsed);
    const blankParsed = scheme.parse(blank);
    const extras = { ...(v.user !== undefined && { user: v.user }), ...(v.salt !== undefined && { salt: v.salt }) };
    const checksum = support.checksum(parsed);
    expect(toHex(await support.compute(new TextEncoder().encode(v.password), blankParsed, env, extras))).toBe(toHex(checksum));
    expect(toHex(await support.compute(new TextEncoder().encode(`!${v.password}`), blankParsed, env, extras))).not.toBe(toHex(checksum));

    const wrapped = await wrapLegacyHash(scheme, parsed, ARGON2, env);
    expect(wrapped).toMatch(new RegExp(`^\\$hashd-wrap\\$v=1\\$${name}\\$[A-Za-z0-9_-]*\\$argon2id\\$v=19\\$m=256,t=1,p=1\\$`));
    if (checksum.length >= 8) {
      expect(wrapped.toLowerCase()).not.toContain(toHex(checksum));
      expect(wrapped).not.toContain(v.hash);
    }
    const ok = await crypt.verify(v.password, wrapped, extras);
    expect(ok).toMatchObject({ valid: true, scheme: 'hashd_wrapped', needsRehash: true, reasons: ['deprecated_scheme'] });
    expect(ok.newHash).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
    await expect(crypt.verify(`!${v.password}`, wrapped, extras)).resolves.toMatchObject({ valid: false });
    expect(crypt.identify(wrapped)).toMatchObject({ scheme: 'hashd_wrapped', params: { inner: name, memory_cost: 256 } });
  });

  it('refuses a wrapped hash whose argon2 cost exceeds the caps, before any work', async () => {
    const scheme = registry.get('hex_md5');
    if (!scheme) throw new Error('hex_md5 missing');
    const wrapped = await wrapLegacyHash(scheme, scheme.parse('8743b52063cd84097a65d1633f5c74f5'), ARGON2, env);
    await expect(crypt.verify('hashcat', wrapped.replace('m=256', 'm=4194304'))).rejects.toMatchObject({ code: 'hash_cost_exceeds_cap' });
    await expect(crypt.verify('hashcat', wrapped.replace('$hex_md5$', '$nosuch$'))).rejects.toMatchObject({ code: 'malformed_hash' });
  });
});
