/**
 * The contract every hash scheme module fulfils. A scheme only knows its own string format and
 * algorithm; everything that is policy (which schemes are accepted, caps, bounds, upgrades) lives
 * in crypt-context.ts, so a scheme never decides whether a hash is "good enough".
 *
 * A hash string is attacker-controlled input: `identify` must be cheap and total, `parse` must
 * reject anything malformed with a typed `malformed_hash` error before any expensive work, and it
 * must report every cost parameter in `cost` so the policy can compare it with `verify_caps`
 * before `verify` is ever called.
 */
import type { HashBackend } from './backend';

export type ParamValue = number | string;

export interface ParsedHash<D = unknown> {
  /** The registry name of the scheme that parsed the string (e.g. "argon2id", "md5_crypt"). */
  scheme: string;
  /** Public parameters reported by identify (cost, ident, version, salt size...). No secrets. */
  params: Record<string, ParamValue>;
  /**
   * Every work-factor parameter, as the numbers the policy compares with `verify_caps` and the
   * policy's [min, max] bounds. Use the names of the scheme's `costParams`.
   */
  cost: Record<string, number>;
  /** The format variant when a scheme has several (bcrypt "2a"/"2b"/"2y", argon2 version). */
  variant?: string;
  /** Salt length in bytes, when the format has one, for the policy's minimum-salt rule. */
  saltBytes?: number;
  /** Scheme-private decoded fields needed to verify (salt, digest...). Never reported. */
  data: D;
  /**
   * A hash nested inside this one (LDAP {CRYPT}, Spring {id}, a wrapped legacy hash): the policy
   * checks its cost against the inner scheme's caps as well.
   */
  inner?: { scheme: Scheme; parsed: ParsedHash };
}

/** Extra inputs a few legacy formats need, passed through from the request. */
export interface VerifyExtras {
  /** An external salt (a separate column in the legacy table), for `salted_digest`. */
  salt?: string;
  /** The login name, for postgres_md5 which hashes password + user. */
  user?: string;
}

/** What a scheme may use to compute: the runtime seam and the CSPRNG. */
export interface SchemeEnv {
  backend: HashBackend;
  /** `n` bytes from the platform CSPRNG. */
  randomBytes(n: number): Uint8Array;
}

/** One parameter of new hashes: the built-in default and bounds, overridable by the policy. */
export interface ParamSpec {
  default: number | string;
  /** Lowest value a new-hash policy may configure (numeric params only). */
  floor?: number;
  /** Highest value a new-hash policy may configure (numeric params only). */
  ceiling?: number;
  /** Allowed values for a string parameter. */
  choices?: readonly string[];
}

export interface SchemeProducer {
  /** Parameters for new hashes, with their built-in defaults. */
  params: Record<string, ParamSpec>;
  /**
   * Why these parameters are weaker than today's guidance (OWASP Password Storage Cheat Sheet),
   * or null. The policy refuses weak parameters unless it sets `allow_weak_params = true`.
   */
  weakness?(params: Record<string, ParamValue>): string | null;
  /** Make a new hash of `password` with fully resolved parameters. */
  hash(password: Uint8Array, params: Record<string, ParamValue>, env: SchemeEnv): Promise<string>;
}

/**
 * What a weak legacy scheme offers so its stored hashes can be wrapped: replaced, without the
 * password, by argon2id over their checksum (Django's "wrapped" hashers). At login the legacy
 * checksum is recomputed from the password and the settings, then checked with argon2id.
 */
export interface WrapSupport {
  /** The hash with its checksum zeroed: only public settings (salt, rounds), still parseable. */
  blank(parsed: ParsedHash): string;
  /** The checksum bytes of a parsed hash: what the wrap protects. */
  checksum(parsed: ParsedHash): Uint8Array;
  /** The checksum `password` produces under the settings of `parsed`. */
  compute(password: Uint8Array, parsed: ParsedHash, env: SchemeEnv, extras: VerifyExtras): Promise<Uint8Array>;
}

export interface Scheme {
  /** Registry name; passlib's name where passlib has the scheme. */
  readonly name: string;
  /**
   * Schemes that are variants of one algorithm share a family ("argon2" for argon2id/i/d): a hash
   * of a sibling variant is accepted by a policy that lists any member, and is flagged outdated.
   */
  readonly family?: string;
  /** One line: what the format is and who writes it. */
  readonly description: string;
  /**
   * The cost parameters this scheme reports in `ParsedHash.cost`, with built-in caps, and `work`
   * when the scheme has a `work` function (see work.ts).
   */
  readonly costCaps: Record<string, number>;
  /**
   * The work units a verify of `parsed` with a password of `passwordBytes` bytes costs, for the
   * schemes whose cost grows with the password's length (compared with `costCaps.work`). Cheap:
   * called before any work.
   */
  work?(parsed: ParsedHash, passwordBytes: number): number;
  /** The variant new hashes use; a parsed hash with another variant needs a rehash. */
  readonly currentVariant?: string;
  /** Minimum salt length (bytes) below which a hash needs a rehash. */
  readonly minSaltBytes?: number;
  /**
   * The algorithm only reads this many bytes of the password (bcrypt: 72). The policy refuses
   * longer passwords for new hashes and never lets them verify, unless legacy truncation is on.
   */
  readonly maxPasswordBytes?: number;
  /**
   * The algorithm reads the password as a C string (OpenBSD bcrypt, crypt_blowfish, PHP): it stops
   * at the first NUL byte, so a password holding one cannot be hashed in a way other
   * implementations verify. New hashes of such a password are refused (422
   * `password_not_allowed_for_scheme`, as pyca/bcrypt refuses them) and it never verifies.
   */
  readonly nulTerminated?: boolean;
  /** Accepting this scheme means accepting a stored plaintext: only when named explicitly. */
  readonly plaintext?: boolean;
  /**
   * Strings of this scheme are ambiguous with other schemes (bare hex digests): the policy must
   * name it to accept it, it is never accepted by a wildcard.
   */
  readonly ambiguous?: boolean;
  /** Cheap, total and non-throwing: does this string look like this scheme? */
  identify(hash: string): boolean;
  /** Decode the string; throws HashdError `malformed_hash`. Never does expensive work. */
  parse(hash: string): ParsedHash;
  /** Compare a password with a parsed hash. Only called after caps were checked. */
  verify(password: Uint8Array, parsed: ParsedHash, env: SchemeEnv, extras: VerifyExtras): Promise<boolean>;
  /** Present when hashd can produce new hashes of this scheme. */
  readonly producer?: SchemeProducer;
  /** Present for weak legacy schemes whose stored hashes can be wrapped in argon2id. */
  readonly wrap?: WrapSupport;
}
