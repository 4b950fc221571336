/**
 * MD4 (RFC 1320), for nthash: Windows' NT hash is MD4 of the UTF-16LE password. OpenSSL 3 moved
 * MD4 to its legacy provider, which Node does not load, so node:crypto has no "md4" and it is
 * written here. One call hashes one short password, so this is a plain, readable implementation
 * rather than a tuned one.
 *
 * MD4 is broken as a hash function; it is here only to verify hashes that legacy systems wrote.
 * Tested against RFC 1320's test suite in test/hashing/md4.rfc1320.test.ts.
 */

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** MD4 digest (16 bytes) of `data`. */
export function md4(data: Uint8Array): Uint8Array {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian number.
  const blocks = Math.floor((data.length + 8) / 64) + 1;
  const padded = new Uint8Array(blocks * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(blocks * 64 - 8, (data.length * 8) >>> 0, true);
  view.setUint32(blocks * 64 - 4, Math.floor(data.length / 0x20000000), true);

  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;
  const x = new Int32Array(16);
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < 16; i++) x[i] = view.getInt32(block * 64 + 4 * i, true);
    const w = (i: number): number => x[i] as number;
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    // Round 1: F(x, y, z) = (x & y) | (~x & z), shifts 3, 7, 11, 19.
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + ((b & c) | (~b & d)) + w(i)) | 0, 3);
      d = rotl((d + ((a & b) | (~a & c)) + w(i + 1)) | 0, 7);
      c = rotl((c + ((d & a) | (~d & b)) + w(i + 2)) | 0, 11);
      b = rotl((b + ((c & d) | (~c & a)) + w(i + 3)) | 0, 19);
    }
    // Round 2: G(x, y, z) = majority, constant 0x5A827999, shifts 3, 5, 9, 13.
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + w(i) + 0x5a827999) | 0, 3);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + w(i + 4) + 0x5a827999) | 0, 5);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + w(i + 8) + 0x5a827999) | 0, 9);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + w(i + 12) + 0x5a827999) | 0, 13);
    }
    // Round 3: H(x, y, z) = x ^ y ^ z, constant 0x6ED9EBA1, shifts 3, 9, 11, 15.
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + (b ^ c ^ d) + w(i) + 0x6ed9eba1) | 0, 3);
      d = rotl((d + (a ^ b ^ c) + w(i + 8) + 0x6ed9eba1) | 0, 9);
      c = rotl((c + (d ^ a ^ b) + w(i + 4) + 0x6ed9eba1) | 0, 11);
      b = rotl((b + (c ^ d ^ a) + w(i + 12) + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  outView.setInt32(0, a, true);
  outView.setInt32(4, b, true);
  outView.setInt32(8, c, true);
  outView.setInt32(12, d, true);
  return out;
}
