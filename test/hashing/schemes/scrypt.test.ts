/**
 * scrypt schemes (src/hashing/schemes/scrypt.ts): passlib, Werkzeug, Django, better-auth and
 * Firebase (Kratos' $firescrypt$ layout). Vectors come from test/vectors and hashcat's examples;
 * the malformed strings below are mutations of those vectors.
 */
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../src/hashing/policy-config';
import { makeCrypt, registry, type Vector } from '../../helpers';
import { loadVectors, cryptFor, errorCode, first, fixtureSuite, expectCapped, fuzzSuite, hashcatSuite } from './_fixtures';


const SCRYPT = ['scrypt', 'werkzeug_scrypt', 'django_scrypt'] as const;
const BEYOND = ['firebase_scrypt', 'better_auth_scrypt'] as const;

fixtureSuite('scrypt', SCRYPT);
fixtureSuite('beyond', BEYOND, {
  // A bare 32-hex string is an MD5 hex (hex_md5 and friends), not a damaged better-auth hash.
  notThisShape: ['better_auth_scrypt: missing key part'],
});
hashcatSuite(new Set(['scrypt']));

const scryptFile = loadVectors('scrypt');
const beyondFile = loadVectors('beyond');

describe('malformed and over-cap mutations', () => {
  it('scrypt (passlib): ln, r and p ranges, memory and work caps', async () => {
    const hash = first(scryptFile, 'scrypt').hash; // ln=8, r=8, p=1
    const crypt = cryptFor('scrypt');
    for (const bad of [hash.slice(0, -2), `${hash.slice(0, -6)}!${hash.slice(-5)}`, hash.replace('ln=8', 'ln=0'), hash.replace('r=8', 'r=0'), hash.replace('p=1', 'p=0'), hash.replace('ln=8', 'ln=08'), hash.replace('ln=8,r=8', 'ln=16,r=1')]) {
      expect(await errorCode(crypt.verify('password', bad)), bad).toBe('malformed_hash');
    }
    await expectCapped('scrypt', hash.replace('ln=8', 'ln=25')); // N above 2^20
    await expectCapped('scrypt', hash.replace('ln=8', 'ln=19').replace('r=8', 'r=16')); // 1 GiB of memory
    await expectCapped('scrypt', hash.replace('ln=8', 'ln=17').replace('p=1', 'p=4')); // N·r·p = 2^22
    await expectCapped('scrypt', hash.replace('p=1', 'p=1000'));
  });

  it('werkzeug_scrypt and django_scrypt: N must be a power of two; huge N is over the cap', async () => {
    const wz = first(scryptFile, 'werkzeug_scrypt').hash; // scrypt:1024:8:1
    expect(await errorCode(cryptFor('werkzeug_scrypt').verify('password', wz.replace('scrypt:1024', 'scrypt:1')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('werkzeug_scrypt').verify('password', wz.replace('scrypt:1024', 'scrypt:1023')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('werkzeug_scrypt').verify('password', wz.slice(0, -2)))).toBe('malformed_hash');
    await expectCapped('werkzeug_scrypt', wz.replace('scrypt:1024', `scrypt:${2 ** 30}`));
    const dj = first(scryptFile, 'django_scrypt').hash; // scrypt$1024$salt$8$1$…
    expect(await errorCode(cryptFor('django_scrypt').verify('password', dj.replace('scrypt$1024$', 'scrypt$1000$')))).toBe('malformed_hash');
    expect(await errorCode(cryptFor('django_scrypt').verify('password', dj.slice(0, -4)))).toBe('malformed_hash');
    await expectCapped('django_scrypt', dj.replace('scrypt$1024$', `scrypt$${2 ** 24}$`));
  });

  it('firebase_scrypt: mem_cost and rounds ranges; the hash must be as long as the signer key', async () => {
    const hash = first(beyondFile, 'firebase_scrypt').hash; // ln=14,r=8,p=1
    const crypt = cryptFor('firebase_scrypt');
    expect(await errorCode(crypt.verify('password', hash.replace('ln=14', 'ln=0')))).toBe('malformed_hash');
    expect(await errorCode(crypt.verify('password', hash.replace('r=8', 'r=0')))).toBe('malformed_hash');
    expect(await errorCode(crypt.verify('password', hash.slice(0, -4)))).toBe('malformed_hash');
    const fields = hash.split('$');
    fields[4] = Buffer.from(fields[4] as string, 'base64').subarray(0, 32).toString('base64');
    expect(await errorCode(crypt.verify('password', fields.join('$')))).toBe('malformed_hash');
    await expectCapped('firebase_scrypt', hash.replace('ln=14', 'ln=31'));
  });

  it('better_auth_scrypt: damaged salt or key are malformed, not another format', async () => {
    const hash = first(beyondFile, 'better_auth_scrypt').hash;
    const crypt = cryptFor('better_auth_scrypt');
    for (const bad of [hash.slice(0, -2), `${hash.slice(0, -1)}g`, hash.slice(2), `${hash}00`]) {
      expect(await errorCode(crypt.verify('password', bad)), bad).toBe('malformed_hash');
    }
  });
});

describe('identification and parameters', () => {
  const { crypt } = makeCrypt();

  it('reports N as ln, r, p and the cost the caps are checked against', () => {
    expect(crypt.identify(first(scryptFile, 'werkzeug_scrypt').hash).params).toMatchObject({ ln: 10, r: 8, p: 1, hash_bytes: 64 });
    const parsed = registry.get('django_scrypt')?.parse(scryptFile.vectors.find((v) => v.scheme === 'django_scrypt' && v.hash.startsWith('scrypt$16384$'))?.hash as string);
    expect(parsed?.cost).toEqual({ ln: 14, r: 8, p: 5, memory_kib: 16384, work: 16384 * 8 * 5 });
  });

  it("tells Werkzeug's parameterless scrypt$salt$hex from Django's six-field scrypt$", () => {
    const bare = `scrypt$abc$${'0'.repeat(128)}`;
    expect(registry.candidates(bare).map((s) => s.name)).toEqual(['werkzeug_scrypt']);
    expect(registry.get('werkzeug_scrypt')?.parse(bare).params).toMatchObject({ ln: 15, r: 8, p: 1 });
    expect(registry.candidates(first(scryptFile, 'django_scrypt').hash).map((s) => s.name)).toEqual(['django_scrypt']);
  });

  it("does not claim Joomla's md5hex:salt (salt of at most 32 characters) as better-auth", () => {
    expect(registry.get('better_auth_scrypt')?.identify(`${'ab'.repeat(16)}:${'x'.repeat(32)}`)).toBe(false);
  });

  it('better_auth_scrypt applies NFKC itself, whatever the policy normalizes', async () => {
    const v = beyondFile.vectors.find((x) => x.scheme === 'better_auth_scrypt' && x.password !== x.password.normalize('NFKC')) as Vector;
    expect(v).toBeDefined();
    await expect(cryptFor('better_auth_scrypt').verify(v.password, v.hash, { rehash: false })).resolves.toMatchObject({ valid: true });
    await expect(cryptFor('better_auth_scrypt').verify(v.password.normalize('NFKC'), v.hash, { rehash: false })).resolves.toMatchObject({ valid: true });
  });

  fuzzSuite([...SCRYPT, ...BEYOND], [...SCRYPT.map((s) => first(scryptFile, s).hash), ...BEYOND.map((s) => first(beyondFile, s).hash)]);
});

describe('producer: scrypt', () => {
  const producer = registry.get('scrypt')?.producer;

  it('follows OWASP: N=2^17, r=8, p=1 or an equivalent (2^16 p≥2 … 2^13 p≥10)', () => {
    const weak = (ln: number, r: number, p: number): string | null => producer?.weakness?.({ ln, r, p, salt_bytes: 16 }) ?? null;
    expect(weak(17, 8, 1)).toBeNull();
    expect(weak(16, 8, 2)).toBeNull();
    expect(weak(15, 8, 3)).toBeNull();
    expect(weak(14, 8, 5)).toBeNull();
    expect(weak(13, 8, 10)).toBeNull();
    expect(weak(16, 8, 1)).toMatch(/p ≥ 2/);
    expect(weak(12, 8, 16)).toMatch(/2\^13/);
    expect(weak(17, 4, 1)).toMatch(/r below 8/);
    expect(producer?.weakness?.({ ln: 17, r: 8, p: 1, salt_bytes: 8 })).toMatch(/salt/);
  });

  it('makes passlib-format hashes at the OWASP defaults that verify', async () => {
    const { crypt } = makeCrypt({ schemes: ['scrypt'], default: 'scrypt', params: {}, allow_weak_params: false });
    const { hash } = await crypt.hash('pässword');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    await expect(crypt.verify('pässword', hash)).resolves.toEqual({ valid: true, scheme: 'scrypt', needsRehash: false, reasons: [] });
    // passlib's own default (ln=16) verifies and is flagged for an upgrade.
    const old = scryptFile.vectors.find((v) => v.scheme === 'scrypt' && v.hash.includes('ln=16')) as Vector;
    await expect(crypt.verify(old.password, old.hash, { rehash: false })).resolves.toMatchObject({ valid: true, needsRehash: true, reasons: ['param_below_min:ln'] });
  });

  it('refuses weak parameters unless allowed by name', () => {
    expect(() => makeCrypt({ schemes: ['scrypt'], default: 'scrypt', params: { scrypt: { ln: 14 } }, allow_weak_params: false })).toThrow(PolicyError);
    expect(() => makeCrypt({ schemes: ['scrypt'], default: 'scrypt', params: { scrypt: { ln: 14, p: 5 } }, allow_weak_params: false })).not.toThrow();
  });
});
