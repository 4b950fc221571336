/**
 * MD5, SHA-256 and SHA-512 compression functions as a small WebAssembly module, generated here at
 * first use, for the iterated crypt schemes: md5_crypt and apr_md5_crypt (1000 MD5 digests per
 * verify), sha256_crypt and sha512_crypt (5,000 to 1,000,000 digests) and drupal7 (2^15 and
 * more SHA-512 digests), all of one or two blocks each.
 *
 * Why WebAssembly: node:crypto costs one to two microseconds per call whatever the input size,
 * several times the work of one block, and plain JavaScript has no 64-bit integers, so a
 * JavaScript SHA-512 is slower still. WebAssembly has native i64 arithmetic and costs a few
 * nanoseconds per call. The caller keeps each round's padded input in the module's memory and
 * makes one call per slice of rounds: the module's `iterate` picks each round's input (the
 * crypt layout pattern), writes the previous digest into it and compresses it.
 *
 * Two builds: with fixed-width SIMD (every current engine) the SHA-512 compression has the vector
 * unit write the message schedule plus round constants to memory (SHA-512's two words at a time
 * in i64x2 lanes) a few steps ahead of the rounds, which keep only the working variables in
 * registers; that runs about 12% fewer instructions per SHA-512 block than the one-pass scalar
 * build (callgrind, sha512_crypt at 5000 rounds: 23.1M against 26.4M instructions per verify),
 * which engines without SIMD get, and, the schedule overlapping the rounds, takes about 0.6 of
 * the time of computing the whole schedule first (see SCHEDULE_AHEAD).
 *
 * The module is emitted from the code below (there is no binary blob to trust): the steps of each
 * compression are unrolled with the working variables renamed instead of moved, and the message
 * words live in 16 locals. Runtimes that refuse to compile WebAssembly at run time (Cloudflare
 * Workers) get `undefined` from `digestWasm()`, and callers fall back to node:crypto or
 * md5-fast.ts.
 *
 * Tested against the FIPS 180-2 and RFC 1321 examples and node:crypto in
 * test/hashing/digest-wasm.fips180.test.ts.
 */

export type WasmDigest = 'md5' | 'sha256' | 'sha512';

const K256 = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV256 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const K512 = [
  '428a2f98d728ae22', '7137449123ef65cd', 'b5c0fbcfec4d3b2f', 'e9b5dba58189dbbc', '3956c25bf348b538', '59f111f1b605d019', '923f82a4af194f9b',
  'ab1c5ed5da6d8118', 'd807aa98a3030242', '12835b0145706fbe', '243185be4ee4b28c', '550c7dc3d5ffb4e2', '72be5d74f27b896f', '80deb1fe3b1696b1',
  '9bdc06a725c71235', 'c19bf174cf692694', 'e49b69c19ef14ad2', 'efbe4786384f25e3', '0fc19dc68b8cd5b5', '240ca1cc77ac9c65', '2de92c6f592b0275',
  '4a7484aa6ea6e483', '5cb0a9dcbd41fbd4', '76f988da831153b5', '983e5152ee66dfab', 'a831c66d2db43210', 'b00327c898fb213f', 'bf597fc7beef0ee4',
  'c6e00bf33da88fc2', 'd5a79147930aa725', '06ca6351e003826f', '142929670a0e6e70', '27b70a8546d22ffc', '2e1b21385c26c926', '4d2c6dfc5ac42aed',
  '53380d139d95b3df', '650a73548baf63de', '766a0abb3c77b2a8', '81c2c92e47edaee6', '92722c851482353b', 'a2bfe8a14cf10364', 'a81a664bbc423001',
  'c24b8b70d0f89791', 'c76c51a30654be30', 'd192e819d6ef5218', 'd69906245565a910', 'f40e35855771202a', '106aa07032bbd1b8', '19a4c116b8d2d0c8',
  '1e376c085141ab53', '2748774cdf8eeb99', '34b0bcb5e19b48a8', '391c0cb3c5c95a63', '4ed8aa4ae3418acb', '5b9cca4f7763e373', '682e6ff3d6b2b8a3',
  '748f82ee5defb2fc', '78a5636f43172f60', '84c87814a1f0ab72', '8cc702081a6439ec', '90befffa23631e28', 'a4506cebde82bde9', 'bef9a3f7b2c67915',
  'c67178f2e372532b', 'ca273eceea26619c', 'd186b8c721c0c207', 'eada7dd6cde0eb1e', 'f57d4f7fee6ed178', '06f067aa72176fba', '0a637dc5a2c898a6',
  '113f9804bef90dae', '1b710b35131c471b', '28db77f523047d84', '32caab7b40c72493', '3c9ebe0a15c9bebc', '431d67c49c100d4c', '4cc5d4becb3e42b6',
  '597f299cfc657e2a', '5fcb6fab3ad6faec', '6c44198c4a475817',
].map((hex) => BigInt(`0x${hex}`));
const IV512 = ['6a09e667f3bcc908', 'bb67ae8584caa73b', '3c6ef372fe94f82b', 'a54ff53a5f1d36f1', '510e527fade682d1', '9b05688c2b3e6c1f', '1f83d9abfb41bd6b', '5be0cd19137e2179'].map(
  (hex) => BigInt(`0x${hex}`),
);

/** Where the SHA-512 (8 × i64), SHA-256 (8 × i32) and MD5 (4 × i32) states live in memory. */
const STATE512 = 0;
const STATE256 = 64;
const STATE_MD5 = 96;
/** The SIMD build's SHA-512 message schedule of the block being compressed: W[t] + K[t], 80 × i64. */
const SCHEDULE = 128;
/** First byte callers may use for their message buffers. */
const DATA_START = 1024;

// --- A minimal WebAssembly binary emitter: just the opcodes this module uses. ---

export const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  call: 0x10,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32GeU: 0x4f,
  i32Mul: 0x6c,
  i32RemU: 0x70,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotl: 0x77,
  i32Rotr: 0x78,
  i64Add: 0x7c,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrU: 0x88,
  i64Rotr: 0x8a,
} as const;

export const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;

/** The 0xfd-prefixed SIMD opcodes used here (the fixed-width SIMD proposal, in every current engine). */
const SIMD = {
  load: 0x00,
  store: 0x0b,
  shuffle: 0x0d,
  i32x4ExtractLane: 0x1b,
  i64x2ExtractLane: 0x1d,
  const: 0x0c,
  or: 0x50,
  xor: 0x51,
  i32x4Add: 0xae,
  i64x2Shl: 0xcb,
  i64x2ShrU: 0xcd,
  i64x2Add: 0xce,
} as const;

/** i8x16.shuffle lanes that reverse the bytes of each 8-byte (or 4-byte) lane: a byte swap of 2 i64 (4 i32) at once. */
const SWAP64_LANES = [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8];
const SWAP32_LANES = [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12];

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Reinterprets an unsigned 64-bit constant as the signed value WebAssembly's i64.const encodes. */
function signed64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

export class Code {
  readonly bytes: number[] = [];
  op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }
  get(local: number): this {
    return this.op(OP.localGet, ...uleb(local));
  }
  set(local: number): this {
    return this.op(OP.localSet, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(OP.localTee, ...uleb(local));
  }
  i32(value: number): this {
    return this.op(OP.i32Const, ...sleb(BigInt(value | 0)));
  }
  i64(value: bigint): this {
    return this.op(OP.i64Const, ...sleb(signed64(value)));
  }
  /** A memory access with natural alignment hint 0 (unaligned is allowed) and a constant offset. */
  mem(opcode: number, offset: number): this {
    return this.op(opcode, 0, ...uleb(offset));
  }
  /** A SIMD memory access (v128.load / v128.store), alignment hint 0, constant offset. */
  vmem(opcode: number, offset: number): this {
    return this.op(0xfd, ...uleb(opcode), 0, ...uleb(offset));
  }
  /** i8x16.shuffle of the two v128 on the stack with constant lanes. */
  shuffle(lanes: readonly number[]): this {
    return this.op(0xfd, ...uleb(SIMD.shuffle), ...lanes);
  }
  extract(opcode: number, lane: number): this {
    return this.op(0xfd, ...uleb(opcode), lane);
  }
  /** A SIMD operation without immediates. */
  v(opcode: number): this {
    return this.op(0xfd, ...uleb(opcode));
  }
  /** v128.const of two i64 (little-endian lanes). */
  v128i64(lo: bigint, hi: bigint): this {
    const bytes: number[] = [];
    for (const x of [lo, hi]) for (let i = 0n; i < 8n; i++) bytes.push(Number((BigInt.asUintN(64, x) >> (8n * i)) & 0xffn));
    return this.op(0xfd, ...uleb(SIMD.const), ...bytes);
  }
  /** v128.const of four i32. */
  v128i32(lanes: readonly bigint[]): this {
    const bytes: number[] = [];
    for (const x of lanes) for (let i = 0n; i < 4n; i++) bytes.push(Number((BigInt.asUintN(32, x) >> (8n * i)) & 0xffn));
    return this.op(0xfd, ...uleb(SIMD.const), ...bytes);
  }
}

/** Byte-swaps the i64 on the stack (message words are big-endian, memory is little-endian). */
function bswap64(c: Code, scratch: number): void {
  c.tee(scratch).i64(8n).op(OP.i64ShrU).i64(0x00ff00ff00ff00ffn).op(OP.i64And);
  c.get(scratch).i64(0x00ff00ff00ff00ffn).op(OP.i64And).i64(8n).op(OP.i64Shl).op(OP.i64Or);
  c.tee(scratch).i64(16n).op(OP.i64ShrU).i64(0x0000ffff0000ffffn).op(OP.i64And);
  c.get(scratch).i64(0x0000ffff0000ffffn).op(OP.i64And).i64(16n).op(OP.i64Shl).op(OP.i64Or);
  c.i64(32n).op(OP.i64Rotr);
}

/** Byte-swaps the i32 on the stack. */
function bswap32(c: Code, scratch: number): void {
  c.tee(scratch).i32(0xff00ff00).op(OP.i32And).i32(8).op(OP.i32Rotl);
  c.get(scratch).i32(0x00ff00ff).op(OP.i32And).i32(8).op(OP.i32Rotr).op(OP.i32Or);
}

interface Variant {
  wide: boolean;
  steps: number;
  k: readonly bigint[];
  iv: readonly bigint[];
  state: number;
  blockBytes: number;
  /** Σ0, Σ1, σ0, σ1 rotate amounts (σ's third entry is a shift). */
  bigSigma0: readonly number[];
  bigSigma1: readonly number[];
  smallSigma0: readonly number[];
  smallSigma1: readonly number[];
}

const SHA512: Variant = {
  wide: true,
  steps: 80,
  k: K512,
  iv: IV512,
  state: STATE512,
  blockBytes: 128,
  bigSigma0: [28, 34, 39],
  bigSigma1: [14, 18, 41],
  smallSigma0: [1, 8, 7],
  smallSigma1: [19, 61, 6],
};

const SHA256: Variant = {
  wide: false,
  steps: 64,
  k: K256.map(BigInt),
  iv: IV256.map(BigInt),
  state: STATE256,
  blockBytes: 64,
  bigSigma0: [2, 13, 22],
  bigSigma1: [6, 11, 25],
  smallSigma0: [7, 18, 3],
  smallSigma1: [17, 19, 10],
};

/**
 * `blocks(ptr, count)`: compresses `count` consecutive blocks at `ptr` into the state.
 * Locals: 0 ptr, 1 count, 2-9 working variables, 10-25 schedule, 26 t1, 27 scratch.
 */
function emitBlocks(v: Variant): Code {
  const c = new Code();
  const word = v.wide ? I64 : I32;
  const size = v.wide ? 8 : 4;
  const add = v.wide ? OP.i64Add : OP.i32Add;
  const and = v.wide ? OP.i64And : OP.i32And;
  const or = v.wide ? OP.i64Or : OP.i32Or;
  const xor = v.wide ? OP.i64Xor : OP.i32Xor;
  const rotr = v.wide ? OP.i64Rotr : OP.i32Rotr;
  const shr = v.wide ? OP.i64ShrU : OP.i32ShrU;
  const load = v.wide ? OP.i64Load : OP.i32Load;
  const store = v.wide ? OP.i64Store : OP.i32Store;
  const konst = (value: number | bigint): Code => (v.wide ? c.i64(BigInt(value)) : c.i32(Number(value)));
  const W = (i: number): number => 10 + (i & 15);
  const T1 = 26;
  const SCRATCH = 27;
  const sigma = (local: number, amounts: readonly number[], lastIsShift: boolean): void => {
    c.get(local);
    konst(amounts[0] as number).op(rotr);
    c.get(local);
    konst(amounts[1] as number).op(rotr).op(xor);
    c.get(local);
    konst(amounts[2] as number).op(lastIsShift ? shr : rotr).op(xor);
  };

  // The body's locals, declared after the two parameters: 26 words (8 working, 16 schedule, t1, scratch).
  c.op(1, ...uleb(26), word);
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.get(1).op(OP.i32Eqz).op(OP.brIf, 1);
  for (let i = 0; i < 8; i++) c.i32(0).mem(load, v.state + size * i).set(2 + i);
  for (let t = 0; t < v.steps; t++) {
    const role = (r: number): number => 2 + ((((r - t) % 8) + 8) % 8);
    const [a, b, cc, d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map(role) as [number, number, number, number, number, number, number, number];
    // Message schedule word t.
    if (t < 16) {
      c.get(0).mem(load, size * t);
      if (v.wide) bswap64(c, SCRATCH);
      else bswap32(c, SCRATCH);
      c.set(W(t));
    } else {
      sigma(W(t - 2), v.smallSigma1, true);
      c.get(W(t - 7)).op(add);
      sigma(W(t - 15), v.smallSigma0, true);
      c.op(add).get(W(t - 16)).op(add).set(W(t));
    }
    // t1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t], with Ch = g ^ (e & (f ^ g)).
    c.get(h);
    sigma(e, v.bigSigma1, false);
    c.op(add);
    c.get(g).get(e).get(f).get(g).op(xor).op(and).op(xor).op(add);
    konst(v.k[t] as bigint).op(add);
    c.get(W(t)).op(add).set(T1);
    // d += t1; h = t1 + Σ0(a) + Maj(a, b, c), with Maj = (a & b) | (c & (a | b)).
    c.get(d).get(T1).op(add).set(d);
    c.get(T1);
    sigma(a, v.bigSigma0, false);
    c.op(add);
    c.get(a).get(b).op(and).get(cc).get(a).get(b).op(or).op(and).op(or).op(add).set(h);
  }
  // The roles have turned a whole number of times (64 and 80 are multiples of 8).
  for (let i = 0; i < 8; i++) c.i32(0).i32(0).mem(load, v.state + size * i).get(2 + i).op(add).mem(store, v.state + size * i);
  c.get(0).i32(v.blockBytes).op(OP.i32Add).set(0);
  c.get(1).i32(1).op(OP.i32Sub).set(1);
  c.op(OP.br, 0).op(OP.end).op(OP.end).op(OP.end);
  return c;
}

/**
 * How far ahead of its use the SIMD build computes a pair of SHA-512 schedule words: pair j
 * (W[2j] + K[2j], W[2j + 1] + K[2j + 1]) is emitted among the steps, at step 2 (j - SCHEDULE_AHEAD).
 *
 * The schedule is one dependency chain (each pair needs σ1 of the one before it, about six
 * operations in a row). Written as a first pass before the 80 steps, its chain ran alone: the
 * steps behind it could not enter the processor's reorder window until it had drained, so its
 * latency added to that of the steps (themselves one dependency chain through e and a).
 * Interleaved, the vector unit computes the schedule while the integer units run the steps: a
 * sha512_crypt verify at 5000 rounds took 0.58-0.65 of the time of the two-pass form (AMD EPYC,
 * Node 20, both forms alternated in one process, best of 20: 776-869 against 1336-1343 µs).
 * Four pairs ahead measured best among 1-6 (all within 3-4%).
 */
const SCHEDULE_AHEAD = 4;

/** i8x16.shuffle lanes taking the high 8 bytes of the first vector and the low 8 of the second: (W[j+1], W[j+2]) from two pairs. */
const MIDDLE_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * The SIMD build's `blocks(ptr, count)`: per block, the vector unit writes the message schedule
 * plus the round constants, W[t] + K[t], to SCHEDULE a few steps ahead of the rounds (see
 * SCHEDULE_AHEAD), and the rounds read one word of it each.
 * Split this way the rounds keep only the eight working variables and a few temporaries live,
 * which fit the machine's registers, where the one-pass form (emitBlocks) holds 16 schedule words
 * too and spills to the stack every step. SHA-512's schedule is computed two words at a time in
 * i64x2 lanes (W[t..t+1] needs W[t-2..t-1], W[t-7..t-6], W[t-15..t-14] and W[t-16..t-15], all
 * already known). The message words are byte-swapped with one shuffle per 16 bytes. SHA-512
 * only: SHA-256's one-pass form measured faster. Locals: 0 ptr, 1 count, 2-9 working variables,
 * 10 t1, 11 scratch, 12-19 the last eight W pairs (v128).
 */
function emitBlocksScheduled(v: Variant): Code {
  const c = new Code();
  const word = v.wide ? I64 : I32;
  const size = v.wide ? 8 : 4;
  const add = v.wide ? OP.i64Add : OP.i32Add;
  const and = v.wide ? OP.i64And : OP.i32And;
  const or = v.wide ? OP.i64Or : OP.i32Or;
  const xor = v.wide ? OP.i64Xor : OP.i32Xor;
  const rotr = v.wide ? OP.i64Rotr : OP.i32Rotr;
  const shr = v.wide ? OP.i64ShrU : OP.i32ShrU;
  const load = v.wide ? OP.i64Load : OP.i32Load;
  const store = v.wide ? OP.i64Store : OP.i32Store;
  const konst = (value: number | bigint): Code => (v.wide ? c.i64(BigInt(value)) : c.i32(Number(value)));
  const T1 = 10;
  const sigma = (local: number, amounts: readonly number[], lastIsShift: boolean): void => {
    c.get(local);
    konst(amounts[0] as number).op(rotr);
    c.get(local);
    konst(amounts[1] as number).op(rotr).op(xor);
    c.get(local);
    konst(amounts[2] as number).op(lastIsShift ? shr : rotr).op(xor);
  };
  if (!v.wide) throw new RangeError('the scheduled form is SHA-512 only');
  c.op(2, ...uleb(10), word, 8, V128);
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.get(1).op(OP.i32Eqz).op(OP.brIf, 1);

  // The schedule: the first 16 words here, the rest inside the rounds (see SCHEDULE_AHEAD).
  const WK = SCHEDULE;
  let emitPair: (j: number) => void = () => undefined;
  {
    const V = (j: number): number => 12 + (j & 7);
    const K = (t: number): Code => c.v128i64(v.k[t] as bigint, v.k[t + 1] as bigint);
    const storeWK = (j: number): void => {
      c.i32(0).get(V(j));
      K(2 * j).v(SIMD.i64x2Add).vmem(SIMD.store, WK + 16 * j);
    };
    // σ of the v128 on top of the stack, kept in scratch local `x` (a v128 local: the next pair slot is free).
    const vrotr = (x: number, n: number): void => {
      c.get(x).i32(n).v(SIMD.i64x2ShrU).get(x).i32(64 - n).v(SIMD.i64x2Shl).v(SIMD.or);
    };
    const vsigma = (x: number, amounts: readonly number[]): void => {
      vrotr(x, amounts[0] as number);
      vrotr(x, amounts[1] as number);
      c.v(SIMD.xor);
      c.get(x).i32(amounts[2] as number).v(SIMD.i64x2ShrU).v(SIMD.xor);
    };
    for (let j = 0; j < 8; j++) {
      c.get(0).vmem(SIMD.load, 16 * j).get(0).vmem(SIMD.load, 16 * j).shuffle(SWAP64_LANES).set(V(j));
      storeWK(j);
    }
    emitPair = (j: number): void => {
      // V(j) is V(j - 8)'s slot: W[t-16..t-15] is read first, and the new pair written last.
      // σ0 over (W[t-15], W[t-14]), built in the slot while it still holds V(j - 8).
      c.get(V(j - 8));
      c.get(V(j - 8)).get(V(j - 7)).shuffle(MIDDLE_LANES).set(V(j));
      vsigma(V(j), v.smallSigma0);
      c.v(SIMD.i64x2Add);
      // + σ1(W[t-2], W[t-1]) + (W[t-7], W[t-6]).
      vsigma(V(j - 1), v.smallSigma1);
      c.v(SIMD.i64x2Add);
      c.get(V(j - 4)).get(V(j - 3)).shuffle(MIDDLE_LANES).v(SIMD.i64x2Add);
      c.set(V(j));
      storeWK(j);
    };
  }

  // Second pass: the rounds. The sums are ordered so that what depends on the previous step's
  // e and a comes last (the critical path through a step is then Σ1(e), one add, d + t1; and
  // Σ0(a), one add), and Maj(a, b, c) is b ^ ((a ^ b) & (b ^ c)), where b ^ c is the previous
  // step's a ^ b (local 11): one operation fewer than the one-pass form.
  const AB = 11;
  for (let i = 0; i < 8; i++) c.i32(0).mem(load, v.state + size * i).set(2 + i);
  // b ^ c of step 0.
  c.get(3).get(4).op(xor).set(AB);
  for (let t = 0; t < v.steps; t++) {
    const role = (r: number): number => 2 + ((((r - t) % 8) + 8) % 8);
    const [a, b, , d, e, f, g, h] = [0, 1, 2, 3, 4, 5, 6, 7].map(role) as [number, number, number, number, number, number, number, number];
    // The schedule pair needed SCHEDULE_AHEAD pairs from now.
    const pair = t / 2 + SCHEDULE_AHEAD;
    if (t % 2 === 0 && pair >= 8 && pair < 40) emitPair(pair);
    // t1 = (h + (W[t] + K[t])) + Ch(e, f, g) + Σ1(e), with Ch = g ^ (e & (f ^ g)).
    c.get(h).i32(0).mem(load, WK + size * t).op(add);
    c.get(g).get(e).get(f).get(g).op(xor).op(and).op(xor).op(add);
    sigma(e, v.bigSigma1, false);
    c.op(add).set(T1);
    // d += t1; h = (t1 + Maj(a, b, c)) + Σ0(a).
    c.get(d).get(T1).op(add).set(d);
    c.get(T1);
    c.get(b).get(a).get(b).op(xor).get(AB).get(a).get(b).op(xor).set(AB).op(and).op(xor).op(add);
    sigma(a, v.bigSigma0, false);
    c.op(add).set(h);
  }
  for (let i = 0; i < 8; i++) c.i32(0).i32(0).mem(load, v.state + size * i).get(2 + i).op(add).mem(store, v.state + size * i);
  c.get(0).i32(v.blockBytes).op(OP.i32Add).set(0);
  c.get(1).i32(1).op(OP.i32Sub).set(1);
  c.op(OP.br, 0).op(OP.end).op(OP.end).op(OP.end);
  return c;
}

/**
 * MD5's `blocks(ptr, count)`, the same shape as emitBlocks. Locals: 0 ptr, 1 count, 2-5 a-d. Steps: a = b + rotl(a + f(b, c, d) + X[k] + T[i], s).
 */
function emitMd5Blocks(): Code {
  const c = new Code();
  const shifts = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  const T = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32));
  const word = (i: number): number => {
    if (i < 16) return i;
    if (i < 32) return (5 * i + 1) % 16;
    if (i < 48) return (3 * i + 5) % 16;
    return (7 * i) % 16;
  };
  // The message words are read from memory at each use (MD5 reads each one four times): held in
  // 16 locals next to the 4 working variables they outnumber the machine's registers and spill.
  //
  // MD5 is latency-bound (each step needs the previous step's result b), so every step sums what
  // does not depend on b first, a + X[k] + T[i] (and the part of the round function without b),
  // and b's part last: b's path through a step is then its round function's one or two
  // operations, one add, the rotation and the add of b. Round 2's G(b, c, d) = (b & d) | (c & ~d)
  // is written (c & ~d) + (b & d), as the two terms share no bit, so b meets one AND and one add.
  c.op(1, ...uleb(4), I32);
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.get(1).op(OP.i32Eqz).op(OP.brIf, 1);
  for (let i = 0; i < 4; i++) c.i32(0).mem(OP.i32Load, STATE_MD5 + 4 * i).set(2 + i);
  for (let i = 0; i < 64; i++) {
    const role = (r: number): number => 2 + ((((r - i) % 4) + 4) % 4);
    const [a, b, cc, d] = [role(0), role(1), role(2), role(3)];
    c.get(a).i32(T[i] as number).op(OP.i32Add).get(0).mem(OP.i32Load, 4 * word(i)).op(OP.i32Add);
    const round = Math.floor(i / 16);
    if (round === 0) c.get(d).get(b).get(cc).get(d).op(OP.i32Xor).op(OP.i32And).op(OP.i32Xor).op(OP.i32Add); // d ^ (b & (c ^ d))
    else if (round === 1) c.get(cc).get(d).i32(-1).op(OP.i32Xor).op(OP.i32And).op(OP.i32Add).get(b).get(d).op(OP.i32And).op(OP.i32Add); // (c & ~d) + (b & d)
    else if (round === 2) c.get(b).get(cc).get(d).op(OP.i32Xor).op(OP.i32Xor).op(OP.i32Add); // b ^ (c ^ d)
    else c.get(cc).get(b).get(d).i32(-1).op(OP.i32Xor).op(OP.i32Or).op(OP.i32Xor).op(OP.i32Add); // c ^ (b | ~d)
    c.i32(shifts[round * 4 + (i % 4)] as number).op(OP.i32Rotl).get(b).op(OP.i32Add).set(a);
  }
  for (let i = 0; i < 4; i++) c.i32(0).i32(0).mem(OP.i32Load, STATE_MD5 + 4 * i).get(2 + i).op(OP.i32Add).mem(OP.i32Store, STATE_MD5 + 4 * i);
  c.get(0).i32(64).op(OP.i32Add).set(0);
  c.get(1).i32(1).op(OP.i32Sub).set(1);
  c.op(OP.br, 0).op(OP.end).op(OP.end).op(OP.end);
  return c;
}

interface Layout {
  /** Words of the state and their width in bytes. */
  words: number;
  size: 4 | 8;
  state: number;
  iv: readonly bigint[];
  /** Whether the digest's bytes are the state words big-endian (SHA-2) or little-endian (MD5). */
  bigEndian: boolean;
}

const LAYOUTS: Record<WasmDigest, Layout> = {
  sha512: { words: 8, size: 8, state: STATE512, iv: IV512, bigEndian: true },
  sha256: { words: 8, size: 4, state: STATE256, iv: IV256.map(BigInt), bigEndian: true },
  md5: { words: 4, size: 4, state: STATE_MD5, iv: [0x67452301n, 0xefcdab89n, 0x98badcfen, 0x10325476n], bigEndian: false },
};

function swap(c: Code, l: Layout, scratch: number): void {
  if (!l.bigEndian) return;
  if (l.size === 8) bswap64(c, scratch);
  else bswap32(c, scratch);
}

/**
 * `round(ptr, count, slot)`: writes the digest in the state at ptr + slot, resets the state,
 * compresses. With SIMD the digest is byte-swapped 16 bytes at a time (MD5's needs no swap).
 */
function emitRound(l: Layout, blocksIndex: number, simd: boolean): Code {
  const c = new Code();
  const load = l.size === 8 ? OP.i64Load : OP.i32Load;
  const store = l.size === 8 ? OP.i64Store : OP.i32Store;
  c.op(1, 1, l.size === 8 ? I64 : I32);
  const scratch = 3;
  if (simd) {
    for (let at = 0; at < l.words * l.size; at += 16) {
      c.get(0).get(2).op(OP.i32Add);
      c.i32(0).vmem(SIMD.load, l.state + at);
      if (l.bigEndian) c.i32(0).vmem(SIMD.load, l.state + at).shuffle(l.size === 8 ? SWAP64_LANES : SWAP32_LANES);
      c.vmem(SIMD.store, at);
    }
  } else {
    for (let i = 0; i < l.words; i++) {
      c.get(0).get(2).op(OP.i32Add);
      c.i32(0).mem(load, l.state + l.size * i);
      swap(c, l, scratch);
      c.mem(store, l.size * i);
    }
  }
  for (let i = 0; i < l.words; i++) {
    c.i32(0);
    if (l.size === 8) c.i64(l.iv[i] as bigint);
    else c.i32(Number(l.iv[i]));
    c.mem(store, l.state + l.size * i);
  }
  c.get(0).get(1).op(OP.call, ...uleb(blocksIndex)).op(OP.end);
  return c;
}

/** Bytes per entry of an iteration's layout table: the layout's pointer, block count and digest slot (three i32). */
const TABLE_ENTRY = 12;

/**
 * `iterate(table, from, to, mask)`: rounds `from` to `to` (exclusive) of an iterated digest, all
 * inside the module (one call per slice instead of one per round). Round i hashes layout
 * k = crypt(i) & mask of `table`, where crypt(i) = (i odd) | (i % 3 != 0) << 1 | (i % 7 != 0) << 2
 * is the layout pattern of MD5-crypt and SHA-crypt; mask 0 hashes layout 0 every round.
 * Locals: 0 table, 1 i, 2 to, 3 mask, 4 entry.
 */
function emitIterate(roundIndex: number): Code {
  const c = new Code();
  c.op(1, 1, I32);
  c.op(OP.block, 0x40).op(OP.loop, 0x40);
  c.get(1).get(2).op(OP.i32GeU).op(OP.brIf, 1);
  c.get(1).i32(1).op(OP.i32And);
  c.get(1).i32(3).op(OP.i32RemU).i32(0).op(OP.i32Ne).i32(1).op(OP.i32Shl).op(OP.i32Or);
  c.get(1).i32(7).op(OP.i32RemU).i32(0).op(OP.i32Ne).i32(2).op(OP.i32Shl).op(OP.i32Or);
  c.get(3).op(OP.i32And).i32(TABLE_ENTRY).op(OP.i32Mul).get(0).op(OP.i32Add).set(4);
  c.get(4).mem(OP.i32Load, 0).get(4).mem(OP.i32Load, 4).get(4).mem(OP.i32Load, 8).op(OP.call, ...uleb(roundIndex));
  c.get(1).i32(1).op(OP.i32Add).set(1);
  c.op(OP.br, 0).op(OP.end).op(OP.end).op(OP.end);
  return c;
}

/** `read(ptr)` sets the state from a digest at ptr; `write(ptr)` stores the state there as a digest. */
function emitCopy(l: Layout, direction: 'read' | 'write'): Code {
  const c = new Code();
  const load = l.size === 8 ? OP.i64Load : OP.i32Load;
  const store = l.size === 8 ? OP.i64Store : OP.i32Store;
  c.op(1, 1, l.size === 8 ? I64 : I32);
  for (let i = 0; i < l.words; i++) {
    if (direction === 'read') c.i32(0).get(0).mem(load, l.size * i);
    else c.get(0).i32(0).mem(load, l.state + l.size * i);
    swap(c, l, 1);
    if (direction === 'read') c.mem(store, l.state + l.size * i);
    else c.mem(store, l.size * i);
  }
  c.op(OP.end);
  return c;
}

export function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

export function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

export function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

const ALGORITHMS: readonly WasmDigest[] = ['sha512', 'sha256', 'md5'];

function buildModule(simd: boolean): Uint8Array<ArrayBuffer> {
  // Types: 0 (i32, i32) → (), 1 (i32, i32, i32) → (), 2 (i32) → (), 3 (i32, i32, i32, i32) → ().
  const types = vector([
    [0x60, 2, I32, I32, 0],
    [0x60, 3, I32, I32, I32, 0],
    [0x60, 1, I32, 0],
    [0x60, 4, I32, I32, I32, I32, 0],
  ]);
  // Functions 0-2 compress blocks and 3-5 are the rounds (not exported); then iterate, read and
  // write per algorithm.
  const functions: { type: number; code: Code; export?: string }[] = [
    { type: 0, code: simd ? emitBlocksScheduled(SHA512) : emitBlocks(SHA512) },
    // SHA-256's one-pass form measured faster than its scheduled form (1.25 against 1.54 ms per
    // sha256_crypt verify at 5000 rounds), so both builds use it.
    { type: 0, code: emitBlocks(SHA256) },
    { type: 0, code: emitMd5Blocks() },
  ];
  ALGORITHMS.forEach((algorithm, index) => functions.push({ type: 1, code: emitRound(LAYOUTS[algorithm], index, simd) }));
  ALGORITHMS.forEach((algorithm, index) => {
    const layout = LAYOUTS[algorithm];
    functions.push({ type: 3, code: emitIterate(ALGORITHMS.length + index), export: `iterate_${algorithm}` });
    functions.push({ type: 2, code: emitCopy(layout, 'read'), export: `read_${algorithm}` });
    functions.push({ type: 2, code: emitCopy(layout, 'write'), export: `write_${algorithm}` });
  });
  const exports: number[][] = [[...name('memory'), 0x02, 0]];
  functions.forEach((f, i) => {
    if (f.export) exports.push([...name(f.export), 0x00, ...uleb(i)]);
  });
  const bodies = functions.map((f) => [...uleb(f.code.bytes.length), ...f.code.bytes]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, vector(functions.map((f) => [f.type]))),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

type Fn = (...args: number[]) => void;

interface Instance {
  memory: WebAssembly.Memory;
  iterate: Record<WasmDigest, Fn>;
  read: Record<WasmDigest, Fn>;
  write: Record<WasmDigest, Fn>;
  /** Whether this is the SIMD build. */
  simd: boolean;
}

let instance: Instance | null | undefined;

/** Which builds digestWasm tries, in order (tests restrict it to check the scalar build too). */
let builds: readonly boolean[] = [true, false];

/** The compiled module, or undefined where the runtime cannot compile WebAssembly at run time. */
function digestWasm(): Instance | undefined {
  if (instance !== undefined) return instance ?? undefined;
  instance = null;
  // The SIMD build first (its schedule pass keeps the rounds in registers, see
  // emitBlocksScheduled); an engine without fixed-width SIMD gets the scalar build. A runtime
  // that compiles neither gets undefined.
  for (const simd of builds) {
    try {
      const module = new WebAssembly.Module(buildModule(simd));
      const exports = new WebAssembly.Instance(module).exports as Record<string, unknown>;
      const table = (prefix: string): Record<WasmDigest, Fn> =>
        Object.fromEntries(ALGORITHMS.map((a) => [a, exports[`${prefix}_${a}`] as Fn])) as Record<WasmDigest, Fn>;
      instance = { memory: exports.memory as WebAssembly.Memory, iterate: table('iterate'), read: table('read'), write: table('write'), simd };
      break;
    } catch {
      // Try the next build.
    }
  }
  return instance ?? undefined;
}

/** Whether this runtime runs the WebAssembly module (false on Workers-like runtimes). */
export function digestWasmAvailable(): boolean {
  return digestWasm() !== undefined;
}

/** Which build of the module runs here: 'simd', 'scalar', or undefined without WebAssembly. */
export function digestWasmBuild(): 'simd' | 'scalar' | undefined {
  const wasm = digestWasm();
  return wasm ? (wasm.simd ? 'simd' : 'scalar') : undefined;
}

/**
 * For tests: recompiles the module as the given build from the next use on, so both builds can
 * be checked on an engine that has SIMD. Not for production code.
 */
export function selectDigestWasmBuildForTests(build: 'simd' | 'scalar' | 'auto'): void {
  builds = build === 'auto' ? [true, false] : [build === 'simd'];
  instance = undefined;
}

const BLOCK_BYTES: Record<WasmDigest, number> = { md5: 64, sha256: 64, sha512: 128 };
const DIGEST_BYTES: Record<WasmDigest, number> = { md5: 16, sha256: 32, sha512: 64 };

/** Bytes a message of `length` takes once padded. */
function paddedLength(algorithm: WasmDigest, length: number): number {
  return blockCount(algorithm, length) * BLOCK_BYTES[algorithm];
}

/** How many blocks the compression function processes for a message of `length` bytes. */
export function blockCount(algorithm: WasmDigest, length: number): number {
  const lengthBytes = algorithm === 'sha512' ? 16 : 8;
  return Math.floor((length + lengthBytes) / BLOCK_BYTES[algorithm]) + 1;
}

/**
 * Blocks compressed per slice of a long iteration: about 3 ms of work. Measured on the
 * development machine, a block costs about 0.3-0.37 µs with SHA-512, 0.22-0.28 µs with SHA-256
 * and 0.15 µs with MD5 (the higher figures for one-block rounds, where the call costs most).
 * Slices are counted in blocks rather than rounds because a round hashes the password, which
 * the caller chooses too: with a 1024-byte password a SHA-crypt round compresses 17 SHA-512
 * blocks instead of one or two.
 */
const SLICE_BLOCKS: Record<WasmDigest, number> = { md5: 16384, sha256: 12288, sha512: 8192 };

/** Writes `message` padded at `ptr` (MD5 stores the bit length little-endian, SHA-2 big-endian). */
function writePadded(algorithm: WasmDigest, bytes: Uint8Array, ptr: number, message: Uint8Array): number {
  const total = paddedLength(algorithm, message.length);
  bytes.set(message, ptr);
  bytes[ptr + message.length] = 0x80;
  bytes.fill(0, ptr + message.length + 1, ptr + total);
  // Lengths here stay far below 2^32 bits: only four bytes of the length field are set.
  const bits = message.length * 8;
  const at = algorithm === 'md5' ? ptr + total - 8 : ptr + total - 4;
  const order = algorithm === 'md5' ? [0, 8, 16, 24] : [24, 16, 8, 0];
  for (let i = 0; i < 4; i++) bytes[at + i] = (bits >>> (order[i] as number)) & 0xff;
  return total / BLOCK_BYTES[algorithm];
}

/** One input layout of an iterated digest: its bytes (with room for the digest) and where the digest goes. */
export interface DigestLayout {
  message: Uint8Array;
  slot: number;
}

/**
 * Which layout round i of an iterated digest hashes: `single` always the one layout; `crypt` the
 * pattern of MD5-crypt and SHA-crypt over eight layouts, k = (i odd) | (i % 3 != 0) << 1 |
 * (i % 7 != 0) << 2. The module computes the pattern itself, so a whole slice of rounds is one call.
 */
export type LayoutPattern = 'single' | 'crypt';

/** The layout index of round `i` under `pattern` (what the module's iterate computes). */
export function layoutIndex(pattern: LayoutPattern, i: number): number {
  return pattern === 'single' ? 0 : (i & 1) | (i % 3 !== 0 ? 2 : 0) | (i % 7 !== 0 ? 4 : 0);
}

/**
 * An iterated digest in progress: the state starts as the digest `initial`, and round i hashes
 * layout `layoutIndex(pattern, i)` with the previous digest written at its slot. `run` computes
 * the next rounds, so a caller can spread a long iteration over several turns of the event loop.
 */
export interface WasmIteration {
  /** Runs up to `count` more rounds and returns how many are still to run. */
  run(count: number): number;
  /**
   * The rounds of one slice (about 3 ms, see SLICE_BLOCKS), counted with the longest layout.
   * An iteration of at most this many rounds finishes in one `run`.
   */
  readonly sliceRounds: number;
  /** The final digest; only meaningful once `run` has returned 0. */
  result(): Uint8Array;
}

/**
 * Prepares an iterated digest in the module, or returns undefined where WebAssembly is
 * unavailable (the caller then computes another way).
 *
 * The module has one memory and one state for every caller, and another computation may use them
 * between two calls of `run` (the iterated schemes yield to the event loop between slices). So
 * nothing is left in the module between calls: the layout table and the padded layouts are kept
 * in an image of their region of memory, copied back at the start of every `run`, and the running
 * digest is read into the state before the rounds and written out after them. That costs one
 * copy of a few hundred bytes (a few kilobytes for a long password) per call, nothing next to the
 * rounds a call runs; the rounds themselves run inside the module, one call per `run`.
 */
export function wasmIteration(algorithm: WasmDigest, initial: Uint8Array, layouts: readonly DigestLayout[], rounds: number, pattern: LayoutPattern): WasmIteration | undefined {
  const wasm = digestWasm();
  if (!wasm) return undefined;
  const needed = pattern === 'single' ? 1 : 8;
  if (layouts.length !== needed) throw new RangeError(`the ${pattern} pattern takes ${needed} layout(s)`);
  const size = DIGEST_BYTES[algorithm];
  // The running digest sits at DATA_START; the layout table follows it, then the layouts.
  const base = DATA_START + size;
  const table = base;
  const ptrs: number[] = [];
  let end = table + TABLE_ENTRY * layouts.length;
  for (const layout of layouts) {
    ptrs.push(end);
    end += paddedLength(algorithm, layout.message.length);
  }
  // Room after the last layout, for a slot placed just past its message.
  end += size;
  const image = new Uint8Array(end - base);
  const blocks = layouts.map((layout, k) => writePadded(algorithm, image, (ptrs[k] as number) - base, layout.message));
  const entries = new DataView(image.buffer);
  layouts.forEach((layout, k) => {
    entries.setUint32(TABLE_ENTRY * k, ptrs[k] as number, true);
    entries.setUint32(TABLE_ENTRY * k + 4, blocks[k] as number, true);
    entries.setUint32(TABLE_ENTRY * k + 8, layout.slot, true);
  });
  const iterate = wasm.iterate[algorithm];
  const mask = pattern === 'single' ? 0 : 7;
  const digest = initial.slice(0, size);
  let done = 0;
  return {
    sliceRounds: Math.max(1, Math.floor(SLICE_BLOCKS[algorithm] / Math.max(1, ...blocks))),
    run(count) {
      const stop = Math.min(rounds, done + count);
      if (done < stop) {
        const missing = end - wasm.memory.buffer.byteLength;
        if (missing > 0) wasm.memory.grow(Math.ceil(missing / 65536));
        // A fresh view each time: growing the memory (here or in another computation) detaches
        // the previous buffer.
        const bytes = new Uint8Array(wasm.memory.buffer);
        bytes.set(image, base);
        bytes.set(digest, DATA_START);
        wasm.read[algorithm](DATA_START);
        iterate(table, done, stop, mask);
        wasm.write[algorithm](DATA_START);
        digest.set(bytes.subarray(DATA_START, DATA_START + size));
        done = stop;
      }
      return rounds - done;
    },
    result: () => digest.slice(),
  };
}

/**
 * Runs an iterated digest in the module at once (see wasmIteration). Returns the final digest,
 * or undefined where WebAssembly is unavailable (the caller then computes another way).
 */
export function wasmIterate(algorithm: WasmDigest, initial: Uint8Array, layouts: readonly DigestLayout[], rounds: number, pattern: LayoutPattern): Uint8Array | undefined {
  const iteration = wasmIteration(algorithm, initial, layouts, rounds, pattern);
  if (!iteration) return undefined;
  iteration.run(rounds);
  return iteration.result();
}

/** One-shot digest through the module (for tests); undefined where WebAssembly is unavailable. */
export function wasmDigest(algorithm: WasmDigest, message: Uint8Array): Uint8Array | undefined {
  const size = DIGEST_BYTES[algorithm];
  // One round over the message with its slot just past it: the old state is written where it is
  // ignored, and the round starts from the IV.
  return wasmIterate(algorithm, new Uint8Array(size), [{ message, slot: paddedLength(algorithm, message.length) }], 1, 'single');
}
