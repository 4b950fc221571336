/**
 * Unix, LDAP, PHP and raw-digest schemes, in identification order: formats with a distinctive
 * prefix first, then the fixed-shape ones (13-character des_crypt, `*`+hex, `md5`+hex,
 * `hex:salt`), and the bare hex digests last, since a bare 32-hex string is claimed by several of
 * them and only the policy can say which one it is.
 */
import type { Scheme } from '../scheme';
import { apr_md5_crypt, kratos_md5_crypt, kratos_sha256_crypt, kratos_sha512_crypt, md5_crypt, sha256_crypt, sha512_crypt } from './crypt';
import { bsdi_crypt, des_crypt, django_des_crypt } from './des';
import { ldap_crypt, ldap_md5, ldap_salted_md5, ldap_salted_sha1, ldap_salted_sha256, ldap_salted_sha512, ldap_sha1 } from './ldap';
import { drupal7, phpass } from './phpass';
import { hex_md5, hex_sha1, hex_sha256, hex_sha512, joomla_md5, mysql41, nthash, postgres_md5, salted_digest } from './raw';
import { yescrypt } from './yescrypt';

export const UNIX_SCHEMES: readonly Scheme[] = [
  yescrypt,
  sha512_crypt,
  sha256_crypt,
  md5_crypt,
  apr_md5_crypt,
  bsdi_crypt,
  kratos_md5_crypt,
  kratos_sha256_crypt,
  kratos_sha512_crypt,
  phpass,
  drupal7,
  ldap_salted_sha1,
  ldap_salted_sha256,
  ldap_salted_sha512,
  ldap_salted_md5,
  ldap_sha1,
  ldap_md5,
  ldap_crypt,
  django_des_crypt,
  salted_digest,
  mysql41,
  postgres_md5,
  joomla_md5,
  des_crypt,
  hex_md5,
  nthash,
  hex_sha1,
  hex_sha256,
  hex_sha512,
];
