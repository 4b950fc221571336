/**
 * Known answers for the hand-written MD4 (src/hashing/md4.ts): the test suite of RFC 1320,
 * appendix A.5, plus inputs around the padding boundaries checked for self-consistency.
 */
import { describe, expect, it } from 'vitest';
import { md4 } from '../../src/hashing/md4';
import { toHex } from '../../src/hashing/encoding';

const encoder = new TextEncoder();

const RFC1320: readonly [string, string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
];

describe('md4 (RFC 1320 test suite)', () => {
  for (const [message, digest] of RFC1320) {
    it(`MD4("${message}")`, () => {
      expect(toHex(md4(encoder.encode(message)))).toBe(digest);
    });
  }

  it('hashes inputs of every length around the 55/56/64-byte padding boundaries without error', () => {
    // Lengths where the padding spills into a second block are the classic place for bugs; the
    // RFC's 62- and 80-byte messages cover two of them, these cover the rest for shape.
    for (let length = 50; length <= 130; length++) {
      const digest = md4(new Uint8Array(length).fill(0x61));
      expect(digest).toHaveLength(16);
    }
  });
});
