/**
 * Login against stored credentials with upgrade on login. A valid password on an outdated hash
 * replaces it with a fresh default hash through a compare-and-swap on the exact hash that was
 * verified, so a password change that landed in between is never overwritten.
 *
 * A login must not tell who is who. Every login spends at least the work of one verify at the
 * policy's default (passlib's `dummy_verify`, applied to every case, not only unknown users):
 *
 * - unknown user: one dummy verify of the default scheme;
 * - a stored hash at the default scheme and at least its default cost: the verify itself;
 * - a cheaper stored hash (md5_crypt, phpass, an argon2id below the default cost...): its
 *   verify, then either the upgrade's new default hash (valid password) or a dummy verify;
 * - a stored hash that cannot be used (a scheme the policy no longer accepts, a malformed
 *   string, costs above the caps, a locked-account marker): a dummy verify, then `valid: false`
 *   exactly like a wrong password. The operator sees those rows in a warn log line (never the
 *   hash or the password) and in the inventory's `unusable` counts.
 *
 * A valid login never fails because of its upgrade: when the new hash is refused (overload) or
 * its write fails (the database went away after the read), the answer is `{valid: true,
 * upgraded: false}`, the stored hash stays as it was, and the next login upgrades it.
 */
import { systemClock, type Clock } from '../clock';
import type { LoginTime, Repositories } from '../db/index';
import { isHashdError } from '../errors';
import type { CryptContext, IdentifyResult, NeedsUpdateResult } from '../hashing/crypt-context';
import { BUILTIN_SCHEMES } from '../hashing/schemes/index';
import { WRAPPED_SCHEME } from '../hashing/schemes/wrapped';
import { silentLogger, type Logger } from '../logger';

export interface LoginDeps extends Pick<Repositories, 'credentials' | 'inventory'> {
  crypt: CryptContext;
  logger?: Logger;
  /**
   * Where a valid login's time goes when it is not written by the login itself (createLoginTimes:
   * batched, off the response path). Unset: the login writes it before answering (touchLogin).
   */
  loginTimes?: Pick<LoginTimes, 'record'>;
}

export interface LoginResult {
  valid: boolean;
  upgraded: boolean;
}

const INVALID: LoginResult = Object.freeze({ valid: false, upgraded: false });

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

/**
 * Spends the work of one verify at the policy's default and returns false: what a login costs
 * when there is nothing real to verify (an unknown user, an unusable stored hash, a locked
 * account). Throws only what a verify of this password would throw for any user (a password
 * over max_password_bytes, overload), so it does not tell either.
 */
export async function equalWork(crypt: CryptContext, password: string, signal?: AbortSignal): Promise<false> {
  return crypt.dummyVerify(password, signalOption(signal));
}

/** The name used by passlib; the same function. */
export const dummyVerify = equalWork;

/**
 * Does verifying this stored hash already cost at least one verify at the default? True for the
 * default scheme (and for wrapped hashes when the default is argon2id, whose check is an argon2id
 * verify) when none of its numeric cost parameters is below the policy's default.
 */
export function coversDefaultWork(crypt: CryptContext, info: Pick<IdentifyResult, 'scheme' | 'params'>): boolean {
  const target = crypt.policy.default;
  if (info.scheme !== target && !(info.scheme === WRAPPED_SCHEME && target === 'argon2id')) return false;
  const defaults = crypt.policy.params[target] ?? {};
  for (const [name, bound] of Object.entries(defaults)) {
    if (typeof bound.default !== 'number' || name === 'salt_bytes' || name === 'hash_bytes') continue;
    const value = info.params[name];
    if (typeof value !== 'number' || value < bound.default) return false;
  }
  return true;
}

/** The locked-account markers (`!`, `*`, Django's unusable passwords): the `disabled` family. */
const LOCKED_SCHEMES: ReadonlySet<string> = new Set(BUILTIN_SCHEMES.filter((s) => s.family === 'disabled').map((s) => s.name));

/** A locked-account marker: the CryptContext says so (`unusable: true`), or its scheme does. */
function isLocked(info: NeedsUpdateResult): boolean {
  return (info as NeedsUpdateResult & { unusable?: boolean }).unusable === true || LOCKED_SCHEMES.has(info.scheme);
}

/** Codes the CryptContext answers for a stored hash it cannot use (422s are about the hash). */
function unusableCode(err: unknown): string | undefined {
  return isHashdError(err) && err.status === 422 ? err.code : undefined;
}

function errorCode(err: unknown): string {
  if (isHashdError(err)) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : ((err as Error | null)?.name ?? 'error');
}

export async function login(deps: LoginDeps, tenant: string, userId: string, password: string, signal?: AbortSignal): Promise<LoginResult> {
  const { credentials, crypt } = deps;
  const logger = deps.logger ?? silentLogger;
  // Refuse a password that no verify could take before anything depends on the user, so the
  // errors (and their timing) are the same for every user id.
  crypt.passwordBytes(password);
  const row = await credentials.get(tenant, userId);
  if (!row) {
    await equalWork(crypt, password, signal);
    return INVALID;
  }

  const unusable = async (code: string): Promise<LoginResult> => {
    logger.warn({ tenant, userId, scheme: row.scheme, code }, 'login against an unusable stored hash');
    await equalWork(crypt, password, signal);
    return INVALID;
  };

  let info: IdentifyResult & NeedsUpdateResult;
  let result;
  try {
    info = crypt.inspect(row.hash);
    if (isLocked(info)) return await unusable('disabled');
    result = await crypt.verify(password, row.hash, {
      ...signalOption(signal),
      ...(row.salt !== null && { salt: row.salt }),
      ...(row.pgUser !== null && { user: row.pgUser }),
      // The upgrade's new hash is made below, where its failure cannot fail the login.
      rehash: false,
    });
  } catch (err) {
    const code = unusableCode(err);
    if (code === undefined) throw err;
    return unusable(code);
  }
  // Verifying a stored hash cheaper than the default is followed by one default-cost operation:
  // the upgrade's new hash for a right password, a dummy verify otherwise.
  const covered = coversDefaultWork(crypt, info);

  if (!result.valid) {
    if (!covered) await equalWork(crypt, password, signal);
    return INVALID;
  }

  let newHash: string | undefined;
  if (result.needsRehash) {
    try {
      newHash = (await crypt.hash(password, signalOption(signal))).hash;
    } catch (err) {
      logger.warn({ tenant, userId, scheme: row.scheme, code: errorCode(err) }, 'login upgrade skipped: no new hash');
    }
  }
  if (newHash === undefined && !covered) {
    // A valid password on a cheap hash that is not upgraded now still costs a default verify.
    // That spending is for timing only: its failure (overload) must not fail a valid login.
    await equalWork(crypt, password, signal).catch(() => undefined);
  }

  let upgraded = false;
  if (newHash !== undefined) {
    try {
      upgraded = await credentials.compareAndSwap(tenant, userId, row.hash, {
        hash: newHash,
        scheme: crypt.policy.default,
        wrapped: false,
        source: 'login_upgrade',
        salt: null,
        pgUser: null,
        loggedIn: true,
        // The counter is written by the same statement: the upgrade costs one write, not two.
        countUpgrade: 'login',
      });
    } catch (err) {
      logger.warn({ tenant, userId, scheme: row.scheme, code: errorCode(err) }, 'login upgrade skipped: the write failed');
    }
  }
  // An upgrade recorded the login time in its own write; otherwise record it now, or hand it to
  // the batched writer, which answers at once.
  if (!upgraded) {
    if (deps.loginTimes) deps.loginTimes.record(tenant, userId);
    else
      await credentials.touchLogin(tenant, userId).catch((err: unknown) => {
        logger.warn({ tenant, userId, code: errorCode(err) }, 'last login time not recorded: the write failed');
      });
  }
  return { valid: true, upgraded };
}

/**
 * Last-login times off the response path, written in batches. A valid login records its time
 * (taken now) and answers; the recorder writes every login recorded meanwhile in one statement
 * (`touchLogins`) `delayMs` after the first of them, one write at a time, or at once when
 * `maxBatch` logins are waiting. Under load that is one statement and one commit per batch instead
 * of one per login, and the login's response never waits for the write. The price: a login's time
 * reaches the database up to `delayMs` (plus one write) after its answer, and a process killed
 * without its shutdown (SIGKILL, a crash) loses at most that window's times; SIGTERM flushes.
 */
export interface LoginTimes {
  record(tenant: string, userId: string): void;
  /** Writes every login recorded so far; resolves once written (a failed write is logged). */
  flush(): Promise<void>;
  /** Logins recorded and not yet written. */
  pending(): number;
}

export interface LoginTimesOptions {
  /** Writes one batch (the credential repository's touchLogins). */
  write: (logins: readonly LoginTime[]) => Promise<unknown>;
  clock?: Clock;
  logger?: Logger;
  /** How long the first login of a batch waits for others (default 100 ms). */
  delayMs?: number;
  /** Logins that start a write at once (default 1000). */
  maxBatch?: number;
}

export const DEFAULT_LOGIN_TIMES_DELAY_MS = 100;

export function createLoginTimes(options: LoginTimesOptions): LoginTimes {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const delayMs = options.delayMs ?? DEFAULT_LOGIN_TIMES_DELAY_MS;
  const maxBatch = options.maxBatch ?? 1000;
  // One entry per user: a later login of the same user replaces the earlier time.
  let waiting = new Map<string, LoginTime>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> | undefined;

  const write = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (writing !== undefined || waiting.size === 0) return;
    const batch = [...waiting.values()];
    waiting = new Map();
    // A write that throws instead of rejecting (no database yet) is logged like a failed one.
    writing = Promise.resolve()
      .then(() => options.write(batch))
      .then(
        () => undefined,
        (err: unknown) => logger.warn({ logins: batch.length, code: errorCode(err) }, 'last login times not recorded: the write failed'),
      )
      .finally(() => {
        writing = undefined;
        if (waiting.size >= maxBatch) write();
        else if (waiting.size > 0) schedule();
      });
  };
  const schedule = (): void => {
    if (timer !== undefined || writing !== undefined) return;
    timer = setTimeout(write, delayMs);
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    record(tenant, userId) {
      waiting.set(`${tenant}\0${userId}`, { tenant, userId, at: clock() });
      if (waiting.size >= maxBatch) write();
      else schedule();
    },
    async flush() {
      while (writing !== undefined || waiting.size > 0) {
        if (writing === undefined) write();
        await writing;
      }
    },
    pending: () => waiting.size,
  };
}
