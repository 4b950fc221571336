/**
 * Raw and lightly salted digests found in legacy user tables:
 *
 * - hex_md5, hex_sha1, hex_sha256, hex_sha512: a bare hex digest of the password, either case.
 *   A bare 32-hex string can equally be nthash or Django's unsalted_md5, so all bare-hex schemes
 *   are `ambiguous`: a policy accepts one only by naming it (`legacy_raw`).
 * - nthash: MD4 of the UTF-16LE password (Windows NT hash, Samba smbpasswd, LDAP sambaNTPassword).
 * - mysql41: `*` + 40 hex, SHA1(SHA1(password)) (MySQL 4.1+ PASSWORD(), mysql_native_password).
 * - postgres_md5: `md5` + MD5(password + user) in hex (PostgreSQL before SCRAM); needs the login
 *   name, which the request passes as `user`.
 * - joomla_md5: `MD5(password + salt) hex:salt` (Joomla 1.0 with 16-character salts, Joomla 1.5
 *   to 2.5 with 32-character salts).
 * - salted_digest: a configurable salted digest whose salt is kept outside the hash string (a
 *   separate column in the legacy table) and comes with the request as `salt`. Its string says how
 *   to combine them; see SALTED_PATTERN below.
 *
 * All are verify-only; none has a cost parameter. All are weak enough that the wrap job may replace
 * their stored hashes with argon2id over the digest (see wrapped.ts): the digest bytes are the
 * checksum, and a blank keeps the string's settings with an all-zero digest.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { HashdError, malformed } from '../../errors';
import { equalBytes } from '../compare';
import { concatBytes, fromBase64, fromHex, toBase64 } from '../encoding';
import { md4 } from '../md4';
import type { ParsedHash, Scheme, VerifyExtras, WrapSupport } from '../scheme';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** node:crypto's one-shot hash, where the runtime has it (Workers' nodejs_compat may not). */
const oneShotHash: ((algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer) | undefined =
  typeof nodeCrypto.hash === 'function' ? (nodeCrypto.hash as (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer) : undefined;

const DIGEST_BYTES: Record<DigestAlgorithm, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

/** A digest of the concatenation of `parts`. */
export function digest(algorithm: DigestAlgorithm, ...parts: Uint8Array[]): Uint8Array {
  // node's one-shot crypto.hash (Node 20.12+) where the runtime has it: no Hash object per call,
  // about 30% less time per digest of a password than createHash().update().digest().
  if (oneShotHash) {
    const out = oneShotHash(algorithm, parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts), 'buffer');
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  const out = hash.digest();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

interface DigestData {
  expected: Uint8Array;
}

/**
 * What a wrap's `compute` returns when the legacy verify refuses the input outright (a NUL byte
 * crypt(3) would cut the password at, a password longer than Drupal accepts, a login name no
 * PostgreSQL role can have): a checksum of a length no stored checksum has, so the argon2id check
 * fails exactly as for a wrong password and a wrapped hash answers as its legacy hash did. It is
 * empty, so there is nothing in it to modify.
 */
export const UNMATCHABLE_CHECKSUM: Uint8Array = new Uint8Array(0);

/** The hex of `bytes` zero bytes: the blank digest of a hex format ("0" has no case to keep). */
function hexZeros(bytes: number): string {
  return '0'.repeat(bytes * 2);
}

/**
 * Wrap support for a format whose checksum is the decoded digest: `blank` writes the string
 * with an all-zero digest, and `compute` is the scheme's own digest computation, which its
 * verify also uses.
 */
function digestWrap(
  blank: (parsed: ParsedHash) => string,
  compute: (password: Uint8Array, parsed: ParsedHash, extras: VerifyExtras) => Uint8Array | null,
): WrapSupport {
  return {
    blank,
    checksum: (parsed) => (parsed.data as DigestData).expected,
    compute: async (password, parsed, _env, extras) => compute(password, parsed, extras) ?? UNMATCHABLE_CHECKSUM,
  };
}

/** Constant-time check of a computed digest (null: no password can match) against the stored one. */
function matches(computed: Uint8Array | null, parsed: ParsedHash): boolean {
  return computed !== null && equalBytes(computed, (parsed.data as DigestData).expected);
}

/**
 * The shape identify claims for a prefixed digest of `chars` hex digits (`*`, `md5`, `:salt`): up
 * to two characters more or less, of any letter or digit, so that a truncated or mistyped digest
 * is reported as malformed rather than as an unknown format; parse then requires the exact length
 * and hex digits. Bare digests have no prefix to go by, so they claim only their exact shape: a
 * 31-character string is no digest at all, and claiming it would also make it "not allowed" under
 * a policy that accepts another bare-hex format (Django's unsalted_md5).
 */
function nearHex(chars: number, prefix = '', suffix = ''): RegExp {
  return new RegExp(`^${prefix}[0-9A-Za-z]{${chars - 2},${chars + 2}}${suffix}$`);
}

function hexDigestScheme(name: string, algorithm: DigestAlgorithm, description: string): Scheme {
  const pattern = new RegExp(`^[0-9a-fA-F]{${DIGEST_BYTES[algorithm] * 2}}$`);
  return {
    name,
    description,
    costCaps: {},
    ambiguous: true,
    identify: (hash) => pattern.test(hash),
    parse(hash): ParsedHash<DigestData> {
      const expected = pattern.test(hash) ? fromHex(hash) : null;
      if (!expected) throw malformed(name, `not ${DIGEST_BYTES[algorithm] * 2} hex digits`);
      return { scheme: name, params: {}, cost: {}, data: { expected } };
    },
    async verify(password, parsed) {
      return matches(digest(algorithm, password), parsed);
    },
    wrap: digestWrap(() => hexZeros(DIGEST_BYTES[algorithm]), (password) => digest(algorithm, password)),
  };
}

export const hex_md5 = hexDigestScheme('hex_md5', 'md5', 'Bare hex MD5 of the password: old PHP/MySQL apps, md5() columns');
export const hex_sha1 = hexDigestScheme('hex_sha1', 'sha1', 'Bare hex SHA-1 of the password: old web apps, sha1() columns');
export const hex_sha256 = hexDigestScheme('hex_sha256', 'sha256', 'Bare hex SHA-256 of the password: home-grown schemes, hash("sha256") columns');
export const hex_sha512 = hexDigestScheme('hex_sha512', 'sha512', 'Bare hex SHA-512 of the password: home-grown schemes, hash("sha512") columns');

const NTHASH_PATTERN = /^[0-9a-fA-F]{32}$/;

/** UTF-16LE code units of the password, which reaches a scheme as UTF-8 bytes. */
function utf16le(password: Uint8Array): Uint8Array {
  const text = decoder.decode(password);
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out[2 * i] = unit & 0xff;
    out[2 * i + 1] = unit >>> 8;
  }
  return out;
}

export const nthash: Scheme = {
  name: 'nthash',
  description: 'Windows NT hash (MD4 of UTF-16LE), bare 32 hex: Samba smbpasswd, sambaNTPassword, NTDS dumps',
  costCaps: {},
  ambiguous: true,
  identify: (hash) => NTHASH_PATTERN.test(hash),
  parse(hash): ParsedHash<DigestData> {
    const expected = NTHASH_PATTERN.test(hash) ? fromHex(hash) : null;
    if (!expected) throw malformed('nthash', 'not 32 hex digits');
    return { scheme: 'nthash', params: {}, cost: {}, data: { expected } };
  },
  async verify(password, parsed) {
    return matches(md4(utf16le(password)), parsed);
  },
  wrap: digestWrap(() => hexZeros(16), (password) => md4(utf16le(password))),
};

const MYSQL41_PATTERN = /^\*([0-9a-fA-F]{40})$/;
const MYSQL41_SHAPE = nearHex(40, '\\*');

export const mysql41: Scheme = {
  name: 'mysql41',
  description: 'MySQL 4.1+ PASSWORD() / mysql_native_password: * + 40 hex of SHA1(SHA1(password))',
  costCaps: {},
  identify: (hash) => MYSQL41_SHAPE.test(hash),
  parse(hash): ParsedHash<DigestData> {
    const m = MYSQL41_PATTERN.exec(hash);
    const expected = m ? fromHex(m[1] as string) : null;
    if (!expected) throw malformed('mysql41', 'not * followed by 40 hex digits');
    return { scheme: 'mysql41', params: {}, cost: {}, data: { expected } };
  },
  async verify(password, parsed) {
    return matches(digest('sha1', digest('sha1', password)), parsed);
  },
  wrap: digestWrap(() => `*${hexZeros(20)}`, (password) => digest('sha1', digest('sha1', password))),
};

const POSTGRES_PATTERN = /^md5([0-9a-fA-F]{32})$/;
const POSTGRES_SHAPE = nearHex(32, 'md5');

/**
 * PostgreSQL role names are at most 63 bytes; this looser bound only keeps an arbitrarily long
 * `user` field from being hashed.
 */
const POSTGRES_MAX_USER_BYTES = 1024;

function requireInput(scheme: string, field: 'user' | 'salt', value: string | undefined): string {
  if (value === undefined) {
    throw new HashdError('missing_hash_input', `${scheme} hashes can only be verified with the request's "${field}" field`, {
      details: { scheme, field },
    });
  }
  return value;
}

/** MD5(password + user), or null for a login name no PostgreSQL role can have (nothing matches). */
function postgresDigest(password: Uint8Array, extras: VerifyExtras): Uint8Array | null {
  const user = encoder.encode(requireInput('postgres_md5', 'user', extras.user));
  if (user.length > POSTGRES_MAX_USER_BYTES) return null;
  return digest('md5', password, user);
}

export const postgres_md5: Scheme = {
  name: 'postgres_md5',
  description: 'PostgreSQL md5 password (md5 + MD5(password + user)): pg_authid before SCRAM; needs "user"',
  costCaps: {},
  identify: (hash) => POSTGRES_SHAPE.test(hash),
  parse(hash): ParsedHash<DigestData> {
    const m = POSTGRES_PATTERN.exec(hash);
    const expected = m ? fromHex(m[1] as string) : null;
    if (!expected) throw malformed('postgres_md5', 'not md5 followed by 32 hex digits');
    return { scheme: 'postgres_md5', params: {}, cost: {}, data: { expected } };
  },
  async verify(password, parsed, _env, extras: VerifyExtras) {
    return matches(postgresDigest(password, extras), parsed);
  },
  // The user is not part of the string, so the blank is only the prefix; a login of a wrapped
  // hash needs the request's "user" as a login of the legacy hash does.
  wrap: digestWrap(() => `md5${hexZeros(16)}`, (password, _parsed, extras) => postgresDigest(password, extras)),
};

interface JoomlaData extends DigestData {
  salt: Uint8Array;
}

/**
 * Joomla 1.0 wrote 16-character salts and Joomla 1.5 to 2.5 32-character ones, from
 * [A-Za-z0-9]. Salts of 2 to 15 characters after a colon belong to other applications
 * (osCommerce writes MD5(salt + password):salt with 2 characters), so they are not claimed; an
 * empty or one-character salt is claimed, and refused as a damaged Joomla hash.
 */
const JOOMLA_PATTERN = /^([0-9a-fA-F]{32}):([A-Za-z0-9./]{16,32})$/;
const JOOMLA_SHAPE = nearHex(32, '', ':(?:[A-Za-z0-9./]{0,1}|[A-Za-z0-9./]{16,32})');

export const joomla_md5: Scheme = {
  name: 'joomla_md5',
  description: 'Joomla 1.x/2.5 md5-hex: MD5(password + salt) hex:salt',
  costCaps: {},
  identify: (hash) => JOOMLA_SHAPE.test(hash),
  parse(hash): ParsedHash<JoomlaData> {
    const m = JOOMLA_PATTERN.exec(hash);
    const expected = m ? fromHex(m[1] as string) : null;
    if (!m || !expected) throw malformed('joomla_md5', 'not <32 hex>:<16-32 salt characters>');
    const salt = encoder.encode(m[2] as string);
    return { scheme: 'joomla_md5', params: { salt_chars: salt.length }, cost: {}, saltBytes: salt.length, data: { expected, salt } };
  },
  async verify(password, parsed) {
    return matches(digest('md5', password, (parsed.data as JoomlaData).salt), parsed);
  },
  wrap: digestWrap(
    (parsed) => `${hexZeros(16)}:${decoder.decode((parsed.data as JoomlaData).salt)}`,
    (password, parsed) => digest('md5', password, (parsed.data as JoomlaData).salt),
  ),
};

/**
 * salted_digest's string: `$salted$<algorithm>,pos=<prefix|suffix>[,salt=<utf8|hex|b64>],enc=<hex|b64>$<digest>`
 *
 * - algorithm: md5, sha1, sha256 or sha512;
 * - pos: where the salt goes: `prefix` hashes salt + password, `suffix` hashes password + salt;
 * - salt: how the request's `salt` field is decoded into bytes: `utf8` (the default: the salt
 *   column holds text), `hex` or `b64` (standard base64);
 * - enc: how the digest below is written: `hex` (either case) or `b64` (standard base64).
 *
 * Example: a table with md5(salt . password) in hex and the salt in its own column imports as
 * `$salted$md5,pos=prefix,enc=hex$5f4dcc3b5aa765d61d8327deb882cf99`, and each verify request
 * carries that row's salt. The fields come in this one order, so a hash has one spelling.
 */
const SALTED_PATTERN = /^\$salted\$(md5|sha1|sha256|sha512),pos=(prefix|suffix)(?:,salt=(utf8|hex|b64))?,enc=(hex|b64)\$([A-Za-z0-9+/=]+)$/;

/** Salts are short; anything longer than this is not a salt column but a mistake or an attack. */
const SALTED_MAX_SALT_CHARS = 1024;

interface SaltedData extends DigestData {
  algorithm: DigestAlgorithm;
  prefix: boolean;
  saltEncoding: 'utf8' | 'hex' | 'b64';
  /** How the digest is written in the string. */
  encoding: 'hex' | 'b64';
}

/**
 * The salted digest of `password` with the request's salt, decoded as the string says. A missing
 * salt is a missing input and a bad one an invalid request: in neither case is there a digest.
 */
function saltedDigestOf(password: Uint8Array, data: SaltedData, extras: VerifyExtras): Uint8Array {
  const { algorithm, prefix, saltEncoding } = data;
  const saltText = requireInput('salted_digest', 'salt', extras.salt);
  if (saltText.length > SALTED_MAX_SALT_CHARS) {
    throw new HashdError('invalid_request', `salt is longer than ${SALTED_MAX_SALT_CHARS} characters`, { details: { field: 'salt' } });
  }
  const salt = saltEncoding === 'utf8' ? encoder.encode(saltText) : saltEncoding === 'hex' ? fromHex(saltText) : fromBase64(saltText);
  if (!salt) {
    throw new HashdError('invalid_request', `salt is not valid ${saltEncoding === 'hex' ? 'hex' : 'base64'}`, { details: { field: 'salt' } });
  }
  return prefix ? digest(algorithm, salt, password) : digest(algorithm, password, salt);
}

export const salted_digest: Scheme = {
  name: 'salted_digest',
  description: 'Configurable salted md5/sha1/sha256/sha512 with the salt in a separate column: $salted$<alg>,pos=…,enc=…$<digest>',
  costCaps: {},
  identify: (hash) => hash.startsWith('$salted$'),
  parse(hash): ParsedHash<SaltedData> {
    const m = SALTED_PATTERN.exec(hash);
    if (!m) throw malformed('salted_digest', 'not $salted$<md5|sha1|sha256|sha512>,pos=<prefix|suffix>[,salt=<utf8|hex|b64>],enc=<hex|b64>$<digest>');
    const algorithm = m[1] as DigestAlgorithm;
    const encoding = m[4] as 'hex' | 'b64';
    const text = m[5] as string;
    const expected = encoding === 'hex' ? (/^[0-9a-fA-F]+$/.test(text) ? fromHex(text) : null) : fromBase64(text);
    if (!expected) throw malformed('salted_digest', `digest is not valid ${encoding === 'hex' ? 'hex' : 'base64'}`);
    if (expected.length !== DIGEST_BYTES[algorithm]) throw malformed('salted_digest', `digest is not ${DIGEST_BYTES[algorithm]} bytes long`);
    const prefix = m[2] === 'prefix';
    const saltEncoding = (m[3] ?? 'utf8') as 'utf8' | 'hex' | 'b64';
    return {
      scheme: 'salted_digest',
      params: { algorithm, pos: m[2] as string, salt: saltEncoding, enc: encoding },
      cost: {},
      variant: algorithm,
      data: { expected, algorithm, prefix, saltEncoding, encoding },
    };
  },
  async verify(password, parsed, _env, extras) {
    return matches(saltedDigestOf(password, parsed.data as SaltedData, extras), parsed);
  },
  // The salt stays in its column, so the blank is the settings with a zero digest in the string's
  // own encoding. The default salt decoding (utf8) is left implicit, its one canonical spelling.
  wrap: digestWrap(
    (parsed) => {
      const { algorithm, prefix, saltEncoding, encoding } = parsed.data as SaltedData;
      const zeros = new Uint8Array(DIGEST_BYTES[algorithm]);
      const salt = saltEncoding === 'utf8' ? '' : `,salt=${saltEncoding}`;
      return `$salted$${algorithm},pos=${prefix ? 'prefix' : 'suffix'}${salt},enc=${encoding}$${encoding === 'hex' ? hexZeros(zeros.length) : toBase64(zeros)}`;
    },
    (password, parsed, extras) => saltedDigestOf(password, parsed.data as SaltedData, extras),
  ),
};
