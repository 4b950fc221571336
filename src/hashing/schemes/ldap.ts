/**
 * The RFC 2307 `{SCHEME}` password formats of LDAP directories (OpenLDAP, 389 Directory Server,
 * OpenDJ, Apache DS, Samba, Dovecot, FreeIPA exports):
 *
 * - ldap_md5 `{MD5}` and ldap_sha1 `{SHA}`: base64 of a bare digest;
 * - ldap_salted_md5 `{SMD5}`, ldap_salted_sha1 `{SSHA}`, ldap_salted_sha256 `{SSHA256}` and
 *   ldap_salted_sha512 `{SSHA512}`: base64 of digest(password + salt) followed by the salt;
 * - ldap_crypt `{CRYPT}`: any crypt(3) string hashd verifies (des, bsdi, md5, sha256, sha512,
 *   bcrypt, apr1, yescrypt), delegated to that scheme.
 *
 * LDAP scheme names are case-insensitive (`{ssha}` is `{SSHA}`), so the prefixes are matched
 * without regard to case. Base64 must be standard, canonical and padded, as every directory
 * writes it and as passlib requires.
 *
 * The digest schemes are weak enough that the wrap job may replace their stored hashes with
 * argon2id over the digest (see wrapped.ts). {CRYPT} offers no wrap of its own: its weak members
 * are wrapped as themselves.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromBase64, toBase64 } from '../encoding';
import type { ParsedHash, Scheme, WrapSupport } from '../scheme';
import { bcrypt } from './bcrypt';
import { apr_md5_crypt, md5_crypt, sha256_crypt, sha512_crypt } from './crypt';
import { bsdi_crypt, des_crypt } from './des';
import { digest, type DigestAlgorithm } from './raw';
import { yescrypt } from './yescrypt';

const DIGEST_BYTES: Record<DigestAlgorithm, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/** Whether `hash` starts with `{tag}`, ignoring case. */
function hasTag(hash: string, tag: string): boolean {
  return hash.length >= tag.length + 2 && hash.charAt(0) === '{' && hash.charAt(tag.length + 1) === '}' && hash.slice(1, tag.length + 1).toUpperCase() === tag;
}

interface DigestData {
  /** The scheme name between the braces as the string spells it, which the blank keeps. */
  tag: string;
  expected: Uint8Array;
  salt: Uint8Array;
}

/**
 * Wrap support for the digest schemes: the checksum is the decoded digest, and the blank is the
 * same `{tag}` with base64 of a zero digest followed by the salt (empty for the unsalted ones),
 * which the scheme's own parse accepts.
 */
function digestWrap(algorithm: DigestAlgorithm): WrapSupport {
  return {
    blank(parsed) {
      const { tag, expected, salt } = parsed.data as DigestData;
      const bytes = new Uint8Array(expected.length + salt.length);
      bytes.set(salt, expected.length);
      return `{${tag}}${toBase64(bytes)}`;
    },
    checksum: (parsed) => (parsed.data as DigestData).expected,
    compute: async (password, parsed) => digest(algorithm, password, (parsed.data as DigestData).salt),
  };
}

/** Constant-time check of the password's digest with the salt against the stored digest. */
async function verifyDigest(algorithm: DigestAlgorithm, password: Uint8Array, parsed: ParsedHash): Promise<boolean> {
  const { expected, salt } = parsed.data as DigestData;
  return equalBytes(digest(algorithm, password, salt), expected);
}

/**
 * Salt lengths passlib accepts: OpenLDAP writes 4 bytes, other servers 8 or more, and RFC 3112's
 * neighbourhood recommends supporting up to 16.
 */
const SALTED = { min: 4, max: 16 } as const;
const UNSALTED = { min: 0, max: 0 } as const;

/** `{TAG}` + base64(digest + salt): the unsalted tags are the same layout with no salt. */
function digestScheme(name: string, tag: string, algorithm: DigestAlgorithm, salt: { min: number; max: number }, description: string): Scheme {
  const size = DIGEST_BYTES[algorithm];
  return {
    name,
    description,
    costCaps: {},
    identify: (hash) => hasTag(hash, tag),
    parse(hash): ParsedHash<DigestData> {
      if (!hasTag(hash, tag)) throw malformed(name, `not {${tag}}<base64>`);
      const bytes = fromBase64(hash.slice(tag.length + 2), 'required');
      if (!bytes) throw malformed(name, 'bad base64');
      const saltBytes = bytes.length - size;
      if (saltBytes < salt.min || saltBytes > salt.max) {
        throw malformed(name, salt.max === 0 ? `digest is not ${size} bytes` : `salt is not ${salt.min}-${salt.max} bytes`);
      }
      const data = { tag: hash.slice(1, tag.length + 1), expected: bytes.subarray(0, size), salt: bytes.subarray(size) };
      if (salt.max === 0) return { scheme: name, params: {}, cost: {}, data };
      return { scheme: name, params: { salt_bytes: saltBytes }, cost: {}, saltBytes, data };
    },
    verify: (password, parsed) => verifyDigest(algorithm, password, parsed),
    wrap: digestWrap(algorithm),
  };
}

export const ldap_md5 = digestScheme('ldap_md5', 'MD5', 'md5', UNSALTED, 'LDAP {MD5}: base64 MD5 (OpenLDAP, 389-ds, Dovecot PLAIN-MD5 imports)');
export const ldap_sha1 = digestScheme('ldap_sha1', 'SHA', 'sha1', UNSALTED, 'LDAP {SHA}: base64 SHA-1 (OpenLDAP, Netscape/389-ds, Apache htpasswd -s)');
export const ldap_salted_md5 = digestScheme('ldap_salted_md5', 'SMD5', 'md5', SALTED, 'LDAP {SMD5}: base64 of MD5(password + salt) + salt');
export const ldap_salted_sha1 = digestScheme('ldap_salted_sha1', 'SSHA', 'sha1', SALTED, 'LDAP {SSHA}: base64 of SHA-1(password + salt) + salt (OpenLDAP slappasswd default)');
export const ldap_salted_sha256 = digestScheme('ldap_salted_sha256', 'SSHA256', 'sha256', SALTED, 'LDAP {SSHA256}: base64 of SHA-256(password + salt) + salt (389-ds, OpenLDAP pw-sha2)');
export const ldap_salted_sha512 = digestScheme('ldap_salted_sha512', 'SSHA512', 'sha512', SALTED, 'LDAP {SSHA512}: base64 of SHA-512(password + salt) + salt (389-ds, OpenLDAP pw-sha2)');

/** The crypt(3) schemes `{CRYPT}` may wrap, in identification order. */
const CRYPT_INNER: readonly Scheme[] = [yescrypt, sha512_crypt, sha256_crypt, md5_crypt, apr_md5_crypt, bcrypt, bsdi_crypt, des_crypt];

interface CryptData {
  inner: Scheme;
  parsed: ParsedHash;
}

function innerScheme(rest: string): Scheme | undefined {
  return CRYPT_INNER.find((scheme) => scheme.identify(rest));
}

export const ldap_crypt: Scheme = {
  name: 'ldap_crypt',
  description: 'LDAP {CRYPT}: a crypt(3) hash (des, md5, sha256, sha512, bcrypt...) in a directory (OpenLDAP, 389-ds)',
  // The wrapped hash's cost is reported through `inner`, and the policy checks it against the
  // wrapped scheme's own caps: one cap per algorithm, however the hash is wrapped.
  costCaps: {},
  identify: (hash) => hasTag(hash, 'CRYPT'),
  parse(hash): ParsedHash<CryptData> {
    if (!hasTag(hash, 'CRYPT')) throw malformed('ldap_crypt', 'not {CRYPT}<crypt hash>');
    const rest = hash.slice('{CRYPT}'.length);
    const inner = innerScheme(rest);
    if (!inner) throw malformed('ldap_crypt', 'the wrapped string is not a crypt hash hashd knows');
    // The inner scheme's malformed_hash error names the inner scheme, which tells the caller more.
    const parsed = inner.parse(rest);
    return {
      scheme: 'ldap_crypt',
      params: { inner: inner.name, ...parsed.params },
      cost: {},
      variant: inner.name,
      inner: { scheme: inner, parsed },
      ...(parsed.saltBytes !== undefined && { saltBytes: parsed.saltBytes }),
      data: { inner, parsed },
    };
  },
  async verify(password, parsed, env, extras) {
    const { inner, parsed: innerParsed } = parsed.data as CryptData;
    // The policy enforces maxPasswordBytes on ldap_crypt itself, which has none, so the inner
    // scheme's limit (bcrypt's 72 bytes) is applied here: a longer password never matches.
    if (inner.maxPasswordBytes !== undefined && password.length > inner.maxPasswordBytes) return false;
    if (inner.nulTerminated && password.includes(0)) return false;
    return inner.verify(password, innerParsed, env, extras);
  },
};
