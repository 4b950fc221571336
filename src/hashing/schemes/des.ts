/**
 * The DES-based crypt(3) formats:
 *
 * - des_crypt: the original Unix crypt, 13 characters (2 salt + 11 checksum). It reads only the
 *   first 8 bytes of the password, 7 bits of each: every historical system truncated the password
 *   silently, so a stored hash only ever stood for those 8 bytes, and a longer password verifies by
 *   its first 8 bytes as it did on the system that wrote the hash (and as passlib does).
 * - bsdi_crypt: BSDi's extended DES, `_` + 4 characters of rounds + 4 of salt + 11 of checksum,
 *   which folds the whole password into the key and takes a rounds count.
 * - django_des_crypt: Django's CryptPasswordHasher, `crypt$$<des_crypt>` (Django 1.4 and later)
 *   or `crypt$<salt>$<des_crypt>` (Django 1.0, whose first two salt characters must match the
 *   des_crypt salt), as passlib reads it.
 *
 * There is no maintained DES package for Node, and node:crypto's DES-ECB is gone from OpenSSL 3's
 * default provider, so DES is written here: a table-driven implementation after the FreeSec design
 * (Burren 1994, as in FreeBSD's and PHP's crypt): the S-boxes are merged with the P permutation
 * into eight 64-entry tables, the E expansion is done with shifts and masks into two 24-bit
 * halves, and crypt's salt swaps bits between those halves with one mask. The key schedule is
 * also table-driven: each round's subkey is the OR of eight lookups, one per key byte.
 *
 * DES is long broken; it is here only to verify hashes that legacy systems wrote, and the wrap job
 * may replace those hashes with argon2id over their checksum (see wrapped.ts).
 */
import { malformed } from '../../errors';
import { equalStrings } from '../compare';
import { H64_ALPHABET, h64EncodeInt, h64Value } from '../encoding';
import type { ParsedHash, Scheme, WrapSupport } from '../scheme';
import { desWasmRounds } from '../des-wasm';
import { runAtOnce, runCooperatively, type Sliced } from '../sliced';
import { UNMATCHABLE_CHECKSUM } from './raw';

const encoder = new TextEncoder();

// FIPS 46-3 tables, 1-based bit positions with bit 1 the most significant.
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1,
  59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38,
  30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56,
  34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
const P = [16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25];
const SBOX = [
  [14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
    4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13],
  [15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
    0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9],
  [10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
    13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12],
  [7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
    10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14],
  [2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
    4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3],
  [12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
    9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13],
  [4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
    1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12],
  [13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
    7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11],
];

interface DesTables {
  /**
   * SP[4096 * pair + twelve bits of expanded input] = P(outputs of S-boxes 2·pair and 2·pair+1
   * in their places): the eight S-box lookups of a round become four.
   */
  sp: Int32Array;
  /** The 8 × 64 P-permuted S-box outputs one S-box at a time, for the WebAssembly rounds (des-wasm.ts). */
  single: Int32Array;
  /**
   * KEY[((round * 8 + byte) * 256 + value) * 2 + half]: the bits that key byte `byte` with
   * value `value` contributes to the left (half 0) or right (half 1) 24 bits of round `round`'s
   * subkey. The key schedule is a fixed bit selection, so a subkey is the OR of eight lookups.
   */
  key: Int32Array;
}

let tables: DesTables | undefined;

/** The subkeys of a 64-bit key bit by bit, straight from the FIPS tables (for building KEY). */
function slowSchedule(key: Uint8Array): Int32Array {
  const bit = (i: number): number => ((key[(i - 1) >> 3] as number) >> (7 - ((i - 1) & 7))) & 1;
  const cd = PC1.map(bit);
  const out = new Int32Array(32);
  let c = cd.slice(0, 28);
  let d = cd.slice(28);
  for (let round = 0; round < 16; round++) {
    const s = SHIFTS[round] as number;
    c = [...c.slice(s), ...c.slice(0, s)];
    d = [...d.slice(s), ...d.slice(0, s)];
    const both = [...c, ...d];
    let left = 0;
    let right = 0;
    for (let j = 0; j < 24; j++) left |= (both[(PC2[j] as number) - 1] as number) << (23 - j);
    for (let j = 24; j < 48; j++) right |= (both[(PC2[j] as number) - 1] as number) << (47 - j);
    out[2 * round] = left;
    out[2 * round + 1] = right;
  }
  return out;
}

/** Builds the tables on first use, so importing the module costs nothing. */
function desTables(): DesTables {
  if (tables) return tables;
  const single = new Int32Array(8 * 64);
  for (let box = 0; box < 8; box++) {
    for (let v = 0; v < 64; v++) {
      // The six input bits b1..b6 select row b1b6 and column b2b3b4b5.
      const row = ((v >> 4) & 2) | (v & 1);
      const col = (v >> 1) & 15;
      const s = (SBOX[box] as number[])[row * 16 + col] as number;
      const placed = s << (28 - 4 * box);
      let permuted = 0;
      for (let j = 0; j < 32; j++) if ((placed >>> (32 - (P[j] as number))) & 1) permuted |= 1 << (31 - j);
      single[box * 64 + v] = permuted;
    }
  }
  const sp = new Int32Array(4 * 4096);
  for (let pair = 0; pair < 4; pair++) {
    for (let v = 0; v < 4096; v++) {
      sp[pair * 4096 + v] = (single[2 * pair * 64 + (v >>> 6)] as number) | (single[(2 * pair + 1) * 64 + (v & 63)] as number);
    }
  }
  // The contribution of each single key bit, then of each byte value as the OR of its bits.
  const perBit: Int32Array[] = [];
  for (let i = 0; i < 64; i++) {
    const single = new Uint8Array(8);
    single[i >> 3] = 0x80 >> (i & 7);
    perBit.push(slowSchedule(single));
  }
  const key = new Int32Array(16 * 8 * 256 * 2);
  for (let round = 0; round < 16; round++) {
    for (let byte = 0; byte < 8; byte++) {
      for (let value = 0; value < 256; value++) {
        let left = 0;
        let right = 0;
        for (let b = 0; b < 8; b++) {
          if (value & (0x80 >> b)) {
            const sub = perBit[byte * 8 + b] as Int32Array;
            left |= sub[2 * round] as number;
            right |= sub[2 * round + 1] as number;
          }
        }
        const at = ((round * 8 + byte) * 256 + value) * 2;
        key[at] = left;
        key[at + 1] = right;
      }
    }
  }
  tables = { sp, single, key };
  return tables;
}

/** The 16 subkeys of an 8-byte key, as (left 24 bits, right 24 bits) pairs. */
function keySchedule(key: Uint8Array, out: Int32Array): void {
  const table = desTables().key;
  for (let round = 0; round < 16; round++) {
    let left = 0;
    let right = 0;
    for (let byte = 0; byte < 8; byte++) {
      const at = ((round * 8 + byte) * 256 + (key[byte] as number)) * 2;
      left |= table[at] as number;
      right |= table[at + 1] as number;
    }
    out[2 * round] = left;
    out[2 * round + 1] = right;
  }
}

/**
 * `count` DES encryptions in a row of the pre-permuted block (l, r) (IP already applied, FP not),
 * with crypt's salt perturbation. Returns [l, r] before the final permutation.
 */
function desRounds(subkeys: Int32Array, saltBits: number, l0: number, r0: number, count: number): [number, number] {
  const { sp, single } = desTables();
  // The WebAssembly rounds where the runtime compiles WebAssembly (about twice as fast), else these.
  const fast = desWasmRounds(single, subkeys, saltBits, l0, r0, count);
  if (fast) return fast;
  let l = l0;
  let r = r0;
  for (let n = 0; n < count; n++) {
    // Two rounds per pass, each updating one half in place, so the halves never need swapping
    // inside an encryption.
    for (let round = 0; round < 32; round += 4) {
      l ^= feistel(sp, r, saltBits, subkeys[round] as number, subkeys[round + 1] as number);
      r ^= feistel(sp, l, saltBits, subkeys[round + 2] as number, subkeys[round + 3] as number);
    }
    // The output of one encryption is (R16, L16).
    const t = l;
    l = r;
    r = t;
  }
  return [l, r];
}

/** DES's f(r, k) with crypt's salt: E expansion, salt swap, key, S-boxes and P in four lookups. */
function feistel(sp: Int32Array, r: number, saltBits: number, keyLeft: number, keyRight: number): number {
  // E expansion of r into two 24-bit halves of four 6-bit groups each.
  let el = ((r & 0x00000001) << 23) | ((r & 0xf8000000) >>> 9) | ((r & 0x1f800000) >>> 11) | ((r & 0x01f80000) >>> 13) | ((r & 0x001f8000) >>> 15);
  let er = ((r & 0x0001f800) << 7) | ((r & 0x00001f80) << 5) | ((r & 0x000001f8) << 3) | ((r & 0x0000001f) << 1) | (r >>> 31);
  // The salt swaps the bits it selects between the two halves.
  const swap = (el ^ er) & saltBits;
  el ^= swap ^ keyLeft;
  er ^= swap ^ keyRight;
  return (sp[el >>> 12] as number) | (sp[4096 + (el & 0xfff)] as number) | (sp[8192 + (er >>> 12)] as number) | (sp[12288 + (er & 0xfff)] as number);
}

/** Applies a 64-entry bit permutation to the 64-bit block (hi, lo). */
function permute64(table: readonly number[], hi: number, lo: number): [number, number] {
  let outHi = 0;
  let outLo = 0;
  for (let j = 0; j < 64; j++) {
    const from = (table[j] as number) - 1;
    const bit = from < 32 ? (hi >>> (31 - from)) & 1 : (lo >>> (63 - from)) & 1;
    if (j < 32) outHi |= bit << (31 - j);
    else outLo |= bit << (63 - j);
  }
  return [outHi, outLo];
}

const FP: number[] = (() => {
  const fp = new Array<number>(64);
  IP.forEach((from, j) => (fp[from - 1] = j + 1));
  return fp;
})();

/**
 * FP_TABLE[(byte * 256 + value) * 2 + half]: the bits that byte `byte` (0 = most significant) of
 * the block contributes to the final permutation's high (half 0) or low (half 1) word, so the
 * permutation of a result is 16 lookups instead of a 64-step bit loop. Built from permute64.
 */
let fpTable: Int32Array | undefined;

function finalPermutation(hi: number, lo: number): [number, number] {
  if (!fpTable) {
    fpTable = new Int32Array(8 * 256 * 2);
    for (let byte = 0; byte < 8; byte++) {
      for (let value = 0; value < 256; value++) {
        const shift = 24 - 8 * (byte & 3);
        const [h, l] = byte < 4 ? permute64(FP, value << shift, 0) : permute64(FP, 0, value << shift);
        fpTable[(byte * 256 + value) * 2] = h;
        fpTable[(byte * 256 + value) * 2 + 1] = l;
      }
    }
  }
  const table = fpTable;
  let outHi = 0;
  let outLo = 0;
  for (let byte = 0; byte < 8; byte++) {
    const word = byte < 4 ? hi : lo;
    const at = (byte * 256 + ((word >>> (24 - 8 * (byte & 3))) & 0xff)) * 2;
    outHi |= table[at] as number;
    outLo |= table[at + 1] as number;
  }
  return [outHi, outLo];
}

function readBlock(bytes: Uint8Array): [number, number] {
  const word = (o: number): number => ((bytes[o] as number) << 24) | ((bytes[o + 1] as number) << 16) | ((bytes[o + 2] as number) << 8) | (bytes[o + 3] as number);
  return [word(0), word(4)];
}

function writeBlock(hi: number, lo: number, out: Uint8Array): void {
  for (let i = 0; i < 4; i++) {
    out[i] = (hi >>> (24 - 8 * i)) & 0xff;
    out[4 + i] = (lo >>> (24 - 8 * i)) & 0xff;
  }
}

/** Plain DES-ECB encryption of one 8-byte block: the known-answer tests check the core with it. */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const subkeys = new Int32Array(32);
  keySchedule(key, subkeys);
  const [hi, lo] = readBlock(block);
  const [l, r] = permute64(IP, hi, lo);
  const [ol, or] = desRounds(subkeys, 0, l, r, 1);
  const out = new Uint8Array(8);
  const [fh, fl] = finalPermutation(ol, or);
  writeBlock(fh, fl, out);
  return out;
}

/** crypt's salt (12 or 24 bits, least significant first) as the mask of swapped E-output bits. */
function saltMask(salt: number): number {
  let mask = 0;
  for (let i = 0; i < 24; i++) if (salt & (1 << i)) mask |= 0x800000 >>> i;
  return mask;
}

/** The 64-bit result as crypt's 11 characters: 6-bit groups, most significant first, 2 zero bits of padding. */
function encodeResult(hi: number, lo: number): string {
  const a = H64_ALPHABET;
  return (
    a.charAt(hi >>> 26) +
    a.charAt((hi >>> 20) & 63) +
    a.charAt((hi >>> 14) & 63) +
    a.charAt((hi >>> 8) & 63) +
    a.charAt((hi >>> 2) & 63) +
    a.charAt(((hi & 3) << 4) | (lo >>> 28)) +
    a.charAt((lo >>> 22) & 63) +
    a.charAt((lo >>> 16) & 63) +
    a.charAt((lo >>> 10) & 63) +
    a.charAt((lo >>> 4) & 63) +
    a.charAt((lo & 15) << 2)
  );
}

function h64Int(text: string): number {
  let value = 0;
  for (let i = 0; i < text.length; i++) value |= h64Value(text.charAt(i)) << (6 * i);
  return value;
}

const DES_KEY = new Uint8Array(8);
const DES_SUBKEYS = new Int32Array(32);

/** The 11-character des_crypt checksum of the first 8 bytes of `password` under a 12-bit salt. */
export function desCryptChecksum(password: Uint8Array, salt: number): string {
  // The function runs to completion, so one key and one schedule buffer serve every call.
  const key = DES_KEY;
  key.fill(0);
  for (let i = 0; i < 8 && i < password.length; i++) key[i] = ((password[i] as number) << 1) & 0xff;
  const subkeys = DES_SUBKEYS;
  keySchedule(key, subkeys);
  const [l, r] = desRounds(subkeys, saltMask(salt), 0, 0, 25);
  const [hi, lo] = finalPermutation(l, r);
  return encodeResult(hi, lo);
}

/**
 * DES encryptions per slice of bsdi_crypt's rounds (see Sliced in sliced.ts): one costs about
 * 0.19 µs on the development machine, so a slice takes about 3 ms. passlib's default of 5001
 * rounds fits in one slice; the cap of one million takes 62.
 */
const BSDI_SLICE = 16384;

/** The 11-character bsdi_crypt checksum: the whole password folded into the key, `rounds` encryptions. */
export function bsdiCryptChecksum(password: Uint8Array, salt: number, rounds: number): string {
  return runAtOnce(bsdiCryptSteps(password, salt, rounds));
}

/** The bsdi_crypt checksum as a sliced computation. */
function* bsdiCryptSteps(password: Uint8Array, salt: number, rounds: number): Sliced<string> {
  const key = new Uint8Array(8);
  for (let i = 0; i < 8 && i < password.length; i++) key[i] = ((password[i] as number) << 1) & 0xff;
  const subkeys = new Int32Array(32);
  keySchedule(key, subkeys);
  // Each further 8 bytes: encrypt the key with itself, XOR in the next bytes, and rekey.
  for (let offset = 8; offset < password.length; offset += 8) {
    const [hi, lo] = readBlock(key);
    const [l, r] = permute64(IP, hi, lo);
    const [ol, or] = desRounds(subkeys, 0, l, r, 1);
    const [fh, fl] = finalPermutation(ol, or);
    writeBlock(fh, fl, key);
    for (let i = 0; i < 8 && offset + i < password.length; i++) key[i] = ((key[i] as number) ^ ((password[offset + i] as number) << 1)) & 0xff;
    keySchedule(key, subkeys);
  }
  // desRounds ends every encryption with its halves in order for the next one, so running the
  // encryptions in several calls gives the same block as one call.
  const mask = saltMask(salt);
  let l = 0;
  let r = 0;
  for (let done = 0; done < rounds; done += BSDI_SLICE) {
    if (done > 0) yield;
    [l, r] = desRounds(subkeys, mask, l, r, Math.min(BSDI_SLICE, rounds - done));
  }
  const [hi, lo] = finalPermutation(l, r);
  return encodeResult(hi, lo);
}

function hasNul(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) !== -1;
}

/** The 11th checksum character holds 4 bits followed by 2 zero bits. */
function checksumCanonical(checksum: string): boolean {
  return (h64Value(checksum.charAt(10)) & 3) === 0;
}

interface DesData {
  salt: number;
  checksum: string;
}

interface BsdiData extends DesData {
  rounds: number;
}

interface DjangoDesData extends DesData {
  /** Django 1.0's salt field as written (empty for `crypt$$`), which the blank keeps. */
  saltField: string;
}

/**
 * An all-zero checksum: 11 "." are 64 zero bits and the 2 zero padding bits that
 * checksumCanonical requires of the last character.
 */
const ZERO_CHECKSUM = '.'.repeat(11);

/**
 * Wrap support for the DES formats: the checksum is wrapped as the ASCII bytes of its 11 hash64
 * characters, and `compute` (null when no stored hash can match) is what verify compares;
 * bsdi_crypt's computes in slices, so it may return a promise.
 */
function desWrap(blank: (parsed: ParsedHash) => string, compute: (password: Uint8Array, parsed: ParsedHash) => string | null | Promise<string | null>): WrapSupport {
  return {
    blank,
    checksum: (parsed) => encoder.encode((parsed.data as DesData).checksum),
    compute: async (password, parsed) => {
      const computed = await compute(password, parsed);
      return computed === null ? UNMATCHABLE_CHECKSUM : encoder.encode(computed);
    },
  };
}

const DES_PATTERN = /^([./0-9A-Za-z]{2})([./0-9A-Za-z]{11})$/;

/**
 * des_crypt has no prefix, only a shape: 13 hash64 characters, and identify claims exactly that.
 * A truncated or damaged des_crypt string is no longer recognisable as one (it could be any short
 * token or plaintext), so it is an unknown format rather than a malformed des_crypt hash.
 */
function looksLikeDes(hash: string): boolean {
  return hash.length === 13 && DES_PATTERN.test(hash);
}

function parseDes(name: string, text: string): ParsedHash<DesData> {
  const m = DES_PATTERN.exec(text);
  if (!m) throw malformed(name, 'not 13 hash64 characters');
  const checksum = m[2] as string;
  if (!checksumCanonical(checksum)) throw malformed(name, 'non-canonical checksum encoding');
  return { scheme: name, params: { salt_chars: 2 }, cost: {}, saltBytes: 2, data: { salt: h64Int(m[1] as string), checksum } };
}

/** The des_crypt checksum of the password under the hash's salt, or null if it has a NUL byte. */
function computeDes(password: Uint8Array, parsed: ParsedHash): string | null {
  if (hasNul(password)) return null;
  return desCryptChecksum(password, (parsed.data as DesData).salt);
}

async function verifyDes(password: Uint8Array, parsed: ParsedHash): Promise<boolean> {
  const computed = computeDes(password, parsed);
  return computed !== null && equalStrings(computed, (parsed.data as DesData).checksum);
}

/** A des_crypt string with the salt of `parsed` and a zero checksum. */
function blankDes(parsed: ParsedHash): string {
  return `${h64EncodeInt((parsed.data as DesData).salt, 2)}${ZERO_CHECKSUM}`;
}

export const des_crypt: Scheme = {
  name: 'des_crypt',
  description: 'Traditional DES crypt(3), 13 characters: old Unix /etc/passwd, htpasswd -d, early web apps',
  // A fixed 25 DES encryptions: no cost parameter.
  costCaps: {},
  identify: looksLikeDes,
  parse: (hash) => parseDes('des_crypt', hash),
  verify: verifyDes,
  wrap: desWrap(blankDes, computeDes),
};

const BSDI_PATTERN = /^_([./0-9A-Za-z]{4})([./0-9A-Za-z]{4})([./0-9A-Za-z]{11})$/;

/**
 * Built-in cap on bsdi_crypt rounds. The format allows 2^24 - 1; BSDi and FreeBSD wrote 725 and
 * passlib defaults to 5001. One million DES encryptions take about 0.3 s of one core on the
 * development machine (the format's maximum would take about 5 s), the most an attacker-supplied
 * string may cost.
 */
const BSDI_ROUNDS_CAP = 1_000_000;

/**
 * The bsdi_crypt checksum of the password under the hash's settings, computed in slices (a hash at
 * the cap takes about 0.2-0.3 s), or null if the password has a NUL byte.
 */
async function computeBsdi(password: Uint8Array, parsed: ParsedHash): Promise<string | null> {
  const { rounds, salt } = parsed.data as BsdiData;
  if (hasNul(password)) return null;
  return runCooperatively(bsdiCryptSteps(password, salt, rounds));
}

export const bsdi_crypt: Scheme = {
  name: 'bsdi_crypt',
  description: 'BSDi extended DES crypt `_…` (20 characters): BSD/OS, FreeBSD and NetBSD _ hashes',
  costCaps: { rounds: BSDI_ROUNDS_CAP },
  identify: (hash) => hash.startsWith('_'),
  parse(hash): ParsedHash<BsdiData> {
    const m = BSDI_PATTERN.exec(hash);
    if (!m) throw malformed('bsdi_crypt', 'not _<4 rounds chars><4 salt chars><11 checksum chars>');
    const rounds = h64Int(m[1] as string);
    if (rounds < 1) throw malformed('bsdi_crypt', 'zero rounds');
    const checksum = m[3] as string;
    if (!checksumCanonical(checksum)) throw malformed('bsdi_crypt', 'non-canonical checksum encoding');
    return { scheme: 'bsdi_crypt', params: { rounds, salt_chars: 4 }, cost: { rounds }, saltBytes: 4, data: { rounds, salt: h64Int(m[2] as string), checksum } };
  },
  async verify(password, parsed) {
    const computed = await computeBsdi(password, parsed);
    return computed !== null && equalStrings(computed, (parsed.data as BsdiData).checksum);
  },
  wrap: desWrap((parsed) => {
    const { rounds, salt } = parsed.data as BsdiData;
    return `_${h64EncodeInt(rounds, 4)}${h64EncodeInt(salt, 4)}${ZERO_CHECKSUM}`;
  }, computeBsdi),
};

const DJANGO_PATTERN = /^crypt\$([./0-9A-Za-z]*)\$([./0-9A-Za-z]{13})$/;

export const django_des_crypt: Scheme = {
  name: 'django_des_crypt',
  description: "Django's CryptPasswordHasher crypt$$<des_crypt> (and Django 1.0's crypt$<salt>$<des_crypt>)",
  costCaps: {},
  identify: (hash) => hash.startsWith('crypt$'),
  parse(hash): ParsedHash<DjangoDesData> {
    const m = DJANGO_PATTERN.exec(hash);
    if (!m) throw malformed('django_des_crypt', 'not crypt$[salt]$<13-character des_crypt>');
    const outer = m[1] as string;
    const inner = m[2] as string;
    // Django 1.0 stored a salt field and reused its first two characters as the DES salt; passlib
    // refuses a string where they differ, since no Django version wrote one.
    if (outer !== '' && (outer.length < 2 || outer.slice(0, 2) !== inner.slice(0, 2))) {
      throw malformed('django_des_crypt', 'salt field does not match the des_crypt salt');
    }
    const parsed = parseDes('django_des_crypt', inner);
    return { ...parsed, params: { ...parsed.params, salt_field: outer === '' ? 0 : 1 }, data: { ...parsed.data, saltField: outer } };
  },
  verify: verifyDes,
  wrap: desWrap((parsed) => `crypt$${(parsed.data as DjangoDesData).saltField}$${blankDes(parsed)}`, computeDes),
};
