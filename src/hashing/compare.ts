/**
 * Constant-time equality for digests. Every comparison of a computed digest with a stored one goes
 * through here, never through `===`, so the time taken does not tell an attacker how many leading
 * bytes matched. Lengths are public (they come from the hash format), so a length mismatch may
 * return early.
 */
import { timingSafeEqual } from 'node:crypto';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

/**
 * Constant-time equality of two encoded digests (hex, base64, hash64...): every UTF-16 code unit
 * is compared, whatever differs, with no branch on the contents (the XORs are ORed together and
 * tested once at the end). Without encoding both strings first, this costs a few nanoseconds
 * where the encode-and-timingSafeEqual form cost about a microsecond, a sizeable part of a
 * fast scheme's verify.
 */
export function equalStrings(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
