/**
 * TOTP (RFC 6238) over @oslojs/otp's HOTP (RFC 4226, HMAC-SHA-1, the algorithm every
 * authenticator app supports), with the time step computed here from the injected clock: the
 * server's time only, never a client's. Also the otpauth:// URI, its QR code (uqr), and recovery
 * codes. Runtime-neutral (WebCrypto, no Buffer).
 */
import { generateHOTP } from '@oslojs/otp';
import { encodeBase32UpperCaseNoPadding } from '@oslojs/encoding';
import { renderSVG } from 'uqr';
import type { RandomBytes } from '../clock';
import { bufferSource, constantTimeEqual } from '../keys/bytes';

/** 160 bits, RFC 4226's recommended secret length. */
export const TOTP_SECRET_BYTES = 20;
/** Steps accepted on each side of the current one (RFC 6238 §5.2 suggests at most one). */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

export interface TotpParams {
  digits: number;
  period: number;
}

export function stepAt(nowMs: number, period: number): number {
  return Math.floor(nowMs / 1000 / period);
}

/** The code of one time step. */
export function totpCode(secret: Uint8Array, step: number, digits: number): string {
  return generateHOTP(secret, BigInt(step), digits);
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
    const ok = constantTimeEqual(new TextEncoder().encode(totpCode(secret, step, params.digits)), presented);
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
  return `otpauth://totp/${label}?secret=${secret}&issuer=${issuer}&algorithm=SHA1&digits=${input.digits}&period=${input.period}`;
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
