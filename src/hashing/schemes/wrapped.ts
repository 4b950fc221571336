/**
 * Wrapped legacy hashes: a weak stored hash (raw md5, salted sha1, md5_crypt, phpass...) replaced,
 * without knowing the password, by argon2id over its checksum, as Django's wrapped hashers do.
 * The string keeps the legacy settings with the checksum zeroed, so a login can recompute the
 * legacy checksum from the password and then check it with argon2id:
 *
 *   $hashd-wrap$v=1$<legacy scheme>$<base64url(legacy hash with zeroed checksum)>$argon2id$v=19$m=…
 *
 * No weak checksum is left in the table. The policy never makes these by /v1/hash; the wrap job
 * does, and a valid login replaces them with a plain argon2id hash of the password.
 */
import { Buffer } from 'node:buffer';
import { malformed } from '../../errors';
import { fromBase64Url } from '../encoding';
import type { ParamValue, ParsedHash, Scheme, SchemeEnv } from '../scheme';
import { argon2id } from './argon2';

export const WRAPPED_SCHEME = 'hashd_wrapped';
const PATTERN = /^\$hashd-wrap\$v=1\$([a-z0-9_]{1,64})\$([A-Za-z0-9_-]{0,2048})(\$argon2id\$.+)$/;

interface WrappedData {
  inner: Scheme;
  innerParsed: ParsedHash;
  phc: ParsedHash;
}

export function createWrappedScheme(lookup: (name: string) => Scheme | undefined): Scheme {
  return {
    name: WRAPPED_SCHEME,
    description: 'hashd wrapped legacy hash: argon2id over a weak legacy checksum, written by `hashd wrap`',
    costCaps: { ...argon2id.costCaps },
    identify: (hash) => hash.startsWith('$hashd-wrap$'),
    parse(hash): ParsedHash<WrappedData> {
      const m = PATTERN.exec(hash);
      if (!m) throw malformed(WRAPPED_SCHEME, 'not a hashd-wrap string');
      const inner = lookup(m[1] as string);
      if (!inner?.wrap) throw malformed(WRAPPED_SCHEME, 'the wrapped scheme is unknown or cannot be wrapped');
      const blankBytes = fromBase64Url(m[2] as string);
      if (!blankBytes) throw malformed(WRAPPED_SCHEME, 'bad base64url settings');
      let blank: string;
      try {
        blank = new TextDecoder('utf-8', { fatal: true }).decode(blankBytes);
      } catch {
        throw malformed(WRAPPED_SCHEME, 'settings are not UTF-8');
      }
      const innerParsed = inner.parse(blank);
      const phc = argon2id.parse(m[3] as string);
      return {
        scheme: WRAPPED_SCHEME,
        params: { inner: inner.name, ...phc.params } as Record<string, ParamValue>,
        cost: phc.cost,
        variant: phc.variant as string,
        ...(phc.saltBytes !== undefined && { saltBytes: phc.saltBytes }),
        inner: { scheme: inner, parsed: innerParsed },
        data: { inner, innerParsed, phc },
      };
    },
    async verify(password, parsed, env, extras) {
      const { inner, innerParsed, phc } = parsed.data as WrappedData;
      const checksum = await (inner.wrap as NonNullable<Scheme['wrap']>).compute(password, innerParsed, env, extras);
      return argon2id.verify(checksum, phc, env, extras);
    },
  };
}

/**
 * Wraps one stored legacy hash: argon2id (with the given parameters) over its checksum. Throws
 * `malformed_hash` if the scheme cannot be wrapped.
 */
export async function wrapLegacyHash(
  scheme: Scheme,
  parsed: ParsedHash,
  argon2Params: Record<string, ParamValue>,
  env: SchemeEnv,
): Promise<string> {
  const support = scheme.wrap;
  const producer = argon2id.producer;
  if (!support || !producer) throw malformed(scheme.name, 'this scheme cannot be wrapped');
  const blank = Buffer.from(support.blank(parsed), 'utf8').toString('base64url');
  const phc = await producer.hash(support.checksum(parsed), argon2Params, env);
  return `$hashd-wrap$v=1$${scheme.name}$${blank}${phc}`;
}
