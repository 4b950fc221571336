/**
 * The master key ring (`HASHD_KEYS="k2:<base64 32 bytes>,k1:<...>"`): an ordered list of
 * key-encryption keys with ids. The first key encrypts; any key in the ring decrypts what was
 * written under its id. Everything hashd stores encrypted (TOTP seeds, named Fernet keys) is
 * sealed here with AES-256-GCM, the key id is stored beside the blob, and the tenant, table and
 * row id are the associated data: a blob copied to another row or tenant fails to open.
 *
 * Runtime-neutral: WebCrypto only (Node 20 and workerd both have it), so the Worker entry can
 * build the same ring from its bindings.
 */
import { HashdError } from '../errors';
import { bufferSource, fromBase64, toBase64 } from './bytes';

/** One entry of the ring: its id and 32 raw key bytes. */
export interface RingKeyEntry {
  id: string;
  key: Uint8Array;
}

/** Where a sealed blob lives; bound into the ciphertext as associated data. */
export interface SealContext {
  tenant: string;
  table: string;
  rowId: string;
}

export interface Sealed {
  keyId: string;
  /** base64 of iv (12 bytes) || ciphertext || tag (16 bytes). */
  blob: string;
}

export interface KeyRing {
  /** The ids in ring order; the first one encrypts. */
  readonly ids: readonly string[];
  readonly primaryId: string;
  has(keyId: string): boolean;
  seal(plaintext: Uint8Array, where: SealContext): Promise<Sealed>;
  /**
   * Opens a blob. A key id that is not in the ring is 503 `key_unavailable`; a blob that does not
   * authenticate (moved, tampered) is the same error, since either way the row cannot be read and
   * neither is the caller's fault.
   */
  open(sealed: Sealed, where: SealContext): Promise<Uint8Array>;
  /**
   * A 32-byte key for one purpose (HKDF-SHA256 over the primary key, the purpose as info), for
   * features that need a server secret of their own (the sessions' OTP secret). Rotating the
   * ring's first key changes it; `deriveKeys` gives every entry's, newest first, for verifiers.
   */
  deriveKey(purpose: string): Promise<Uint8Array>;
  deriveKeys(purpose: string): Promise<{ keyId: string; key: Uint8Array }[]>;
}

export const RING_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = new TextEncoder().encode('hashd key ring derive v1');

export function keyUnavailable(message: string, keyId?: string): HashdError {
  return new HashdError('key_unavailable', message, keyId === undefined ? {} : { details: { keyId } });
}

/**
 * Parses the HASHD_KEYS value into entries, collecting problems without ever echoing a key.
 * Accepts standard or url-safe base64 with or without padding.
 */
export function parseRingKeys(value: string, issues: string[], name = 'HASHD_KEYS'): RingKeyEntry[] {
  const entries: RingKeyEntry[] = [];
  const seen = new Set<string>();
  value.split(',').forEach((raw, i) => {
    const item = raw.trim();
    if (item === '') return;
    const colon = item.indexOf(':');
    const id = colon > 0 ? item.slice(0, colon) : '';
    if (!RING_ID_PATTERN.test(id)) {
      issues.push(`${name}[${i}]: expected ID:BASE64 with an id of 1-32 characters A-Z a-z 0-9 _ - (run "npx hashd keys new-ring-key")`);
      return;
    }
    let b64 = item.slice(colon + 1).replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4 !== 0) b64 += '=';
    const key = fromBase64(b64);
    if (key === undefined || key.length !== 32) {
      issues.push(`${name}[${i}] (id "${id}"): the key must be base64 of exactly 32 bytes`);
      return;
    }
    if (seen.has(id)) {
      issues.push(`${name}[${i}]: the id "${id}" appears twice`);
      return;
    }
    seen.add(id);
    entries.push({ id, key });
  });
  if (entries.length === 0 && issues.length === 0) issues.push(`${name}: no keys listed`);
  return entries;
}

/** A fresh ring entry `id:base64` from the CSPRNG. */
export function newRingEntry(id: string, randomBytes: (n: number) => Uint8Array): string {
  if (!RING_ID_PATTERN.test(id)) throw new Error('the ring key id must be 1-32 characters of A-Z a-z 0-9 _ -');
  return `${id}:${toBase64(randomBytes(32))}`;
}

/** The associated data: unambiguous (JSON), so no tenant/table/row split can collide. */
function associatedData(where: SealContext): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['hashd-ring-v1', where.tenant, where.table, where.rowId]));
}

export async function createKeyRing(entries: readonly RingKeyEntry[], randomBytes: (n: number) => Uint8Array): Promise<KeyRing> {
  if (entries.length === 0) throw new Error('the key ring needs at least one key');
  const keys = new Map<string, CryptoKey>();
  const hkdfKeys = new Map<string, CryptoKey>();
  for (const entry of entries) {
    keys.set(entry.id, await crypto.subtle.importKey('raw', bufferSource(entry.key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']));
    hkdfKeys.set(entry.id, await crypto.subtle.importKey('raw', bufferSource(entry.key), 'HKDF', false, ['deriveBits']));
  }
  const ids = Object.freeze(entries.map((e) => e.id));
  const primaryId = ids[0] as string;
  const derive = async (keyId: string, purpose: string): Promise<Uint8Array> => {
    const bits = await crypto.subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: bufferSource(HKDF_SALT), info: bufferSource(new TextEncoder().encode(purpose)) },
      hkdfKeys.get(keyId) as CryptoKey,
      256,
    );
    return new Uint8Array(bits);
  };
  return {
    ids,
    primaryId,
    has: (keyId) => keys.has(keyId),
    async seal(plaintext, where) {
      const iv = randomBytes(IV_BYTES);
      const ct = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv: bufferSource(iv), additionalData: bufferSource(associatedData(where)), tagLength: TAG_BYTES * 8 }, keys.get(primaryId) as CryptoKey, bufferSource(plaintext)),
      );
      const out = new Uint8Array(IV_BYTES + ct.length);
      out.set(iv, 0);
      out.set(ct, IV_BYTES);
      return { keyId: primaryId, blob: toBase64(out) };
    },
    async open(sealed, where) {
      const key = keys.get(sealed.keyId);
      if (key === undefined) throw keyUnavailable(`the stored value is encrypted under ring key "${sealed.keyId}", which HASHD_KEYS no longer lists`, sealed.keyId);
      const bytes = fromBase64(sealed.blob);
      if (bytes === undefined || bytes.length < IV_BYTES + TAG_BYTES) throw keyUnavailable('a stored encrypted value is damaged', sealed.keyId);
      try {
        const pt = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bufferSource(bytes.subarray(0, IV_BYTES)), additionalData: bufferSource(associatedData(where)), tagLength: TAG_BYTES * 8 },
          key,
          bufferSource(bytes.subarray(IV_BYTES)),
        );
        return new Uint8Array(pt);
      } catch {
        throw keyUnavailable('a stored encrypted value does not authenticate under its ring key (damaged or moved)', sealed.keyId);
      }
    },
    deriveKey: (purpose) => derive(primaryId, purpose),
    async deriveKeys(purpose) {
      const out: { keyId: string; key: Uint8Array }[] = [];
      for (const id of ids) out.push({ keyId: id, key: await derive(id, purpose) });
      return out;
    },
  };
}
