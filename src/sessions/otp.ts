/**
 * One-time codes sent by e-mail or SMS. A code is short (10^6 values for six digits), so a plain
 * digest of it would fall to an offline search of a stolen table; the row keeps
 * HMAC-SHA256(server secret, otpId ‖ code) instead, which is worthless without the secret. The
 * otpId is fixed-length (22 base64url characters), so the concatenation is unambiguous.
 *
 * Attempts, single use and the issuance limit are decided by the database (db/otp.ts), never by
 * this process, so they hold under concurrency and across replicas.
 *
 * Runtime note: node:crypto's createHmac is used (Workers have it with `nodejs_compat`).
 */
import { createHmac } from 'node:crypto';
import type { Clock, RandomBytes } from '../clock';
import type { OtpRepository } from '../db/index';
import { HashdError } from '../errors';
import { equalBytes } from '../hashing/compare';
import { fromHex, toHex } from '../hashing/encoding';
import { singleOtpKey, type OtpKeys } from './otp-secret';
import { randomDigits, randomToken } from './random';
import type { OtpSettings } from './settings';

export const OTP_ID_BYTES = 16;
const OTP_ID = /^[A-Za-z0-9_-]{22}$/;

export interface OtpDeps {
  otp: OtpRepository;
  clock: Clock;
  random: RandomBytes;
  /**
   * The server secret the codes are MACed with (see otp-secret.ts): one secret (HASHD_OTP_SECRET,
   * the dev file), or the ring-derived keys with the key id stored beside each code.
   */
  secret: Uint8Array | OtpKeys;
  settings: OtpSettings;
}

export interface IssueInput {
  userId: string;
  purpose: string;
  digits: number;
  ttlSeconds: number;
}

export interface IssuedCode {
  otpId: string;
  code: string;
  expiresAt: Date;
}

export interface CodeCheck {
  valid: boolean;
  attemptsLeft: number;
}

export interface VerifyInput {
  otpId: string;
  code: string;
  /** When given, the code must have been issued to this user (and purpose). */
  userId?: string;
  purpose?: string;
}

function codeMac(secret: Uint8Array, otpId: string, code: string): Uint8Array {
  const mac = createHmac('sha256', secret).update(otpId, 'utf8').update(code, 'utf8').digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
}

const keysOf = (secret: Uint8Array | OtpKeys): OtpKeys => (secret instanceof Uint8Array ? singleOtpKey(secret) : secret);

export async function issueCode(deps: OtpDeps, tenant: string, input: IssueInput): Promise<IssuedCode> {
  const { current } = keysOf(deps.secret);
  const otpId = randomToken(deps.random, OTP_ID_BYTES);
  const code = randomDigits(deps.random, input.digits);
  const expiresAt = new Date(deps.clock().getTime() + input.ttlSeconds * 1000);
  const result = await deps.otp.issue(tenant, {
    userId: input.userId,
    purpose: input.purpose,
    id: otpId,
    codeMac: toHex(codeMac(current.key, otpId, code)),
    macKeyId: current.keyId,
    digits: input.digits,
    attempts: deps.settings.attempts,
    expiresAt,
    limit: deps.settings.issueLimit,
    windowSeconds: deps.settings.issueWindowSeconds,
  });
  if (!result.issued) {
    throw new HashdError('rate_limited', 'too many codes issued for this user and purpose; retry later', {
      retryAfter: result.retryAfterSeconds,
      details: { retryAfter: result.retryAfterSeconds },
    });
  }
  return { otpId, code, expiresAt };
}

export async function verifyCode(deps: OtpDeps, tenant: string, input: VerifyInput): Promise<CodeCheck> {
  // An id that cannot exist costs no attempt of anybody's code.
  if (!OTP_ID.test(input.otpId)) return { valid: false, attemptsLeft: 0 };
  const now = deps.clock();
  const spent = await deps.otp.spendAttempt(tenant, input.otpId, now);
  if (!spent) return { valid: false, attemptsLeft: 0 };
  const key = keysOf(deps.secret).forKeyId(spent.macKeyId);
  // Its ring key was removed from HASHD_KEYS (a rotation shorter than a code's life): the code
  // cannot be checked, which is not a wrong answer.
  if (key === undefined) {
    throw new HashdError('key_unavailable', 'this code was issued under a server key that is no longer configured; issue a new code', spent.macKeyId === null ? {} : { details: { keyId: spent.macKeyId } });
  }
  const stored = fromHex(spent.codeMac);
  // Any string is MACed as given: " 123456", "+123456" or other Unicode digits never equal the
  // ASCII digits that were issued, and each costs an attempt like any wrong code.
  const macMatches = stored !== null && equalBytes(codeMac(key, input.otpId, input.code), stored);
  const bound = (input.userId === undefined || input.userId === spent.userId) && (input.purpose === undefined || input.purpose === spent.purpose);
  if (!macMatches || !bound) return { valid: false, attemptsLeft: spent.attemptsLeft };
  return { valid: await deps.otp.consume(tenant, input.otpId, now), attemptsLeft: spent.attemptsLeft };
}
