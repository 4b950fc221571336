/**
 * bcrypt in modular-crypt form: `$2b$12$<22-char salt><31-char checksum>`, bcrypt's own base64
 * alphabet. `$2a$` (PHP < 5.3.7, old OpenBSD), `$2y$` (PHP's crypt_blowfish) and `$2b$` (OpenBSD
 * since 2014) verify the same way for any password that hashd accepts; new hashes are `$2b$`, so
 * the older idents are reported as an outdated variant. `$2x$` (crypt_blowfish's buggy 8-bit
 * mode) and the original `$2$` are refused as passlib refuses them: hashd cannot reproduce them.
 *
 * bcrypt only reads 72 bytes of the password: `maxPasswordBytes` makes the policy refuse longer
 * passwords instead of silently truncating them (the Okta 2024 failure).
 */
import { malformed } from '../../errors';
import type { ParsedHash, Scheme, SchemeProducer } from '../scheme';

const PATTERN = /^\$(2[abxy]?)\$(\d{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** Parses a bcrypt string; reused by the formats that wrap bcrypt (bcrypt_sha256, Django, Spring...). */
export function parseBcrypt(hash: string, scheme = 'bcrypt'): ParsedHash<{ hash: string }> {
  const m = PATTERN.exec(hash);
  if (!m) throw malformed(scheme, 'not a bcrypt string');
  const ident = m[1] as string;
  if (ident === '2x') throw malformed(scheme, "crypt_blowfish's buggy $2x$ hashes are not supported");
  if (ident === '2') throw malformed(scheme, 'the original $2$ format is not supported');
  const rounds = Number(m[2]);
  if (rounds < 4 || rounds > 31) throw malformed(scheme, 'cost out of range 4..31');
  return {
    scheme,
    params: { ident, rounds },
    cost: { rounds },
    variant: ident,
    saltBytes: 16,
    data: { hash },
  };
}

export const bcryptProducer: SchemeProducer = {
  params: { rounds: { default: 12, floor: 4, ceiling: 31 } },
  weakness: (p) => (Number(p.rounds) < 10 ? 'bcrypt cost below 10 (OWASP minimum)' : null),
  hash: (password, p, env) => env.backend.bcryptHash(password, { cost: Number(p.rounds), salt: env.randomBytes(16) }),
};

export const bcrypt: Scheme = {
  name: 'bcrypt',
  description: 'bcrypt $2a$/$2b$/$2y$: OpenBSD, PHP password_hash, Ruby/Node/Python bcrypt, Spring BCryptPasswordEncoder',
  costCaps: { rounds: 16 },
  currentVariant: '2b',
  maxPasswordBytes: BCRYPT_MAX_PASSWORD_BYTES,
  nulTerminated: true,
  identify: (hash) => /^\$2[abxy]?\$/.test(hash),
  parse: (hash) => parseBcrypt(hash),
  verify: (password, parsed, env) => env.backend.bcryptVerify(password, (parsed.data as { hash: string }).hash),
  producer: bcryptProducer,
};
