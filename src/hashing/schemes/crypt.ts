/**
 * The MD5 and SHA-2 members of the crypt(3) family, as glibc, the BSDs, Apache and passlib write
 * them:
 *
 * - md5_crypt `$1$<salt ≤ 8>$<22 chars>` (Poul-Henning Kamp's FreeBSD MD5 crypt: old Linux
 *   shadow files, Cisco IOS "secret 5", many appliances);
 * - apr_md5_crypt `$apr1$<salt ≤ 8>$<22 chars>` (Apache htpasswd -m: the same algorithm with
 *   another magic string);
 * - sha256_crypt `$5$[rounds=N$]<salt ≤ 16>$<43 chars>` and sha512_crypt
 *   `$6$[rounds=N$]<salt ≤ 16>$<86 chars>` (Ulrich Drepper's SHA-crypt: Linux shadow files
 *   before yescrypt);
 * - kratos_md5_crypt, kratos_sha256_crypt and kratos_sha512_crypt: Ory Kratos' import formats,
 *   which replace the `$1$`/`$5$`/`$6$` ident with `$md5-crypt$`/`$sha256-crypt$`/`$sha512-crypt$`
 *   and keep the rest of the string.
 *
 * Parsing follows passlib rather than glibc where the two differ: glibc silently clamps an
 * out-of-range `rounds=` and truncates an over-long salt, passlib refuses both, and so does hashd,
 * because a string that glibc never writes is a damaged or forged one.
 *
 * Every scheme here is verify-only. The C implementations stop at the first NUL byte of the
 * password, so no stored hash can be the hash of a password containing one; such passwords
 * never verify (passlib raises an error for them).
 *
 * The MD5-crypt schemes, a fixed 1000 MD5 rounds, are weak enough that the wrap job may replace
 * their stored hashes with argon2id over the checksum (see wrapped.ts); SHA-crypt, whose rounds
 * are configurable and usually high, is not wrapped.
 */
import * as nodeCrypto from 'node:crypto';
import { malformed } from '../../errors';
import { equalStrings } from '../compare';
import { concatBytes, h64EncodeGroups, h64LastCharCanonical } from '../encoding';
import { Md5Message, md5StateToBytes } from '../md5-fast';
import { blockCount, layoutIndex, wasmIterate, wasmIteration, type DigestLayout } from '../digest-wasm';
import type { ParsedHash, Scheme } from '../scheme';
import { nodeSliceRounds, runAtOnce, runCooperatively, type Sliced } from '../sliced';
import { WORK_CAPS, iteratedWork } from '../work';
import { UNMATCHABLE_CHECKSUM } from './raw';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The `$` separated fields of the crypt family use the hash64 alphabet only. */
const H64 = '[./0-9A-Za-z]';

function hasNul(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) !== -1;
}

/** One-shot digest: node's crypto.hash where the runtime has it (less overhead), else createHash. */
const oneShot: (algorithm: string, data: Uint8Array) => Uint8Array =
  typeof nodeCrypto.hash === 'function'
    ? (algorithm, data) => nodeCrypto.hash(algorithm, data, 'buffer')
    : (algorithm, data) => nodeCrypto.createHash(algorithm).update(data).digest();

// ---------------------------------------------------------------------------------------------
// MD5-crypt and its Apache variant

export interface Md5CryptData {
  salt: Uint8Array;
  checksum: string;
}

const MD5_GROUPS: readonly (readonly number[])[] = [
  [0, 6, 12],
  [1, 7, 13],
  [2, 8, 14],
  [3, 9, 15],
  [4, 10, 5],
  [-1, -1, 11, 2],
];

/** Which of the eight input layouts round i of MD5-crypt and SHA-crypt hashes (see below). */
function layoutOf(i: number): number {
  return layoutIndex('crypt', i);
}

/**
 * The MD5-crypt checksum of `password` with `salt` and `magic` ("$1$" or "$apr1$"), as its
 * 22-character string. Round i of the 1000 hashes (odd ? password : digest) + (i % 3 ? salt : "")
 * + (i % 7 ? password : "") + (odd ? digest : password): eight layouts, prepared once, of which
 * a round only rewrites the digest. The rounds run in the WebAssembly digest module
 * (digest-wasm.ts), or in md5-fast.ts where the runtime cannot compile WebAssembly.
 */
export function md5CryptChecksum(password: Uint8Array, salt: Uint8Array, magic: Uint8Array, options: { portable?: boolean } = {}): string {
  const pw = password;
  const alternate = oneShot('md5', concatBytes(pw, salt, pw));
  const initial: Uint8Array[] = [pw, magic, salt];
  for (let left = pw.length; left > 0; left -= 16) initial.push(alternate.subarray(0, Math.min(16, left)));
  const zero = new Uint8Array(1);
  const first = pw.subarray(0, 1);
  for (let bit = pw.length; bit > 0; bit >>>= 1) initial.push(bit & 1 ? zero : first);
  const start = oneShot('md5', concatBytes(...initial));

  // Layout k has bit 0 = odd, bit 1 = i % 3 != 0, bit 2 = i % 7 != 0.
  const layouts: DigestLayout[] = [];
  const placeholder = new Uint8Array(16);
  const none = new Uint8Array(0);
  for (let k = 0; k < 8; k++) {
    const odd = (k & 1) !== 0;
    const message = concatBytes(odd ? pw : placeholder, k & 2 ? salt : none, k & 4 ? pw : none, odd ? placeholder : pw);
    layouts.push({ message, slot: odd ? message.length - 16 : 0 });
  }
  // `portable` forces the JavaScript path, which runtimes without WebAssembly take (and tests check).
  const fast = options.portable ? undefined : wasmIterate('md5', start, layouts, 1000, 'crypt');
  const final = fast ?? md5Rounds(start, layouts);
  return h64EncodeGroups(final, MD5_GROUPS);
}

/** The 1000 rounds in md5-fast.ts: each layout in its own reusable message buffer. */
function md5Rounds(start: Uint8Array, layouts: readonly DigestLayout[]): Uint8Array {
  const messages = layouts.map(({ message }) => {
    const buffer = new Md5Message(message.length);
    buffer.bytes.set(message);
    buffer.setLength(message.length);
    return buffer;
  });
  const state = new Int32Array(4);
  for (let i = 0; i < 4; i++) {
    state[i] = (start[4 * i] as number) | ((start[4 * i + 1] as number) << 8) | ((start[4 * i + 2] as number) << 16) | ((start[4 * i + 3] as number) << 24);
  }
  for (let i = 0; i < 1000; i++) {
    const k = layoutOf(i);
    const message = messages[k] as Md5Message;
    md5StateToBytes(state, message.bytes, (layouts[k] as DigestLayout).slot);
    message.digestInto(state);
  }
  const final = new Uint8Array(16);
  md5StateToBytes(state, final, 0);
  return final;
}

function md5CryptScheme(options: { name: string; ident: string; magic: string; description: string }): Scheme {
  const { name, ident } = options;
  const magic = encoder.encode(options.magic);
  const pattern = new RegExp(`^${ident.replace(/\$/g, '\\$')}(${H64}{0,8})\\$(${H64}{22})$`);
  /** The password's checksum under the hash's salt, or null when no stored hash can match it. */
  const compute = (password: Uint8Array, parsed: ParsedHash): string | null => {
    if (hasNul(password)) return null;
    return md5CryptChecksum(password, (parsed.data as Md5CryptData).salt, magic);
  };
  return {
    name,
    description: options.description,
    // MD5-crypt has a fixed 1000 rounds: no cost parameter an attacker could raise, only the
    // password's length (each round hashes it once or twice; see work.ts). At the longest
    // max_password_bytes (4096) a verify costs about 130,000 units, far below the cap.
    costCaps: { work: WORK_CAPS.md5 },
    work: (parsed, passwordBytes) => iteratedWork('md5', 1000, 2 * passwordBytes + (parsed.data as Md5CryptData).salt.length + 16),
    identify: (hash) => hash.startsWith(ident),
    parse(hash): ParsedHash<Md5CryptData> {
      const m = pattern.exec(hash);
      if (!m) throw malformed(name, `not ${ident}<salt of 0-8 hash64 chars>$<22 hash64 chars>`);
      const checksum = m[2] as string;
      // 16 bytes fill 21 characters and 2 bits of the 22nd.
      if (!h64LastCharCanonical(checksum, 2)) throw malformed(name, 'non-canonical checksum encoding');
      const salt = encoder.encode(m[1] as string);
      return { scheme: name, params: { salt_chars: salt.length }, cost: {}, saltBytes: salt.length, data: { salt, checksum } };
    },
    async verify(password, parsed) {
      const computed = compute(password, parsed);
      return computed !== null && equalStrings(computed, (parsed.data as Md5CryptData).checksum);
    },
    // The checksum is wrapped as the ASCII bytes of its 22 hash64 characters. The blank's 22
    // "." are zero bits, which the canonical last-character rule accepts.
    wrap: {
      blank: (parsed) => `${ident}${decoder.decode((parsed.data as Md5CryptData).salt)}$${'.'.repeat(22)}`,
      checksum: (parsed) => encoder.encode((parsed.data as Md5CryptData).checksum),
      compute: async (password, parsed) => {
        const computed = compute(password, parsed);
        return computed === null ? UNMATCHABLE_CHECKSUM : encoder.encode(computed);
      },
    },
  };
}

export const md5_crypt: Scheme = md5CryptScheme({
  name: 'md5_crypt',
  ident: '$1$',
  magic: '$1$',
  description: 'MD5-crypt $1$ (FreeBSD MD5): old Linux/BSD shadow files, Cisco IOS type 5, appliances',
});

export const apr_md5_crypt: Scheme = md5CryptScheme({
  name: 'apr_md5_crypt',
  ident: '$apr1$',
  magic: '$apr1$',
  description: 'Apache MD5-crypt $apr1$: htpasswd -m files',
});

export const kratos_md5_crypt: Scheme = md5CryptScheme({
  name: 'kratos_md5_crypt',
  ident: '$md5-crypt$',
  magic: '$1$',
  description: 'Ory Kratos import format $md5-crypt$: an md5_crypt string with Kratos ident',
});

// ---------------------------------------------------------------------------------------------
// SHA-crypt (SHA-256 and SHA-512)

export interface ShaCryptData {
  bits: 256 | 512;
  rounds: number;
  salt: Uint8Array;
  checksum: string;
}

const SHA256_GROUPS: readonly (readonly number[])[] = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
  [-1, 31, 30, 3],
];

const SHA512_GROUPS: readonly (readonly number[])[] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
  [-1, -1, 63, 2],
];

/** Bytes `source` repeated to `length` bytes (the "P sequence" and "S sequence" of the spec). */
function repeatTo(source: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += source.length) out.set(source.subarray(0, Math.min(source.length, length - offset)), offset);
  return out;
}

/**
 * The SHA-crypt checksum (Drepper's specification, steps 1-22) as its encoded string. The rounds
 * use eight prepared inputs, one per layout of a round's input, as md5CryptChecksum does; they
 * run in the WebAssembly digest module (digest-wasm.ts), or with node:crypto where the runtime
 * cannot compile WebAssembly. This synchronous form is for tests and callers that need it; verify
 * runs the same computation in slices (shaCryptSteps).
 */
export function shaCryptChecksum(bits: 256 | 512, password: Uint8Array, salt: Uint8Array, rounds: number, options: { portable?: boolean } = {}): string {
  return runAtOnce(shaCryptSteps(bits, password, salt, rounds, options));
}

/** The SHA-crypt checksum as a sliced computation, yielding every few milliseconds of rounds. */
function* shaCryptSteps(bits: 256 | 512, password: Uint8Array, salt: Uint8Array, rounds: number, options: { portable?: boolean }): Sliced<string> {
  const algorithm = bits === 256 ? 'sha256' : 'sha512';
  const size = bits / 8;
  const pw = password;
  const b = oneShot(algorithm, concatBytes(pw, salt, pw));
  const partsA: Uint8Array[] = [pw, salt];
  for (let left = pw.length; left > 0; left -= size) partsA.push(b.subarray(0, Math.min(size, left)));
  for (let bit = pw.length; bit > 0; bit >>>= 1) partsA.push(bit & 1 ? b : pw);
  let digest = oneShot(algorithm, concatBytes(...partsA));

  const dp = oneShot(algorithm, concatBytes(...new Array<Uint8Array>(pw.length).fill(pw)));
  const p = repeatTo(dp, pw.length);
  const ds = oneShot(algorithm, concatBytes(...new Array<Uint8Array>(16 + (digest[0] as number)).fill(salt)));
  const s = repeatTo(ds, salt.length);

  // Round i hashes: (odd ? P : C) + (i % 3 ? S : "") + (i % 7 ? P : "") + (odd ? C : P).
  // Layout k has bit 0 = odd, bit 1 = i % 3 != 0, bit 2 = i % 7 != 0.
  const layouts: DigestLayout[] = [];
  const placeholder = new Uint8Array(size);
  const none = new Uint8Array(0);
  for (let k = 0; k < 8; k++) {
    const odd = (k & 1) !== 0;
    const message = concatBytes(odd ? p : placeholder, k & 2 ? s : none, k & 4 ? p : none, odd ? placeholder : p);
    layouts.push({ message, slot: odd ? message.length - size : 0 });
  }
  // `portable` forces the node:crypto path, which runtimes without WebAssembly take (and tests check).
  // Long rounds go to node:crypto too: its per-call cost is about three times the WebAssembly
  // module's, but OpenSSL's compression functions (SHA extensions on current CPUs) are faster, so
  // past a measured number of blocks per round the native path wins (see NATIVE_FROM_BLOCKS).
  const longest = Math.max(...layouts.map(({ message }) => blockCount(algorithm, message.length)));
  const native = options.portable || (hasNodeCrypto && longest >= NATIVE_FROM_BLOCKS[algorithm]);
  const fast = native ? undefined : wasmIteration(algorithm, digest, layouts, rounds, 'crypt');
  if (fast) {
    // glibc's default of 5000 rounds takes one or two slices with passwords of usual lengths
    // (rounds of one or two blocks); a hash at the cap of one million rounds takes 100 or more.
    while (fast.run(fast.sliceRounds) > 0) yield;
    digest = fast.result();
  } else {
    const slice = nodeSliceRounds(longest);
    for (let from = 0; from < rounds; from += slice) {
      if (from > 0) yield;
      digest = shaNodeRounds(algorithm, layouts, digest, from, Math.min(rounds, from + slice));
    }
  }
  return h64EncodeGroups(digest, bits === 256 ? SHA256_GROUPS : SHA512_GROUPS);
}

/**
 * Blocks per round from which node:crypto's one-shot digests beat the WebAssembly rounds.
 * Measured on the development machine (AMD EPYC, Node 20, CPU time for 50,000 rounds): SHA-256
 * costs 0.3 + 0.14 µs per block in WebAssembly and 1.75 + 0.013 µs per block natively (SHA-NI),
 * crossing at 11-12 blocks (passwords of about 330 bytes); SHA-512, without such instructions,
 * 0.35 + 0.18 µs against 1.5 + 0.11 µs, crossing at about 16 blocks (about 450 bytes). Shorter
 * passwords, the usual case, stay on WebAssembly (3-5x faster per round there).
 */
const NATIVE_FROM_BLOCKS: Record<'sha256' | 'sha512', number> = { sha256: 12, sha512: 16 };

/** node:crypto's digests exist here (Node, and Workers with nodejs_compat). */
const hasNodeCrypto = typeof nodeCrypto.createHash === 'function';

/** SHA-crypt rounds `from` to `to` (exclusive) with node:crypto, from the digest of round `from` - 1. */
function shaNodeRounds(algorithm: string, layouts: readonly DigestLayout[], start: Uint8Array, from: number, to: number): Uint8Array {
  let digest = start;
  for (let i = from; i < to; i++) {
    const { message, slot } = layouts[layoutOf(i)] as DigestLayout;
    message.set(digest, slot);
    digest = oneShot(algorithm, message);
  }
  return digest;
}

/** SHA-crypt's own bounds (passlib refuses what lies outside them as malformed). */
const SHA_CRYPT_MIN_ROUNDS = 1000;
const SHA_CRYPT_MAX_ROUNDS = 999_999_999;
const SHA_CRYPT_DEFAULT_ROUNDS = 5000;

/**
 * Built-in caps on `rounds`. Real systems write 5000 (glibc's implicit default) up to passlib's
 * defaults (535,000 for SHA-256, 656,000 for SHA-512); one million stays above all of them, and a
 * verify at the cap takes about 0.6-0.7 s of one core on the development machine, within the one
 * to two seconds an attacker-supplied string may cost. Memory use does not depend on rounds.
 */
const SHA_CRYPT_ROUNDS_CAP = 1_000_000;

function shaCryptScheme(options: { name: string; ident: string; bits: 256 | 512; description: string }): Scheme {
  const { name, ident, bits } = options;
  const checksumChars = bits === 256 ? 43 : 86;
  const pattern = new RegExp(`^${ident.replace(/\$/g, '\\$')}(?:rounds=(\\d{1,10})\\$)?(${H64}{0,16})\\$(${H64}{${checksumChars}})$`);
  return {
    name,
    description: options.description,
    costCaps: { rounds: SHA_CRYPT_ROUNDS_CAP, work: bits === 256 ? WORK_CAPS.sha256 : WORK_CAPS.sha512 },
    // The longest round input is P + S + P + C (see shaCryptSteps). At the rounds cap the work cap
    // admits passwords up to 143 bytes (sha512) and 99 bytes (sha256); at passlib's default
    // rounds (656,000 and 535,000), up to 335 and 291 bytes.
    work: (parsed, passwordBytes) => {
      const { rounds, salt } = parsed.data as ShaCryptData;
      return iteratedWork(bits === 256 ? 'sha256' : 'sha512', rounds, 2 * passwordBytes + salt.length + bits / 8);
    },
    identify: (hash) => hash.startsWith(ident),
    parse(hash): ParsedHash<ShaCryptData> {
      const m = pattern.exec(hash);
      if (!m) throw malformed(name, `not ${ident}[rounds=N$]<salt of 0-16 hash64 chars>$<${checksumChars} hash64 chars>`);
      const roundsText = m[1];
      if (roundsText !== undefined && roundsText.length > 1 && roundsText.startsWith('0')) throw malformed(name, 'zero-padded rounds');
      const rounds = roundsText === undefined ? SHA_CRYPT_DEFAULT_ROUNDS : Number(roundsText);
      if (rounds < SHA_CRYPT_MIN_ROUNDS || rounds > SHA_CRYPT_MAX_ROUNDS) {
        throw malformed(name, `rounds outside ${SHA_CRYPT_MIN_ROUNDS}..${SHA_CRYPT_MAX_ROUNDS}`);
      }
      const checksum = m[3] as string;
      // 32 bytes end in a 16-bit group written as 3 characters, 64 bytes in an 8-bit group as 2.
      if (!h64LastCharCanonical(checksum, bits === 256 ? 4 : 2)) throw malformed(name, 'non-canonical checksum encoding');
      const salt = encoder.encode(m[2] as string);
      return {
        scheme: name,
        params: { rounds, implicit_rounds: roundsText === undefined ? 1 : 0, salt_chars: salt.length },
        cost: { rounds },
        saltBytes: salt.length,
        data: { bits, rounds, salt, checksum },
      };
    },
    async verify(password, parsed) {
      const { rounds, salt, checksum } = parsed.data as ShaCryptData;
      if (hasNul(password)) return false;
      // In slices (see Sliced in sliced.ts): a hash at the rounds cap takes most of a second.
      return equalStrings(await runCooperatively(shaCryptSteps(bits, password, salt, rounds, {})), checksum);
    },
  };
}

export const sha256_crypt: Scheme = shaCryptScheme({
  name: 'sha256_crypt',
  ident: '$5$',
  bits: 256,
  description: 'SHA256-crypt $5$ (Drepper): Linux shadow files',
});

export const sha512_crypt: Scheme = shaCryptScheme({
  name: 'sha512_crypt',
  ident: '$6$',
  bits: 512,
  description: 'SHA512-crypt $6$ (Drepper): Linux shadow files (the default before yescrypt), mkpasswd, Ansible',
});

export const kratos_sha256_crypt: Scheme = shaCryptScheme({
  name: 'kratos_sha256_crypt',
  ident: '$sha256-crypt$',
  bits: 256,
  description: 'Ory Kratos import format $sha256-crypt$: a sha256_crypt string with Kratos ident',
});

export const kratos_sha512_crypt: Scheme = shaCryptScheme({
  name: 'kratos_sha512_crypt',
  ident: '$sha512-crypt$',
  bits: 512,
  description: 'Ory Kratos import format $sha512-crypt$: a sha512_crypt string with Kratos ident',
});
