/**
 * Django's password hashers (django.contrib.auth.hashers) that are not PBKDF2 or scrypt (those
 * live with their algorithm in pbkdf2.ts and scrypt.ts): the argon2 and bcrypt wrappers, the
 * salted and unsalted MD5/SHA-1 digests of early Django, and the `!` unusable-password marker.
 * (`crypt$…`, django_des_crypt, lives with des_crypt.)
 *
 * Every Django string is `<algorithm>$<rest>`, so identification is a prefix test. The digest
 * hashers store lower-case hex (Python's hexdigest()), which Django compares as text, so upper
 * case is not a Django string and is refused.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromHex, toHex } from '../encoding';
import type { ParsedHash, Scheme, WrapSupport } from '../scheme';
import { argon2d, argon2i, argon2id } from './argon2';
import { BCRYPT_MAX_PASSWORD_BYTES, bcrypt, parseBcrypt } from './bcrypt';
import { digest, relabel, utf8, withBcryptInner } from './framework-fields';
import { TEXT_SALT } from './pbkdf2';

const ARGON2_SCHEMES: Readonly<Record<string, Scheme>> = { argon2id, argon2i, argon2d };

interface WrappedArgon2 {
  inner: Scheme;
  parsed: ParsedHash;
}

/** Django's Argon2PasswordHasher: "argon2" + argon2-cffi's `$argon2id$v=19$m=…` string. */
export const django_argon2: Scheme = {
  name: 'django_argon2',
  description: "Django's Argon2PasswordHasher: argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash",
  costCaps: argon2id.costCaps,
  identify: (hash) => hash.startsWith('argon2$argon2'),
  parse(hash) {
    const phc = hash.slice('argon2'.length);
    const inner = ARGON2_SCHEMES[/^\$(argon2(?:id|i|d))\$/.exec(phc)?.[1] ?? ''];
    if (!inner) throw malformed('django_argon2', 'not an argon2 variant Django writes');
    const parsed = relabel('django_argon2', () => inner.parse(phc));
    const data: WrappedArgon2 = { inner, parsed };
    // `inner` lets the policy apply the argon2 caps it has for the inner variant as well.
    return { ...parsed, scheme: 'django_argon2', params: { ...parsed.params, type: inner.name }, inner: { scheme: inner, parsed }, data };
  },
  verify(password, p, env, extras) {
    const { inner, parsed } = p.data as WrappedArgon2;
    return inner.verify(password, parsed, env, extras);
  },
};

/** Django's BCryptPasswordHasher: "bcrypt$" + a bcrypt string; the password is not pre-hashed. */
export const django_bcrypt: Scheme = {
  name: 'django_bcrypt',
  description: "Django's BCryptPasswordHasher: bcrypt$$2b$12$… (bcrypt of the raw password, 72-byte limit)",
  costCaps: bcrypt.costCaps,
  maxPasswordBytes: BCRYPT_MAX_PASSWORD_BYTES,
  // Django hashes with pyca/bcrypt, which refuses a NUL byte: no stored hash has one.
  nulTerminated: true,
  identify: (hash) => hash.startsWith('bcrypt$'),
  parse: (hash) => withBcryptInner(parseBcrypt(hash.slice('bcrypt$'.length), 'django_bcrypt')),
  verify: (password, p, env) => env.backend.bcryptVerify(password, (p.data as { hash: string }).hash),
};

/** Django's BCryptSHA256PasswordHasher: bcrypt over the 64 hex digits of SHA-256(password). */
export const django_bcrypt_sha256: Scheme = {
  name: 'django_bcrypt_sha256',
  description: "Django's BCryptSHA256PasswordHasher: bcrypt_sha256$$2b$12$… (bcrypt of hex SHA-256)",
  costCaps: bcrypt.costCaps,
  identify: (hash) => hash.startsWith('bcrypt_sha256$'),
  parse: (hash) => withBcryptInner(parseBcrypt(hash.slice('bcrypt_sha256$'.length), 'django_bcrypt_sha256')),
  verify(password, p, env) {
    return env.backend.bcryptVerify(utf8(toHex(digest('sha256', password))), (p.data as { hash: string }).hash);
  },
};

interface DigestData {
  algorithm: 'md5' | 'sha1';
  salt: Uint8Array;
  expected: Uint8Array;
}

function digestParsed(scheme: string, data: DigestData): ParsedHash<DigestData> {
  return { scheme, params: { salt_bytes: data.salt.length }, cost: {}, saltBytes: data.salt.length, data };
}

function verifyDigest(password: Uint8Array, p: ParsedHash): Promise<boolean> {
  const { algorithm, salt, expected } = p.data as DigestData;
  return Promise.resolve(equalBytes(digest(algorithm, salt, password), expected));
}

/**
 * Django's digests are weak: the wrap job replaces them with argon2id over the digest (Django's
 * own "wrapped" hashers do the same). The blank keeps the salt and zeroes the hex digest.
 */
function digestWrap(blank: (data: DigestData) => string): WrapSupport {
  return {
    blank: (p) => blank(p.data as DigestData),
    checksum: (p) => (p.data as DigestData).expected,
    compute: async (password, p) => {
      const { algorithm, salt } = p.data as DigestData;
      return digest(algorithm, salt, password);
    },
  };
}

/**
 * Django's salted digests: `md5$salt$hex` and `sha1$salt$hex`, the digest of salt + password.
 * Like passlib, an empty salt is accepted (Django 1.0–1.3 wrote them), which is the unsalted
 * digest of the password.
 */
function saltedDigest(name: string, algorithm: 'md5' | 'sha1', description: string): Scheme {
  const hexLength = algorithm === 'md5' ? 32 : 40;
  // passlib reads Django salts as letters and digits only (what Django's get_random_string writes).
  const pattern = new RegExp(`^${algorithm}\\$([A-Za-z0-9]{0,255})\\$([0-9a-f]{${hexLength}})$`);
  return {
    name,
    description,
    costCaps: {},
    identify: (hash) => hash.startsWith(`${algorithm}$`),
    parse(hash) {
      const m = pattern.exec(hash);
      if (!m) throw malformed(name, `must be ${algorithm}$salt$ and ${hexLength} lower-case hex digits`);
      return digestParsed(name, { algorithm, salt: utf8(m[1] as string), expected: fromHex(m[2] as string) as Uint8Array });
    },
    verify: verifyDigest,
    wrap: digestWrap((d) => `${algorithm}$${new TextDecoder().decode(d.salt)}$${'0'.repeat(hexLength)}`),
  };
}

export const django_salted_md5 = saltedDigest('django_salted_md5', 'md5', "Django's MD5PasswordHasher: md5$salt$hex of MD5(salt + password)");
export const django_salted_sha1 = saltedDigest('django_salted_sha1', 'sha1', "Django's SHA1PasswordHasher: sha1$salt$hex of SHA-1(salt + password)");

/**
 * Django's UnsaltedMD5PasswordHasher: a bare 32-digit MD5 hex, or `md5$$hex`. A bare MD5 hex is
 * indistinguishable from hex_md5 (and an NT hash), so the scheme is ambiguous: a policy must name
 * it. The `md5$$hex` form is also read by django_salted_md5 (empty salt), which the default
 * policy accepts.
 */
export const django_unsalted_md5: Scheme = {
  name: 'django_unsalted_md5',
  description: "Django's UnsaltedMD5PasswordHasher: bare MD5 hex or md5$$hex (ambiguous with hex_md5)",
  costCaps: {},
  ambiguous: true,
  identify: (hash) => /^(?:md5\$\$)?[0-9a-f]{32}$/.test(hash),
  parse(hash) {
    const m = /^(?:md5\$\$)?([0-9a-f]{32})$/.exec(hash);
    if (!m) throw malformed('django_unsalted_md5', 'must be 32 lower-case hex digits');
    return digestParsed('django_unsalted_md5', { algorithm: 'md5', salt: new Uint8Array(0), expected: fromHex(m[1] as string) as Uint8Array });
  },
  verify: verifyDigest,
  wrap: digestWrap(() => '0'.repeat(32)),
};

/** Django's UnsaltedSHA1PasswordHasher: `sha1$$` and 40 hex digits of SHA-1(password). */
export const django_unsalted_sha1: Scheme = {
  name: 'django_unsalted_sha1',
  description: "Django's UnsaltedSHA1PasswordHasher: sha1$$hex of SHA-1(password)",
  costCaps: {},
  identify: (hash) => hash.startsWith('sha1$$'),
  parse(hash) {
    const m = /^sha1\$\$([0-9a-f]{40})$/.exec(hash);
    if (!m) throw malformed('django_unsalted_sha1', 'must be sha1$$ and 40 lower-case hex digits');
    return digestParsed('django_unsalted_sha1', { algorithm: 'sha1', salt: new Uint8Array(0), expected: fromHex(m[1] as string) as Uint8Array });
  },
  verify: verifyDigest,
  wrap: digestWrap(() => `sha1$$${'0'.repeat(40)}`),
};

/** `!` alone (Django < 1.6) or `!` and 40 random alphanumerics (Django 1.6+). */
const DJANGO_UNUSABLE = /^!(?:[A-Za-z0-9]{40})?$/;

/**
 * Django's unusable password (set_unusable_password). It never matches; the generic `disabled`
 * scheme, registered after this one, covers every other `!` marker. Both are one family, so a
 * policy that accepts either accepts the markers the other claims first.
 */
export const django_disabled: Scheme = {
  name: 'django_disabled',
  family: 'disabled',
  description: "Django's unusable password marker: ! followed by 40 random characters; never matches",
  costCaps: {},
  identify: (hash) => DJANGO_UNUSABLE.test(hash),
  parse(hash) {
    if (!DJANGO_UNUSABLE.test(hash)) throw malformed('django_disabled', 'must be ! and 40 alphanumerics');
    return { scheme: 'django_disabled', params: {}, cost: {}, data: null };
  },
  verify: () => Promise.resolve(false),
};
