/**
 * PBKDF2-HMAC in every layout a migration meets: passlib's modular-crypt `$pbkdf2-sha256$`,
 * Django's `pbkdf2_sha256$`, Werkzeug's `pbkdf2:sha256:N$`, the PHC `$pbkdf2-sha256$i=…,l=…$`
 * of Auth0 and Ory Kratos, Cryptacular's `$p5k2$`, Atlassian's `{PKCS5S2}`, GRUB's
 * `grub.pbkdf2.sha512.` and ASP.NET Identity's base64 blobs.
 *
 * The derivation always runs through `env.backend.pbkdf2`, which on Node is OpenSSL on libuv's
 * threadpool: the same C code passlib calls through hashlib, without blocking the event loop.
 *
 * Caps. One verify at the cap must stay within one to two seconds on the 2-core reference
 * machine, where OpenSSL runs about 3.4M rounds/s of HMAC-SHA256 or HMAC-SHA1 and 1M of
 * HMAC-SHA512. The highest counts real systems write are Django 6's 1.2M (SHA-256), OWASP's 1.3M
 * for SHA-1 and 210k for SHA-512, so the caps are 5M for SHA-256 (about 1.5 s), 3M for SHA-1
 * (about 0.9 s) and 2M for SHA-512 (about 2 s). A format
 * that may ask for a key longer than the digest pays one full run per output block, so its cost
 * is reported as rounds × blocks.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromAb64, fromBase64, fromBase64Url, fromHex, toAb64 } from '../encoding';
import type { ParsedHash, Scheme, SchemeEnv, SchemeProducer } from '../scheme';
import { DIGEST_BYTES, decimal, utf8 } from './framework-fields';

export type Pbkdf2Digest = 'sha1' | 'sha256' | 'sha512';

/** Highest rounds × blocks per digest that a presented hash may ask for (see the header). */
export const PBKDF2_ROUNDS_CAP: Readonly<Record<Pbkdf2Digest, number>> = {
  sha1: 3_000_000,
  sha256: 5_000_000,
  sha512: 2_000_000,
};

/** Caps for schemes whose strings name their own digest: one cost name per digest. */
const PER_DIGEST_CAPS: Record<string, number> = {
  rounds_sha1: PBKDF2_ROUNDS_CAP.sha1,
  rounds_sha256: PBKDF2_ROUNDS_CAP.sha256,
  rounds_sha512: PBKDF2_ROUNDS_CAP.sha512,
};

/** Salts and keys longer than this are not something any implementation writes. */
const MAX_SALT_BYTES = 1024;
const MAX_KEY_BYTES = 128;

/** The decoded fields every PBKDF2 layout comes down to. */
export interface Pbkdf2Data {
  digest: Pbkdf2Digest;
  rounds: number;
  salt: Uint8Array;
  key: Uint8Array;
}

/** Derives with the stored parameters and compares in constant time. */
export async function pbkdf2Matches(password: Uint8Array, data: Pbkdf2Data, env: SchemeEnv): Promise<boolean> {
  const key = await env.backend.pbkdf2(password, {
    digest: data.digest,
    iterations: data.rounds,
    salt: data.salt,
    outputLength: data.key.length,
  });
  return equalBytes(key, data.key);
}

/** Rounds weighted by the number of digest-sized output blocks PBKDF2 must compute. */
export function pbkdf2Work(data: Pbkdf2Data): number {
  return data.rounds * Math.ceil(data.key.length / DIGEST_BYTES[data.digest]);
}

function isPbkdf2Digest(name: string): name is Pbkdf2Digest {
  return name === 'sha1' || name === 'sha256' || name === 'sha512';
}

/** A parsed hash with the usual public parameters. */
function parsed(scheme: string, data: Pbkdf2Data, cost: Record<string, number>, extra: ParsedHash['params'] = {}): ParsedHash<Pbkdf2Data> {
  return {
    scheme,
    params: { digest: data.digest, rounds: data.rounds, salt_bytes: data.salt.length, hash_bytes: data.key.length, ...extra },
    cost,
    saltBytes: data.salt.length,
    data,
  };
}

/**
 * The salt alphabet of the text-salt formats (Django, Werkzeug): printable ASCII without the
 * field separators `$` and `:`. Django and Werkzeug generate alphanumeric salts; a custom
 * generator may have used punctuation, which both verify as the salt's UTF-8 bytes.
 */
export const TEXT_SALT = '[!-#%-9;-~]';

// ---------------------------------------------------------------------------------------------
// passlib: $pbkdf2$<rounds>$<ab64 salt>$<ab64 key>, $pbkdf2-sha256$…, $pbkdf2-sha512$…
// ---------------------------------------------------------------------------------------------

const PASSLIB_PATTERN = /^\$pbkdf2(?:-(sha256|sha512))?\$(\d{1,10})\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)$/;

function parsePasslib(scheme: string, digest: Pbkdf2Digest, hash: string): ParsedHash<Pbkdf2Data> {
  const m = PASSLIB_PATTERN.exec(hash);
  if (!m || (m[1] ?? 'sha1') !== digest) throw malformed(scheme, 'not a passlib pbkdf2 string');
  const rounds = decimal(scheme, 'rounds', m[2] as string);
  const salt = fromAb64(m[3] as string);
  const key = fromAb64(m[4] as string);
  if (!salt || !key) throw malformed(scheme, 'bad adapted base64');
  if (salt.length > MAX_SALT_BYTES) throw malformed(scheme, 'salt longer than 1024 bytes');
  // passlib fixes the checksum at the digest size; a shorter key is not a passlib hash.
  if (key.length !== DIGEST_BYTES[digest]) throw malformed(scheme, `checksum must be ${DIGEST_BYTES[digest]} bytes`);
  const data = { digest, rounds, salt, key };
  return parsed(scheme, data, { rounds });
}

function passlibProducer(digest: 'sha256' | 'sha512', defaultRounds: number): SchemeProducer {
  const size = DIGEST_BYTES[digest];
  return {
    params: {
      rounds: { default: defaultRounds, floor: 1000, ceiling: PBKDF2_ROUNDS_CAP[digest] },
      salt_bytes: { default: 16, floor: 8, ceiling: MAX_SALT_BYTES },
      // passlib's format fixes the checksum at the digest size, so a hashd hash stays readable by
      // passlib (and by every other reader of this format); the parameter states it, it cannot move.
      hash_bytes: { default: size, floor: size, ceiling: size },
    },
    weakness(p) {
      // OWASP Password Storage Cheat Sheet: 600,000 rounds of PBKDF2-HMAC-SHA256, 210,000 of
      // PBKDF2-HMAC-SHA512; NIST SP 800-132 and OWASP ask for salts of at least 128 bits.
      if (Number(p.rounds) < defaultRounds) return `pbkdf2_${digest} rounds below ${defaultRounds} (OWASP minimum)`;
      if (Number(p.salt_bytes) < 16) return 'salt shorter than 16 bytes';
      return null;
    },
    async hash(password, p, env) {
      const rounds = Number(p.rounds);
      const salt = env.randomBytes(Number(p.salt_bytes));
      const key = await env.backend.pbkdf2(password, { digest, iterations: rounds, salt, outputLength: size });
      return `$pbkdf2-${digest}$${rounds}$${toAb64(salt)}$${toAb64(key)}`;
    },
  };
}

function passlibScheme(name: string, digest: Pbkdf2Digest, ident: string, description: string, producer?: SchemeProducer): Scheme {
  // `$pbkdf2-sha256$i=` is the PHC layout (phc_pbkdf2), never passlib's.
  const claims = new RegExp(`^${ident.replace(/\$/g, '\\$')}(?!i=)`);
  return {
    name,
    family: 'pbkdf2',
    description,
    costCaps: { rounds: PBKDF2_ROUNDS_CAP[digest] },
    minSaltBytes: 16,
    identify: (hash) => claims.test(hash),
    parse: (hash) => parsePasslib(name, digest, hash),
    verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
    ...(producer && { producer }),
  };
}

export const pbkdf2_sha1 = passlibScheme('pbkdf2_sha1', 'sha1', '$pbkdf2$', "passlib's $pbkdf2$ (PBKDF2-HMAC-SHA1): passlib, Flask-Security, Ansible vault users");
export const pbkdf2_sha256 = passlibScheme(
  'pbkdf2_sha256',
  'sha256',
  '$pbkdf2-sha256$',
  "passlib's $pbkdf2-sha256$ (PBKDF2-HMAC-SHA256): passlib, FastAPI/Flask apps; hashd's FIPS choice",
  passlibProducer('sha256', 600_000),
);
export const pbkdf2_sha512 = passlibScheme(
  'pbkdf2_sha512',
  'sha512',
  '$pbkdf2-sha512$',
  "passlib's $pbkdf2-sha512$ (PBKDF2-HMAC-SHA512): passlib, hashcat mode 20200",
  passlibProducer('sha512', 210_000),
);

// ---------------------------------------------------------------------------------------------
// PHC: $pbkdf2-sha256$i=100000,l=32$<b64 salt>$<b64 key> (Ory Kratos, Auth0 imports)
// ---------------------------------------------------------------------------------------------

const PHC_PATTERN = /^\$pbkdf2-([a-z0-9]{1,10})\$i=(\d{1,10})(?:,l=(\d{1,4}))?\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export const phc_pbkdf2: Scheme = {
  name: 'phc_pbkdf2',
  description: 'PHC-string PBKDF2 $pbkdf2-sha256$i=…,l=…$ (SHA-1/256/512): Ory Kratos, Auth0 password imports',
  costCaps: PER_DIGEST_CAPS,
  minSaltBytes: 16,
  identify: (hash) => /^\$pbkdf2-[a-z0-9]+\$i=/.test(hash),
  parse(hash) {
    const m = PHC_PATTERN.exec(hash);
    if (!m) throw malformed('phc_pbkdf2', 'not a PHC pbkdf2 string');
    const digest = m[1] as string;
    // Kratos maps sha224/sha384 to SHA-3 variants no other tool writes; hashd reads the SHA-2 ones.
    if (!isPbkdf2Digest(digest)) throw malformed('phc_pbkdf2', 'unsupported digest (sha1, sha256 and sha512 are supported)');
    const rounds = decimal('phc_pbkdf2', 'i', m[2] as string);
    const salt = fromBase64(m[4] as string, 'forbidden');
    const key = fromBase64(m[5] as string, 'forbidden');
    if (!salt || !key) throw malformed('phc_pbkdf2', 'bad base64');
    if (salt.length < 8 || salt.length > MAX_SALT_BYTES) throw malformed('phc_pbkdf2', 'salt length out of range 8..1024');
    if (key.length < 16 || key.length > MAX_KEY_BYTES) throw malformed('phc_pbkdf2', 'key length out of range 16..128');
    if (m[3] !== undefined && decimal('phc_pbkdf2', 'l', m[3]) !== key.length) throw malformed('phc_pbkdf2', 'l= does not match the key length');
    const data = { digest, rounds, salt, key };
    return parsed('phc_pbkdf2', data, { [`rounds_${digest}`]: pbkdf2Work(data) });
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

// ---------------------------------------------------------------------------------------------
// Django: pbkdf2_sha256$<rounds>$<salt text>$<base64 key>
// ---------------------------------------------------------------------------------------------

function djangoScheme(name: string, digest: 'sha1' | 'sha256', description: string): Scheme {
  const prefix = `pbkdf2_${digest}$`;
  // passlib reads Django salts as letters and digits only (what Django's get_random_string writes).
  const pattern = new RegExp(`^pbkdf2_${digest}\\$(\\d{1,10})\\$([A-Za-z0-9]{1,255})\\$([A-Za-z0-9+/=]+)$`);
  return {
    name,
    description,
    costCaps: { rounds: PBKDF2_ROUNDS_CAP[digest] },
    identify: (hash) => hash.startsWith(prefix),
    parse(hash) {
      const m = pattern.exec(hash);
      if (!m) throw malformed(name, 'not a Django pbkdf2 string');
      const rounds = decimal(name, 'rounds', m[1] as string);
      const key = fromBase64(m[3] as string, 'required');
      if (!key) throw malformed(name, 'bad base64');
      if (key.length !== DIGEST_BYTES[digest]) throw malformed(name, `hash must be ${DIGEST_BYTES[digest]} bytes`);
      const data = { digest, rounds, salt: utf8(m[2] as string), key };
      return parsed(name, data, { rounds });
    },
    verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
  };
}

export const django_pbkdf2_sha256 = djangoScheme('django_pbkdf2_sha256', 'sha256', "Django's default PBKDF2PasswordHasher: pbkdf2_sha256$rounds$salt$base64");
export const django_pbkdf2_sha1 = djangoScheme('django_pbkdf2_sha1', 'sha1', "Django's PBKDF2SHA1PasswordHasher: pbkdf2_sha1$rounds$salt$base64");

// ---------------------------------------------------------------------------------------------
// Werkzeug: pbkdf2:sha256:600000$<salt text>$<hex key>
// ---------------------------------------------------------------------------------------------

/**
 * Werkzeug's check_password_hash fills in a missing iteration count with the default of the
 * Werkzeug that verifies, not of the one that hashed; every Werkzeug since 0.9 writes the count,
 * so only hand-made strings lack it. hashd uses 1,000,000, the default of current Werkzeug (3.1;
 * it was 600,000 in 2.3 and 3.0, 260,000 in 2.0).
 */
export const WERKZEUG_DEFAULT_ROUNDS = 1_000_000;

const WERKZEUG_PATTERN = new RegExp(`^pbkdf2(?::([a-z0-9]{1,10})(?::(\\d{1,10}))?)?\\$(${TEXT_SALT}{1,255})\\$([0-9a-f]+)$`);

export const werkzeug_pbkdf2: Scheme = {
  name: 'werkzeug_pbkdf2',
  description: "Werkzeug/Flask generate_password_hash pbkdf2:sha256:N$salt$hex (also sha1, sha512)",
  costCaps: PER_DIGEST_CAPS,
  identify: (hash) => hash.startsWith('pbkdf2:') || hash.startsWith('pbkdf2$'),
  parse(hash) {
    const m = WERKZEUG_PATTERN.exec(hash);
    if (!m) throw malformed('werkzeug_pbkdf2', 'not a Werkzeug pbkdf2 string');
    const digest = m[1] ?? 'sha256';
    if (!isPbkdf2Digest(digest)) throw malformed('werkzeug_pbkdf2', 'unsupported digest (sha1, sha256 and sha512 are supported)');
    const rounds = m[2] === undefined ? WERKZEUG_DEFAULT_ROUNDS : decimal('werkzeug_pbkdf2', 'iterations', m[2]);
    const hex = m[4] as string;
    // hashlib.pbkdf2_hmac's default key length is the digest size; Werkzeug stores its hex.
    if (hex.length !== 2 * DIGEST_BYTES[digest]) throw malformed('werkzeug_pbkdf2', `hash must be ${2 * DIGEST_BYTES[digest]} hex digits`);
    const data = { digest, rounds, salt: utf8(m[3] as string), key: fromHex(hex) as Uint8Array };
    return parsed('werkzeug_pbkdf2', data, { [`rounds_${digest}`]: rounds }, { implicit_rounds: m[2] === undefined ? 1 : 0 });
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

// ---------------------------------------------------------------------------------------------
// Cryptacular: $p5k2$<hex rounds>$<base64url salt>$<base64url key>
// ---------------------------------------------------------------------------------------------

const CTA_PATTERN = /^\$p5k2\$([0-9a-f]{1,8})\$([A-Za-z0-9_=-]*)\$([A-Za-z0-9_=-]+)$/;
/** dlitz_pbkdf2_sha1 shares the `$p5k2$` prefix; its checksum is 32 adapted-base64 characters. */
const DLITZ_SHAPE = /^\$p5k2\$[0-9a-f]*\$[./A-Za-z0-9]*\$[./A-Za-z0-9]{32}$/;

export const cta_pbkdf2_sha1: Scheme = {
  name: 'cta_pbkdf2_sha1',
  description: "Cryptacular's PBKDF2-HMAC-SHA1 $p5k2$ (hex rounds, URL-safe base64): Pyramid/cryptacular apps",
  costCaps: { rounds: PBKDF2_ROUNDS_CAP.sha1 },
  identify: (hash) => hash.startsWith('$p5k2$') && !DLITZ_SHAPE.test(hash),
  parse(hash) {
    const m = CTA_PATTERN.exec(hash);
    if (!m) throw malformed('cta_pbkdf2_sha1', 'not a cryptacular $p5k2$ string');
    const hexRounds = m[1] as string;
    if (hexRounds.startsWith('0')) throw malformed('cta_pbkdf2_sha1', 'rounds are zero-padded');
    const rounds = Number.parseInt(hexRounds, 16);
    // Cryptacular writes padded base64url and decodes with Python's urlsafe_b64decode, which
    // refuses a missing `=` ("Incorrect padding"), as passlib does.
    const salt = fromBase64Url(m[2] as string, 'required');
    const key = fromBase64Url(m[3] as string, 'required');
    if (!salt || !key) throw malformed('cta_pbkdf2_sha1', 'bad base64 (padding is required)');
    if (salt.length > MAX_SALT_BYTES) throw malformed('cta_pbkdf2_sha1', 'salt longer than 1024 bytes');
    if (key.length !== 20) throw malformed('cta_pbkdf2_sha1', 'checksum must be 20 bytes');
    const data: Pbkdf2Data = { digest: 'sha1', rounds, salt, key };
    return parsed('cta_pbkdf2_sha1', data, { rounds });
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

// ---------------------------------------------------------------------------------------------
// Atlassian (Crowd, Jira, Confluence): {PKCS5S2}base64(salt16 ‖ key32), SHA-1, 10,000 rounds
// ---------------------------------------------------------------------------------------------

export const atlassian_pbkdf2_sha1: Scheme = {
  name: 'atlassian_pbkdf2_sha1',
  description: 'Atlassian {PKCS5S2} (PBKDF2-HMAC-SHA1, 10,000 rounds): Crowd, Jira, Confluence, Bitbucket Server',
  // The round count is fixed by the format, so a string cannot ask for more work: no cost.
  costCaps: {},
  identify: (hash) => hash.startsWith('{PKCS5S2}'),
  parse(hash) {
    const body = hash.slice('{PKCS5S2}'.length);
    const bytes = /^[A-Za-z0-9+/]{64}$/.test(body) ? fromBase64(body, 'optional') : null;
    if (!bytes || bytes.length !== 48) throw malformed('atlassian_pbkdf2_sha1', 'must be base64 of a 16-byte salt and a 32-byte key');
    const data: Pbkdf2Data = { digest: 'sha1', rounds: 10_000, salt: bytes.subarray(0, 16), key: bytes.subarray(16) };
    return parsed('atlassian_pbkdf2_sha1', data, {});
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

// ---------------------------------------------------------------------------------------------
// GRUB 2: grub.pbkdf2.sha512.<rounds>.<hex salt>.<hex key>
// ---------------------------------------------------------------------------------------------

const GRUB_PATTERN = /^grub\.pbkdf2\.sha512\.(\d{1,10})\.([0-9A-Fa-f]*)\.([0-9A-Fa-f]+)$/;

export const grub_pbkdf2_sha512: Scheme = {
  name: 'grub_pbkdf2_sha512',
  description: 'GRUB 2 grub-mkpasswd-pbkdf2 (PBKDF2-HMAC-SHA512, hex): boot loader passwords',
  costCaps: { rounds: PBKDF2_ROUNDS_CAP.sha512 },
  identify: (hash) => hash.startsWith('grub.pbkdf2.sha512.'),
  parse(hash) {
    const m = GRUB_PATTERN.exec(hash);
    if (!m) throw malformed('grub_pbkdf2_sha512', 'not a grub.pbkdf2.sha512 string');
    const rounds = decimal('grub_pbkdf2_sha512', 'rounds', m[1] as string);
    const salt = fromHex(m[2] as string);
    const key = fromHex(m[3] as string);
    if (!salt || !key) throw malformed('grub_pbkdf2_sha512', 'odd number of hex digits');
    if (salt.length > MAX_SALT_BYTES) throw malformed('grub_pbkdf2_sha512', 'salt longer than 1024 bytes');
    if (key.length !== 64) throw malformed('grub_pbkdf2_sha512', 'checksum must be 64 bytes');
    const data: Pbkdf2Data = { digest: 'sha512', rounds, salt, key };
    return parsed('grub_pbkdf2_sha512', data, { rounds });
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

// ---------------------------------------------------------------------------------------------
// ASP.NET Identity: base64 blobs told apart by their first byte
// ---------------------------------------------------------------------------------------------

/** v2: 0x00 ‖ salt16 ‖ key32, always PBKDF2-HMAC-SHA1 with 1000 rounds: 49 bytes, 68 characters. */
const ASPNET_V2_SHAPE = /^A[A-P][A-Za-z0-9+/]{64}==$/;

export const aspnet_identity_v2: Scheme = {
  name: 'aspnet_identity_v2',
  description: 'ASP.NET Identity v2 (0x00 ‖ salt ‖ key, PBKDF2-HMAC-SHA1 1000 rounds, base64): ASP.NET MVC 5, Identity 2',
  // The round count is fixed by the format: no cost a string could raise.
  costCaps: {},
  identify(hash) {
    if (!ASPNET_V2_SHAPE.test(hash)) return false;
    return fromBase64(hash, 'required')?.[0] === 0;
  },
  parse(hash) {
    const bytes = ASPNET_V2_SHAPE.test(hash) ? fromBase64(hash, 'required') : null;
    if (!bytes || bytes.length !== 49 || bytes[0] !== 0) throw malformed('aspnet_identity_v2', 'must be base64 of 0x00, a 16-byte salt and a 32-byte key');
    const data: Pbkdf2Data = { digest: 'sha1', rounds: 1000, salt: bytes.subarray(1, 17), key: bytes.subarray(17) };
    return parsed('aspnet_identity_v2', data, {});
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};

/** v3: 0x01 ‖ prf u32 ‖ rounds u32 ‖ salt length u32 ‖ salt ‖ key, all big-endian. */
const ASPNET_V3_SHAPE = /^A[Q-Za-f][A-Za-z0-9+/]{16,2800}={0,2}$/;
const ASPNET_PRF: readonly Pbkdf2Digest[] = ['sha1', 'sha256', 'sha512'];

function readU32(bytes: Uint8Array, offset: number): number {
  return (((bytes[offset] as number) << 24) >>> 0) + ((bytes[offset + 1] as number) << 16) + ((bytes[offset + 2] as number) << 8) + (bytes[offset + 3] as number);
}

interface AspnetV3Header {
  bytes: Uint8Array;
  prf: number;
  rounds: number;
  saltLength: number;
}

/**
 * Decodes a v3 blob's header, or null when the string is not one: base64 whose first byte is the
 * 0x01 marker, with a full 13-byte header whose PRF id is small and whose salt fits in the blob.
 * That is strict enough that base64 strings of other formats are not claimed, while a v3 blob
 * with a bad field is claimed and reported as malformed by parse.
 */
function aspnetV3Header(hash: string): AspnetV3Header | null {
  if (!ASPNET_V3_SHAPE.test(hash)) return null;
  const bytes = fromBase64(hash, 'required');
  if (!bytes || bytes.length < 13 || bytes[0] !== 1) return null;
  const header = { bytes, prf: readU32(bytes, 1), rounds: readU32(bytes, 5), saltLength: readU32(bytes, 9) };
  if (header.prf > 15 || header.saltLength > bytes.length - 13) return null;
  return header;
}

export const aspnet_identity_v3: Scheme = {
  name: 'aspnet_identity_v3',
  description: 'ASP.NET Core Identity v3 (0x01 header, PBKDF2-HMAC-SHA256/512, base64): ASP.NET Core Identity, Duende/IdentityServer',
  costCaps: PER_DIGEST_CAPS,
  identify(hash) {
    try {
      return aspnetV3Header(hash) !== null;
    } catch {
      return false;
    }
  },
  parse(hash) {
    const header = aspnetV3Header(hash);
    if (!header) throw malformed('aspnet_identity_v3', 'not a base64 ASP.NET Identity v3 blob');
    const { bytes, prf, rounds, saltLength } = header;
    const digest = ASPNET_PRF[prf];
    if (digest === undefined) throw malformed('aspnet_identity_v3', 'unknown PRF id (0, 1 and 2 are defined)');
    if (rounds < 1) throw malformed('aspnet_identity_v3', 'iteration count is zero');
    // ASP.NET Core itself refuses salts and subkeys shorter than 128 bits.
    if (saltLength < 16 || saltLength > MAX_SALT_BYTES) throw malformed('aspnet_identity_v3', 'salt length out of range 16..1024');
    const keyLength = bytes.length - 13 - saltLength;
    if (keyLength < 16 || keyLength > MAX_KEY_BYTES) throw malformed('aspnet_identity_v3', 'subkey length out of range 16..128');
    const data: Pbkdf2Data = { digest, rounds, salt: bytes.subarray(13, 13 + saltLength), key: bytes.subarray(13 + saltLength) };
    const result = parsed('aspnet_identity_v3', data, { [`rounds_${digest}`]: pbkdf2Work(data) });
    result.variant = digest;
    return result;
  },
  verify: (password, p, env) => pbkdf2Matches(password, p.data as Pbkdf2Data, env),
};
