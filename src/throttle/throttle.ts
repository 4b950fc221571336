/**
 * Online guessing limits. Every secret check (password login, OTP and TOTP verify, recovery
 * codes) goes through one `Throttle`: it reserves an attempt before the secret is checked and
 * settles it afterwards, so N synchronised requests at a limit of L evaluate at most L.
 *
 * Two kinds of counter guard each attempt:
 * - the account (tenant + user id + purpose): consecutive failures, reset by a success;
 * - the client address (tenant + IP, IPv6 by /64) across accounts, against password spraying;
 *   a success releases its own reservation but never resets the address's failures, so one
 *   good account cannot wash the failures on others.
 *
 * A counter holds recorded failures `f`, attempts in flight `p` and the time `t` of the last
 * failure. An attempt is allowed when f + p < max and, once f + p reaches `free`, when the
 * exponential back-off `min(cap, base · 2^(f + p − free))` has passed since `t`. Counting the
 * attempts in flight is what keeps a burst from overrunning either rule; taking `t` from
 * failures only is what lets a user with no recent failures log in from many places at once.
 * A counter at `max` recorded failures stays locked until it is forgotten, `window` after its
 * last failure (or until an admin clears it). In-flight reservations of a process that died
 * expire by themselves (PENDING_TTL_MS).
 *
 * The state lives in a `ThrottleStore` (memory.ts, postgres.ts, entry/throttle-redis.ts; a Worker can bring its
 * own). Store keys hold SHA-256 digests, never a user id or an address.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock';
import { HashdError } from '../errors';

/** The limits of one kind of counter. Times in milliseconds. */
export interface ThrottleRule {
  /** Failures after which the counter is locked until it is forgotten. */
  maxFailures: number;
  /** Failures (and attempts in flight) allowed before the back-off starts. */
  freeFailures: number;
  /** The first back-off delay; each further failure doubles it. */
  backoffBaseMs: number;
  /** The longest back-off delay. */
  backoffMaxMs: number;
  /** A counter is forgotten this long after its last failure; also how long a lock lasts. */
  windowMs: number;
}

export interface ThrottleRules {
  account: ThrottleRule;
  address: ThrottleRule;
}

/** NIST SP 800-63B: at most 100 consecutive failures per account; OWASP: exponential delays. */
export const DEFAULT_THROTTLE_RULES: ThrottleRules = Object.freeze({
  account: Object.freeze({ maxFailures: 100, freeFailures: 5, backoffBaseMs: 1_000, backoffMaxMs: 900_000, windowMs: 86_400_000 }),
  address: Object.freeze({ maxFailures: 1_000, freeFailures: 100, backoffBaseMs: 1_000, backoffMaxMs: 60_000, windowMs: 3_600_000 }),
});

/** A leaked in-flight reservation (a process that died mid-check) is dropped after this long. */
export const PENDING_TTL_MS = 60_000;

export interface ThrottleCounter {
  /** The store key; unique per counter, built from digests only. */
  key: string;
  /** Keys of one attempt share this (a Redis Cluster hash tag): the tenant's digest. */
  group: string;
  rule: ThrottleRule;
}

/** What happens to one counter's reservation when the attempt is over. */
export type Settlement =
  /** The secret was wrong: one more failure. */
  | 'failure'
  /** The secret was right, on an account counter: failures forgotten. */
  | 'reset'
  /** Not a failure (a success on an address counter, or an attempt that was never evaluated). */
  | 'release';

export interface CounterState {
  failures: number;
  inFlight: number;
  /** Milliseconds until an attempt would be allowed (0: now). */
  waitMs: number;
}

/** A refused reservation: how long to wait, and which counter refused (an index in `counters`). */
export interface Refusal {
  waitMs: number;
  counter: number;
}

/**
 * Where counters live. Every method is one atomic operation on the store: `reserve` checks all
 * counters and adds an in-flight attempt to each, or changes nothing.
 */
export interface ThrottleStore {
  readonly kind: string;
  /**
   * 0 when the attempt is reserved on every counter, else the milliseconds to wait (nothing
   * reserved), as a number or as a `Refusal` naming the counter that refused (for the metrics;
   * a store that returns a bare number is counted with reason `unknown`).
   */
  reserve(counters: readonly ThrottleCounter[], nowMs: number): Promise<number | Refusal>;
  settle(counters: readonly ThrottleCounter[], settlements: readonly Settlement[], nowMs: number): Promise<void>;
  inspect(counter: ThrottleCounter, nowMs: number): Promise<CounterState | undefined>;
  clear(counters: readonly ThrottleCounter[]): Promise<void>;
  /** Resolves when the store can serve; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The wait of one counter at `now` before a new attempt, or 0. Shared by every store that
 * evaluates in JavaScript (memory, PostgreSQL reads), and mirrored by the Redis Lua script.
 */
export function waitFor(rule: ThrottleRule, failures: number, inFlight: number, lastFailureMs: number, nowMs: number, expiresMs: number): number {
  if (failures >= rule.maxFailures) return Math.max(1, expiresMs - nowMs);
  const n = failures + inFlight;
  // In flight at the cap: the answer is moments away, whichever it is.
  if (n >= rule.maxFailures) return 1_000;
  if (n < rule.freeFailures) return 0;
  return Math.max(0, lastFailureMs + backoffDelay(rule, n) - nowMs);
}

export function backoffDelay(rule: ThrottleRule, n: number): number {
  const steps = n - rule.freeFailures;
  if (steps < 0) return 0;
  // 2^40 ms is far beyond any cap; stop doubling before the number loses meaning.
  return Math.min(rule.backoffMaxMs, rule.backoffBaseMs * 2 ** Math.min(steps, 40));
}

/** What is checked: `password`, `otp`, `totp`, `recovery`... Each purpose counts on its own. */
export type ThrottlePurpose = string;

export interface AttemptSubject {
  tenant: string;
  /**
   * The account. Undefined when the secret names no known account (an OTP verify with an unknown
   * otpId): then only the address counts, and without an address nothing does.
   */
  userId?: string | undefined;
  purpose: ThrottlePurpose;
  /** The end user's address, normalised (address.ts); without one only the account counts. */
  address?: string | undefined;
}

export interface AccountStatus {
  purpose: ThrottlePurpose;
  failures: number;
  locked: boolean;
  /** Seconds until the next attempt is allowed (0: now). */
  retryAfter: number;
}

/** One reserved attempt. Settle it exactly once. */
export interface Attempt {
  succeeded(): Promise<void>;
  failed(): Promise<void>;
  /** The secret was never checked (the check failed for another reason): nothing is counted. */
  abandoned(): Promise<void>;
}

export interface Throttle {
  /** Store name for logs and readiness: memory, redis, postgres or off. */
  readonly kind: string;
  /**
   * Reserves an attempt. Throws 429 `rate_limited` (Retry-After) when a counter refuses, or 503
   * `throttle_unavailable` when the store cannot answer: never an unlimited window.
   */
  begin(subject: AttemptSubject): Promise<Attempt>;
  /** Runs `check` under a reserved attempt and settles it by `isSuccess` (abandoned when it throws). */
  guard<T>(subject: AttemptSubject, check: () => Promise<T>, isSuccess: (result: T) => boolean): Promise<T>;
  /** The account's counters for every purpose that has one. */
  status(tenant: string, userId: string): Promise<AccountStatus[]>;
  /** Forgets the account's counters for every purpose (the admin's unlock). */
  clear(tenant: string, userId: string): Promise<void>;
  /** null when the store answers, else why not (for /readyz). */
  readiness(): Promise<string | null>;
  close(): Promise<void>;
}

/** Purposes the admin endpoints look at; a purpose outside this list still counts. */
export const KNOWN_PURPOSES: readonly ThrottlePurpose[] = ['password', 'otp', 'totp', 'recovery', 'enrolment'];

/**
 * Which limit refused an attempt (for the metrics; never sent to the caller): the account's
 * failures, the address's, the OTP issuance limit, or the account's failed TOTP enrolment
 * confirmations (purpose `enrolment`).
 */
export type RefusalReason = 'account' | 'address' | 'issuance' | 'enrolment' | 'unknown';

const refusalReasons = new WeakMap<HashdError, RefusalReason>();

/** The limit behind a 429 the throttle raised, or undefined for any other error. */
export function refusalReason(error: HashdError): RefusalReason | undefined {
  return refusalReasons.get(error);
}

/** Names the limit behind a 429 raised outside the throttle (the OTP issuance limit). */
export function tagRefusal<E extends HashdError>(error: E, reason: RefusalReason): E {
  if (error.code === 'rate_limited') refusalReasons.set(error, reason);
  return error;
}

function digest(...parts: string[]): string {
  // NUL cannot occur inside a tenant name and separates the parts without ambiguity.
  return createHash('sha256').update(parts.join('\0'), 'utf8').digest('base64url').slice(0, 32);
}

export type StoreOperation = 'reserve' | 'settle' | 'inspect' | 'clear';

export interface ThrottleOptions {
  store: ThrottleStore;
  rules?: ThrottleRules;
  clock: Clock;
  /** Called when the store fails (logged without any key), with the operation that failed; optional. */
  onStoreError?: (error: unknown, operation: StoreOperation) => void;
}

const RETRY_WHEN_UNAVAILABLE = 1;

function unavailable(cause: unknown): HashdError {
  return new HashdError('throttle_unavailable', 'the attempt limiter is unavailable, retry shortly', { retryAfter: RETRY_WHEN_UNAVAILABLE, cause });
}

export function rateLimited(waitMs: number): HashdError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new HashdError('rate_limited', 'too many attempts, retry later', { retryAfter, details: { retryAfter } });
}

export function createThrottle(options: ThrottleOptions): Throttle {
  const { store, clock } = options;
  const rules = options.rules ?? DEFAULT_THROTTLE_RULES;
  const now = (): number => clock().getTime();

  const accountCounter = (tenant: string, userId: string, purpose: string): ThrottleCounter => ({
    key: `a:${digest(tenant, purpose, userId)}`,
    group: digest(tenant),
    rule: rules.account,
  });
  const addressCounter = (tenant: string, address: string): ThrottleCounter => ({ key: `i:${digest(tenant, address)}`, group: digest(tenant), rule: rules.address });

  const failClosed = async <T>(operation: StoreOperation, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      if (err instanceof HashdError) throw err;
      options.onStoreError?.(err, operation);
      throw unavailable(err);
    }
  };

  const nothingCounted: Attempt = { succeeded: async () => undefined, failed: async () => undefined, abandoned: async () => undefined };

  const begin = async (subject: AttemptSubject): Promise<Attempt> => {
    const counters: ThrottleCounter[] = [];
    const kinds: ('account' | 'address' | 'enrolment')[] = [];
    if (subject.userId !== undefined) {
      counters.push(accountCounter(subject.tenant, subject.userId, subject.purpose));
      kinds.push(subject.purpose === 'enrolment' ? 'enrolment' : 'account');
    }
    if (subject.address !== undefined) {
      counters.push(addressCounter(subject.tenant, subject.address));
      kinds.push('address');
    }
    if (counters.length === 0) return nothingCounted;
    const reserved = await failClosed('reserve', () => store.reserve(counters, now()));
    const wait = typeof reserved === 'number' ? reserved : reserved.waitMs;
    if (wait > 0) {
      const error = rateLimited(wait);
      refusalReasons.set(error, typeof reserved === 'number' ? (kinds.length === 1 ? (kinds[0] as RefusalReason) : 'unknown') : (kinds[reserved.counter] ?? 'unknown'));
      throw error;
    }
    let settled = false;
    const settle = async (settlements: Settlement[]): Promise<void> => {
      if (settled) return;
      settled = true;
      await failClosed('settle', () => store.settle(counters, settlements, now()));
    };
    return {
      // A success resets the account's failures but only releases the address's reservation.
      succeeded: () => settle(kinds.map((kind) => (kind === 'address' ? 'release' : 'reset'))),
      failed: () => settle(counters.map(() => 'failure')),
      abandoned: () => settle(counters.map(() => 'release')),
    };
  };

  return {
    kind: store.kind,
    begin,
    async guard(subject, check, isSuccess) {
      const attempt = await begin(subject);
      let result;
      try {
        result = await check();
      } catch (err) {
        // The secret was not judged (a broken stored hash, overload, a client that left): nothing
        // is counted. Should the store fail too, the original error is the one worth reporting.
        await attempt.abandoned().catch(() => undefined);
        throw err;
      }
      // The answer is only released once its outcome is counted: if the store cannot record it,
      // the caller gets 503 and learns nothing about the secret.
      if (isSuccess(result)) await attempt.succeeded();
      else await attempt.failed();
      return result;
    },
    async status(tenant, userId) {
      const at = now();
      const found: AccountStatus[] = [];
      for (const purpose of KNOWN_PURPOSES) {
        const counter = accountCounter(tenant, userId, purpose);
        const state = await failClosed('inspect', () => store.inspect(counter, at));
        if (!state) continue;
        found.push({
          purpose,
          failures: state.failures,
          locked: state.failures >= counter.rule.maxFailures,
          retryAfter: Math.ceil(state.waitMs / 1000),
        });
      }
      return found;
    },
    async clear(tenant, userId) {
      await failClosed('clear', () => store.clear(KNOWN_PURPOSES.map((purpose) => accountCounter(tenant, userId, purpose))));
    },
    async readiness() {
      try {
        await store.ping();
        return null;
      } catch {
        return `throttle store (${store.kind}) unreachable`;
      }
    },
    close: () => store.close(),
  };
}

/**
 * No limits at all, for a benchmark's baseline or a deployment that limits elsewhere; only ever
 * chosen by name (HASHD_THROTTLE_STORE=off).
 */
export function createDisabledThrottle(): Throttle {
  const attempt: Attempt = { succeeded: async () => undefined, failed: async () => undefined, abandoned: async () => undefined };
  return {
    kind: 'off',
    begin: async () => attempt,
    guard: async (_subject, check) => check(),
    status: async () => [],
    clear: async () => undefined,
    readiness: async () => null,
    close: async () => undefined,
  };
}
