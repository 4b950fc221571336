/**
 * Where the one-time codes' server secret comes from, in this order:
 *
 * 1. `HASHD_KEYS` set: a key derived from the ring (`deriveKey(OTP_KEY_PURPOSE)`, HKDF-SHA256 of
 *    the ring entry), one per ring entry. New codes are MACed under the first entry's derived key
 *    and the entry's id is stored beside the MAC, so a code issued before a ring rotation still
 *    verifies under its own entry as long as that entry stays listed (codes live at most
 *    HASHD_OTP_MAX_TTL_SECONDS). `HASHD_OTP_SECRET`, when also set, still verifies the codes it
 *    MACed before the ring was configured (stored without a key id); it MACs no new ones.
 * 2. `HASHD_OTP_SECRET` (base64, at least 32 bytes).
 * 3. Dev mode only: a secret generated once per data directory.
 *
 * Without any of them (production), one-time codes are off.
 */
import type { KeyRing } from '../keys/ring';

export type OtpSecretSource = 'HASHD_KEYS' | 'HASHD_OTP_SECRET' | 'dev-generated';

/** The HKDF info of the ring-derived OTP key. */
export const OTP_KEY_PURPOSE = 'sessions/otp';

/** The MAC keys of one-time codes: the one new codes use, and every one a stored code may name. */
export interface OtpKeys {
  readonly source: OtpSecretSource;
  /** New codes: the key, and the id stored beside the MAC (null: the non-ring secret). */
  readonly current: { readonly keyId: string | null; readonly key: Uint8Array };
  /** The key a stored code names; undefined when it is no longer configured. */
  forKeyId(keyId: string | null): Uint8Array | undefined;
}

/** One non-ring secret (HASHD_OTP_SECRET or the dev file): stored codes carry no key id. */
export function singleOtpKey(secret: Uint8Array, source: OtpSecretSource = 'HASHD_OTP_SECRET'): OtpKeys {
  return { source, current: { keyId: null, key: secret }, forKeyId: (keyId) => (keyId === null ? secret : undefined) };
}

/** Keys derived from every ring entry (computed once: WebCrypto's HKDF is async). */
export async function ringOtpKeys(ring: KeyRing, legacySecret?: Uint8Array): Promise<OtpKeys> {
  const derived = new Map((await ring.deriveKeys(OTP_KEY_PURPOSE)).map((entry) => [entry.keyId, entry.key]));
  const primary = derived.get(ring.primaryId) as Uint8Array;
  return {
    source: 'HASHD_KEYS',
    current: { keyId: ring.primaryId, key: primary },
    forKeyId: (keyId) => (keyId === null ? legacySecret : derived.get(keyId)),
  };
}

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
  'one-time codes are off: set HASHD_KEYS (the master key ring) or HASHD_OTP_SECRET to the base64 of at least 32 random bytes (openssl rand -base64 32)';

/** The non-ring secret (steps 2 and 3 above). */
export function otpSecret(options: OtpSecretOptions): OtpSecretResult {
  if (options.configured !== undefined) return { secret: options.configured, source: 'HASHD_OTP_SECRET' };
  if (options.devMode) return { secret: options.loadGenerated(), source: 'dev-generated' };
  return { secret: undefined, reason: OTP_SECRET_MISSING };
}
