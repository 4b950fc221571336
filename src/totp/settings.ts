/**
 * TOTP settings. A pending enrolment (a seed shown to the user, not yet confirmed with a first
 * code) is confirmable for `pendingSeconds` after it was made; later, confirm answers 410
 * `enrolment_expired` and the purge job removes the stale seed. The bound keeps a seed that was
 * shown on a screen (or in a log of someone's proxy) from becoming active days later.
 */
export interface TotpSettings {
  /** Seconds a pending enrolment can be confirmed (HASHD_TOTP_PENDING_SECONDS). */
  pendingSeconds: number;
}

export const TOTP_PENDING_MIN_SECONDS = 60;
export const TOTP_PENDING_MAX_SECONDS = 86_400;
export const DEFAULT_TOTP_SETTINGS: TotpSettings = Object.freeze({ pendingSeconds: 600 });
