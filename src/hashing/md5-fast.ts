/**
 * MD5 (RFC 1321) in plain JavaScript over 32-bit words, for the iterated legacy schemes
 * (md5_crypt, apr_md5_crypt, phpass) on runtimes that cannot compile WebAssembly at run time
 * (digest-wasm.ts is the fast path elsewhere), and for phpass's first digest.
 *
 * node:crypto's createHash costs about 2 µs per call whatever the input size, many times the
 * work of one 64-byte MD5 block, so a loop of 1000-8192 digests spends almost all its time in
 * call overhead. Here a caller keeps a preallocated message buffer, overwrites only the bytes
 * that change between iterations (the previous digest) and runs the compression function
 * directly, so an iteration costs one block compression and nothing else: md5_crypt's 1000
 * rounds take about 0.18 ms this way on the development machine, against about 2 ms with
 * createHash.
 *
 * MD5 is broken as a hash function; it is here only to verify hashes that legacy systems wrote.
 * Tested against RFC 1321's test suite in test/hashing/md5-fast.rfc1321.test.ts.
 */

/** MD5 reads message words little-endian; on a little-endian host a typed view reads them as is. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const IV: readonly number[] = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];

/** One MD5 compression of the 16 little-endian words x[o..o+15] into `state` (4 words). */
export function md5Compress(state: Int32Array, x: Int32Array, o: number): void {
  // The 64 steps are unrolled over locals: each step's function, word, constant and shift are
  // fixed, so V8 keeps everything in registers instead of indexing tables.
  const x0 = x[o + 0] as number;
  const x1 = x[o + 1] as number;
  const x2 = x[o + 2] as number;
  const x3 = x[o + 3] as number;
  const x4 = x[o + 4] as number;
  const x5 = x[o + 5] as number;
  const x6 = x[o + 6] as number;
  const x7 = x[o + 7] as number;
  const x8 = x[o + 8] as number;
  const x9 = x[o + 9] as number;
  const x10 = x[o + 10] as number;
  const x11 = x[o + 11] as number;
  const x12 = x[o + 12] as number;
  const x13 = x[o + 13] as number;
  const x14 = x[o + 14] as number;
  const x15 = x[o + 15] as number;
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  // Round 1.
  a = (a + ((b & c) | (~b & d)) + x0 + -680876936) | 0;
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + ((a & b) | (~a & c)) + x1 + -389564586) | 0;
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + ((d & a) | (~d & b)) + x2 + 606105819) | 0;
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + ((c & d) | (~c & a)) + x3 + -1044525330) | 0;
  b = ((b << 22) | (b >>> 10)) + c | 0;
  a = (a + ((b & c) | (~b & d)) + x4 + -176418897) | 0;
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + ((a & b) | (~a & c)) + x5 + 1200080426) | 0;
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + ((d & a) | (~d & b)) + x6 + -1473231341) | 0;
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + ((c & d) | (~c & a)) + x7 + -45705983) | 0;
  b = ((b << 22) | (b >>> 10)) + c | 0;
  a = (a + ((b & c) | (~b & d)) + x8 + 1770035416) | 0;
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + ((a & b) | (~a & c)) + x9 + -1958414417) | 0;
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + ((d & a) | (~d & b)) + x10 + -42063) | 0;
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + ((c & d) | (~c & a)) + x11 + -1990404162) | 0;
  b = ((b << 22) | (b >>> 10)) + c | 0;
  a = (a + ((b & c) | (~b & d)) + x12 + 1804603682) | 0;
  a = ((a << 7) | (a >>> 25)) + b | 0;
  d = (d + ((a & b) | (~a & c)) + x13 + -40341101) | 0;
  d = ((d << 12) | (d >>> 20)) + a | 0;
  c = (c + ((d & a) | (~d & b)) + x14 + -1502002290) | 0;
  c = ((c << 17) | (c >>> 15)) + d | 0;
  b = (b + ((c & d) | (~c & a)) + x15 + 1236535329) | 0;
  b = ((b << 22) | (b >>> 10)) + c | 0;
  // Round 2.
  a = (a + ((b & d) | (c & ~d)) + x1 + -165796510) | 0;
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + ((a & c) | (b & ~c)) + x6 + -1069501632) | 0;
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + ((d & b) | (a & ~b)) + x11 + 643717713) | 0;
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + ((c & a) | (d & ~a)) + x0 + -373897302) | 0;
  b = ((b << 20) | (b >>> 12)) + c | 0;
  a = (a + ((b & d) | (c & ~d)) + x5 + -701558691) | 0;
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + ((a & c) | (b & ~c)) + x10 + 38016083) | 0;
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + ((d & b) | (a & ~b)) + x15 + -660478335) | 0;
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + ((c & a) | (d & ~a)) + x4 + -405537848) | 0;
  b = ((b << 20) | (b >>> 12)) + c | 0;
  a = (a + ((b & d) | (c & ~d)) + x9 + 568446438) | 0;
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + ((a & c) | (b & ~c)) + x14 + -1019803690) | 0;
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + ((d & b) | (a & ~b)) + x3 + -187363961) | 0;
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + ((c & a) | (d & ~a)) + x8 + 1163531501) | 0;
  b = ((b << 20) | (b >>> 12)) + c | 0;
  a = (a + ((b & d) | (c & ~d)) + x13 + -1444681467) | 0;
  a = ((a << 5) | (a >>> 27)) + b | 0;
  d = (d + ((a & c) | (b & ~c)) + x2 + -51403784) | 0;
  d = ((d << 9) | (d >>> 23)) + a | 0;
  c = (c + ((d & b) | (a & ~b)) + x7 + 1735328473) | 0;
  c = ((c << 14) | (c >>> 18)) + d | 0;
  b = (b + ((c & a) | (d & ~a)) + x12 + -1926607734) | 0;
  b = ((b << 20) | (b >>> 12)) + c | 0;
  // Round 3.
  a = (a + (b ^ c ^ d) + x5 + -378558) | 0;
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + x8 + -2022574463) | 0;
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + x14 + -35309556) | 0;
  b = ((b << 23) | (b >>> 9)) + c | 0;
  a = (a + (b ^ c ^ d) + x1 + -1530992060) | 0;
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + x7 + -155497632) | 0;
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + x10 + -1094730640) | 0;
  b = ((b << 23) | (b >>> 9)) + c | 0;
  a = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + x0 + -358537222) | 0;
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + x3 + -722521979) | 0;
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
  b = ((b << 23) | (b >>> 9)) + c | 0;
  a = (a + (b ^ c ^ d) + x9 + -640364487) | 0;
  a = ((a << 4) | (a >>> 28)) + b | 0;
  d = (d + (a ^ b ^ c) + x12 + -421815835) | 0;
  d = ((d << 11) | (d >>> 21)) + a | 0;
  c = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
  c = ((c << 16) | (c >>> 16)) + d | 0;
  b = (b + (c ^ d ^ a) + x2 + -995338651) | 0;
  b = ((b << 23) | (b >>> 9)) + c | 0;
  // Round 4.
  a = (a + (c ^ (b | ~d)) + x0 + -198630844) | 0;
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + x14 + -1416354905) | 0;
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + x5 + -57434055) | 0;
  b = ((b << 21) | (b >>> 11)) + c | 0;
  a = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + x3 + -1894986606) | 0;
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + x10 + -1051523) | 0;
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + x1 + -2054922799) | 0;
  b = ((b << 21) | (b >>> 11)) + c | 0;
  a = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + x15 + -30611744) | 0;
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + x6 + -1560198380) | 0;
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
  b = ((b << 21) | (b >>> 11)) + c | 0;
  a = (a + (c ^ (b | ~d)) + x4 + -145523070) | 0;
  a = ((a << 6) | (a >>> 26)) + b | 0;
  d = (d + (b ^ (a | ~c)) + x11 + -1120210379) | 0;
  d = ((d << 10) | (d >>> 22)) + a | 0;
  c = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
  c = ((c << 15) | (c >>> 17)) + d | 0;
  b = (b + (d ^ (c | ~a)) + x9 + -343485551) | 0;
  b = ((b << 21) | (b >>> 11)) + c | 0;
  state[0] = (state[0] as number) + a | 0;
  state[1] = (state[1] as number) + b | 0;
  state[2] = (state[2] as number) + c | 0;
  state[3] = (state[3] as number) + d | 0;
}

/**
 * A reusable, block-aligned message buffer. The caller writes the message into `bytes[0..len)`,
 * calls `setLength(len)` once (which writes MD5's padding after it), and may then change bytes
 * inside the message and call `digestInto` as often as it likes: the padding stays valid as long
 * as the length does not change.
 */
export class Md5Message {
  readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly swapped: Int32Array | null;
  private blocks = 0;

  /** `capacity` is the longest message (in bytes) this buffer will hold. */
  constructor(capacity: number) {
    const size = (Math.floor((capacity + 8) / 64) + 1) * 64;
    const buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    // A big-endian host reads the words through a byte-swapped copy; every current Node
    // platform but s390x is little-endian, so this path exists for correctness only.
    this.swapped = LITTLE_ENDIAN ? null : new Int32Array(size / 4);
  }

  /** Fixes the message length and writes the padding and bit length after it. */
  setLength(len: number): void {
    const blocks = Math.floor((len + 8) / 64) + 1;
    if (blocks * 64 > this.bytes.length) throw new RangeError('message longer than the buffer');
    const end = blocks * 64;
    const bytes = this.bytes;
    bytes[len] = 0x80;
    bytes.fill(0, len + 1, end - 8);
    const bits = len * 8;
    bytes[end - 8] = bits & 0xff;
    bytes[end - 7] = (bits >>> 8) & 0xff;
    bytes[end - 6] = (bits >>> 16) & 0xff;
    bytes[end - 5] = (bits >>> 24) & 0xff;
    // Lengths here stay far below 2^32 bits, so the high length word is zero.
    bytes.fill(0, end - 4, end);
    this.blocks = blocks;
  }

  /** MD5 of the current message into `state` (4 words, overwritten). */
  digestInto(state: Int32Array): void {
    let x = this.words;
    if (this.swapped !== null) {
      x = this.swapped;
      const b = this.bytes;
      for (let i = 0; i < this.blocks * 16; i++) {
        x[i] = (b[4 * i] as number) | ((b[4 * i + 1] as number) << 8) | ((b[4 * i + 2] as number) << 16) | ((b[4 * i + 3] as number) << 24);
      }
    }
    state[0] = IV[0] as number;
    state[1] = IV[1] as number;
    state[2] = IV[2] as number;
    state[3] = IV[3] as number;
    for (let i = 0; i < this.blocks; i++) md5Compress(state, x, i * 16);
  }
}

/** Writes the 16 digest bytes of `state` into `out` at `offset`. */
export function md5StateToBytes(state: Int32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < 4; i++) {
    const w = state[i] as number;
    out[offset + 4 * i] = w & 0xff;
    out[offset + 4 * i + 1] = (w >>> 8) & 0xff;
    out[offset + 4 * i + 2] = (w >>> 16) & 0xff;
    out[offset + 4 * i + 3] = (w >>> 24) & 0xff;
  }
}

/** One-shot MD5 of `data`, for tests and for callers outside a loop. */
export function md5(data: Uint8Array): Uint8Array {
  const message = new Md5Message(data.length);
  message.bytes.set(data);
  message.setLength(data.length);
  const state = new Int32Array(4);
  message.digestInto(state);
  const out = new Uint8Array(16);
  md5StateToBytes(state, out, 0);
  return out;
}
