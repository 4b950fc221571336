/**
 * Werkzeug's legacy salted digests (Werkzeug < 2.3, Flask apps of that era): `sha1$salt$hex` and
 * `md5$salt$hex`, where hex is HMAC(key = salt, msg = password).
 *
 * These strings have exactly the shape of Django's SHA1/MD5PasswordHasher (`sha1$salt$hex` =
 * SHA-1(salt + password)) and nothing in them tells the two apart. Django's are far more common,
 * so django_salted_sha1/md5 stay unambiguous and are what the default policy picks, while these
 * schemes are marked ambiguous: a deployment migrating a Werkzeug table names
 * werkzeug_salted_sha1 (or _md5) in its policy, and then it is the candidate its policy ranks.
 *
 * An empty salt (`sha1$$hex`) is Werkzeug's plain digest, identical to Django's unsalted SHA-1,
 * and is left to that scheme. Werkzeug 2.3+ pbkdf2/scrypt strings live in pbkdf2.ts and scrypt.ts.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromHex } from '../encoding';
import type { Scheme } from '../scheme';
import { hmac, utf8 } from './framework-fields';
import { TEXT_SALT } from './pbkdf2';

interface HmacDigestData {
  salt: Uint8Array;
  expected: Uint8Array;
}

function legacyScheme(name: string, algorithm: 'md5' | 'sha1', description: string): Scheme {
  const hexLength = algorithm === 'md5' ? 32 : 40;
  const shape = new RegExp(`^${algorithm}\\$(${TEXT_SALT}{1,255})\\$([0-9a-f]{${hexLength}})$`);
  return {
    name,
    description,
    costCaps: {},
    ambiguous: true,
    identify: (hash) => hash.startsWith(`${algorithm}$`) && !hash.startsWith(`${algorithm}$$`),
    parse(hash) {
      const m = shape.exec(hash);
      if (!m) throw malformed(name, `must be ${algorithm}$salt$ and ${hexLength} lower-case hex digits`);
      const salt = utf8(m[1] as string);
      const data: HmacDigestData = { salt, expected: fromHex(m[2] as string) as Uint8Array };
      return { scheme: name, params: { salt_bytes: salt.length }, cost: {}, saltBytes: salt.length, data };
    },
    verify(password, p) {
      const { salt, expected } = p.data as HmacDigestData;
      return Promise.resolve(equalBytes(hmac(algorithm, salt, password), expected));
    },
  };
}

export const werkzeug_salted_sha1 = legacyScheme(
  'werkzeug_salted_sha1',
  'sha1',
  'Werkzeug < 2.3 sha1$salt$hex (HMAC-SHA1 keyed by the salt; ambiguous with Django, name it in the policy)',
);
export const werkzeug_salted_md5 = legacyScheme(
  'werkzeug_salted_md5',
  'md5',
  'Werkzeug < 2.3 md5$salt$hex (HMAC-MD5 keyed by the salt; ambiguous with Django, name it in the policy)',
);
