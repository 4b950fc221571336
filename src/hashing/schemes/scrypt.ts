/**
 * scrypt in the layouts a migration meets: passlib's `$scrypt$ln=…,r=…,p=…$`, Werkzeug's
 * `scrypt:N:r:p$salt$hex`, Django's `scrypt$N$salt$r$p$hash`, better-auth's `salthex:keyhex` and
 * Firebase Auth's modified scrypt as Ory Kratos imports it (`$firescrypt$…`). The derivation runs
 * through `env.backend.scrypt` (OpenSSL on libuv's threadpool on Node).
 *
 * Caps. scrypt costs memory (128·N·r bytes) and time (proportional to N·r·p), and an attacker who
 * controls a hash string controls both, so both are capped besides the raw parameters: memory at
 * 256 MiB, twice OWASP's N=2^17, r=8 (128 MiB), and N·r·p at 2^21, twice OWASP's setting, which
 * takes about one to two seconds on the 2-core reference machine. Real systems write less:
 * passlib 2^16·8, Werkzeug 2^15·8, Django 2^14·8, Firebase 2^14·8, better-auth 2^14·16.
 */
import { createCipheriv } from 'node:crypto';
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromBase64, fromHex, toBase64 } from '../encoding';
import type { ParsedHash, Scheme, SchemeEnv, SchemeProducer } from '../scheme';
import { TEXT_SALT } from './pbkdf2';
import { decimal, fromUtf8, utf8 } from './framework-fields';

/** Built-in caps shared by every scrypt layout (see the header for the reasoning). */
export const SCRYPT_CAPS: Readonly<Record<string, number>> = {
  ln: 20,
  r: 32,
  p: 16,
  memory_kib: 256 * 1024,
  work: 2 ** 21,
};

export interface ScryptData {
  ln: number;
  r: number;
  p: number;
  salt: Uint8Array;
  key: Uint8Array;
}

/**
 * Checks what scrypt itself requires (N = 2^ln > 1, N < 2^(16·r), r·p < 2^30), so the backend
 * never throws on a string that parsed, and returns the cost the policy compares with the caps.
 */
export function scryptCost(scheme: string, ln: number, r: number, p: number): Record<string, number> {
  if (!Number.isInteger(ln) || ln < 1 || ln > 63) throw malformed(scheme, 'N must be a power of two from 2 to 2^63');
  if (r < 1 || p < 1) throw malformed(scheme, 'r and p must be at least 1');
  if (ln >= 16 * r) throw malformed(scheme, 'N must be below 2^(16·r)');
  if (r * p >= 2 ** 30) throw malformed(scheme, 'r·p must be below 2^30');
  const n = 2 ** ln;
  return { ln, r, p, memory_kib: (n * r) / 8, work: n * r * p };
}

/** log2 of a decimal N that must be a power of two. */
export function log2Exact(scheme: string, text: string): number {
  const n = decimal(scheme, 'N', text, 2, 2 ** 32);
  const ln = Math.log2(n);
  if (!Number.isInteger(ln)) throw malformed(scheme, 'N is not a power of two');
  return ln;
}

export async function scryptDerive(password: Uint8Array, data: Omit<ScryptData, 'key'>, length: number, env: SchemeEnv): Promise<Uint8Array> {
  return env.backend.scrypt(password, { N: 2 ** data.ln, r: data.r, p: data.p, salt: data.salt, outputLength: length });
}

export async function scryptMatches(password: Uint8Array, data: ScryptData, env: SchemeEnv): Promise<boolean> {
  return equalBytes(await scryptDerive(password, data, data.key.length, env), data.key);
}

function parsed(scheme: string, data: ScryptData, extra: ParsedHash['params'] = {}): ParsedHash<ScryptData> {
  return {
    scheme,
    params: { ln: data.ln, r: data.r, p: data.p, salt_bytes: data.salt.length, hash_bytes: data.key.length, ...extra },
    cost: scryptCost(scheme, data.ln, data.r, data.p),
    saltBytes: data.salt.length,
    data,
  };
}

function small(scheme: string, what: string, text: string): number {
  return decimal(scheme, what, text, 1, 2 ** 30);
}

// ---------------------------------------------------------------------------------------------
// passlib: $scrypt$ln=16,r=8,p=1$<base64 salt>$<base64 key>, base64 without padding
// ---------------------------------------------------------------------------------------------

const PASSLIB_PATTERN = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/]*)\$([A-Za-z0-9+/]+)$/;

/** OWASP's equivalent scrypt settings at r=8: the smallest p for each N below 2^17. */
const OWASP_MIN_P: Readonly<Record<number, number>> = { 13: 10, 14: 5, 15: 3, 16: 2 };

const scryptProducer: SchemeProducer = {
  params: {
    ln: { default: 17, floor: 10, ceiling: 20 },
    r: { default: 8, floor: 1, ceiling: 32 },
    p: { default: 1, floor: 1, ceiling: 16 },
    salt_bytes: { default: 16, floor: 8, ceiling: 1024 },
  },
  weakness(params) {
    // OWASP Password Storage Cheat Sheet: N=2^17 (128 MiB), r=8, p=1, or one of its equivalents
    // N=2^16 p=2, N=2^15 p=3, N=2^14 p=5, N=2^13 p=10; nothing below N=2^13 or r=8.
    const ln = Number(params.ln);
    const r = Number(params.r);
    const p = Number(params.p);
    if (r < 8) return 'scrypt block size r below 8 (OWASP minimum)';
    if (ln < 13) return 'scrypt N below 2^13 (OWASP minimum)';
    const minP = ln >= 17 ? 1 : (OWASP_MIN_P[ln] as number);
    if (p < minP) return `scrypt N=2^${ln} needs p ≥ ${minP} to match OWASP's N=2^17, r=8, p=1`;
    if (Number(params.salt_bytes) < 16) return 'salt shorter than 16 bytes';
    return null;
  },
  async hash(password, params, env) {
    const data = { ln: Number(params.ln), r: Number(params.r), p: Number(params.p), salt: env.randomBytes(Number(params.salt_bytes)) };
    const key = await scryptDerive(password, data, 32, env);
    const b64 = (bytes: Uint8Array): string => toBase64(bytes, { pad: false });
    return `$scrypt$ln=${data.ln},r=${data.r},p=${data.p}$${b64(data.salt)}$${b64(key)}`;
  },
};

export const scrypt: Scheme = {
  name: 'scrypt',
  description: "passlib's $scrypt$ln=…,r=…,p=…$ (base64, 32-byte key): passlib, hashcat mode 8900 converted",
  costCaps: SCRYPT_CAPS,
  minSaltBytes: 16,
  identify: (hash) => hash.startsWith('$scrypt$ln='),
  parse(hash) {
    const m = PASSLIB_PATTERN.exec(hash);
    if (!m) throw malformed('scrypt', 'not a passlib $scrypt$ string');
    const ln = decimal('scrypt', 'ln', m[1] as string, 1, 31);
    const salt = fromBase64(m[4] as string, 'forbidden');
    const key = fromBase64(m[5] as string, 'forbidden');
    if (!salt || !key) throw malformed('scrypt', 'bad base64');
    if (salt.length > 1024) throw malformed('scrypt', 'salt longer than 1024 bytes');
    // passlib fixes the checksum at 32 bytes.
    if (key.length !== 32) throw malformed('scrypt', 'checksum must be 32 bytes');
    return parsed('scrypt', { ln, r: small('scrypt', 'r', m[2] as string), p: small('scrypt', 'p', m[3] as string), salt, key });
  },
  verify: (password, p, env) => scryptMatches(password, p.data as ScryptData, env),
  producer: scryptProducer,
};

// ---------------------------------------------------------------------------------------------
// Werkzeug 2.3+: scrypt:32768:8:1$<salt text>$<hex 64-byte key>; `scrypt$salt$hex` means 2^15, 8, 1
// ---------------------------------------------------------------------------------------------

const WERKZEUG_PATTERN = new RegExp(`^scrypt(?::(\\d{1,10}):(\\d{1,10}):(\\d{1,10}))?\\$(${TEXT_SALT}{1,255})\\$([0-9a-f]+)$`);

export const werkzeug_scrypt: Scheme = {
  name: 'werkzeug_scrypt',
  description: "Werkzeug/Flask 3 default generate_password_hash scrypt:N:r:p$salt$hex",
  costCaps: SCRYPT_CAPS,
  // `scrypt$a$b` (three fields) is Werkzeug without parameters; Django's scrypt$ has six fields.
  identify: (hash) => hash.startsWith('scrypt:') || (hash.startsWith('scrypt$') && hash.split('$', 4).length === 3),
  parse(hash) {
    const m = WERKZEUG_PATTERN.exec(hash);
    if (!m) throw malformed('werkzeug_scrypt', 'not a Werkzeug scrypt string');
    const explicit = m[1] !== undefined;
    const ln = explicit ? log2Exact('werkzeug_scrypt', m[1] as string) : 15;
    const r = explicit ? small('werkzeug_scrypt', 'r', m[2] as string) : 8;
    const p = explicit ? small('werkzeug_scrypt', 'p', m[3] as string) : 1;
    // hashlib.scrypt's default key length is 64 bytes; Werkzeug stores its hex.
    if ((m[5] as string).length !== 128) throw malformed('werkzeug_scrypt', 'hash must be 128 hex digits');
    return parsed('werkzeug_scrypt', { ln, r, p, salt: utf8(m[4] as string), key: fromHex(m[5] as string) as Uint8Array });
  },
  verify: (password, p, env) => scryptMatches(password, p.data as ScryptData, env),
};

// ---------------------------------------------------------------------------------------------
// Django 4.0+ ScryptPasswordHasher: scrypt$<N>$<salt text>$<r>$<p>$<base64 64-byte key>
// ---------------------------------------------------------------------------------------------

const DJANGO_PATTERN = new RegExp(`^scrypt\\$(\\d{1,10})\\$(${TEXT_SALT}{1,255})\\$(\\d{1,10})\\$(\\d{1,10})\\$([A-Za-z0-9+/=]+)$`);

export const django_scrypt: Scheme = {
  name: 'django_scrypt',
  description: "Django 4+ ScryptPasswordHasher: scrypt$N$salt$r$p$base64",
  costCaps: SCRYPT_CAPS,
  identify: (hash) => hash.startsWith('scrypt$') && hash.split('$', 4).length !== 3,
  parse(hash) {
    const m = DJANGO_PATTERN.exec(hash);
    if (!m) throw malformed('django_scrypt', 'not a Django scrypt string');
    const ln = log2Exact('django_scrypt', m[1] as string);
    const key = fromBase64(m[5] as string, 'required');
    if (!key || key.length !== 64) throw malformed('django_scrypt', 'hash must be base64 of 64 bytes');
    return parsed('django_scrypt', {
      ln,
      r: small('django_scrypt', 'r', m[3] as string),
      p: small('django_scrypt', 'p', m[4] as string),
      salt: utf8(m[2] as string),
      key,
    });
  },
  verify: (password, p, env) => scryptMatches(password, p.data as ScryptData, env),
};

// ---------------------------------------------------------------------------------------------
// better-auth: <salt as 32 hex digits>:<key as 128 hex digits>, N=16384, r=16, p=1, 64-byte key
// ---------------------------------------------------------------------------------------------

export const better_auth_scrypt: Scheme = {
  name: 'better_auth_scrypt',
  description: "better-auth's default password hash salthex:keyhex (scrypt N=16384, r=16, p=1, NFKC password)",
  // The parameters are fixed by better-auth, not written in the string: no cost a string can raise.
  costCaps: {},
  // Joomla's `md5hex:salt` has a salt of at most 32 characters, so 64 or more characters after
  // the colon are better-auth's; a damaged salt or key is still claimed and reported as malformed.
  identify: (hash) => /^[0-9a-fA-F]{0,64}:[0-9A-Za-z]{64,}$/.test(hash),
  parse(hash) {
    const m = /^([0-9a-fA-F]{32}):([0-9a-fA-F]{128})$/.exec(hash);
    if (!m) throw malformed('better_auth_scrypt', 'must be 32 hex digits, a colon and 128 hex digits');
    // better-auth passes the salt's hex *text* to scrypt, not the bytes it encodes.
    const data: ScryptData = { ln: 14, r: 16, p: 1, salt: utf8(m[1] as string), key: fromHex(m[2] as string) as Uint8Array };
    return { ...parsed('better_auth_scrypt', data), cost: {} };
  },
  async verify(password, p, env) {
    // better-auth hashes password.normalize("NFKC") whatever the deployment's own normalization
    // policy is, so the scheme applies it itself to reproduce better-auth's bytes.
    const text = fromUtf8(password);
    const normalized = text === null ? password : utf8(text.normalize('NFKC'));
    return scryptMatches(normalized, p.data as ScryptData, env);
  },
};

// ---------------------------------------------------------------------------------------------
// Firebase Auth as Ory Kratos imports it:
// $firescrypt$ln=<mem_cost>,r=<rounds>,p=<p>$<salt>$<hash>$<salt separator>$<signer key>
// ---------------------------------------------------------------------------------------------

const FIREBASE_PATTERN = /^\$firescrypt\$ln=(\d{1,2}),r=(\d{1,10}),p=(\d{1,10})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]*)\$([A-Za-z0-9+/=]+)$/;

interface FirebaseData extends ScryptData {
  separator: Uint8Array;
  signerKey: Uint8Array;
}

export const firebase_scrypt: Scheme = {
  name: 'firebase_scrypt',
  description: "Firebase Auth's modified scrypt (project signer key and salt separator), in Ory Kratos' $firescrypt$ import layout",
  costCaps: SCRYPT_CAPS,
  identify: (hash) => hash.startsWith('$firescrypt$'),
  parse(hash) {
    const m = FIREBASE_PATTERN.exec(hash);
    if (!m) throw malformed('firebase_scrypt', 'not a $firescrypt$ string');
    const ln = decimal('firebase_scrypt', 'ln (mem_cost)', m[1] as string, 1, 31);
    const salt = fromBase64(m[4] as string, 'required');
    const key = fromBase64(m[5] as string, 'required');
    const separator = fromBase64(m[6] as string, 'required');
    const signerKey = fromBase64(m[7] as string, 'required');
    if (!salt || !key || !separator || !signerKey) throw malformed('firebase_scrypt', 'bad base64');
    if (salt.length > 1024 || separator.length > 1024) throw malformed('firebase_scrypt', 'salt longer than 1024 bytes');
    if (signerKey.length < 16 || signerKey.length > 1024) throw malformed('firebase_scrypt', 'signer key length out of range 16..1024');
    // The stored hash is the signer key encrypted under the derived key, so it has its length.
    if (key.length !== signerKey.length) throw malformed('firebase_scrypt', 'hash and signer key lengths differ');
    const data: FirebaseData = {
      ln,
      r: small('firebase_scrypt', 'r (rounds)', m[2] as string),
      p: small('firebase_scrypt', 'p', m[3] as string),
      salt,
      key,
      separator,
      signerKey,
    };
    return parsed('firebase_scrypt', data);
  },
  async verify(password, p, env) {
    const data = p.data as FirebaseData;
    // Firebase: scrypt(password, salt ‖ separator, N=2^mem_cost, r=rounds, p, 32 bytes) is an
    // AES-256-CTR key (zero IV) that encrypts the project's signer key; that ciphertext is stored.
    const salted = new Uint8Array(data.salt.length + data.separator.length);
    salted.set(data.salt);
    salted.set(data.separator, data.salt.length);
    const aesKey = await scryptDerive(password, { ln: data.ln, r: data.r, p: data.p, salt: salted }, 32, env);
    const cipher = createCipheriv('aes-256-ctr', aesKey, new Uint8Array(16));
    const out = Buffer.concat([cipher.update(data.signerKey), cipher.final()]);
    return equalBytes(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), data.key);
  },
};
