/**
 * Known answers for the hand-written MD5 (src/hashing/md5-fast.ts): the test suite of RFC 1321,
 * appendix A.5, and a comparison with node:crypto's MD5 across the padding boundaries and the
 * buffer-reuse pattern the iterated schemes rely on.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Md5Message, md5, md5StateToBytes } from '../../src/hashing/md5-fast';
import { toHex } from '../../src/hashing/encoding';

const encoder = new TextEncoder();

const RFC1321: readonly [string, string][] = [
  ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['a', '0cc175b9c0f1b6a831c399e269772661'],
  ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
];

describe('md5-fast (RFC 1321 test suite)', () => {
  for (const [message, digest] of RFC1321) {
    it(`MD5("${message}")`, () => {
      expect(toHex(md5(encoder.encode(message)))).toBe(digest);
    });
  }

  it('agrees with node:crypto for every length from 0 to 300 bytes', () => {
    for (let length = 0; length <= 300; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      expect(toHex(md5(data))).toBe(createHash('md5').update(data).digest('hex'));
    }
  });

  it('gives the right digest when a reused buffer is rewritten in place', () => {
    // The iterated schemes set the length once and then overwrite the message bytes.
    const message = new Md5Message(40);
    message.setLength(40);
    const state = new Int32Array(4);
    const out = new Uint8Array(16);
    for (let round = 0; round < 5; round++) {
      message.bytes.fill(round, 0, 40);
      message.digestInto(state);
      md5StateToBytes(state, out, 0);
      expect(toHex(out)).toBe(createHash('md5').update(new Uint8Array(40).fill(round)).digest('hex'));
    }
  });
});
