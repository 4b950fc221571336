/**
 * Fernet (github.com/fernet/spec), as Python's `cryptography.fernet` reads and writes it:
 *
 *   token = base64url(0x80 || timestamp (u64 BE, seconds) || iv (16) || AES-128-CBC(PKCS7) || HMAC-SHA256)
 *
 * with the 32-byte key split into a signing half (first 16 bytes) and an encryption half.
 *
 * Hand-written on WebCrypto (AES-CBC and HMAC, the same on Node 20 and in workerd, so the edge
 * build reuses it). The npm Fernet packages were looked at first: `fernet` (crypto-js, last
 * release 2017), `fernet-nodejs` (node:crypto only) and the small WebCrypto ones (`fernet-ts`,
 * `fernet-web`, a few thousand downloads, no MultiFernet, no ttl/skew semantics matching
 * Python's) are not maintained libraries we would want under a security feature; the format is
 * small and fully pinned by the spec's vectors and by Python's own tokens (test/vectors/).
 *
 * Decryption tries every given key the way MultiFernet does, but always computes the HMAC under
 * every key and compares in constant time, and checks the timestamp only after the HMAC, so the
 * time a refusal takes does not say which check failed or which key matched.
 */
import { bufferSource, concat, constantTimeEqual, fromBase64Url, toBase64Url } from './bytes';

export const FERNET_VERSION = 0x80;
/** cryptography.fernet's _MAX_CLOCK_SKEW: a token from further in the future is refused. */
export const FERNET_MAX_CLOCK_SKEW_SECONDS = 60;
const HEADER = 1 + 8 + 16;
const MAC = 32;
const MIN_TOKEN_BYTES = HEADER + 16 + MAC;

export interface FernetKey {
  readonly signing: CryptoKey;
  readonly encryption: CryptoKey;
}

export type FernetDecryptResult =
  | { ok: true; plaintext: Uint8Array; timestamp: number; keyIndex: number }
  | { ok: false; reason: 'invalid' | 'expired' };

/** A Fernet key in the form `Fernet(key)` takes: url-safe base64 of 32 bytes (44 characters). */
export function encodeFernetKey(raw: Uint8Array): string {
  if (raw.length !== 32) throw new RangeError('a Fernet key is 32 bytes');
  return toBase64Url(raw);
}

/** The 32 raw bytes of a url-safe base64 Fernet key, or undefined when it is not one. */
export function decodeFernetKey(text: string): Uint8Array | undefined {
  if (text.length !== 44) return undefined;
  const raw = fromBase64Url(text);
  return raw !== undefined && raw.length === 32 ? raw : undefined;
}

export async function importFernetKey(raw: Uint8Array): Promise<FernetKey> {
  if (raw.length !== 32) throw new RangeError('a Fernet key is 32 bytes');
  const [signing, encryption] = await Promise.all([
    crypto.subtle.importKey('raw', bufferSource(raw.slice(0, 16)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    crypto.subtle.importKey('raw', bufferSource(raw.slice(16, 32)), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
  ]);
  return { signing, encryption };
}

function timestampBytes(seconds: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(seconds));
  return out;
}

async function hmac(key: FernetKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key.signing, bufferSource(data)));
}

/** A token for `plaintext` at `timestamp` (whole seconds since the epoch) with the given 16-byte IV. */
export async function fernetEncrypt(key: FernetKey, plaintext: Uint8Array, options: { timestamp: number; iv: Uint8Array }): Promise<string> {
  const { timestamp, iv } = options;
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp must be whole seconds since the epoch');
  if (iv.length !== 16) throw new RangeError('a Fernet IV is 16 bytes');
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: bufferSource(iv) }, key.encryption, bufferSource(plaintext)));
  const signed = concat(new Uint8Array([FERNET_VERSION]), timestampBytes(timestamp), iv, ciphertext);
  return toBase64Url(concat(signed, await hmac(key, signed)));
}

/**
 * Decrypts under the first key (in order) whose HMAC matches, as MultiFernet.decrypt(token, ttl).
 * `now` is whole seconds; `ttlSeconds` undefined means no age limit. `now` undefined skips both
 * time checks, as cryptography does inside MultiFernet.rotate.
 */
export async function fernetDecrypt(keys: readonly FernetKey[], token: string, options: { now?: number | undefined; ttlSeconds?: number | undefined }): Promise<FernetDecryptResult> {
  const invalid: FernetDecryptResult = { ok: false, reason: 'invalid' };
  if (keys.length === 0 || token.length > 1 << 24) return invalid;
  const data = fromBase64Url(token);
  if (data === undefined || data.length < MIN_TOKEN_BYTES || (data.length - HEADER - MAC) % 16 !== 0 || data[0] !== FERNET_VERSION) return invalid;
  const signed = data.subarray(0, data.length - MAC);
  const mac = data.subarray(data.length - MAC);
  let match = -1;
  for (let i = 0; i < keys.length; i++) {
    const ok = constantTimeEqual(await hmac(keys[i] as FernetKey, signed), mac);
    if (ok && match === -1) match = i;
  }
  if (match === -1) return invalid;
  const timestamp = Number(new DataView(data.buffer, data.byteOffset + 1, 8).getBigUint64(0));
  const { now, ttlSeconds } = options;
  if (now !== undefined) {
    if (ttlSeconds !== undefined && timestamp + ttlSeconds < now) return { ok: false, reason: 'expired' };
    if (now + FERNET_MAX_CLOCK_SKEW_SECONDS < timestamp) return invalid;
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-CBC', iv: bufferSource(data.slice(9, HEADER)) },
      (keys[match] as FernetKey).encryption,
      bufferSource(data.slice(HEADER, data.length - MAC)),
    );
    return { ok: true, plaintext: new Uint8Array(plaintext), timestamp, keyIndex: match };
  } catch {
    // Bad padding under a valid HMAC: a token made by a broken encoder. Still just invalid.
    return invalid;
  }
}

/**
 * MultiFernet.rotate: decrypt under any key (no time checks, as cryptography's rotate), encrypt
 * again under `to` with a fresh IV and the original timestamp.
 */
export async function fernetRewrap(
  keys: readonly FernetKey[],
  to: FernetKey,
  token: string,
  options: { iv: Uint8Array },
): Promise<{ ok: true; token: string; timestamp: number } | { ok: false; reason: 'invalid' }> {
  const opened = await fernetDecrypt(keys, token, {});
  if (!opened.ok) return { ok: false, reason: 'invalid' };
  return { ok: true, token: await fernetEncrypt(to, opened.plaintext, { timestamp: opened.timestamp, iv: options.iv }), timestamp: opened.timestamp };
}
