/**
 * passlib's bcrypt_sha256: bcrypt over a base64 pre-hash of the password, so passwords longer
 * than bcrypt's 72 bytes are not truncated and NUL bytes cannot cut them short.
 *
 * - v1 (passlib 1.6.2–1.7.2): `$bcrypt-sha256$2a,12$<salt>$<digest>`, key = base64(SHA-256(pw)).
 * - v2 (passlib 1.7.3+): `$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>`,
 *   key = base64(HMAC-SHA256(key = the 22-character salt text, msg = pw)). Keying the pre-hash
 *   with the salt stops a leaked plain SHA-256 table from being replayed into bcrypt ("password
 *   shucking"), which is why passlib moved to it; v1 is reported as an outdated variant.
 *
 * The base64 key is 44 ASCII bytes (with its `=`), well inside bcrypt's 72-byte limit.
 */
import { malformed } from '../../errors';
import { toBase64 } from '../encoding';
import type { Scheme } from '../scheme';
import { bcrypt, parseBcrypt } from './bcrypt';
import { decimal, digest, hmac, utf8 } from './framework-fields';

const V1 = /^\$bcrypt-sha256\$(2[ab]),(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;
const V2 = /^\$bcrypt-sha256\$v=(\d{1,3}),t=(2b),r=(\d{1,2})\$([./A-Za-z0-9]{22})\$([./A-Za-z0-9]{31})$/;

/** bcrypt's last salt character only carries 2 bits; passlib's v2 refuses the other spellings. */
const FINAL_SALT_CHARS = '.Oeu';

interface BcryptSha256Data {
  version: 1 | 2;
  salt: string;
  /** The plain bcrypt string the pre-hashed key is checked against. */
  bcryptHash: string;
}

export const bcrypt_sha256: Scheme = {
  name: 'bcrypt_sha256',
  description: "passlib's $bcrypt-sha256$ (bcrypt over base64 HMAC-SHA256 / SHA-256 of the password), v2 and v1",
  costCaps: bcrypt.costCaps,
  currentVariant: 'v2',
  identify: (hash) => hash.startsWith('$bcrypt-sha256$'),
  parse(hash) {
    let version: 1 | 2;
    let ident: string;
    let roundsText: string;
    let salt: string;
    let checksum: string;
    const v2 = V2.exec(hash);
    if (v2) {
      if (v2[1] !== '2') throw malformed('bcrypt_sha256', 'unsupported version (1 and 2 exist)');
      version = 2;
      [ident, roundsText, salt, checksum] = [v2[2] as string, v2[3] as string, v2[4] as string, v2[5] as string];
      if (!FINAL_SALT_CHARS.includes(salt[21] as string)) throw malformed('bcrypt_sha256', 'salt has padding bits set');
    } else {
      const v1 = V1.exec(hash);
      if (!v1) throw malformed('bcrypt_sha256', 'not a $bcrypt-sha256$ string');
      version = 1;
      [ident, roundsText, salt, checksum] = [v1[1] as string, v1[2] as string, v1[3] as string, v1[4] as string];
    }
    // passlib refuses zero-padded rounds ("05") in this format.
    const rounds = decimal('bcrypt_sha256', 'rounds', roundsText, 4, 31);
    const data: BcryptSha256Data = { version, salt, bcryptHash: `$${ident}$${String(rounds).padStart(2, '0')}$${salt}${checksum}` };
    const inner = { scheme: bcrypt, parsed: parseBcrypt(data.bcryptHash) };
    return { scheme: 'bcrypt_sha256', params: { version, ident, rounds }, cost: { rounds }, variant: `v${version}`, saltBytes: 16, inner, data };
  },
  verify(password, p, env) {
    const { version, salt, bcryptHash } = p.data as BcryptSha256Data;
    const prehash = version === 1 ? digest('sha256', password) : hmac('sha256', utf8(salt), password);
    return env.backend.bcryptVerify(utf8(toBase64(prehash)), bcryptHash);
  },
};
