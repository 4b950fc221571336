/**
 * Strict decoders and encoders for the text encodings hash strings use. Buffer's own base64
 * decoder silently skips characters it does not know, which would let a mangled hash parse into
 * different bytes; every decoder here checks the alphabet and length first and returns `null` on
 * anything irregular, so the caller turns it into `malformed_hash`.
 */
import { Buffer } from 'node:buffer';

const B64_STD = /^[A-Za-z0-9+/]*={0,2}$/;
const B64_URL = /^[A-Za-z0-9_-]*={0,2}$/;
const AB64 = /^[A-Za-z0-9./]*$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

function toBytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Bytes → lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex (either case) → bytes, or null when not an even-length hex string. */
export function fromHex(text: string): Uint8Array | null {
  if (!HEX.test(text)) return null;
  return toBytes(Buffer.from(text, 'hex'));
}

function decodeBase64With(text: string, pattern: RegExp, padding: 'optional' | 'forbidden' | 'required'): Uint8Array | null {
  if (!pattern.test(text)) return null;
  const body = text.replace(/=+$/, '');
  const pad = text.length - body.length;
  // A base64 body of length 4k+1 cannot encode whole bytes.
  if (body.length % 4 === 1) return null;
  const needed = (4 - (body.length % 4)) % 4;
  if (padding === 'forbidden' && pad !== 0) return null;
  if (padding === 'required' && pad !== needed) return null;
  if (padding === 'optional' && pad !== 0 && pad !== needed) return null;
  const bytes = Buffer.from(body, pattern === B64_URL ? 'base64url' : 'base64');
  // Reject non-canonical trailing bits, so one hash has exactly one spelling.
  const canonical = bytes.toString(pattern === B64_URL ? 'base64url' : 'base64').replace(/=+$/, '');
  if (canonical !== body) return null;
  return toBytes(bytes);
}

/** Standard base64 (RFC 4648 §4), padding optional. */
export function fromBase64(text: string, padding: 'optional' | 'forbidden' | 'required' = 'optional'): Uint8Array | null {
  return decodeBase64With(text, B64_STD, padding);
}

/** URL-safe base64 (RFC 4648 §5), padding optional. */
export function fromBase64Url(text: string, padding: 'optional' | 'forbidden' | 'required' = 'optional'): Uint8Array | null {
  return decodeBase64With(text, B64_URL, padding);
}

export function toBase64(bytes: Uint8Array, options: { pad?: boolean } = {}): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  return options.pad === false ? text.replace(/=+$/, '') : text;
}

/** passlib's "adapted base64": standard alphabet with "." for "+", no padding. */
export function fromAb64(text: string): Uint8Array | null {
  if (!AB64.test(text)) return null;
  return decodeBase64With(text.replace(/\./g, '+'), B64_STD, 'forbidden');
}

export function toAb64(bytes: Uint8Array): string {
  return toBase64(bytes, { pad: false }).replace(/\+/g, '.');
}

/**
 * The "hash64" alphabet of crypt(3) ("./0-9A-Za-z"), little-endian 6-bit groups, as used by
 * md5_crypt, sha*_crypt, phpass, des_crypt and bsdi_crypt.
 */
export const H64_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const H64_INDEX: Int8Array = (() => {
  const index = new Int8Array(128).fill(-1);
  for (let i = 0; i < H64_ALPHABET.length; i++) index[H64_ALPHABET.charCodeAt(i)] = i;
  return index;
})();

/** Value of one hash64 character, or -1. */
export function h64Value(char: string): number {
  const code = char.charCodeAt(0);
  return code < 128 ? (H64_INDEX[code] ?? -1) : -1;
}

export function isH64(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (h64Value(text[i] as string) < 0) return false;
  return true;
}

/** Encode an integer as `count` hash64 characters, least significant first. */
export function h64EncodeInt(value: number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += H64_ALPHABET[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

/**
 * Encode bytes in the crypt(3) style: 3-byte groups taken little-endian (phpass, drupal and
 * the generic passlib "h64" encoding).
 */
export function h64EncodeBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    let value = bytes[i++] as number;
    out += H64_ALPHABET[value & 0x3f];
    if (i < bytes.length) value |= (bytes[i] as number) << 8;
    out += H64_ALPHABET[(value >> 6) & 0x3f];
    if (i++ >= bytes.length) break;
    if (i < bytes.length) value |= (bytes[i] as number) << 16;
    out += H64_ALPHABET[(value >> 12) & 0x3f];
    if (i++ >= bytes.length) break;
    out += H64_ALPHABET[(value >> 18) & 0x3f];
  }
  return out;
}

/**
 * Encodes bytes the way every crypt(3) algorithm of this family does: groups of three bytes, taken
 * in a scheme-specific order, as a 24-bit number `(b0 << 16) | (b1 << 8) | b2` written as four
 * hash64 characters, least significant first. A final short group is written with fewer
 * characters (`chars`).
 */
export function h64EncodeGroups(bytes: Uint8Array, groups: readonly (readonly number[])[]): string {
  let out = '';
  for (const group of groups) {
    const [i0, i1, i2] = group as [number, number, number, number?];
    const chars = group[3] ?? 4;
    let value = ((i0 < 0 ? 0 : (bytes[i0] as number)) << 16) | ((i1 < 0 ? 0 : (bytes[i1] as number)) << 8) | (bytes[i2] as number);
    for (let c = 0; c < chars; c++) {
      out += H64_ALPHABET[value & 0x3f];
      value >>>= 6;
    }
  }
  return out;
}

/**
 * The last character of an encoded checksum carries only `bits` significant bits; a character
 * with higher bits set is never written by any implementation, so the string has exactly one
 * spelling. Returns whether the string's last character is that canonical one.
 */
export function h64LastCharCanonical(text: string, bits: number): boolean {
  const value = h64Value(text.charAt(text.length - 1));
  return value >= 0 && value < 1 << bits;
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
