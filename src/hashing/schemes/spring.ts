/**
 * Spring Security's DelegatingPasswordEncoder strings: `{id}` + the encoded password of the
 * encoder registered under that id by PasswordEncoderFactories.createDelegatingPasswordEncoder().
 * The id is only a routing key; each scheme here strips it and parses the rest as the encoder
 * writes it, delegating to the sibling modules where Spring writes a standard format.
 *
 * Spring's Pbkdf2PasswordEncoder and StandardPasswordEncoder may be built with an application
 * "secret" (a pepper) that the string does not carry; hashd assumes the factory default, no
 * secret. A deployment that configured one cannot be verified without it.
 *
 * `{ldap}`, `{MD4}`, `{MD5}`, `{SHA-1}` and `{SHA-256}` (MessageDigestPasswordEncoder) are not
 * read here.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromBase64, fromHex } from '../encoding';
import type { ParsedHash, Scheme } from '../scheme';
import { argon2d, argon2i, argon2id } from './argon2';
import { BCRYPT_MAX_PASSWORD_BYTES, bcrypt, parseBcrypt } from './bcrypt';
import { digest, iterateDigest, relabel, utf8, withBcryptInner } from './framework-fields';
import { pbkdf2Matches, type Pbkdf2Data } from './pbkdf2';
import { SCRYPT_CAPS, scryptCost, scryptMatches, type ScryptData } from './scrypt';

/** `{id}` and `{id@SpringSecurity_v5_8}`, the two ids Spring 5.8+ registers per algorithm. */
function stripId(hash: string, id: string): { rest: string; v58: boolean } | null {
  if (hash.startsWith(`{${id}}`)) return { rest: hash.slice(id.length + 2), v58: false };
  const v58 = `{${id}@SpringSecurity_v5_8}`;
  if (hash.startsWith(v58)) return { rest: hash.slice(v58.length), v58: true };
  return null;
}

/** `{bcrypt}$2a$10$…`: BCryptPasswordEncoder, Spring's default encoder. */
export const spring_bcrypt: Scheme = {
  name: 'spring_bcrypt',
  description: 'Spring Security {bcrypt} (BCryptPasswordEncoder, the DelegatingPasswordEncoder default)',
  costCaps: bcrypt.costCaps,
  maxPasswordBytes: BCRYPT_MAX_PASSWORD_BYTES,
  identify: (hash) => hash.startsWith('{bcrypt}'),
  parse: (hash) => withBcryptInner(parseBcrypt(hash.slice('{bcrypt}'.length), 'spring_bcrypt')),
  verify: (password, p, env) => env.backend.bcryptVerify(password, (p.data as { hash: string }).hash),
};

/**
 * `{pbkdf2}` + hex(salt ‖ key). The string carries no parameters; they are the encoder's:
 * - `defaultsForSpringSecurity_v5_5()` (what `{pbkdf2}` maps to, and Spring < 5.8's default
 *   constructor): 8-byte salt, 185,000 rounds of HMAC-SHA1, 32-byte key → 80 hex digits.
 * - `defaultsForSpringSecurity_v5_8()` (`{pbkdf2@SpringSecurity_v5_8}`, and applications that map
 *   `pbkdf2` to it): 16-byte salt, 310,000 rounds of HMAC-SHA256, 32-byte key → 96 hex digits.
 * The length tells the two apart, so both ids accept both lengths.
 */
export const spring_pbkdf2: Scheme = {
  name: 'spring_pbkdf2',
  description: 'Spring Security {pbkdf2} (Pbkdf2PasswordEncoder v5.5 SHA-1/185000 and v5.8 SHA-256/310000 defaults, hex)',
  // The parameters are fixed by the encoder, so a string cannot ask for more work: no cost.
  costCaps: {},
  identify: (hash) => stripId(hash, 'pbkdf2') !== null,
  parse(hash) {
    const rest = stripId(hash, 'pbkdf2')?.rest ?? '';
    const bytes = /^[0-9a-fA-F]*$/.test(rest) ? fromHex(rest) : null;
    let data: Pbkdf2Data;
    let variant: string;
    if (bytes?.length === 40) {
      data = { digest: 'sha1', rounds: 185_000, salt: bytes.subarray(0, 8), key: bytes.subarray(8) };
      variant = 'v5_5';
    } else if (bytes?.length === 48) {
      data = { digest: 'sha256', rounds: 310_000, salt: bytes.subarray(0, 16), key: bytes.subarray(16) };
      variant = 'v5_8';
    } else {
      throw malformed('spring_pbkdf2', 'must be 80 or 96 hex digits (salt and 32-byte key)');
    }
    return {
      scheme: 'spring_pbkdf2',
      params: { digest: data.digest, rounds: data.rounds, salt_bytes: data.salt.length, hash_bytes: 32 },
      cost: {},
      variant,
      saltBytes: data.salt.length,
      data,
    };
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

/**
 * `{scrypt}$<hex(log2 N << 16 | r << 8 | p)>$<base64 salt>$<base64 key>`: SCryptPasswordEncoder
 * (Bouncy Castle). v4.1 defaults 2^14/8/1 with a 64-byte salt, v5.8 2^16/8/1 with a 16-byte salt;
 * both store a 32-byte key and carry their parameters in the string. Base64 padding is optional,
 * as Java's decoder treats it.
 */
export const spring_scrypt: Scheme = {
  name: 'spring_scrypt',
  description: 'Spring Security {scrypt} (SCryptPasswordEncoder: $hexparams$salt$key)',
  costCaps: SCRYPT_CAPS,
  identify: (hash) => stripId(hash, 'scrypt') !== null,
  parse(hash) {
    const rest = stripId(hash, 'scrypt')?.rest ?? '';
    const m = /^\$([0-9a-f]{1,8})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(rest);
    if (!m) throw malformed('spring_scrypt', 'not a Spring scrypt string');
    const params = Number.parseInt(m[1] as string, 16);
    const ln = (params >>> 16) & 0xffff;
    const r = (params >>> 8) & 0xff;
    const p = params & 0xff;
    const salt = fromBase64(m[2] as string);
    const key = fromBase64(m[3] as string);
    if (!salt || !key) throw malformed('spring_scrypt', 'bad base64');
    if (salt.length < 8 || salt.length > 1024) throw malformed('spring_scrypt', 'salt length out of range 8..1024');
    // Spring derives exactly keyLength = 32 bytes and compares them with the stored key, so a
    // stored key of any other length can never match: it is not a Spring string.
    if (key.length !== 32) throw malformed('spring_scrypt', 'key must be 32 bytes');
    const data: ScryptData = { ln, r, p, salt, key };
    return {
      scheme: 'spring_scrypt',
      params: { ln, r, p, salt_bytes: salt.length, hash_bytes: key.length },
      cost: scryptCost('spring_scrypt', ln, r, p),
      saltBytes: salt.length,
      data,
    };
  },
  verify: (password, p, env) => scryptMatches(password, p.data as ScryptData, env),
};

const ARGON2_SCHEMES: Readonly<Record<string, Scheme>> = { argon2id, argon2i, argon2d };

/** `{argon2}$argon2id$v=19$m=…`: Argon2PasswordEncoder writes the standard PHC string. */
export const spring_argon2: Scheme = {
  name: 'spring_argon2',
  description: 'Spring Security {argon2} (Argon2PasswordEncoder, PHC string)',
  costCaps: argon2id.costCaps,
  identify: (hash) => stripId(hash, 'argon2') !== null,
  parse(hash) {
    const rest = stripId(hash, 'argon2')?.rest ?? '';
    const inner = ARGON2_SCHEMES[/^\$(argon2(?:id|i|d))\$/.exec(rest)?.[1] ?? ''];
    if (!inner) throw malformed('spring_argon2', 'not an argon2 PHC string');
    const parsed = relabel('spring_argon2', () => inner.parse(rest));
    return { ...parsed, scheme: 'spring_argon2', params: { ...parsed.params, type: inner.name }, inner: { scheme: inner, parsed }, data: { inner, parsed } };
  },
  verify(password, p, env, extras) {
    const { inner, parsed } = p.data as { inner: Scheme; parsed: ParsedHash };
    return inner.verify(password, parsed, env, extras);
  },
};

interface Sha256Data {
  salt: Uint8Array;
  expected: Uint8Array;
}

/**
 * `{sha256}` + hex(salt8 ‖ digest): the deprecated StandardPasswordEncoder, SHA-256 applied 1024
 * times to salt ‖ secret ‖ password (Spring's Digester counts the first digest as one iteration).
 */
export const spring_sha256: Scheme = {
  name: 'spring_sha256',
  description: 'Spring Security {sha256} (StandardPasswordEncoder: 1024 × SHA-256, 8-byte salt, hex)',
  costCaps: {},
  identify: (hash) => hash.startsWith('{sha256}'),
  parse(hash) {
    const rest = hash.slice('{sha256}'.length);
    const bytes = /^[0-9a-fA-F]{80}$/.test(rest) ? fromHex(rest) : null;
    if (!bytes) throw malformed('spring_sha256', 'must be 80 hex digits (8-byte salt and SHA-256 digest)');
    const data: Sha256Data = { salt: bytes.subarray(0, 8), expected: bytes.subarray(8) };
    return { scheme: 'spring_sha256', params: { rounds: 1024, salt_bytes: 8 }, cost: {}, saltBytes: 8, data };
  },
  verify(password, p) {
    const { salt, expected } = p.data as Sha256Data;
    // The first digest covers salt ‖ password, then 1023 more over the 32-byte value.
    const value = iterateDigest('sha256', digest('sha256', salt, password), 1023);
    return Promise.resolve(equalBytes(value, expected));
  },
};

/**
 * `{noop}` + the plaintext password (NoOpPasswordEncoder). A stored plaintext: accepted only by a
 * policy that names it. The comparison runs over SHA-256 digests so its time does not depend on
 * where, or whether, the lengths differ.
 */
export const spring_noop: Scheme = {
  name: 'spring_noop',
  description: 'Spring Security {noop} (NoOpPasswordEncoder: the plaintext password; refused unless named)',
  costCaps: {},
  plaintext: true,
  identify: (hash) => hash.startsWith('{noop}'),
  parse: (hash) => ({ scheme: 'spring_noop', params: {}, cost: {}, data: utf8(hash.slice('{noop}'.length)) }),
  verify: (password, p) => Promise.resolve(equalBytes(digest('sha256', password), digest('sha256', p.data as Uint8Array))),
};
