/**
 * PBKDF2 schemes (src/hashing/schemes/pbkdf2.ts): passlib, Django, Werkzeug, PHC (Kratos/Auth0),
 * Cryptacular, Atlassian, GRUB and ASP.NET Identity. Vectors come from test/vectors (written by
 * the reference implementations) and from hashcat's example hashes in shared/reference; the
 * malformed strings below are mutations of those vectors.
 */
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/hashing/policy-config';
import type { Scheme } from '../../../src/hashing/scheme';
import { makeCrypt, registry, type Vector } from '../../helpers';
import { loadVectors, cryptFor, errorCode, first, fixtureSuite, expectCapped, fuzzSuite, hashcatSuite } from './_fixtures';


const PBKDF2 = [
  'pbkdf2_sha1',
  'pbkdf2_sha256',
  'pbkdf2_sha512',
  'cta_pbkdf2_sha1',
  'grub_pbkdf2_sha512',
  'atlassian_pbkdf2_sha1',
  'django_pbkdf2_sha256',
  'django_pbkdf2_sha1',
  'werkzeug_pbkdf2',
] as const;
const BEYOND = ['phc_pbkdf2', 'aspnet_identity_v2', 'aspnet_identity_v3'] as const;

fixtureSuite('pbkdf2', PBKDF2);
fixtureSuite('beyond', BEYOND, {
  // ASP.NET blobs are recognised by their decoded shape only (brief: v2 is exactly 49 bytes from
  // 0x00, v3 a 0x01 header), so these strings are not ASP.NET strings at all for hashd; and the
  // PHC strings without `i=` are passlib's layout, which the default policy reports as malformed.
  notThisShape: [
    'aspnet_identity_v2: too short (published failure case)',
    'aspnet_identity_v2: extra data at end (published failure case)',
    'aspnet_identity_v2: invalid base64',
    'aspnet_identity_v3: truncated header',
    'aspnet_identity_v3: unknown format marker 0x02',
  ],
});
hashcatSuite(new Set([...PBKDF2, 'atlassian_pbkdf2_sha1']));

const pbkdf2File = loadVectors('pbkdf2');
const beyondFile = loadVectors('beyond');

describe('malformed and over-cap mutations', () => {
  const cases: [string, string, RegExp, string][] = [
    ['pbkdf2_sha1', first(pbkdf2File, 'pbkdf2_sha1').hash, /^(\$pbkdf2\$)\d+/, '$1'],
    ['pbkdf2_sha256', first(pbkdf2File, 'pbkdf2_sha256').hash, /^(\$pbkdf2-sha256\$)\d+/, '$1'],
    ['pbkdf2_sha512', first(pbkdf2File, 'pbkdf2_sha512').hash, /^(\$pbkdf2-sha512\$)\d+/, '$1'],
    ['django_pbkdf2_sha256', first(pbkdf2File, 'django_pbkdf2_sha256').hash, /^(pbkdf2_sha256\$)\d+/, '$1'],
    ['django_pbkdf2_sha1', first(pbkdf2File, 'django_pbkdf2_sha1').hash, /^(pbkdf2_sha1\$)\d+/, '$1'],
    ['werkzeug_pbkdf2', first(pbkdf2File, 'werkzeug_pbkdf2').hash, /^(pbkdf2:sha256:)\d+/, '$1'],
    ['grub_pbkdf2_sha512', first(pbkdf2File, 'grub_pbkdf2_sha512').hash, /^(grub\.pbkdf2\.sha512\.)\d+/, '$1'],
    ['phc_pbkdf2', first(beyondFile, 'phc_pbkdf2').hash, /^(\$pbkdf2-sha256\$i=)\d+/, '$1'],
  ];
  for (const [scheme, hash, rounds, keep] of cases) {
    it(`${scheme}: truncated, bad characters, zero rounds → malformed; huge rounds → over the cap, not computed`, async () => {
      const crypt = cryptFor(scheme);
      expect(await errorCode(crypt.verify('password', hash.slice(0, -2)))).toBe('malformed_hash');
      expect(await errorCode(crypt.verify('password', `${hash.slice(0, -6)}!${hash.slice(-5)}`))).toBe('malformed_hash');
      expect(await errorCode(crypt.verify('password', hash.replace(rounds, `${keep}0`)))).toBe('malformed_hash');
      expect(await errorCode(crypt.verify('password', hash.replace(rounds, `${keep}012`)))).toBe('malformed_hash');
      await expectCapped(scheme, hash.replace(rounds, `${keep}99999999`));
    });
  }

  it('cta_pbkdf2_sha1: hex rounds, zero-padded and huge', async () => {
    const hash = first(pbkdf2File, 'cta_pbkdf2_sha1').hash;
    expect(await errorCode(cryptFor('cta_pbkdf2_sha1').verify('password', hash.replace(/^\$p5k2\$[0-9a-f]+/, '$p5k2$0')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('cta_pbkdf2_sha1').verify('password', hash.replace(/^\$p5k2\$/, '$p5k2$0')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('cta_pbkdf2_sha1').verify('password', hash.slice(0, -3)))).toBe('malformed_hash');
    await expectCapped('cta_pbkdf2_sha1', hash.replace(/^\$p5k2\$[0-9a-f]+/, '$p5k2$ffffffff'));
  });

  it('phc_pbkdf2: l= must match the key; PHC base64 has no padding; a long key costs one run per block', async () => {
    const hash = first(beyondFile, 'phc_pbkdf2').hash;
    expect(await errorCode(cryptFor('phc_pbkdf2').verify('test', hash.replace(',l=32', ',l=31')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('phc_pbkdf2').verify('test', `${hash}=`))).toBe('malformed_hash');
    // 4,000,000 rounds of SHA-1 is over the 3M SHA-1 cap; so is 1,000,000 rounds for a 64-byte key (4 blocks).
    await expectCapped('phc_pbkdf2', '$pbkdf2-sha1$i=4000000,l=20$XiA23mhKYvz9Aws+aBguKA$e+uDa0hGXXEBTaE7GnP/JV9Dv7k');
    const long = registry.get('phc_pbkdf2')?.parse(`$pbkdf2-sha1$i=1000000,l=64$XiA23mhKYvz9Aws+aBguKA$${'A'.repeat(85)}w`);
    expect(long?.cost).toEqual({ rounds_sha1: 4_000_000 });
    // Kratos' sha224/sha384 are SHA-3 variants no other tool writes.
    expect(await errorCode(cryptFor('phc_pbkdf2').verify('test', hash.replace('sha256', 'sha384')))).toBe('malformed_hash');
  });

  it('atlassian_pbkdf2_sha1: only a 48-byte payload', async () => {
    const hash = first(pbkdf2File, 'atlassian_pbkdf2_sha1').hash;
    expect(await errorCode(cryptFor('atlassian_pbkdf2_sha1').verify('password', hash.slice(0, -4)))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('atlassian_pbkdf2_sha1').verify('password', `${hash}AAAA`))).toBe('malformed_hash');
  });

  it('aspnet_identity_v3: zero and huge iteration counts, unknown PRF, short salt', async () => {
    const blob = Buffer.from(first(beyondFile, 'aspnet_identity_v3').hash, 'base64');
    const withHeader = (offset: number, value: number): string => {
      const copy = Buffer.from(blob);
      copy.writeUInt32BE(value, offset);
      return copy.toString('base64');
    };
    expect(await errorCode(cryptFor('aspnet_identity_v3').verify('my password', withHeader(5, 0)))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('aspnet_identity_v3').verify('my password', withHeader(1, 3)))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('aspnet_identity_v3').verify('my password', withHeader(9, 8)))).toBe('malformed_hash');
    await expectCapped('aspnet_identity_v3', withHeader(5, 0xffffffff));
  });
});

describe('identification', () => {
  const { crypt } = makeCrypt();

  it("tells passlib's $pbkdf2-sha256$<rounds>$ from the PHC $pbkdf2-sha256$i=…$ layout", () => {
    expect(crypt.identify(first(pbkdf2File, 'pbkdf2_sha256').hash).scheme).toBe('pbkdf2_sha256');
    expect(crypt.identify(first(beyondFile, 'phc_pbkdf2').hash)).toMatchObject({ scheme: 'phc_pbkdf2', params: { digest: 'sha256', rounds: 100000 } });
    expect(registry.candidates(first(beyondFile, 'phc_pbkdf2').hash).map((s) => s.name)).toEqual(['phc_pbkdf2']);
  });

  it("leaves dlitz_pbkdf2_sha1's $p5k2$ strings alone", () => {
    const dlitz = '$p5k2$c$u9HvcT4d$Sd1gwSVCLZYAuqZ25piRnbBEoAesaa/g';
    expect(registry.get('cta_pbkdf2_sha1')?.identify(dlitz)).toBe(false);
  });

  it('claims no plain hex or unrelated base64 string as an ASP.NET blob', () => {
    const v2 = registry.get('aspnet_identity_v2') as Scheme;
    const v3 = registry.get('aspnet_identity_v3') as Scheme;
    const others = [
      'a'.repeat(128),
      'A'.repeat(128),
      'AF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF',
      Buffer.alloc(32, 7).toString('base64'),
      Buffer.alloc(61, 1).toString('base64'),
      '{SSHA}' + Buffer.alloc(24, 1).toString('base64'),
    ];
    for (const s of others) {
      expect(v2.identify(s), s).toBe(false);
      expect(v3.identify(s), s).toBe(false);
    }
    expect(crypt.identify(first(beyondFile, 'aspnet_identity_v2').hash).scheme).toBe('aspnet_identity_v2');
  });

  it('reports digest, rounds and salt size; ASP.NET v3 reports its PRF as the variant', () => {
    expect(crypt.identify(first(pbkdf2File, 'werkzeug_pbkdf2').hash).params).toMatchObject({ digest: 'sha256', rounds: 1000, salt_bytes: 16, hash_bytes: 32 });
    const v3 = registry.get('aspnet_identity_v3')?.parse('AQAAAAIAAYagAAAAEAABAgMEBQYHCAkKCwwNDg/Q8A0WMKbtHQJQ2DHCdoEeeFBrgNlldq6vH4qX/CGqGQ==');
    expect(v3).toMatchObject({ variant: 'sha512', cost: { rounds_sha512: 100000 }, saltBytes: 16 });
  });

  it("fills a Werkzeug pbkdf2 string without a count with current Werkzeug's default", () => {
    const parsed = registry.get('werkzeug_pbkdf2')?.parse('pbkdf2:sha1$salt$' + 'ab'.repeat(20));
    expect(parsed?.params).toMatchObject({ digest: 'sha1', rounds: 1_000_000 });
    expect(registry.get('werkzeug_pbkdf2')?.parse('pbkdf2$salt$' + 'ab'.repeat(32)).params).toMatchObject({ digest: 'sha256' });
  });

  fuzzSuite([...PBKDF2, ...BEYOND], [...[...PBKDF2, ...BEYOND].map((s) => first(s === 'phc_pbkdf2' || s.startsWith('aspnet') ? beyondFile : pbkdf2File, s).hash)]);
});

describe('producers: pbkdf2_sha256 and pbkdf2_sha512', () => {
  it('a FIPS policy with pbkdf2_sha256 at 600,000 rounds works end to end', async () => {
    const { crypt } = makeCrypt({ schemes: ['pbkdf2_sha256'], default: 'pbkdf2_sha256', params: {}, allow_weak_params: false });
    const { hash, scheme } = await crypt.hash('correct horse');
    expect(scheme).toBe('pbkdf2_sha256');
    expect(hash).toMatch(/^\$pbkdf2-sha256\$600000\$[./A-Za-z0-9]{22}\$[./A-Za-z0-9]{43}$/);
    await expect(crypt.verify('correct horse', hash)).resolves.toEqual({ valid: true, scheme: 'pbkdf2_sha256', needsRehash: false, reasons: [] });
    await expect(crypt.verify('correct horsE', hash)).resolves.toMatchObject({ valid: false });
    // An old passlib hash (29,000 rounds) verifies and comes back at the policy's 600,000 rounds.
    const old = pbkdf2File.vectors.find((v) => v.scheme === 'pbkdf2_sha256' && v.hash.includes('$29000$')) as Vector;
    const upgraded = await crypt.verify(old.password, old.hash);
    expect(upgraded).toMatchObject({ valid: true, needsRehash: true, reasons: ['param_below_min:rounds'] });
    expect(upgraded.newHash).toMatch(/^\$pbkdf2-sha256\$600000\$/);
    // pbkdf2_sha1 and pbkdf2_sha512 hashes are accepted through the family and upgraded too.
    const sha1 = first(pbkdf2File, 'pbkdf2_sha1');
    await expect(crypt.verify(sha1.password, sha1.hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'pbkdf2_sha1', reasons: ['outdated_variant'] });
  });

  it('pbkdf2_sha512 defaults to 210,000 rounds and a 16-byte salt', async () => {
    const { crypt } = makeCrypt({ schemes: ['pbkdf2_sha512'], default: 'pbkdf2_sha512', params: {}, allow_weak_params: false });
    const { hash } = await crypt.hash('pw');
    expect(hash).toMatch(/^\$pbkdf2-sha512\$210000\$[./A-Za-z0-9]{22}\$[./A-Za-z0-9]{86}$/);
    await expect(crypt.verify('pw', hash)).resolves.toMatchObject({ valid: true, needsRehash: false });
  });

  it('refuses rounds below OWASP and short salts unless weak parameters are allowed by name', () => {
    const weak = (params: Record<string, number>): unknown => () =>
      makeCrypt({ schemes: ['pbkdf2_sha256'], default: 'pbkdf2_sha256', params: { pbkdf2_sha256: params }, allow_weak_params: false });
    expect(weak({ rounds: 100_000 })).toThrow(PolicyError);
    expect(weak({ salt_bytes: 8 })).toThrow(PolicyError);
    expect(weak({ rounds: 600_000, salt_bytes: 16 })).not.toThrow();
    expect(() => makeCrypt({ schemes: ['pbkdf2_sha256'], default: 'pbkdf2_sha256', params: { pbkdf2_sha256: { hash_bytes: 16 } } })).toThrow(PolicyError);
    const producer = registry.get('pbkdf2_sha512')?.producer;
    expect(producer?.weakness?.({ rounds: 209_999, salt_bytes: 16, hash_bytes: 64 })).toMatch(/210000/);
    expect(producer?.weakness?.({ rounds: 210_000, salt_bytes: 16, hash_bytes: 64 })).toBeNull();
  });

  it('uses a fresh salt for every hash (cheap rounds, allowed by name)', async () => {
    const { crypt } = makeCrypt({ schemes: ['pbkdf2_sha256'], default: 'pbkdf2_sha256', params: { pbkdf2_sha256: { rounds: 1000, salt_bytes: 24 } } });
    const a = await crypt.hash('same');
    const b = await crypt.hash('same');
    expect(a.hash).not.toBe(b.hash);
    expect(a.hash).toMatch(/^\$pbkdf2-sha256\$1000\$[./A-Za-z0-9]{32}\$/);
    expect(crypt.needsUpdate(a.hash)).toEqual({ scheme: 'pbkdf2_sha256', needsRehash: false, reasons: [] });
  });
});
