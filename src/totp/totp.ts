/**
 * TOTP (RFC 6238) over otplib's HOTP (@otplib/hotp, RFC 4226) with HMAC-SHA-1 (the default, the
 * algorithm every authenticator app supports), HMAC-SHA-256 or HMAC-SHA-512, on @noble/hashes
 * (pure JavaScript: the same code runs on Node and in workerd). The time step is computed here
 * from the injected clock: the server's time only, never a client's. Also the otpauth:// URI, its
 * QR code (uqr), and recovery codes. Runtime-neutral (no Buffer).
 */
import { generateSync } from '@otplib/hotp';
import { NobleCryptoPlugin } from '@otplib/plugin-crypto-noble';
import { encodeBase32UpperCaseNoPadding } from '@oslojs/encoding';
import { renderSVG } from 'uqr';
import type { RandomBytes } from '../clock';
import { bufferSource, constantTimeEqual } from '../keys/bytes';

/** 160 bits, RFC 4226's recommended secret length. */
export const TOTP_SECRET_BYTES = 20;
/** Steps accepted on each side of the current one (RFC 6238 §5.2 suggests at most one). */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

/** The HMAC of RFC 6238 §1.2 / the Key Uri Format's `algorithm` parameter. */
export const TOTP_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type TotpAlgorithm = (typeof TOTP_ALGORITHMS)[number];
const OTPLIB_ALGORITHM = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' } as const;
const hmac = new NobleCryptoPlugin();
/**
 * Secret length per algorithm: the hash's output size, as RFC 6238's reference seeds (Appendix B:
 * 20, 32 and 64 bytes) and RFC 2104's advice for HMAC keys; SHA1's is RFC 4226's 160 bits.
 */
export const TOTP_SECRET_BYTES_OF: Readonly<Record<TotpAlgorithm, number>> = Object.freeze({ SHA1: TOTP_SECRET_BYTES, SHA256: 32, SHA512: 64 });

export interface TotpParams {
  digits: number;
  period: number;
  /** Default SHA1. */
  algorithm?: TotpAlgorithm | undefined;
}

/** A stored algorithm column: null (rows from before the column existed) is SHA1. */
export function totpAlgorithm(stored: string | null | undefined): TotpAlgorithm {
  if (stored === null || stored === undefined) return 'SHA1';
  if ((TOTP_ALGORITHMS as readonly string[]).includes(stored)) return stored as TotpAlgorithm;
  throw new Error(`unknown stored TOTP algorithm ${JSON.stringify(stored)}`);
}

export function stepAt(nowMs: number, period: number): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The code of one time step (the HOTP of counter `step`). */
export function totpCode(secret: Uint8Array, step: number, digits: number, algorithm: TotpAlgorithm = 'SHA1'): string {
  if (digits !== 6 && digits !== 7 && digits !== 8) throw new RangeError('TOTP codes have 6, 7 or 8 digits');
  return generateSync({ secret, counter: BigInt(step), digits, algorithm: OTPLIB_ALGORITHM[algorithm], crypto: hmac });
}

/**
 * The step (within ±TOTP_WINDOW of `nowMs`) whose code is `code`, or undefined. Every candidate is
 * computed and compared in constant time; anything that is not exactly `digits` ASCII digits
 * never matches (letters, spaces, other lengths).
 */
export function matchingStep(secret: Uint8Array, code: string, nowMs: number, params: TotpParams): number | undefined {
  const wellFormed = code.length === params.digits && /^[0-9]+$/.test(code);
  const presented = new TextEncoder().encode(wellFormed ? code : '0'.repeat(params.digits));
  const current = stepAt(nowMs, params.period);
  let matched: number | undefined;
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const ok = constantTimeEqual(new TextEncoder().encode(totpCode(secret, step, params.digits, params.algorithm)), presented);
    if (ok && wellFormed) matched = step;
  }
  return matched;
}

/**
 * The Key Uri Format (github.com/google/google-authenticator/wiki/Key-Uri-Format): label
 * `issuer:account` with each part percent-encoded (spaces as %20, which every app shows as a
 * space; URLSearchParams' `+` is shown literally by some), the issuer repeated as a parameter.
 */
export function otpauthUri(input: { issuer: string; accountName: string; secret: Uint8Array } & TotpParams): string {
  const issuer = encodeURIComponent(input.issuer);
  const label = `${issuer}:${encodeURIComponent(input.accountName)}`;
  const secret = encodeBase32UpperCaseNoPadding(input.secret);
  // `algorithm` always (SHA1 included): the Key Uri Format's default is SHA1, so naming it changes
  // nothing for apps that read it, and apps that ignore it (older Google Authenticator) compute
  // SHA-1 anyway, which is why SHA256/SHA512 are opt-in for apps known to honour them.
  const algorithm = input.algorithm ?? 'SHA1';
  return `otpauth://totp/${label}?secret=${secret}&issuer=${issuer}&algorithm=${algorithm}&digits=${input.digits}&period=${input.period}`;
}

/** An SVG QR code of the URI (error correction M, the standard quiet zone of 4 modules). */
export function qrSvg(uri: string): string {
  return renderSVG(uri, { ecc: 'M', border: 4, pixelSize: 8 });
}

/** Lower-case letters and digits without o, i, l, 1: 32 symbols, so one byte & 31 is unbiased. */
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz023456789';

/** Recovery codes `xxxx-xxxx-xxxx`: 12 symbols of 32, 60 bits from the CSPRNG. */
export function newRecoveryCodes(randomBytes: RandomBytes, count = RECOVERY_CODE_COUNT): string[] {
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const chars = Array.from(randomBytes(12), (b) => RECOVERY_ALPHABET[b & 31] as string).join('');
    codes.push(`${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`);
  }
  return codes;
}

/** The canonical form of a typed recovery code (case, dashes and spaces ignored), or undefined. */
export function normalizeRecoveryCode(input: string): string | undefined {
  if (input.length > 64) return undefined;
  const compact = input.toLowerCase().replace(/[\s-]/g, '');
  if (compact.length !== 12) return undefined;
  for (const ch of compact) if (!RECOVERY_ALPHABET.includes(ch)) return undefined;
  return compact;
}

/** SHA-256 hex of the canonical code: what is stored (codes carry 60 random bits, so no slow hash is needed). */
export async function recoveryDigest(canonical: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bufferSource(new TextEncoder().encode(`hashd-recovery-v1:${canonical}`))));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
