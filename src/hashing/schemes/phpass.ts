/**
 * The phpass "portable" hashes and Drupal 7's SHA-512 variant of them:
 *
 * - phpass `$P$<log2 count><8 salt><22 checksum>` (WordPress before 6.8, many PHP applications)
 *   and `$H$…` (phpBB3): MD5(salt + password), then 2^log2 times MD5(digest + password).
 * - drupal7 `$S$<log2 count><8 salt><43 checksum>` (Drupal 7 to 10): the same construction with
 *   SHA-512, whose 86-character encoding Drupal truncates so that the whole string is 55 long.
 *
 * Both are verify-only. The log2 count is a cost parameter named `rounds`, as passlib names it.
 * Both are weak enough (a few thousand fast digests) that the wrap job may replace their stored
 * hashes with argon2id over the checksum (see wrapped.ts). The checksum is wrapped as the ASCII
 * bytes of its hash64 characters, and the blank keeps ident, count and salt with a checksum of
 * "." (zero bits, which the canonical last-character rule accepts).
 */
import * as nodeCrypto from 'node:crypto';
import { malformed } from '../../errors';
import { equalStrings } from '../compare';
import { H64_ALPHABET, concatBytes, h64EncodeBytes, h64LastCharCanonical, h64Value, toHex } from '../encoding';
import { Md5Message, md5StateToBytes } from '../md5-fast';
import { blockCount, wasmIteration } from '../digest-wasm';
import type { ParsedHash, Scheme, WrapSupport } from '../scheme';
import { nodeSliceRounds, runAtOnce, runCooperatively, type Sliced } from '../sliced';
import { WORK_CAPS, iteratedWork } from '../work';
import { digest, UNMATCHABLE_CHECKSUM } from './raw';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface PhpassData {
  /** The ident letter between the first two `$` (P, H or S), which the blank keeps. */
  ident: string;
  log2: number;
  salt: Uint8Array;
  checksum: string;
}

/** The range phpass (and Drupal) accept for the log2 count; passlib refuses anything outside it. */
const MIN_LOG2 = 7;
const MAX_LOG2 = 30;

/**
 * Built-in caps on the log2 count. WordPress writes 8 (2^13 iterations, character "B"), phpBB
 * 11, Drupal 7 15 and Drupal 8+ 16. 2^20 iterations take about 0.2 s (MD5) and 0.4 s (SHA-512)
 * of one core on the development machine; 2^21 would double that, so 20 is the most an
 * attacker-supplied string may ask for. Memory use does not depend on the count.
 */
const PHPASS_LOG2_CAP = 20;
const DRUPAL_LOG2_CAP = 20;

/** Drupal refuses passwords longer than this before hashing, so none of them can match. */
const DRUPAL_MAX_PASSWORD_BYTES = 512;

function parseSetting(name: string, hash: string, pattern: RegExp): { ident: string; log2: number; salt: Uint8Array; checksum: string } {
  const m = pattern.exec(hash);
  if (!m) throw malformed(name, 'wrong length or characters');
  const log2 = h64Value(m[2] as string);
  if (log2 < MIN_LOG2 || log2 > MAX_LOG2) throw malformed(name, `log2 rounds outside ${MIN_LOG2}..${MAX_LOG2}`);
  return { ident: m[1] as string, log2, salt: encoder.encode(m[3] as string), checksum: m[4] as string };
}

/**
 * MD5 blocks per slice of the md5-fast.ts loop (see Sliced in sliced.ts): a block costs about
 * 0.15-0.16 µs on the development machine, so a slice takes about 2.5 ms. The WebAssembly path
 * sizes its slices the same way (WasmIteration.sliceRounds). The usual counts (WordPress 2^13,
 * phpBB 2^11 iterations, one block each with passwords under 40 bytes) fit in one slice; the
 * cap of 2^20 takes 64 slices or more.
 */
const MD5_SLICE_BLOCKS = 16384;

/**
 * The phpass checksum: 16 MD5 bytes in phpass's little-endian hash64 encoding (22 characters).
 * Each iteration hashes (previous digest, password): one layout with the digest in front, run in
 * the WebAssembly digest module, or in md5-fast.ts where the runtime cannot compile WebAssembly.
 * This synchronous form is for tests; verify runs the same computation in slices.
 */
export function phpassChecksum(password: Uint8Array, salt: Uint8Array, log2: number, options: { portable?: boolean } = {}): string {
  return runAtOnce(phpassSteps(password, salt, log2, options));
}

/** The phpass checksum as a sliced computation. */
function* phpassSteps(password: Uint8Array, salt: Uint8Array, log2: number, options: { portable?: boolean }): Sliced<string> {
  const count = 2 ** log2;
  const message = new Md5Message(16 + password.length);
  message.bytes.set(salt, 0);
  message.bytes.set(password, salt.length);
  message.setLength(salt.length + password.length);
  const state = new Int32Array(4);
  message.digestInto(state);
  const start = new Uint8Array(16);
  md5StateToBytes(state, start, 0);
  const layout = new Uint8Array(16 + password.length);
  layout.set(password, 16);
  // `portable` forces the JavaScript path, which runtimes without WebAssembly take (and tests check).
  const fast = options.portable ? undefined : wasmIteration('md5', start, [{ message: layout, slot: 0 }], count, 'single');
  if (fast) {
    while (fast.run(fast.sliceRounds) > 0) yield;
    return h64EncodeBytes(fast.result());
  }
  message.bytes.set(password, 16);
  message.setLength(16 + password.length);
  const slice = Math.max(1, Math.floor(MD5_SLICE_BLOCKS / blockCount('md5', 16 + password.length)));
  for (let left = count; left > 0; left -= slice) {
    if (left < count) yield;
    md5Iterations(message, state, Math.min(left, slice));
  }
  const digest = new Uint8Array(16);
  md5StateToBytes(state, digest, 0);
  return h64EncodeBytes(digest);
}

/** `count` phpass iterations in md5-fast.ts: the digest in `state` goes in front of the password. */
function md5Iterations(message: Md5Message, state: Int32Array, count: number): void {
  for (let i = count; i > 0; i--) {
    md5StateToBytes(state, message.bytes, 0);
    message.digestInto(state);
  }
}

/**
 * Wrap support for the phpass layouts: `prefix` is what goes before the ident (Drupal's "U"), and
 * `compute` is the checksum verify compares, or null when no stored hash can match.
 */
function phpassWrap(prefix: (parsed: ParsedHash) => string, compute: (password: Uint8Array, parsed: ParsedHash) => Promise<string | null>): WrapSupport {
  return {
    blank(parsed) {
      const { ident, log2, salt, checksum } = parsed.data as PhpassData;
      return `${prefix(parsed)}$${ident}$${H64_ALPHABET[log2]}${decoder.decode(salt)}${'.'.repeat(checksum.length)}`;
    },
    checksum: (parsed) => encoder.encode((parsed.data as PhpassData).checksum),
    compute: async (password, parsed) => {
      const computed = await compute(password, parsed);
      return computed === null ? UNMATCHABLE_CHECKSUM : encoder.encode(computed);
    },
  };
}

/** The phpass checksum of the password under the hash's count and salt, computed in slices. */
function computePhpass(password: Uint8Array, parsed: ParsedHash): Promise<string> {
  const { log2, salt } = parsed.data as PhpassData;
  return runCooperatively(phpassSteps(password, salt, log2, {}));
}

const PHPASS_PATTERN = /^\$([PH])\$([./0-9A-Za-z])([./0-9A-Za-z]{8})([./0-9A-Za-z]{22})$/;

export const phpass: Scheme = {
  name: 'phpass',
  description: 'phpass portable hash $P$ / $H$: WordPress (before 6.8), phpBB3, Joomla 3 imports, many PHP apps',
  costCaps: { rounds: PHPASS_LOG2_CAP, work: WORK_CAPS.md5 },
  // Each iteration hashes the previous digest and the password (work.ts). At the log2 cap of 20
  // the work cap admits passwords up to 359 bytes.
  work: (parsed, passwordBytes) => iteratedWork('md5', 2 ** (parsed.data as PhpassData).log2, 16 + passwordBytes),
  identify: (hash) => hash.startsWith('$P$') || hash.startsWith('$H$'),
  parse(hash): ParsedHash<PhpassData> {
    const { ident, log2, salt, checksum } = parseSetting('phpass', hash, PHPASS_PATTERN);
    // 16 bytes fill 21 characters and 2 bits of the 22nd.
    if (!h64LastCharCanonical(checksum, 2)) throw malformed('phpass', 'non-canonical checksum encoding');
    return { scheme: 'phpass', params: { ident, rounds: log2 }, cost: { rounds: log2 }, variant: ident, saltBytes: salt.length, data: { ident, log2, salt, checksum } };
  },
  async verify(password, parsed) {
    return equalStrings(await computePhpass(password, parsed), (parsed.data as PhpassData).checksum);
  },
  wrap: phpassWrap(() => '', computePhpass),
};

/** One-shot SHA-512 with the least call overhead node:crypto offers (the fallback path). */
const sha512: (data: Uint8Array) => Uint8Array =
  typeof nodeCrypto.hash === 'function'
    ? (data) => nodeCrypto.hash('sha512', data, 'buffer')
    : (data) => nodeCrypto.createHash('sha512').update(data).digest();

/** Drupal 7's checksum: the first 43 characters of the hash64 encoding of the iterated SHA-512. */
export function drupal7Checksum(password: Uint8Array, salt: Uint8Array, log2: number, options: { portable?: boolean } = {}): string {
  return runAtOnce(drupal7Steps(password, salt, log2, options));
}

/** Drupal 7's checksum as a sliced computation. */
function* drupal7Steps(password: Uint8Array, salt: Uint8Array, log2: number, options: { portable?: boolean }): Sliced<string> {
  const count = 2 ** log2;
  const start = sha512(concatBytes(salt, password));
  // Each iteration hashes (previous digest, password): one layout with the digest in front.
  const message = concatBytes(new Uint8Array(64), password);
  // `portable` forces the node:crypto path, which runtimes without WebAssembly take (and tests check).
  const fast = options.portable ? undefined : wasmIteration('sha512', start, [{ message, slot: 0 }], count, 'single');
  let digest = start;
  if (fast) {
    // Drupal 7's 2^15 iterations take four slices; the cap of 2^20 takes 128 or more.
    while (fast.run(fast.sliceRounds) > 0) yield;
    digest = fast.result();
  } else {
    const slice = nodeSliceRounds(blockCount('sha512', message.length));
    for (let left = count; left > 0; left -= slice) {
      if (left < count) yield;
      for (let i = Math.min(left, slice); i > 0; i--) {
        message.set(digest, 0);
        digest = sha512(message);
      }
    }
  }
  return h64EncodeBytes(digest).slice(0, 43);
}

/**
 * Drupal's own layouts: `$S$` (SHA-512), and `U$S$`, `U$P$`, `U$H$`, which Drupal 7's update
 * 7000 wrote when it re-hashed Drupal 6's unsalted MD5 hashes: the stored hash is the hash of
 * MD5-hex(password), marked with a leading "U". A plain `$P$`/`$H$` hash is phpass's.
 */
const DRUPAL_PATTERN = /^(U?)\$([SPH])\$([./0-9A-Za-z])([./0-9A-Za-z]{8})([./0-9A-Za-z]{43}|[./0-9A-Za-z]{22})$/;

interface DrupalData extends PhpassData {
  /** Whether the password is first replaced by its MD5 in hex (the "U$" form). */
  upgraded: boolean;
  algorithm: 'sha512' | 'md5';
}

/**
 * Drupal's checksum of the password under the hash's settings, computed in slices, or null when
 * Drupal refuses the password.
 */
async function computeDrupal(password: Uint8Array, parsed: ParsedHash): Promise<string | null> {
  const { log2, salt, upgraded, algorithm } = parsed.data as DrupalData;
  const input = upgraded ? encoder.encode(toHex(digest('md5', password))) : password;
  if (input.length > DRUPAL_MAX_PASSWORD_BYTES) return null;
  return runCooperatively(algorithm === 'sha512' ? drupal7Steps(input, salt, log2, {}) : phpassSteps(input, salt, log2, {}));
}

export const drupal7: Scheme = {
  name: 'drupal7',
  description: 'Drupal 7+ $S$ (phpass construction with SHA-512, 55 characters) and U$ re-hashed Drupal 6 MD5: Drupal 7 to 10 user tables',
  costCaps: { rounds: DRUPAL_LOG2_CAP, work: WORK_CAPS.sha512 },
  // Each iteration hashes the previous digest and the input: the password, or its 32-character MD5
  // for the U$ forms. At the log2 cap of 20 the work cap admits $S$ passwords up to 175 bytes.
  work: (parsed, passwordBytes) => {
    const { log2, upgraded, algorithm } = parsed.data as DrupalData;
    const input = upgraded ? 32 : passwordBytes;
    return iteratedWork(algorithm, 2 ** log2, (algorithm === 'sha512' ? 64 : 16) + input);
  },
  identify: (hash) => hash.startsWith('$S$') || /^U\$[SPH]\$/.test(hash),
  parse(hash): ParsedHash<DrupalData> {
    const m = DRUPAL_PATTERN.exec(hash);
    if (!m) throw malformed('drupal7', 'wrong length or characters');
    const upgraded = m[1] === 'U';
    const ident = m[2] as string;
    const algorithm = ident === 'S' ? 'sha512' : 'md5';
    const checksum = m[5] as string;
    if (!upgraded && ident !== 'S') throw malformed('drupal7', 'a $P$ or $H$ hash is a phpass hash');
    if (checksum.length !== (algorithm === 'sha512' ? 43 : 22)) throw malformed('drupal7', 'wrong length');
    // The 43 SHA-512 characters are a truncation of a longer encoding, so every character is
    // significant; the 22 MD5 characters end in a padded one.
    if (algorithm === 'md5' && !h64LastCharCanonical(checksum, 2)) throw malformed('drupal7', 'non-canonical checksum encoding');
    const log2 = h64Value(m[3] as string);
    if (log2 < MIN_LOG2 || log2 > MAX_LOG2) throw malformed('drupal7', `log2 rounds outside ${MIN_LOG2}..${MAX_LOG2}`);
    const salt = encoder.encode(m[4] as string);
    const variant = `${upgraded ? 'U' : ''}${ident}`;
    return {
      scheme: 'drupal7',
      params: { ident: variant, rounds: log2 },
      cost: { rounds: log2 },
      variant,
      saltBytes: salt.length,
      data: { ident, log2, salt, checksum, upgraded, algorithm },
    };
  },
  async verify(password, parsed) {
    const computed = await computeDrupal(password, parsed);
    return computed !== null && equalStrings(computed, (parsed.data as DrupalData).checksum);
  },
  wrap: phpassWrap((parsed) => ((parsed.data as DrupalData).upgraded ? 'U' : ''), computeDrupal),
};
