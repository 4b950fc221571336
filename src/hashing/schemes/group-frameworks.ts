import type { Scheme } from '../scheme';
import { bcrypt_sha256 } from './bcrypt_sha256';
import { disabled } from './disabled';
import {
  django_argon2,
  django_bcrypt,
  django_bcrypt_sha256,
  django_disabled,
  django_salted_md5,
  django_salted_sha1,
  django_unsalted_md5,
  django_unsalted_sha1,
} from './django';
import { kratos_hmac, kratos_md5, kratos_sha1, kratos_sha256, kratos_sha512 } from './kratos';
import {
  aspnet_identity_v2,
  aspnet_identity_v3,
  atlassian_pbkdf2_sha1,
  cta_pbkdf2_sha1,
  django_pbkdf2_sha1,
  django_pbkdf2_sha256,
  grub_pbkdf2_sha512,
  pbkdf2_sha1,
  pbkdf2_sha256,
  pbkdf2_sha512,
  phc_pbkdf2,
  werkzeug_pbkdf2,
} from './pbkdf2';
import { better_auth_scrypt, django_scrypt, firebase_scrypt, scrypt, werkzeug_scrypt } from './scrypt';
import { spring_argon2, spring_bcrypt, spring_noop, spring_pbkdf2, spring_scrypt, spring_sha256 } from './spring';
import { werkzeug_salted_md5, werkzeug_salted_sha1 } from './werkzeug';
import { wordpress_bcrypt } from './wordpress';

/**
 * Framework schemes: pbkdf2, scrypt, Django, Werkzeug, Spring, ASP.NET, Kratos, Firebase,
 * better-auth and WordPress, in identification order. Prefixed formats come first (most of them
 * cannot collide), then the pairs that share a shape, each with the more common reading first
 * (Django's unsalted SHA-1 before its salted form, which also reads `sha1$$hex`; Django's salted
 * digests before Werkzeug's ambiguous HMAC ones), then the formats recognised only by their shape
 * (better-auth's hex pair, ASP.NET's base64 blobs), and the locked-account markers last, so a
 * marker never shadows a real hash.
 */
export const FRAMEWORK_SCHEMES: readonly Scheme[] = [
  // passlib
  pbkdf2_sha256,
  pbkdf2_sha512,
  pbkdf2_sha1,
  scrypt,
  bcrypt_sha256,
  // PHC-style strings of Kratos and Auth0 imports
  phc_pbkdf2,
  firebase_scrypt,
  kratos_md5,
  kratos_sha1,
  kratos_sha256,
  kratos_sha512,
  kratos_hmac,
  // Django
  django_pbkdf2_sha256,
  django_pbkdf2_sha1,
  django_argon2,
  django_bcrypt_sha256,
  django_bcrypt,
  django_scrypt,
  django_unsalted_sha1,
  django_salted_sha1,
  django_unsalted_md5,
  django_salted_md5,
  // Werkzeug
  werkzeug_pbkdf2,
  werkzeug_scrypt,
  werkzeug_salted_sha1,
  werkzeug_salted_md5,
  // Java and other prefixed formats
  spring_bcrypt,
  spring_pbkdf2,
  spring_scrypt,
  spring_argon2,
  spring_sha256,
  spring_noop,
  atlassian_pbkdf2_sha1,
  cta_pbkdf2_sha1,
  grub_pbkdf2_sha512,
  wordpress_bcrypt,
  // recognised by shape only
  better_auth_scrypt,
  aspnet_identity_v3,
  aspnet_identity_v2,
  // markers, last
  django_disabled,
  disabled,
];
