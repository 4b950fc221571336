/**
 * Defaults and bounds of sessions and one-time codes. The configuration (config.ts) reads them
 * from the environment; routes check per-request values against them; tests use the defaults.
 */

export interface SessionSettings {
  /** Lifetime of a session when the request names none. */
  defaultTtlSeconds: number;
  /** Longest lifetime a request may ask for. */
  maxTtlSeconds: number;
  /** Idle timeout when the request names none; 0: no idle timeout unless asked for. */
  defaultIdleSeconds: number;
}

export interface OtpSettings {
  /** Lifetime of a code when the request names none. */
  defaultTtlSeconds: number;
  /** Longest lifetime a request may ask for. */
  maxTtlSeconds: number;
  /** Wrong answers a code takes before it is dead. */
  attempts: number;
  /** Codes per user and purpose within `issueWindowSeconds`. */
  issueLimit: number;
  issueWindowSeconds: number;
}

export interface PurgeSettings {
  /** Seconds between runs of the purge job; 0: never (run `hashd purge` yourself). */
  intervalSeconds: number;
  /** Rows deleted per statement. */
  batchSize: number;
}

/** Shortest lifetime of a session, and shortest idle timeout (well above the minute the slide is written at). */
export const SESSION_MIN_TTL_SECONDS = 60;
export const SESSION_MIN_IDLE_SECONDS = 300;
/** A used session's idle expiry is written at most this often. */
export const IDLE_SLIDE_INTERVAL_MS = 60_000;
/** Largest JSON text of a session's metadata. */
export const SESSION_METADATA_MAX_BYTES = 2048;
export const OTP_MIN_TTL_SECONDS = 30;

export const DEFAULT_SESSION_SETTINGS: SessionSettings = Object.freeze({
  defaultTtlSeconds: 7 * 86_400,
  maxTtlSeconds: 30 * 86_400,
  defaultIdleSeconds: 86_400,
});

export const DEFAULT_OTP_SETTINGS: OtpSettings = Object.freeze({
  defaultTtlSeconds: 600,
  maxTtlSeconds: 3600,
  attempts: 5,
  issueLimit: 5,
  issueWindowSeconds: 900,
});

export const DEFAULT_PURGE_SETTINGS: PurgeSettings = Object.freeze({ intervalSeconds: 300, batchSize: 1000 });
