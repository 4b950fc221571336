/**
 * Random tokens and numeric codes, drawn from the injected CSPRNG (clock.ts `RandomBytes`), and
 * the SHA-256 digest under which a token is stored. Every session secret, API-key token and
 * one-time code hashd hands out comes from here, so the entropy and the encoding are decided in
 * one place.
 *
 * Runtime note: `node:crypto` (createHash) and `Buffer` are used here; both exist on Workers
 * with `nodejs_compat`.
 */
import { Buffer } from 'node:buffer';
import * as nodeCrypto from 'node:crypto';
import type { RandomBytes } from '../clock';

type OneShotHash = (algorithm: string, data: string, encoding: 'buffer' | 'hex') => Buffer | string;
/** node:crypto's one-shot digest (Node 20.12+), a third cheaper than createHash; absent on some runtimes. */
const oneShot = (nodeCrypto as unknown as { hash?: OneShotHash }).hash;

/** The base64url alphabet (RFC 4648 §5) without padding: what every token is written in. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** `bytes` fresh random bytes as unpadded base64url (ceil(bytes · 8 / 6) characters). */
export function randomToken(random: RandomBytes, bytes: number): string {
  const raw = random(bytes);
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url');
}

/** Lower-case hex SHA-256 of the string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return oneShot ? (oneShot('sha256', text, 'hex') as string) : nodeCrypto.createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 of the string's UTF-8 bytes. */
export function sha256(text: string): Uint8Array {
  const digest = oneShot ? (oneShot('sha256', text, 'buffer') as Buffer) : nodeCrypto.createHash('sha256').update(text, 'utf8').digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/**
 * Bytes at or above this value are thrown away: 250 is the largest multiple of 10 that fits in a
 * byte, so `byte % 10` over the bytes kept is exactly uniform (a plain `% 10` over 0..255 would
 * make 0..5 more likely than 6..9: modulo bias).
 */
const DIGIT_LIMIT = 250;

/**
 * A string of `digits` decimal digits, uniform over all 10^digits codes (leading zeros
 * included): each digit is an independent rejection-sampled byte.
 */
export function randomDigits(random: RandomBytes, digits: number): string {
  let code = '';
  while (code.length < digits) {
    // 250/256 of bytes are kept, so a few extra bytes almost always finish the code in one draw.
    const pool = random(digits - code.length + 4);
    for (const byte of pool) {
      if (byte >= DIGIT_LIMIT) continue;
      code += String.fromCharCode(48 + (byte % 10));
      if (code.length === digits) break;
    }
  }
  return code;
}
