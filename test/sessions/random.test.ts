/**
 * Tokens and codes from src/sessions/random.ts: format, uniqueness and the uniformity of numeric
 * codes (a chi-square test per digit position that a modulo-biased generator fails).
 */
import { describe, expect, it } from 'vitest';
import { cryptoRandomBytes, type RandomBytes } from '../../src/clock';
import { BASE64URL, randomDigits, randomToken, sha256Hex } from '../../src/sessions/random';

/**
 * Chi-square critical value for 9 degrees of freedom at p = 1e-6 (scipy.stats.chi2.isf(1e-6, 9)):
 * a correct generator fails one position in a million runs, a biased one fails every time.
 */
const CHI2_9_P1E6 = 44.81;

/** CSPRNG bytes drawn in bulk up front, then served in slices (10^6 small calls stay fast). */
function bulkRandom(total: number): RandomBytes {
  const pool = cryptoRandomBytes(total);
  let offset = 0;
  return (n) => {
    if (offset + n > pool.length) throw new Error('bulk pool exhausted');
    const out = pool.subarray(offset, offset + n);
    offset += n;
    return out;
  };
}

function chiSquarePerPosition(codes: readonly string[], digits: number): number[] {
  const counts = Array.from({ length: digits }, () => new Array<number>(10).fill(0));
  for (const code of codes) for (let i = 0; i < digits; i++) (counts[i] as number[])[code.charCodeAt(i) - 48]!++;
  const expected = codes.length / 10;
  return counts.map((row) => row.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0));
}

describe('randomToken', () => {
  it('10^5 draws of 32 bytes: all distinct, 43 base64url characters, every alphabet character used', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    let wrongLength = 0;
    for (let i = 0; i < 100_000; i++) {
      const token = randomToken(cryptoRandomBytes, 32);
      if (token.length !== 43) wrongLength++;
      seen.add(token);
      for (const ch of token.slice(0, 42)) chars.add(ch);
    }
    expect(wrongLength).toBe(0);
    expect(seen.size).toBe(100_000);
    expect([...chars].every((ch) => BASE64URL.test(ch))).toBe(true);
    // The first 42 characters carry 6 random bits each: all 64 symbols appear.
    expect(chars.size).toBe(64);
  });

  it('length follows the byte count and the encoding is the bytes', () => {
    for (const n of [16, 17, 18, 33, 64]) expect(randomToken(cryptoRandomBytes, n)).toHaveLength(Math.ceil((n * 8) / 6));
    expect(randomToken(() => new Uint8Array([0xfb, 0xff, 0x00]), 3)).toBe('-_8A');
  });

  it('sha256Hex is the FIPS 180-2 digest of the UTF-8 string', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('randomDigits', () => {
  it('10^6 six-digit codes: each position passes a chi-square test at p = 1e-6', () => {
    const random = bulkRandom(12_000_000);
    const codes: string[] = [];
    for (let i = 0; i < 1_000_000; i++) codes.push(randomDigits(random, 6));
    expect(codes.every((c) => /^[0-9]{6}$/.test(c))).toBe(true);
    const stats = chiSquarePerPosition(codes, 6);
    for (const stat of stats) expect(stat).toBeLessThan(CHI2_9_P1E6);
  });

  it('the same test catches modulo bias (byte % 10 without rejection)', () => {
    const random = bulkRandom(6_000_000);
    const codes: string[] = [];
    for (let i = 0; i < 1_000_000; i++) codes.push([...random(6)].map((b) => String(b % 10)).join(''));
    for (const stat of chiSquarePerPosition(codes, 6)) expect(stat).toBeGreaterThan(CHI2_9_P1E6);
  });

  it('throws bytes of 250 and above away, keeps leading zeros, and reads more when needed', () => {
    const script = [new Uint8Array([255, 250, 0, 251, 19, 249, 252, 253, 254, 255]), new Uint8Array([7, 100, 0, 0, 0, 0, 0, 0, 0, 0])];
    let call = 0;
    const random: RandomBytes = (n) => (script[call++] as Uint8Array).subarray(0, n);
    // 0 → "0", 19 → "9", 249 → "9"; the first draw ends, the second adds 7 → "7", 100 → "0", 0 → "0".
    expect(randomDigits(random, 6)).toBe('099700');
  });

  it('draws every length from 6 to 10', () => {
    for (let d = 6; d <= 10; d++) expect(randomDigits(cryptoRandomBytes, d)).toMatch(new RegExp(`^[0-9]{${d}}$`));
  });
});
