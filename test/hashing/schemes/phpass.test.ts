/**
 * phpass ($P$/$H$) and drupal7 ($S$, U$…) from src/hashing/schemes/phpass.ts against the
 * reference fixtures (test/vectors/phpass.json from passlib, beyond.json from a transcription of
 * Drupal 7's _password_crypt checked against passlib's phpass) and hashcat's examples.
 */
import { describe, expect, it, vi } from 'vitest';
import { drupal7Checksum, phpassChecksum } from '../../../src/hashing/schemes/phpass';
import { loadHashcatExamples, loadVectorFiles, makeCrypt, registry, type Vector } from '../../helpers';
import { TYPED, only, outcome, wrong } from './_unix';

const files = loadVectorFiles();

const CASES: readonly [string, 'phpass' | 'beyond'][] = [
  ['phpass', 'phpass'],
  ['drupal7', 'beyond'],
];

describe.each(CASES)('%s fixtures', (scheme, fileName) => {
  const file = files[fileName];
  if (!file) throw new Error(`missing fixture file ${fileName}`);
  const vectors = file.vectors.filter((v) => v.scheme === scheme);
  const crypt = only(scheme);

  it('has reference vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(5);
  });

  it.each(vectors.map((v) => [v.note ?? v.hash, v] as const))('verifies %s, and refuses a wrong password', async (_label, v) => {
    await expect(crypt.verify(v.password, v.hash, { rehash: false })).resolves.toMatchObject({ scheme, valid: true });
    await expect(crypt.verify(wrong(v.password), v.hash, { rehash: false })).resolves.toMatchObject({ scheme, valid: false });
    await expect(crypt.verify(`${v.password}!`, v.hash, { rehash: false })).resolves.toMatchObject({ scheme, valid: false });
  });

  it('is the scheme the default policy identifies for every vector', () => {
    const { crypt: defaults } = makeCrypt();
    for (const v of vectors) expect(defaults.identify(v.hash).scheme).toBe(scheme);
  });

  it('refuses every malformed fixture with a typed error', async () => {
    const malformed = (file.malformed ?? []).filter((m) => m.scheme === scheme);
    expect(malformed.length).toBeGreaterThan(0);
    for (const m of malformed) expect(TYPED, m.why).toContain(await outcome(crypt.verify('password', m.hash)));
  });

  it('refuses truncated, extended and damaged strings with a typed error', async () => {
    for (const v of vectors.slice(0, 3)) {
      for (const mutated of [v.hash.slice(0, -1), `${v.hash}.`, `${v.hash.slice(0, -1)}!`, v.hash.slice(0, 12)]) {
        expect(TYPED, mutated).toContain(await outcome(crypt.verify(v.password, mutated)));
      }
    }
  });
});

describe("hashcat's published examples", () => {
  const all = loadHashcatExamples();
  const examples = all.filter((e) => e.scheme === 'phpass' && e.valid !== null);

  it.each(examples.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
    await expect(only('phpass').verify(e.password, e.hash, { rehash: false })).resolves.toMatchObject({ scheme: 'phpass', valid: e.valid });
  });

  it("verifies hashcat's Drupal 7 example (mode 7900)", async () => {
    // hashcat's published self-test hash for mode 7900, password "hashcat".
    const hash = '$S$C33783772bRXEx1aCsvY.dqgaaSu76XmVlKrW9Qu8IQlvxHlmzLf';
    await expect(only('drupal7').verify('hashcat', hash, { rehash: false })).resolves.toMatchObject({ valid: true });
    await expect(only('drupal7').verify('Hashcat', hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });
});

describe('log2 rounds', () => {
  const phpass = files.phpass?.vectors.find((v) => v.scheme === 'phpass') as Vector;
  const drupal = files.beyond?.vectors.find((v) => v.scheme === 'drupal7' && v.hash.startsWith('$S$')) as Vector;

  it('reports the log2 count as the cost "rounds" and the ident as the variant', () => {
    const parsed = registry.get('phpass')?.parse(phpass.hash);
    expect(parsed?.cost.rounds).toBeGreaterThanOrEqual(7);
    expect(parsed?.variant).toMatch(/^[PH]$/);
  });

  it.each([
    ['phpass', () => phpass.hash, '4'],
    ['phpass', () => phpass.hash, 'U'],
    ['drupal7', () => drupal.hash, '4'],
    ['drupal7', () => drupal.hash, 'z'],
  ])('%s refuses a log2 count outside 7..30 (%#)', async (scheme, hash, char) => {
    const h = hash();
    expect(await outcome(only(scheme).verify('x', `${h.slice(0, 3)}${char}${h.slice(4)}`))).toBe('malformed_hash');
  });

  it.each([
    ['phpass', () => phpass.hash],
    ['drupal7', () => drupal.hash],
  ])('%s refuses counts above the cap before computing anything', async (scheme, hash) => {
    const s = registry.get(scheme);
    if (!s) throw new Error(`${scheme} is not registered`);
    const spy = vi.spyOn(s, 'verify');
    try {
      const h = hash();
      // "S" is log2 30, the largest count the format allows ("4" is 6, "5" is 7).
      expect(await outcome(only(scheme).verify('x', `${h.slice(0, 3)}S${h.slice(4)}`))).toBe('hash_cost_exceeds_cap');
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('runtimes without WebAssembly', () => {
  it('the portable paths give the same checksums as the WebAssembly path', () => {
    const encoder = new TextEncoder();
    for (const v of files.beyond?.vectors.filter((x) => x.scheme === 'drupal7' && x.hash.startsWith('$S$5')) ?? []) {
      const data = registry.get('drupal7')?.parse(v.hash).data as { log2: number; salt: Uint8Array; checksum: string };
      const password = encoder.encode(v.password);
      expect(drupal7Checksum(password, data.salt, data.log2, { portable: true })).toBe(data.checksum);
      expect(drupal7Checksum(password, data.salt, data.log2)).toBe(data.checksum);
    }
    for (const v of files.phpass?.vectors.filter((x) => !x.default_cost) ?? []) {
      const data = registry.get('phpass')?.parse(v.hash).data as { log2: number; salt: Uint8Array; checksum: string };
      expect(phpassChecksum(encoder.encode(v.password), data.salt, data.log2, { portable: true })).toBe(data.checksum);
    }
  });
});

describe('drupal7 layouts', () => {
  it('claims U$P$ and U$H$ (re-hashed Drupal 6 MD5) but leaves plain $P$ and $H$ to phpass', () => {
    expect(registry.candidates('U$P$B12345678abcdefghijklmnopqrstu').map((s) => s.name)).toEqual(['drupal7']);
    expect(registry.candidates('$P$B12345678abcdefghijklmnopqrstu').map((s) => s.name)).toEqual(['phpass']);
  });

  it('refuses passwords longer than 512 bytes, as Drupal does', async () => {
    const drupal = files.beyond?.vectors.find((v) => v.scheme === 'drupal7' && v.hash.startsWith('$S$5')) as Vector;
    await expect(only('drupal7').verify('x'.repeat(513), drupal.hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });
});
