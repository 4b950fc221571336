/**
 * WordPress 6.8+ passwords: `$wp` + a PHP password_hash() bcrypt string (`$wp$2y$10$…`), where
 * the bcrypt input is base64(HMAC-SHA384(key "wp-sha384", password)). The pre-hash lifts
 * bcrypt's 72-byte limit (the 64-character base64 key always fits) and the `$wp` prefix keeps
 * these apart from plain bcrypt hashes written by plugins. PHP's `$2y$` ident is bcrypt proper
 * and is handed to the backend as is.
 *
 * Older WordPress phpass `$P$` hashes belong to the phpass scheme.
 */
import { malformed } from '../../errors';
import { toBase64 } from '../encoding';
import type { Scheme } from '../scheme';
import { bcrypt, parseBcrypt } from './bcrypt';
import { hmac, utf8, withBcryptInner } from './framework-fields';

const WP_KEY = utf8('wp-sha384');

export const wordpress_bcrypt: Scheme = {
  name: 'wordpress_bcrypt',
  description: 'WordPress 6.8+ $wp$2y$… (bcrypt over base64 HMAC-SHA384 of the password)',
  costCaps: bcrypt.costCaps,
  identify: (hash) => hash.startsWith('$wp'),
  parse(hash) {
    const inner = hash.slice('$wp'.length);
    // A site may switch wp_hash_password() to argon2 by filter; only the default bcrypt form is read.
    if (!inner.startsWith('$2')) throw malformed('wordpress_bcrypt', 'only the bcrypt form of $wp$ is supported');
    return withBcryptInner(parseBcrypt(inner, 'wordpress_bcrypt'));
  },
  verify(password, p, env) {
    const key = utf8(toBase64(hmac('sha384', WP_KEY, password)));
    return env.backend.bcryptVerify(key, (p.data as { hash: string }).hash);
  },
};
