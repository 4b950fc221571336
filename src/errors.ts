/**
 * One error class with a stable `code`. The code is the contract; the message is for humans and
 * never contains a secret (password, token, key). This file is the one place where codes map to
 * HTTP statuses, so a route never picks a status by hand.
 */

export const ERROR_STATUS = {
  // 400: the request itself is broken.
  invalid_json: 400,
  invalid_utf8: 400,
  invalid_request: 400,
  invalid_password_encoding: 400,
  // 401: no or wrong caller key.
  unauthorized: 401,
  // 403: the key is valid but its scope does not cover this endpoint.
  forbidden: 403,
  // 404: nothing at that path or for that id.
  not_found: 404,
  // 405: wrong method.
  method_not_allowed: 405,
  // 409: the request conflicts with stored state.
  conflict: 409,
  // 413: too large (body or password).
  body_too_large: 413,
  password_too_long: 413,
  // hardening-inputs: one import record (line) over the per-record limit; the import goes on.
  record_too_large: 413,
  // 415: a JSON endpoint called without a JSON Content-Type (or import without NDJSON/CSV).
  unsupported_media_type: 415,
  // 422: well-formed JSON, but the hash or scheme in it cannot be used.
  unknown_hash_format: 422,
  malformed_hash: 422,
  hash_cost_exceeds_cap: 422,
  scheme_not_allowed: 422,
  scheme_verify_only: 422,
  password_too_long_for_scheme: 422,
  missing_hash_input: 422,
  // 429: throttling (issue 11): too many attempts on an account or from an address; and (sessions)
  // too many codes issued for one user and purpose. Retry-After says when to try again.
  rate_limited: 429,
  // hardening-inputs: a password the scheme cannot hash faithfully (bcrypt and a NUL character).
  password_not_allowed_for_scheme: 422,
  // 422 (edge): what a Worker cannot do. The scheme or cost needs the Node service
  // (scheme_unavailable_here, naming the scheme); the endpoint runs in the CLI or the Node
  // service (unavailable_here).
  scheme_unavailable_here: 422,
  unavailable_here: 422,
  // 503: try again later.
  overloaded: 503,
  database_unavailable: 503,
  // Keys and TOTP (key ring, Fernet keys as a service, TOTP):
  // 400: DELETE /v1/keys/{name} without {"confirm": name}.
  confirmation_required: 400,
  // 410: a pending TOTP enrolment older than HASHD_TOTP_PENDING_SECONDS: enrol again.
  enrolment_expired: 410,
  // 409: export of a key created without exportable: true.
  key_not_exportable: 409,
  // 422: a Fernet token that does not authenticate or parse; one older than ttlSeconds.
  invalid_token: 422,
  token_expired: 422,
  // 503: no ring configured (HASHD_KEYS), or a stored row under a ring key id that is no longer listed.
  key_unavailable: 503,
  // Throttling (issue 11): the attempt limiter's store (Redis) cannot answer; fails closed.
  throttle_unavailable: 503,
  // 499 (nginx's convention): the client went away before hashing started; nobody reads it.
  client_closed: 499,
  // 500: a bug, never bad input.
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface HashdErrorOptions {
  /** Typed, secret-free details returned to the caller (field name, limit, scheme...). */
  details?: Record<string, unknown>;
  /** Seconds after which a 503 or 429 may be retried. */
  retryAfter?: number;
  cause?: unknown;
}

export class HashdError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, message: string, options: HashdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HashdError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    const error: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
      code: this.code,
      message: this.message,
    };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export function isHashdError(value: unknown): value is HashdError {
  return value instanceof HashdError;
}

/** Shorthand for the most common hash-string error. */
export function malformed(scheme: string, why: string): HashdError {
  return new HashdError('malformed_hash', `malformed ${scheme} hash: ${why}`, { details: { scheme } });
}
