/**
 * The hand-written DES (src/hashing/schemes/des.ts) against the standard known answers, and
 * des_crypt, bsdi_crypt and django_des_crypt against the reference fixtures
 * (test/vectors/crypt.json and django.json, from passlib, Django and libxcrypt) and hashcat's
 * published examples. The DES rounds run in WebAssembly here (des-wasm.ts); the known answers and
 * the des_crypt and bsdi_crypt fixtures are also checked with the JavaScript rounds that runtimes
 * without run-time WebAssembly use.
 */
import { describe, expect, it, vi } from 'vitest';
import { fromHex, h64EncodeInt, toHex } from '../../../src/hashing/encoding';
import { selectDesWasmForTests } from '../../../src/hashing/des-wasm';
import { bsdiCryptChecksum, desCryptChecksum, desEncryptBlock } from '../../../src/hashing/schemes/des';
import { loadHashcatExamples, loadVectorFiles, makeCrypt, registry, type Vector } from '../../helpers';
import { only, outcome, TYPED, vectorChecks } from './_unix';

/**
 * A bare des_crypt string is only a shape (13 hash64 characters): a string of another length or
 * alphabet is not recognisable as one, and is refused as an unknown format instead.
 */
function codesFor(scheme: string): string[] {
  return scheme === 'des_crypt' ? [...TYPED, 'unknown_hash_format'] : TYPED;
}
const files = loadVectorFiles();

function bytes(hex: string): Uint8Array {
  const out = fromHex(hex);
  if (!out) throw new Error(`bad hex ${hex}`);
  return out;
}

describe('DES block cipher (known answers)', () => {
  it.each([
    // The worked example of J. Orlin Grabbe's "The DES Algorithm Illustrated".
    ['133457799BBCDFF1', '0123456789ABCDEF', '85E813540F0AB405'],
    // FIPS 81, appendix B, ECB mode: "Now is t" under 0123456789ABCDEF.
    ['0123456789ABCDEF', '4E6F772069732074', '3FA40E8A984D4815'],
    // NBS Special Publication 500-20, variable-plaintext test, first entry.
    ['0101010101010101', '8000000000000000', '95F8A5E5DD31D900'],
    // NBS SP 500-20, variable-key test, first entry.
    ['8001010101010101', '0000000000000000', '95A8D72813DAA94D'],
  ])('key %s, plaintext %s → %s', (key, plaintext, ciphertext) => {
    expect(toHex(desEncryptBlock(bytes(key), bytes(plaintext))).toUpperCase()).toBe(ciphertext);
  });
});

describe('the JavaScript DES rounds (runtimes without WebAssembly)', () => {
  const h64Int = (text: string): number => {
    let value = 0;
    for (let i = 0; i < text.length; i++) value |= './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.indexOf(text.charAt(i)) << (6 * i);
    return value;
  };
  const crypt = files.crypt?.vectors ?? [];
  const des = crypt.filter((v) => v.scheme === 'des_crypt' && v.expect !== false);
  const bsdi = crypt.filter((v) => v.scheme === 'bsdi_crypt' && v.expect !== false && h64Int(v.hash.slice(1, 5)) <= 50_000);

  it.each([
    ['133457799BBCDFF1', '0123456789ABCDEF', '85E813540F0AB405'],
    ['0123456789ABCDEF', '4E6F772069732074', '3FA40E8A984D4815'],
  ])('key %s, plaintext %s → %s', (key, plaintext, ciphertext) => {
    selectDesWasmForTests(false);
    try {
      expect(toHex(desEncryptBlock(bytes(key), bytes(plaintext))).toUpperCase()).toBe(ciphertext);
    } finally {
      selectDesWasmForTests(true);
    }
  });

  it('computes every des_crypt and bsdi_crypt fixture checksum', () => {
    expect(des.length).toBeGreaterThan(0);
    expect(bsdi.length).toBeGreaterThan(0);
    const encoder = new TextEncoder();
    selectDesWasmForTests(false);
    try {
      for (const v of des) {
        const password = encoder.encode(v.password);
        if (password.includes(0)) continue;
        expect(desCryptChecksum(password, h64Int(v.hash.slice(0, 2)))).toBe(v.hash.slice(2));
      }
      for (const v of bsdi) {
        const password = encoder.encode(v.password);
        if (password.includes(0)) continue;
        expect(bsdiCryptChecksum(password, h64Int(v.hash.slice(5, 9)), h64Int(v.hash.slice(1, 5)))).toBe(v.hash.slice(9));
      }
    } finally {
      selectDesWasmForTests(true);
    }
  });
});

const CASES: readonly [string, 'crypt' | 'django'][] = [
  ['des_crypt', 'crypt'],
  ['bsdi_crypt', 'crypt'],
  ['django_des_crypt', 'django'],
];

describe.each(CASES)('%s fixtures', (scheme, fileName) => {
  const file = files[fileName];
  if (!file) throw new Error(`missing fixture file ${fileName}`);
  const vectors = file.vectors.filter((v) => v.scheme === scheme);
  const crypt = only(scheme);

  vectorChecks(scheme, vectors, crypt, 4);

  it('refuses every malformed fixture with a typed error', async () => {
    const malformed = (file.malformed ?? []).filter((m) => m.scheme === scheme);
    expect(malformed.length).toBeGreaterThan(0);
    for (const m of malformed) {
      if (m.hash.startsWith('!')) {
        // "!" + anything is a locked account in a shadow file: the default policy reads it as a
        // disabled marker, never a match and never an error.
        await expect(makeCrypt().crypt.verify('password', m.hash, { rehash: false }), m.why).resolves.toMatchObject({ valid: false });
        continue;
      }
      expect(codesFor(scheme), m.why).toContain(await outcome(crypt.verify('password', m.hash)));
    }
  });

  it('refuses truncated, extended and damaged strings with a typed error', async () => {
    for (const v of vectors.slice(0, 3)) {
      for (const mutated of [v.hash.slice(0, -1), `${v.hash}.`, `${v.hash.slice(0, -1)}!`]) {
        expect(codesFor(scheme), mutated).toContain(await outcome(crypt.verify(v.password, mutated)));
      }
    }
  });
});

describe("hashcat's published examples", () => {
  const all = loadHashcatExamples();
  const examples = all.filter((e) => (e.scheme === 'des_crypt' || e.scheme === 'bsdi_crypt') && e.valid !== null);

  it.each(examples.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
    await expect(only(e.scheme).verify(e.password, e.hash, { rehash: false })).resolves.toMatchObject({ scheme: e.scheme, valid: e.valid });
  });
});

describe('des_crypt semantics', () => {
  const long = files.crypt?.vectors.find((v) => v.scheme === 'des_crypt' && v.password.length > 8) as Vector;

  it('reads only the first 8 bytes of the password, as every system that wrote it did', async () => {
    const crypt = only('des_crypt');
    await expect(crypt.verify(long.password.slice(0, 8), long.hash, { rehash: false })).resolves.toMatchObject({ valid: true });
    await expect(crypt.verify(`${long.password.slice(0, 8)}anything`, long.hash, { rehash: false })).resolves.toMatchObject({ valid: true });
    await expect(crypt.verify(long.password.slice(0, 7), long.hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('never matches a password containing NUL', async () => {
    await expect(only('des_crypt').verify(`${long.password.slice(0, 8)}\u0000`, long.hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('leaves strings that only resemble des_crypt to other formats', () => {
    expect(registry.candidates('nothing-known').map((s) => s.name)).not.toContain('des_crypt');
    expect(registry.candidates(long.hash.slice(0, 12)).map((s) => s.name)).not.toContain('des_crypt');
  });

  it('refuses a checksum whose last character carries padding bits', async () => {
    // The 11th character holds 4 bits and 2 zero bits: "/" (value 1) is never written.
    expect(await outcome(only('des_crypt').verify('x', `${long.hash.slice(0, 12)}/`))).toBe('malformed_hash');
  });
});

describe('bsdi_crypt rounds', () => {
  const vector = files.crypt?.vectors.find((v) => v.scheme === 'bsdi_crypt') as Vector;
  const rest = vector.hash.slice(5);
  const crypt = only('bsdi_crypt');

  it('reports rounds and the 4-character salt', () => {
    const parsed = registry.get('bsdi_crypt')?.parse(vector.hash);
    expect(parsed?.cost.rounds).toBeGreaterThan(0);
    expect(parsed?.saltBytes).toBe(4);
  });

  it('refuses zero rounds as malformed', async () => {
    expect(await outcome(crypt.verify('x', `_....${rest}`))).toBe('malformed_hash');
  });

  it('refuses rounds above the cap before computing anything', async () => {
    const scheme = registry.get('bsdi_crypt');
    if (!scheme) throw new Error('bsdi_crypt is not registered');
    const spy = vi.spyOn(scheme, 'verify');
    try {
      expect(await outcome(crypt.verify('x', `_${h64EncodeInt((scheme.costCaps.rounds as number) + 1, 4)}${rest}`))).toBe('hash_cost_exceeds_cap');
      expect(await outcome(crypt.verify('x', `_zzzz${rest}`))).toBe('hash_cost_exceeds_cap');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('django_des_crypt layouts', () => {
  const vector = files.django?.vectors.find((v) => v.scheme === 'django_des_crypt' && v.hash.startsWith('crypt$$')) as Vector;
  const inner = vector.hash.slice('crypt$$'.length);
  const crypt = only('django_des_crypt');

  it("accepts Django 1.0's salt field when it repeats the des_crypt salt", async () => {
    await expect(crypt.verify(vector.password, `crypt$${inner.slice(0, 2)}x1z$${inner}`, { rehash: false })).resolves.toMatchObject({ valid: true });
  });

  it('refuses a salt field that does not match the des_crypt salt', async () => {
    const other = inner.startsWith('a') ? 'bb' : 'aa';
    expect(await outcome(crypt.verify(vector.password, `crypt$${other}$${inner}`))).toBe('malformed_hash');
  });
});
