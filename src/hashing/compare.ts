/**
 * Constant-time equality for digests. Every comparison of a computed digest with a stored one goes
 * through here, never through `===`, so the time taken does not tell an attacker how many leading
 * bytes matched. Lengths are public (they come from the hash format), so a length mismatch may
 * return early.
 */
import { timingSafeEqual } from 'node:crypto';

const encoder = new TextEncoder();

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

/** Constant-time equality of two encoded digests (hex, base64, hash64...). */
export function equalStrings(a: string, b: string): boolean {
  return equalBytes(encoder.encode(a), encoder.encode(b));
}
