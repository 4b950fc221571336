/**
 * The CryptContext: passlib's policy object, over HTTP. It owns the decisions that no scheme
 * makes for itself: which schemes a deployment accepts, which of several candidate schemes a
 * string is, whether a presented hash is too expensive to compute (caps, checked before any
 * work), whether a stored hash needs an upgrade, and how a password string becomes bytes.
 *
 * Its verbs mirror passlib's: identify, hash, verify (which is verify_and_update: a valid
 * password on an outdated hash comes back with a fresh hash under the current default),
 * needsUpdate and dummyVerify.
 */
import { HashdError, malformed } from '../errors';
import type { Limiter } from './limiter';
import type { VerifyOffload } from './offload';
import type { Registry } from './registry';
import type { ResolvedPolicy } from './policy-config';
import type { ParamValue, ParsedHash, Scheme, SchemeEnv, VerifyExtras } from './scheme';

export interface IdentifyResult {
  scheme: string;
  params: Record<string, ParamValue>;
  /**
   * Every scheme that could have written the string, when there is more than one (a bare 32-hex
   * string is an MD5, an NT hash or Django's unsalted MD5); `scheme` is the one the policy chose.
   */
  candidates?: string[];
}

export interface NeedsUpdateResult {
  scheme: string;
  needsRehash: boolean;
  reasons: string[];
  /**
   * Present (true) when no password can ever match the stored string: a locked-account marker
   * (`!`, `*`, the empty string...). It needs a new password, and is never "current".
   */
  unusable?: true;
}

export interface VerifyResult extends NeedsUpdateResult {
  valid: boolean;
  /** A fresh hash of the same password under the default scheme: only when valid and outdated. */
  newHash?: string;
}

export interface CryptContextDeps {
  policy: ResolvedPolicy;
  registry: Registry;
  env: SchemeEnv;
  /** Every hash and verify runs through the limiter. */
  limiter: Limiter;
  /**
   * Where verifies of the legacy schemes it accepts run instead of the event loop (Node: the
   * worker pool). Each still runs inside a limiter slot.
   */
  offload?: VerifyOffload;
}

export interface HashOptions {
  scheme?: string;
  signal?: AbortSignal;
}

export interface VerifyOptions extends VerifyExtras {
  signal?: AbortSignal;
  /** When false, a valid outdated hash is reported but no new hash is computed. */
  rehash?: boolean;
}

interface Resolved {
  scheme: Scheme;
  parsed: ParsedHash;
  /** Every scheme that claims the string: the accepted ones in policy order, then the others. */
  claimed: string[];
}

const encoder = new TextEncoder();
/** The family of the locked-account markers (schemes/disabled.ts, Django's unusable passwords). */
const DISABLED_FAMILY = 'disabled';

export class CryptContext {
  readonly policy: ResolvedPolicy;
  private readonly registry: Registry;
  private readonly env: SchemeEnv;
  /** The process's hashing budget; background work (the wrap job) runs through it too. */
  readonly limiter: Limiter;
  private readonly offload: VerifyOffload | undefined;
  /** Position of each accepted scheme, for choosing among candidates. */
  private readonly rank: Map<string, number>;
  private readonly families: Set<string>;
  private dummyHash: Promise<string> | undefined;

  constructor(deps: CryptContextDeps) {
    this.policy = deps.policy;
    this.registry = deps.registry;
    this.env = deps.env;
    this.limiter = deps.limiter;
    this.offload = deps.offload;
    this.rank = new Map(deps.policy.schemes.map((name, i) => [name, i]));
    this.families = new Set(
      deps.policy.schemes.map((name) => deps.registry.get(name)?.family).filter((f): f is string => f !== undefined),
    );
  }

  /**
   * Turns a password string into the bytes that are hashed: refuses strings that are not
   * well-formed Unicode (a lone surrogate would otherwise become U+FFFD and collide with it),
   * applies the policy's normalization, and enforces max_password_bytes.
   */
  passwordBytes(password: string): Uint8Array {
    if (!password.isWellFormed()) {
      throw new HashdError('invalid_password_encoding', 'password is not well-formed Unicode (lone surrogate)');
    }
    const text = this.policy.normalize === 'none' ? password : password.normalize(this.policy.normalize);
    const bytes = encoder.encode(text);
    if (bytes.length > this.policy.maxPasswordBytes) {
      throw new HashdError('password_too_long', `password is longer than ${this.policy.maxPasswordBytes} bytes`, {
        details: { maxBytes: this.policy.maxPasswordBytes },
      });
    }
    return bytes;
  }

  /** Throws `overloaded` at once when no hashing slot or queue place is free. */
  assertCapacity(): void {
    this.limiter.assertCapacity();
  }

  /** True, counted as a refusal, when no hashing slot or queue place is free (no error built). */
  refuseIfFull(): boolean {
    return this.limiter.refuseIfFull();
  }

  /** Is a scheme accepted, directly or as a variant of an accepted family? */
  private rankOf(scheme: Scheme): number | undefined {
    const direct = this.rank.get(scheme.name);
    if (direct !== undefined) return direct;
    // Locked-account markers are accepted under every policy: they never match, never err.
    if (scheme.family === DISABLED_FAMILY) return this.policy.schemes.length + 1;
    if (scheme.family !== undefined && this.families.has(scheme.family)) return this.policy.schemes.length;
    return undefined;
  }

  private resolve(hash: string): Resolved {
    const claimed = this.registry.candidates(hash);
    if (claimed.length === 0) throw new HashdError('unknown_hash_format', 'the hash is not in any format hashd knows');
    const accepted = claimed
      .map((scheme) => ({ scheme, rank: this.rankOf(scheme) }))
      .filter((c): c is { scheme: Scheme; rank: number } => c.rank !== undefined)
      .sort((a, b) => a.rank - b.rank)
      .map((c) => c.scheme);
    if (accepted.length === 0) {
      throw new HashdError('scheme_not_allowed', 'the hash is in a format this policy does not accept', {
        details: { candidates: claimed.map((s) => s.name) },
      });
    }
    let firstError: unknown;
    for (const scheme of accepted) {
      try {
        const parsed = scheme.parse(hash);
        // The accepted readings in the policy's order first, then the others.
        const others = claimed.filter((c) => !accepted.includes(c));
        return { scheme, parsed, claimed: [...accepted, ...others].map((s) => s.name) };
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError instanceof HashdError) throw firstError;
    throw malformed(accepted[0]?.name ?? 'unknown', 'could not be parsed');
  }

  /**
   * Refuses, before any work, a hash that asks for more than the caps allow (nested hashes too):
   * each cost parameter, and the work units a verify with this password would cost. Without a
   * password (inspect, import checks) the work is that of the empty one: a hash over the work
   * cap even then can never be verified.
   */
  private checkCaps(scheme: Scheme, parsed: ParsedHash, passwordBytes = 0): void {
    const caps = this.policy.verifyCaps[scheme.name] ?? scheme.costCaps;
    const refuse = (param: string, value: number, cap: number | undefined): never => {
      throw new HashdError('hash_cost_exceeds_cap', `the hash asks for ${param}=${value}, above the cap ${cap ?? 'none'}`, {
        details: { scheme: scheme.name, param, value, cap: cap ?? null },
      });
    };
    for (const [param, value] of Object.entries(parsed.cost)) {
      const cap = caps[param];
      if (cap === undefined || !(value <= cap)) refuse(param, value, cap);
    }
    if (scheme.work) {
      const work = scheme.work(parsed, passwordBytes);
      const cap = caps.work;
      if (cap === undefined || !(work <= cap)) refuse('work', work, cap);
    }
    if (parsed.inner) this.checkCaps(parsed.inner.scheme, parsed.inner.parsed, passwordBytes);
  }

  private reasons(scheme: Scheme, parsed: ParsedHash): string[] {
    const reasons: string[] = [];
    // A locked account has nothing to upgrade: it is unlocked by setting a password.
    if (scheme.family === DISABLED_FAMILY) return reasons;
    if (!this.rank.has(scheme.name)) reasons.push('outdated_variant');
    else if (this.policy.deprecated.includes(scheme.name)) reasons.push('deprecated_scheme');
    if (scheme.currentVariant !== undefined && parsed.variant !== undefined && parsed.variant !== scheme.currentVariant) {
      if (!reasons.includes('outdated_variant')) reasons.push('outdated_variant');
    }
    const bounds = this.policy.params[scheme.name] ?? {};
    for (const [param, bound] of Object.entries(bounds)) {
      const value = parsed.cost[param] ?? parsed.params[param];
      if (typeof value !== 'number') continue;
      if (bound.min !== undefined && value < bound.min) reasons.push(`param_below_min:${param}`);
      if (bound.max !== undefined && value > bound.max) reasons.push(`param_above_max:${param}`);
    }
    const minSalt = bounds.salt_bytes?.min ?? scheme.minSaltBytes;
    if (minSalt !== undefined && parsed.saltBytes !== undefined && parsed.saltBytes < minSalt && !reasons.includes('param_below_min:salt_bytes')) {
      reasons.push('salt_too_short');
    }
    return reasons;
  }

  identify(hash: string): IdentifyResult {
    const { scheme, parsed, claimed } = this.resolve(hash);
    const result: IdentifyResult = { scheme: scheme.name, params: parsed.params };
    if (claimed.length > 1) result.candidates = claimed;
    return result;
  }

  needsUpdate(hash: string): NeedsUpdateResult {
    const { scheme, needsRehash, reasons, unusable } = this.inspect(hash);
    return { scheme, needsRehash, reasons, ...(unusable && { unusable }) };
  }

  /**
   * identify and needsUpdate from one parse, for callers that need both (the inventory). A hash
   * that asks for more than the caps allow is refused by verify, so it needs a rehash
   * (`cost_exceeds_cap`); a locked-account marker is `unusable` and needs one too, so that a
   * migration never counts it as current.
   */
  inspect(hash: string): IdentifyResult & NeedsUpdateResult {
    const { scheme, parsed } = this.resolve(hash);
    const result = { scheme: scheme.name, params: parsed.params };
    if (scheme.family === DISABLED_FAMILY) return { ...result, needsRehash: true, reasons: ['unusable'], unusable: true };
    const reasons = this.reasons(scheme, parsed);
    try {
      this.checkCaps(scheme, parsed);
    } catch (err) {
      if (!(err instanceof HashdError) || err.code !== 'hash_cost_exceeds_cap') throw err;
      reasons.unshift('cost_exceeds_cap');
    }
    return { ...result, needsRehash: reasons.length > 0, reasons };
  }

  /**
   * Every check a verify makes before any work (identify, parse, policy acceptance, caps), for
   * hashes about to be stored without a password (an import): a stored hash that would fail
   * them could never be verified. Throws the error verify would throw.
   */
  assertVerifiable(hash: string): IdentifyResult {
    const { scheme, parsed, claimed } = this.resolve(hash);
    this.checkCaps(scheme, parsed);
    const result: IdentifyResult = { scheme: scheme.name, params: parsed.params };
    if (claimed.length > 1) result.candidates = claimed;
    return result;
  }

  /** Parameters new hashes of `scheme` get under this policy. */
  private paramsFor(scheme: Scheme): Record<string, ParamValue> {
    const resolved = this.policy.params[scheme.name] ?? {};
    return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, v.default]));
  }

  private async hashBytes(bytes: Uint8Array, schemeName: string, signal: AbortSignal | undefined): Promise<string> {
    const scheme = this.registry.get(schemeName);
    if (!scheme || !this.rank.has(schemeName)) {
      throw new HashdError('scheme_not_allowed', `scheme "${schemeName}" is not accepted by this policy`, { details: { scheme: schemeName } });
    }
    const producer = scheme.producer;
    if (!producer) {
      throw new HashdError('scheme_verify_only', `scheme "${schemeName}" is verify-only; hashd does not make new hashes of it`, {
        details: { scheme: schemeName },
      });
    }
    if (scheme.maxPasswordBytes !== undefined && bytes.length > scheme.maxPasswordBytes) {
      throw new HashdError('password_too_long_for_scheme', `${schemeName} only reads ${scheme.maxPasswordBytes} bytes; the password is longer`, {
        details: { scheme: schemeName, maxBytes: scheme.maxPasswordBytes },
      });
    }
    if (scheme.nulTerminated && bytes.includes(0)) {
      throw new HashdError('password_not_allowed_for_scheme', `${schemeName} stops at a NUL character; a password holding one cannot be hashed with it`, {
        details: { scheme: schemeName },
      });
    }
    const params = this.paramsFor(scheme);
    return this.limiter.run(() => producer.hash(bytes, params, this.env), signal);
  }

  /** A new hash of `password`, under the default scheme unless another accepted one is named. */
  async hash(password: string, options: HashOptions = {}): Promise<{ hash: string; scheme: string }> {
    const bytes = this.passwordBytes(password);
    const scheme = options.scheme ?? this.policy.default;
    return { hash: await this.hashBytes(bytes, scheme, options.signal), scheme };
  }

  /**
   * passlib's verify_and_update. Caps are checked before any work; a wrong password is
   * `valid: false`, never an error; `newHash` only accompanies a valid password on an outdated hash.
   */
  async verify(password: string, hash: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    const { scheme, parsed } = this.resolve(hash);
    let bytes = this.passwordBytes(password);
    this.checkCaps(scheme, parsed, bytes.length);
    const reasons = this.reasons(scheme, parsed);
    const base = { scheme: scheme.name, needsRehash: reasons.length > 0, reasons };
    if (scheme.maxPasswordBytes !== undefined && bytes.length > scheme.maxPasswordBytes) {
      // A password longer than the algorithm reads never matches, unless the deployment asked
      // for the legacy truncating behaviour by name.
      if (!this.policy.legacyBcryptTruncation) return { ...base, valid: false };
      bytes = bytes.subarray(0, scheme.maxPasswordBytes);
    }
    // What other implementations would check is the password up to its NUL: never this one.
    if (scheme.nulTerminated && bytes.includes(0)) return { ...base, valid: false };
    const extras: VerifyExtras = {};
    if (options.salt !== undefined) extras.salt = options.salt;
    if (options.user !== undefined) extras.user = options.user;
    if (scheme.family === DISABLED_FAMILY) {
      // A locked account must not answer faster than a real one: spend a default verify.
      await this.dummyVerify(password, options.signal ? { signal: options.signal } : {});
      return { ...base, valid: false };
    }
    // A started verify is not aborted with its client: on the pool that would cost a thread.
    const offload = this.offload?.accepts(scheme.name) ? this.offload : undefined;
    const valid = await this.limiter.run(
      () => (offload ? offload.verify({ scheme: scheme.name, hash, password: bytes, extras }) : scheme.verify(bytes, parsed, this.env, extras)),
      options.signal,
    );
    if (!valid) return { ...base, valid: false };
    if (!base.needsRehash || options.rehash === false) return { ...base, valid: true };
    const newHash = await this.hashBytes(this.passwordBytes(password), this.policy.default, options.signal);
    return { ...base, valid: true, newHash };
  }

  /**
   * Spends the time of a real verify against the default scheme, for logins of users that do not
   * exist, so the response time does not tell whether a user exists. Always false.
   */
  async dummyVerify(password: string, options: { signal?: AbortSignal } = {}): Promise<false> {
    this.dummyHash ??= this.hashBytes(this.env.randomBytes(16), this.policy.default, undefined);
    let dummy: string;
    try {
      dummy = await this.dummyHash;
    } catch (err) {
      this.dummyHash = undefined;
      throw err;
    }
    await this.verify(password, dummy, { ...options, rehash: false });
    return false;
  }
}
