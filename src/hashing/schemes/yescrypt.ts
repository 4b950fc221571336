/**
 * yescrypt `$y$<params>$<salt>$<hash>`: the default of current Linux shadow files (Debian 11+,
 * Ubuntu 22.04+, Fedora 35+, Arch), written by libxcrypt. Verify-only.
 *
 * This follows the reference implementation (openwall/yescrypt, yescrypt-ref.c and
 * yescrypt-common.c) step by step: scrypt's SMix with the pwxform block mix, its S-boxes
 * initialised from the password, the optional pre-hash for large N, and the SCRAM-style final
 * steps. Only the parameter set every yescrypt implementation writes is supported: the "j" flavor
 * (YESCRYPT_DEFAULTS: read-write mode, 6 pwxform rounds, 4-way gather, 2-way simple, 12 KiB
 * S-boxes), with N, r and optionally p and t; the upgrade counter g and ROM mode are refused,
 * as libxcrypt refuses them.
 *
 * yescrypt is memory-hard: a verify fills 128 × N × r bytes. That memory, and the time it takes,
 * are cost parameters checked against caps before any work.
 */
import { createHash, createHmac } from 'node:crypto';
import { malformed } from '../../errors';
import { equalStrings } from '../compare';
import { h64EncodeBytes, h64LastCharCanonical, h64Value } from '../encoding';
import type { ParsedHash, Scheme } from '../scheme';
import { runAtOnce, runCooperatively, type Sliced } from '../sliced';

// pwxform's parameters in the "j" flavor, and the sizes derived from them.
const PWX_SIMPLE = 2;
const PWX_GATHER = 4;
const PWX_ROUNDS = 6;
const S_WIDTH = 8;
const PWX_WORDS = (PWX_GATHER * PWX_SIMPLE * 8) / 4;
const S_WORDS = (3 * (1 << S_WIDTH) * PWX_SIMPLE * 8) / 4;
const S_MASK = ((1 << S_WIDTH) - 1) * PWX_SIMPLE * 8;
/** One S-box: 2^Swidth × PWXsimple pairs of 32-bit words. */
const SBOX_WORDS = (1 << S_WIDTH) * PWX_SIMPLE * 2;

const YESCRYPT_RW = 0x002;
const YESCRYPT_DEFAULTS = 0x0b6;
const YESCRYPT_PREHASH = 0x10000000;

interface PwxformContext {
  S: Uint32Array;
  /** Word offsets of the three S-boxes inside S; they rotate after every pwxform. */
  s0: number;
  s1: number;
  s2: number;
  /** Next pair of S2 to write. */
  w: number;
}

/** Salsa20 core on the 16 words at B[o..o+15], kept in yescrypt's "SIMD-shuffled" order. */
function salsa20(B: Uint32Array, o: number, rounds: number, x: Uint32Array): void {
  for (let i = 0; i < 16; i++) x[(i * 5) % 16] = B[o + i] as number;
  let x0 = x[0] as number, x1 = x[1] as number, x2 = x[2] as number, x3 = x[3] as number;
  let x4 = x[4] as number, x5 = x[5] as number, x6 = x[6] as number, x7 = x[7] as number;
  let x8 = x[8] as number, x9 = x[9] as number, x10 = x[10] as number, x11 = x[11] as number;
  let x12 = x[12] as number, x13 = x[13] as number, x14 = x[14] as number, x15 = x[15] as number;
  for (let i = 0; i < rounds; i += 2) {
    let u: number;
    // Columns.
    u = (x0 + x12) | 0; x4 ^= (u << 7) | (u >>> 25);
    u = (x4 + x0) | 0; x8 ^= (u << 9) | (u >>> 23);
    u = (x8 + x4) | 0; x12 ^= (u << 13) | (u >>> 19);
    u = (x12 + x8) | 0; x0 ^= (u << 18) | (u >>> 14);
    u = (x5 + x1) | 0; x9 ^= (u << 7) | (u >>> 25);
    u = (x9 + x5) | 0; x13 ^= (u << 9) | (u >>> 23);
    u = (x13 + x9) | 0; x1 ^= (u << 13) | (u >>> 19);
    u = (x1 + x13) | 0; x5 ^= (u << 18) | (u >>> 14);
    u = (x10 + x6) | 0; x14 ^= (u << 7) | (u >>> 25);
    u = (x14 + x10) | 0; x2 ^= (u << 9) | (u >>> 23);
    u = (x2 + x14) | 0; x6 ^= (u << 13) | (u >>> 19);
    u = (x6 + x2) | 0; x10 ^= (u << 18) | (u >>> 14);
    u = (x15 + x11) | 0; x3 ^= (u << 7) | (u >>> 25);
    u = (x3 + x15) | 0; x7 ^= (u << 9) | (u >>> 23);
    u = (x7 + x3) | 0; x11 ^= (u << 13) | (u >>> 19);
    u = (x11 + x7) | 0; x15 ^= (u << 18) | (u >>> 14);
    // Rows.
    u = (x0 + x3) | 0; x1 ^= (u << 7) | (u >>> 25);
    u = (x1 + x0) | 0; x2 ^= (u << 9) | (u >>> 23);
    u = (x2 + x1) | 0; x3 ^= (u << 13) | (u >>> 19);
    u = (x3 + x2) | 0; x0 ^= (u << 18) | (u >>> 14);
    u = (x5 + x4) | 0; x6 ^= (u << 7) | (u >>> 25);
    u = (x6 + x5) | 0; x7 ^= (u << 9) | (u >>> 23);
    u = (x7 + x6) | 0; x4 ^= (u << 13) | (u >>> 19);
    u = (x4 + x7) | 0; x5 ^= (u << 18) | (u >>> 14);
    u = (x10 + x9) | 0; x11 ^= (u << 7) | (u >>> 25);
    u = (x11 + x10) | 0; x8 ^= (u << 9) | (u >>> 23);
    u = (x8 + x11) | 0; x9 ^= (u << 13) | (u >>> 19);
    u = (x9 + x8) | 0; x10 ^= (u << 18) | (u >>> 14);
    u = (x15 + x14) | 0; x12 ^= (u << 7) | (u >>> 25);
    u = (x12 + x15) | 0; x13 ^= (u << 9) | (u >>> 23);
    u = (x13 + x12) | 0; x14 ^= (u << 13) | (u >>> 19);
    u = (x14 + x13) | 0; x15 ^= (u << 18) | (u >>> 14);
  }
  x[0] = x0; x[1] = x1; x[2] = x2; x[3] = x3; x[4] = x4; x[5] = x5; x[6] = x6; x[7] = x7;
  x[8] = x8; x[9] = x9; x[10] = x10; x[11] = x11; x[12] = x12; x[13] = x13; x[14] = x14; x[15] = x15;
  for (let i = 0; i < 16; i++) B[o + i] = ((B[o + i] as number) + (x[(i * 5) % 16] as number)) >>> 0;
}

/** Working memory shared by the functions of one computation. */
interface Scratch {
  x: Uint32Array;
  /** 16 words for blockmix_salsa8's X and pwxform's block. */
  block: Uint32Array;
}

/**
 * The work of one slice (see Sliced in sliced.ts), counted in 128-byte blocks put through a block
 * mix: an SMix iteration mixes r of them. A block costs about 1.9 µs at r = 32 and up to 3 µs at
 * smaller r and larger N on the development machine, so a slice takes 2-3 ms: the default j9T
 * hash (about 0.35 s) is cut into about 170 slices, a hash at the 32 MiB cap into about 350.
 */
const SLICE_BLOCKS = 1024;

/**
 * The block mixes done since the last yield, counted across every SMix of a computation (the
 * pre-hash's included), so that no slice runs longer than SLICE_BLOCKS where one SMix hands over
 * to the next.
 */
interface Pacer {
  blocks: number;
}

/** Whether the current slice is full: the caller yields before its next block mix. */
function sliceFull(pacer: Pacer): boolean {
  if (pacer.blocks < SLICE_BLOCKS) return false;
  pacer.blocks = 0;
  return true;
}

/** BlockMix with Salsa20/8 (classic scrypt), used here only to initialise the S-boxes. */
function blockmixSalsa8(B: Uint32Array, o: number, Y: Uint32Array, r: number, scratch: Scratch): void {
  const X = scratch.block;
  X.set(B.subarray(o + (2 * r - 1) * 16, o + 2 * r * 16));
  for (let i = 0; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) X[k] = ((X[k] as number) ^ (B[o + i * 16 + k] as number)) >>> 0;
    salsa20(X, 0, 8, scratch.x);
    Y.set(X, i * 16);
  }
  for (let i = 0; i < r; i++) B.set(Y.subarray(i * 2 * 16, i * 2 * 16 + 16), o + i * 16);
  for (let i = 0; i < r; i++) B.set(Y.subarray((i * 2 + 1) * 16, (i * 2 + 1) * 16 + 16), o + (i + r) * 16);
}

/**
 * pwxform on the 16-word block X, with the S-boxes of `ctx`. Each lane computes the 64-bit
 * value hi(x) × lo(x) + S0[...] xor S1[...]; JavaScript has no 64-bit integers, so the product's
 * high word is assembled from 16-bit halves (every intermediate stays below 2^32, exact in a
 * double) and the low word comes from Math.imul.
 */
function pwxform(X: Uint32Array, ctx: PwxformContext): void {
  const S = ctx.S;
  const s0 = ctx.s0;
  const s1 = ctx.s1;
  const s2 = ctx.s2;
  let w = ctx.w;
  for (let i = 0; i < PWX_ROUNDS; i++) {
    const write = i !== 0 && i !== PWX_ROUNDS - 1;
    for (let base = 0; base < PWX_WORDS; base += PWX_SIMPLE * 2) {
      // p0, p1: pair indices chosen by the low and high words of the lane group's first lane.
      const p0 = s0 + (((X[base] as number) & S_MASK) >>> 2);
      const p1 = s1 + (((X[base + 1] as number) & S_MASK) >>> 2);
      for (let k = 0; k < PWX_SIMPLE * 2; k += 2) {
        const xl = X[base + k] as number;
        const xh = X[base + k + 1] as number;
        const al = xh & 0xffff;
        const ah = xh >>> 16;
        const bl = xl & 0xffff;
        const bh = xl >>> 16;
        const mid1 = ah * bl + ((al * bl) >>> 16);
        const mid2 = al * bh + (mid1 & 0xffff);
        const productHi = ah * bh + (mid1 >>> 16) + (mid2 >>> 16);
        const productLo = Math.imul(xh, xl) >>> 0;
        const sumLo = productLo + (S[p0 + k] as number);
        const sumHi = productHi + (S[p0 + k + 1] as number) + (sumLo > 0xffffffff ? 1 : 0);
        const outLo = (sumLo ^ (S[p1 + k] as number)) >>> 0;
        const outHi = (sumHi ^ (S[p1 + k + 1] as number)) >>> 0;
        X[base + k] = outLo;
        X[base + k + 1] = outHi;
        if (write) {
          S[s2 + 2 * w] = outLo;
          S[s2 + 2 * w + 1] = outHi;
          w++;
        }
      }
    }
  }
  // (S0, S1, S2) <- (S2, S0, S1); w wraps at 2^Swidth × PWXsimple pairs.
  ctx.s0 = s2;
  ctx.s1 = s0;
  ctx.s2 = s1;
  ctx.w = w & ((1 << S_WIDTH) * PWX_SIMPLE - 1);
}

/** BlockMix with pwxform over the 2r 64-byte sub-blocks of B[o..]. */
function blockmixPwxform(B: Uint32Array, o: number, ctx: PwxformContext, r: number, scratch: Scratch): void {
  const r1 = (128 * r) / 64;
  const X = scratch.block;
  X.set(B.subarray(o + (r1 - 1) * PWX_WORDS, o + r1 * PWX_WORDS));
  for (let i = 0; i < r1; i++) {
    if (r1 > 1) for (let k = 0; k < PWX_WORDS; k++) X[k] = ((X[k] as number) ^ (B[o + i * PWX_WORDS + k] as number)) >>> 0;
    pwxform(X, ctx);
    B.set(X, o + i * PWX_WORDS);
  }
  let i = ((r1 - 1) * PWX_WORDS * 4) / 64;
  salsa20(B, o + i * 16, 2, scratch.x);
  for (i++; i < 2 * r; i++) {
    for (let k = 0; k < 16; k++) B[o + i * 16 + k] = ((B[o + i * 16 + k] as number) ^ (B[o + (i - 1) * 16 + k] as number)) >>> 0;
    salsa20(B, o + i * 16, 2, scratch.x);
  }
}

/** The low 32 bits of Integerify(X): every index here is below 2^32, so they are all it needs. */
function integerifyLow(X: Uint32Array, r: number): number {
  return X[(2 * r - 1) * 16] as number;
}

/** Largest power of 2 not greater than x (x < 2^32). */
function p2floor(x: number): number {
  let y = x;
  while (y & (y - 1)) y &= y - 1;
  return y >>> 0;
}

/** Wrap(x, i): x into 0..i-1, keeping the most recent part of V in play. */
function wrap(x: number, i: number): number {
  const n = p2floor(i);
  return ((x & (n - 1)) >>> 0) + (i - n);
}

function shuffleIn(B: Uint32Array, o: number, X: Uint32Array, r: number): void {
  for (let k = 0; k < 2 * r; k++) for (let i = 0; i < 16; i++) X[k * 16 + i] = B[o + k * 16 + ((i * 5) % 16)] as number;
}

function shuffleOut(X: Uint32Array, B: Uint32Array, o: number, r: number): void {
  for (let k = 0; k < 2 * r; k++) for (let i = 0; i < 16; i++) B[o + k * 16 + ((i * 5) % 16)] = X[k * 16 + i] as number;
}

function xorInto(X: Uint32Array, V: Uint32Array, from: number, words: number): void {
  for (let k = 0; k < words; k++) X[k] = ((X[k] as number) ^ (V[from + k] as number)) >>> 0;
}

/** SMix1: fills V (N blocks at word offset v) from B[o..]. */
function* smix1(B: Uint32Array, o: number, r: number, N: number, rw: boolean, V: Uint32Array, v: number, X: Uint32Array, Y: Uint32Array, ctx: PwxformContext | null, scratch: Scratch, pacer: Pacer): Sliced<void> {
  const s = 32 * r;
  shuffleIn(B, o, X, r);
  for (let i = 0; i < N; i++) {
    if (sliceFull(pacer)) yield;
    pacer.blocks += r;
    V.set(X, v + i * s);
    if (rw && i > 1) xorInto(X, V, v + wrap(integerifyLow(X, r), i) * s, s);
    if (ctx) blockmixPwxform(X, 0, ctx, r, scratch);
    else blockmixSalsa8(X, 0, Y, r, scratch);
  }
  shuffleOut(X, B, o, r);
}

/** SMix2: Nloop reads (and in read-write mode, writes) of V at data-dependent positions. */
function* smix2(B: Uint32Array, o: number, r: number, N: number, Nloop: number, rw: boolean, V: Uint32Array, v: number, X: Uint32Array, Y: Uint32Array, ctx: PwxformContext | null, scratch: Scratch, pacer: Pacer): Sliced<void> {
  const s = 32 * r;
  shuffleIn(B, o, X, r);
  for (let i = 0; i < Nloop; i++) {
    if (sliceFull(pacer)) yield;
    pacer.blocks += r;
    const j = (integerifyLow(X, r) & (N - 1)) >>> 0;
    xorInto(X, V, v + j * s, s);
    if (rw) V.set(X, v + j * s);
    if (ctx) blockmixPwxform(X, 0, ctx, r, scratch);
    else blockmixSalsa8(X, 0, Y, r, scratch);
  }
  shuffleOut(X, B, o, r);
}

function wordsToBytes(words: Uint32Array, from: number, count: number): Uint8Array {
  const out = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    const w = words[from + i] as number;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = w >>> 24;
  }
  return out;
}

function bytesToWords(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) {
    out[i] = ((bytes[4 * i] as number) | ((bytes[4 * i + 1] as number) << 8) | ((bytes[4 * i + 2] as number) << 16) | ((bytes[4 * i + 3] as number) << 24)) >>> 0;
  }
  return out;
}

function hmacSha256(key: Uint8Array | string, message: Uint8Array | string): Uint8Array {
  const out = createHmac('sha256', key).update(message).digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** PBKDF2-HMAC-SHA256 with one iteration: cheap, so it is computed inline. */
function pbkdf2Once(password: Uint8Array, salt: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const counter = new Uint8Array(4);
  for (let block = 1, offset = 0; offset < length; block++, offset += 32) {
    counter[0] = block >>> 24;
    counter[1] = (block >>> 16) & 0xff;
    counter[2] = (block >>> 8) & 0xff;
    counter[3] = block & 0xff;
    const u = createHmac('sha256', password).update(salt).update(counter).digest();
    out.set(u.subarray(0, Math.min(32, length - offset)), offset);
  }
  return out;
}

/** yescrypt_kdf_body for the "j" flavor, without ROM: 32 bytes, computed in slices. */
function* kdfBody(passwordIn: Uint8Array, salt: Uint8Array, flags: number, N: number, r: number, p: number, t: number, pacer: Pacer): Sliced<Uint8Array> {
  const s = 32 * r;
  const prehash = (flags & YESCRYPT_PREHASH) !== 0;
  let password = hmacSha256(prehash ? 'yescrypt-prehash' : 'yescrypt', passwordIn);
  const B = bytesToWords(pbkdf2Once(password, salt, 128 * r * p));
  // From here the "password" is the first 32 bytes of B, later mixed with B_0 by HMAC (step 24).
  password = wordsToBytes(B, 0, 8);
  const V = new Uint32Array(s * N);
  const XY = new Uint32Array(2 * s);
  const X = XY.subarray(0, s);
  const Y = XY.subarray(s);
  const scratch: Scratch = { x: new Uint32Array(16), block: new Uint32Array(16) };

  // smix(): how many SMix2 iterations run with writes (Nloop_rw) and in total (Nloop_all).
  let nChunk = Math.floor(N / p);
  let nLoopAll = nChunk;
  if (t <= 1) {
    if (t) nLoopAll *= 2;
    nLoopAll = Math.floor((nLoopAll + 2) / 3);
  } else {
    nLoopAll *= t - 1;
  }
  let nLoopRw = Math.floor(nLoopAll / p);
  nChunk -= nChunk % 2;
  nLoopAll += nLoopAll % 2;
  nLoopRw += nLoopRw % 2;

  const contexts: PwxformContext[] = [];
  for (let i = 0, vChunk = 0; i < p; i++, vChunk += nChunk) {
    const np = i < p - 1 ? nChunk : N - vChunk;
    const o = i * s;
    const S = new Uint32Array(S_WORDS);
    // The S-boxes come from SMix1 with Salsa20/8 over B_i's first 128 bytes (r = 1, 96 blocks).
    yield* smix1(B, o, 1, S_WORDS / 32, false, S, 0, XY.subarray(0, 32), XY.subarray(32, 64), null, scratch, pacer);
    const ctx: PwxformContext = { S, s2: 0, s1: SBOX_WORDS, s0: 2 * SBOX_WORDS, w: 0 };
    contexts.push(ctx);
    if (i === 0) password = hmacSha256(wordsToBytes(B, o + s - 16, 16), password);
    yield* smix1(B, o, r, np, true, V, vChunk * s, X, Y, ctx, scratch, pacer);
    yield* smix2(B, o, r, p2floor(np), nLoopRw, true, V, vChunk * s, X, Y, ctx, scratch, pacer);
  }
  for (let i = 0; i < p; i++) {
    yield* smix2(B, i * s, r, N, nLoopAll - nLoopRw, false, V, 0, X, Y, contexts[i] as PwxformContext, scratch, pacer);
  }

  let out = pbkdf2Once(password, wordsToBytes(B, 0, B.length), 32);
  if (!prehash) {
    // SCRAM-style final steps: ClientKey = HMAC(dk, "Client Key"), StoredKey = SHA-256(ClientKey).
    const clientKey = hmacSha256(out, 'Client Key');
    const stored = createHash('sha256').update(clientKey).digest();
    out = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  }
  return out;
}

interface YescryptParams {
  N: number;
  r: number;
  p: number;
  t: number;
}

/**
 * yescrypt_kdf: the pre-hash with N / 64 for large N × r, then the main computation. This
 * synchronous form is for callers that need it; verify runs the same computation in slices.
 */
export function yescryptHash(password: Uint8Array, salt: Uint8Array, params: YescryptParams): Uint8Array {
  return runAtOnce(yescryptSteps(password, salt, params));
}

/**
 * yescrypt_kdf as a sliced computation. Everything it works on (V, the S-boxes, the scratch
 * buffers) belongs to this computation alone, so other work may run between slices. Verifies
 * that overlap this way each hold their own V until they finish; the hashing limiter's
 * concurrency bounds how many run at once, and so the memory they hold together.
 */
function* yescryptSteps(password: Uint8Array, salt: Uint8Array, params: YescryptParams): Sliced<Uint8Array> {
  const { N, r, p, t } = params;
  const pacer: Pacer = { blocks: 0 };
  let input = password;
  const perLane = Math.floor(N / p);
  if (perLane >= 0x100 && perLane * r >= 0x20000) {
    input = yield* kdfBody(password, salt, YESCRYPT_DEFAULTS | YESCRYPT_PREHASH, N / 64, r, p, 0, pacer);
  }
  return yield* kdfBody(input, salt, YESCRYPT_DEFAULTS, N, r, p, t, pacer);
}

// --- The $y$ string: yescrypt's variable-length integer and little-endian base-64 encodings. ---

/** decode64_uint32: one parameter of the params field, or null. Returns [value, characters used]. */
function decodeUint(text: string, at: number, min: number): [number, number] | null {
  let c = h64Value(text.charAt(at));
  if (c < 0) return null;
  let start = 0;
  let end = 47;
  let chars = 1;
  let bits = 0;
  let value = min;
  while (c > end) {
    value += (end + 1 - start) * 2 ** bits;
    start = end + 1;
    end = start + Math.floor((62 - end) / 2);
    chars++;
    bits += 6;
  }
  value += (c - start) * 2 ** bits;
  for (let i = 1; i < chars; i++) {
    c = h64Value(text.charAt(at + i));
    if (c < 0) return null;
    bits -= 6;
    value += c * 2 ** bits;
  }
  return value > 0xffffffff ? null : [value, chars];
}

/** decode64: yescrypt's salt encoding (little-endian 6-bit groups), strict about leftover bits. */
function decodeBytes(text: string): Uint8Array | null {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const group = text.slice(i, i + 4);
    if (group.length === 1) return null;
    let value = 0;
    for (let k = 0; k < group.length; k++) {
      const c = h64Value(group.charAt(k));
      if (c < 0) return null;
      value += c * 2 ** (6 * k);
    }
    const bytes = Math.floor((group.length * 6) / 8);
    for (let k = 0; k < bytes; k++) {
      out.push(value & 0xff);
      value = Math.floor(value / 256);
    }
    if (value !== 0) return null;
  }
  return Uint8Array.from(out);
}

interface YescryptData {
  N: number;
  r: number;
  p: number;
  t: number;
  salt: Uint8Array;
  checksum: string;
}

const PATTERN = /^\$y\$([./0-9A-Za-z]{1,40})\$([./0-9A-Za-z]{0,86})\$([./0-9A-Za-z]{43})$/;

/**
 * Built-in caps. Debian, Ubuntu and Fedora write j9T (N = 4096, r = 32: 16 MiB); libxcrypt's
 * highest cost factor asks for 1 GiB. This implementation takes about 25-30 ms per MiB of one
 * core on the development machine (the default 16 MiB: about 0.4 s), so 32 MiB (about 1 s) is the
 * most an attacker-supplied string may ask for. `memory_kib` is the cap that bounds memory and
 * time together; the others bound each field, and t (extra passes, never written by libxcrypt's
 * crypt_gensalt) is held to 1.
 */
const CAPS = { ln: 16, r: 32, p: 4, t: 1, memory_kib: 32 * 1024 + 64 };

export const yescrypt: Scheme = {
  name: 'yescrypt',
  description: 'yescrypt $y$ (libxcrypt): current Linux shadow files (Debian 11+, Ubuntu 22.04+, Fedora 35+)',
  costCaps: CAPS,
  identify: (hash) => hash.startsWith('$y$'),
  parse(hash): ParsedHash<YescryptData> {
    const m = PATTERN.exec(hash);
    if (!m) throw malformed('yescrypt', 'not $y$<params>$<salt>$<43 hash64 chars>');
    const params = m[1] as string;
    let at = 0;
    const next = (min: number): number => {
      const decoded = decodeUint(params, at, min);
      if (!decoded) throw malformed('yescrypt', 'bad parameter encoding');
      at += decoded[1];
      return decoded[0];
    };
    const flavor = next(0);
    if (flavor !== YESCRYPT_RW + (YESCRYPT_DEFAULTS >> 2)) throw malformed('yescrypt', 'only the "j" flavor (YESCRYPT_DEFAULTS) is supported');
    const ln = next(1);
    const r = next(1);
    let p = 1;
    let t = 0;
    if (at < params.length) {
      const have = next(1);
      if (have & ~3) throw malformed('yescrypt', 'upgrade counters and ROM are not supported');
      if (have & 1) p = next(2);
      if (have & 2) t = next(1);
    }
    if (at !== params.length) throw malformed('yescrypt', 'trailing parameter characters');
    if (ln < 1 || ln > 30 || r < 1 || p < 1 || r * p >= 2 ** 30) throw malformed('yescrypt', 'parameter out of range');
    const N = 2 ** ln;
    if (N / p <= 1) throw malformed('yescrypt', 'N too small for p');
    const salt = decodeBytes(m[2] as string);
    if (!salt || salt.length > 64) throw malformed('yescrypt', 'bad salt encoding');
    const checksum = m[3] as string;
    // 32 bytes end in a group of 16 bits written as 3 characters.
    if (!h64LastCharCanonical(checksum, 4)) throw malformed('yescrypt', 'non-canonical hash encoding');
    const memoryKib = Math.ceil((128 * N * r + p * S_WORDS * 4) / 1024);
    return {
      scheme: 'yescrypt',
      params: { ln, r, p, t, memory_kib: memoryKib, salt_bytes: salt.length },
      cost: { ln, r, p, t, memory_kib: memoryKib },
      saltBytes: salt.length,
      data: { N, r, p, t, salt, checksum },
    };
  },
  async verify(password, parsed) {
    const { N, r, p, t, salt, checksum } = parsed.data as YescryptData;
    // crypt(3) stops at the first NUL, so no stored hash can be of a password containing one.
    if (password.indexOf(0) !== -1) return false;
    // In slices: a hash at the memory cap takes about a second (see SLICE_BLOCKS).
    return equalStrings(h64EncodeBytes(await runCooperatively(yescryptSteps(password, salt, { N, r, p, t }))), checksum);
  },
};
