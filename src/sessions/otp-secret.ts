/**
 * Where the one-time codes' server secret comes from. Today: `HASHD_OTP_SECRET` (base64, at least
 * 32 bytes), else in dev mode a secret generated once per data directory. The master key ring of
 * HASHD_KEYS will plug in here as the first source (derive a purpose-bound subkey from it), so
 * that callers keep asking `otpSecret` and nothing else changes.
 */

export type OtpSecretSource = 'HASHD_OTP_SECRET' | 'dev-generated';

export type OtpSecretResult = { secret: Uint8Array; source: OtpSecretSource } | { secret: undefined; reason: string };

export interface OtpSecretOptions {
  /** HASHD_OTP_SECRET, already decoded and checked by the configuration. */
  configured: Uint8Array | undefined;
  /** No API keys configured: the service is a developer's. */
  devMode: boolean;
  /** Reads (or creates, the first time) the data directory's generated secret. Dev mode only. */
  loadGenerated: () => Uint8Array;
}

export const OTP_SECRET_MISSING =
  'one-time codes are off: set HASHD_OTP_SECRET to the base64 of at least 32 random bytes (openssl rand -base64 32)';

export function otpSecret(options: OtpSecretOptions): OtpSecretResult {
  if (options.configured !== undefined) return { secret: options.configured, source: 'HASHD_OTP_SECRET' };
  if (options.devMode) return { secret: options.loadGenerated(), source: 'dev-generated' };
  return { secret: undefined, reason: OTP_SECRET_MISSING };
}
