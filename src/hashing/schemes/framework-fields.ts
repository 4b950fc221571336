/**
 * Small field parsers and digest helpers shared by the framework scheme modules (pbkdf2, scrypt,
 * Django, Werkzeug, Spring, Kratos...). Every parser here is strict and throws `malformed_hash`
 * through `malformed()`, so a module can validate a whole string with a few calls and never lets
 * a TypeError or a plain Error escape. No message ever quotes the hash, a salt or a password.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash, createHmac } from 'node:crypto';
import { HashdError, malformed } from '../../errors';
import type { ParsedHash } from '../scheme';
import { bcrypt } from './bcrypt';

const encoder = new TextEncoder();
/** `fatal` so that a non-UTF-8 byte sequence is reported instead of silently becoming U+FFFD. */
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string (salts that formats store as text are hashed as their UTF-8 bytes). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 text of bytes, or null when they are not valid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * A positive decimal integer as formats write it: no sign, no leading zeros (passlib refuses
 * zero-padded rounds, so one value has one spelling), at most 10 digits so the number is exact,
 * and within [min, max].
 */
export function decimal(scheme: string, what: string, text: string, min = 1, max = 0xffffffff): number {
  if (!/^(?:0|[1-9]\d{0,9})$/.test(text)) throw malformed(scheme, `${what} is not a plain decimal number`);
  const value = Number(text);
  if (value < min || value > max) throw malformed(scheme, `${what} out of range ${min}..${max}`);
  return value;
}

export { concatBytes } from '../encoding';

/** The digest algorithms the framework formats use for one-shot digests and HMACs. */
export type DigestName = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export const DIGEST_BYTES: Readonly<Record<DigestName, number>> = {
  md5: 16,
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

function asBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** One digest over the concatenation of `parts` (node:crypto, no intermediate copy). */
export function digest(name: DigestName, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(name);
  for (const part of parts) h.update(part);
  return asBytes(h.digest());
}

/**
 * node:crypto's one-shot `hash()` (Node ≥ 20.12) skips the Hash object and is about a third
 * faster per call, which matters only in iterated loops; runtimes without it use createHash.
 */
const oneShot: ((name: string, data: Uint8Array) => Uint8Array) | null =
  typeof nodeCrypto.hash === 'function' ? (name, data) => nodeCrypto.hash(name, data, 'buffer') : null;

/** `digest(name, …)` applied `times` times in a row, starting from `value` (Spring's Digester). */
export function iterateDigest(name: DigestName, value: Uint8Array, times: number): Uint8Array {
  let out = value;
  if (oneShot) for (let i = 0; i < times; i++) out = oneShot(name, out);
  else for (let i = 0; i < times; i++) out = asBytes(createHash(name).update(out).digest());
  return out;
}

/** HMAC(key, concatenation of `parts`). */
export function hmac(name: DigestName, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac(name, key);
  for (const part of parts) h.update(part);
  return asBytes(h.digest());
}

/**
 * Runs `parse` and re-labels a `malformed_hash` error with the wrapping scheme's name, so a
 * Django or Spring string that wraps a broken argon2 or bcrypt string is reported under the
 * name the caller sees. The inner reason is kept; it never contains the hash by construction.
 */
export function relabel<T>(scheme: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof HashdError && err.code === 'malformed_hash') {
      const reason = err.message.replace(/^malformed \S+ hash: /, '');
      throw malformed(scheme, reason);
    }
    throw err;
  }
}

/**
 * Marks a wrapper's bcrypt string as an inner bcrypt hash, so the policy also applies the caps it
 * has for bcrypt itself (whatever the wrapper feeds bcrypt, the work is bcrypt's).
 */
export function withBcryptInner(parsed: ParsedHash<{ hash: string }>): ParsedHash<{ hash: string }> {
  return { ...parsed, inner: { scheme: bcrypt, parsed: { ...parsed, scheme: 'bcrypt' } } };
}
