/**
 * Ory Kratos' import formats for legacy digests (hash/hash_comparator.go), all standard base64
 * with padding:
 * - `$md5$<md5>` and `$md5$pf=<template>$<salt>$<md5>`,
 * - `$sha1$pf=…$<salt>$<digest>`, `$sha256$pf=…`, `$sha512$pf=…` (the template is required;
 *   three schemes, kratos_sha1, kratos_sha256 and kratos_sha512),
 * - `$hmac-<alg>$<hex digest as base64>$<key>`: HMAC(key, password), whose stored value is the
 *   base64 of the lower-case hex digest.
 * The template is base64 of a string in which `{SALT}` and `{PASSWORD}` are replaced, left to
 * right in one pass (Go's strings.NewReplacer), by the salt and the password bytes.
 *
 * Kratos also imports `$md5-crypt$` and `$sha512-crypt$` (crypt-family wrappers) and its own
 * argon2/bcrypt/pbkdf2/scrypt strings; those belong to the crypt and PHC modules.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromBase64, toHex } from '../encoding';
import { md4 } from '../md4';
import type { ParsedHash, Scheme } from '../scheme';
import { DIGEST_BYTES, type DigestName, digest, hmac, utf8 } from './framework-fields';

const SALT_TOKEN = utf8('{SALT}');
const PASSWORD_TOKEN = utf8('{PASSWORD}');

function startsWithAt(bytes: Uint8Array, token: Uint8Array, at: number): boolean {
  if (at + token.length > bytes.length) return false;
  for (let i = 0; i < token.length; i++) if (bytes[at + i] !== token[i]) return false;
  return true;
}

/** Fills a Kratos template: one left-to-right pass, so a salt containing a token stays literal. */
function fillTemplate(template: Uint8Array, salt: Uint8Array, password: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < template.length) {
    if (startsWithAt(template, SALT_TOKEN, i)) {
      for (const b of salt) out.push(b);
      i += SALT_TOKEN.length;
    } else if (startsWithAt(template, PASSWORD_TOKEN, i)) {
      for (const b of password) out.push(b);
      i += PASSWORD_TOKEN.length;
    } else {
      out.push(template[i] as number);
      i += 1;
    }
  }
  return Uint8Array.from(out);
}

function containsToken(template: Uint8Array, token: Uint8Array): boolean {
  for (let i = 0; i + token.length <= template.length; i++) if (startsWithAt(template, token, i)) return true;
  return false;
}

interface TemplateData {
  algorithm: DigestName;
  /** null for Kratos' unsalted `$md5$<hash>` form. */
  template: Uint8Array | null;
  salt: Uint8Array;
  expected: Uint8Array;
}

const B64 = '[A-Za-z0-9+/]+={0,2}';
const MAX_FIELD_BYTES = 1024;

function b64Field(scheme: string, what: string, text: string): Uint8Array {
  const bytes = fromBase64(text, 'required');
  if (!bytes) throw malformed(scheme, `${what} is not padded base64`);
  if (bytes.length > MAX_FIELD_BYTES) throw malformed(scheme, `${what} longer than ${MAX_FIELD_BYTES} bytes`);
  return bytes;
}

/** Parses the `pf=<template>$<salt>$<hash>` tail shared by the md5 and sha formats. */
function parseTemplated(scheme: string, algorithm: DigestName, pf: string, salt: string, hash: string): ParsedHash<TemplateData> {
  const template = b64Field(scheme, 'template', pf);
  // A template without {PASSWORD} would accept every password: Kratos does not check, hashd does.
  if (!containsToken(template, PASSWORD_TOKEN)) throw malformed(scheme, 'template has no {PASSWORD}');
  const saltBytes = b64Field(scheme, 'salt', salt);
  const expected = b64Field(scheme, 'hash', hash);
  if (expected.length !== DIGEST_BYTES[algorithm]) throw malformed(scheme, `hash must be ${DIGEST_BYTES[algorithm]} bytes`);
  const data: TemplateData = { algorithm, template, salt: saltBytes, expected };
  return { scheme, params: { digest: algorithm, salt_bytes: saltBytes.length }, cost: {}, variant: algorithm, saltBytes: saltBytes.length, data };
}

function verifyTemplated(password: Uint8Array, p: ParsedHash): Promise<boolean> {
  const { algorithm, template, salt, expected } = p.data as TemplateData;
  const input = template === null ? password : fillTemplate(template, salt, password);
  return Promise.resolve(equalBytes(digest(algorithm, input), expected));
}

const MD5_PATTERN = new RegExp(`^\\$md5\\$(?:pf=(${B64})\\$(${B64})\\$)?(${B64})$`);

/**
 * Sun's md5_crypt also starts with `$md5$` (`$md5$rounds=…$salt$$…`, `$md5$salt$$…`), with salts
 * in the crypt alphabet. Kratos' strings have `pf=` next, or one base64 field, or a first field
 * with `+` or `=` that no Sun salt can contain: those are claimed, the rest is left to Sun's.
 */
// The first field is matched as "no +/= yet", then "+ or =", so the test stays linear in the length.
const KRATOS_MD5_SHAPE = /^\$md5\$(?:pf=|[A-Za-z0-9+/]*={0,2}$|(?!rounds=)[^$+=]*[+=][^$]*\$)/;

export const kratos_md5: Scheme = {
  name: 'kratos_md5',
  description: 'Ory Kratos import $md5$<b64> and $md5$pf=<template>$<salt>$<b64> (MD5 of a salt/password template)',
  costCaps: {},
  identify: (hash) => KRATOS_MD5_SHAPE.test(hash),
  parse(hash) {
    const m = MD5_PATTERN.exec(hash);
    if (!m) throw malformed('kratos_md5', 'not a Kratos $md5$ string');
    if (m[1] !== undefined) return parseTemplated('kratos_md5', 'md5', m[1], m[2] as string, m[3] as string);
    const expected = b64Field('kratos_md5', 'hash', m[3] as string);
    if (expected.length !== 16) throw malformed('kratos_md5', 'hash must be 16 bytes');
    const data: TemplateData = { algorithm: 'md5', template: null, salt: new Uint8Array(0), expected };
    return { scheme: 'kratos_md5', params: { digest: 'md5', salt_bytes: 0 }, cost: {}, variant: 'md5', data };
  },
  verify: verifyTemplated,
};

/**
 * `$sha1$`, `$sha256$` and `$sha512$pf=<template>$<salt>$<digest>` (the template is required).
 * NetBSD's sha1_crypt also starts with `$sha1$`, followed by its decimal round count; those
 * strings are left to it.
 */
function kratosSha(algorithm: 'sha1' | 'sha256' | 'sha512', label: string): Scheme {
  const name = `kratos_${algorithm}`;
  const prefix = `$${algorithm}$`;
  const pattern = new RegExp(`^\\$${algorithm}\\$pf=(${B64})\\$(${B64})\\$(${B64})$`);
  return {
    name,
    description: `Ory Kratos import $${algorithm}$pf=<template>$<salt>$<b64> (${label} of a salt/password template)`,
    costCaps: {},
    identify: (hash) => hash.startsWith(prefix) && !/^\d+\$/.test(hash.slice(prefix.length)),
    parse(hash) {
      const m = pattern.exec(hash);
      if (!m) throw malformed(name, `not a Kratos ${prefix}pf= string`);
      return parseTemplated(name, algorithm, m[1] as string, m[2] as string, m[3] as string);
    },
    verify: verifyTemplated,
  };
}

export const kratos_sha1 = kratosSha('sha1', 'SHA-1');
export const kratos_sha256 = kratosSha('sha256', 'SHA-256');
export const kratos_sha512 = kratosSha('sha512', 'SHA-512');

const HMAC_PATTERN = new RegExp(`^\\$hmac-([a-z0-9]{1,10})\\$(${B64})\\$(${B64})$`);
type HmacDigest = DigestName | 'md4';
const HMAC_DIGESTS: readonly HmacDigest[] = ['md4', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const HMAC_BYTES: Readonly<Record<HmacDigest, number>> = { ...DIGEST_BYTES, md4: 16 };

/**
 * HMAC-MD4 (RFC 2104 over MD4's 64-byte block). node:crypto no longer offers MD4 (OpenSSL 3 keeps
 * it in the legacy provider), so it is composed here from hashd's own RFC 1320 MD4.
 */
function hmacMd4(key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? md4(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 16);
  for (let i = 0; i < 64; i++) {
    inner[i] = (block[i] as number) ^ 0x36;
    outer[i] = (block[i] as number) ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(md4(inner), 64);
  return md4(outer);
}

interface HmacData {
  algorithm: HmacDigest;
  key: Uint8Array;
  /** The lower-case hex digest, as ASCII bytes. */
  expectedHex: Uint8Array;
}

/** `$hmac-<alg>$<base64 of the hex digest>$<base64 key>`, for every digest Kratos accepts. */
export const kratos_hmac: Scheme = {
  name: 'kratos_hmac',
  description: 'Ory Kratos import $hmac-sha256$<b64 hex>$<b64 key> (HMAC-MD5/SHA-1/SHA-2 of the password)',
  costCaps: {},
  // `$hmac$…` (no algorithm) is claimed too, so it is reported as malformed rather than unknown.
  identify: (hash) => hash.startsWith('$hmac-') || hash.startsWith('$hmac$'),
  parse(hash) {
    const m = HMAC_PATTERN.exec(hash);
    if (!m) throw malformed('kratos_hmac', 'not a Kratos $hmac-…$ string');
    const algorithm = m[1] as HmacDigest;
    if (!HMAC_DIGESTS.includes(algorithm)) throw malformed('kratos_hmac', 'unsupported HMAC digest (md4, md5, sha1, sha224, sha256, sha384, sha512)');
    const expectedHex = b64Field('kratos_hmac', 'hash', m[2] as string);
    const key = b64Field('kratos_hmac', 'key', m[3] as string);
    if (expectedHex.length !== 2 * HMAC_BYTES[algorithm] || !/^[0-9a-f]*$/.test(Buffer.from(expectedHex).toString('latin1'))) {
      throw malformed('kratos_hmac', `hash must encode ${2 * HMAC_BYTES[algorithm]} lower-case hex digits`);
    }
    if (key.length === 0) throw malformed('kratos_hmac', 'empty key');
    const data: HmacData = { algorithm, key, expectedHex };
    return { scheme: 'kratos_hmac', params: { digest: algorithm, key_bytes: key.length }, cost: {}, variant: algorithm, data };
  },
  verify(password, p) {
    const { algorithm, key, expectedHex } = p.data as HmacData;
    const mac = algorithm === 'md4' ? hmacMd4(key, password) : hmac(algorithm, key, password);
    return Promise.resolve(equalBytes(utf8(toHex(mac)), expectedHex));
  },
};
