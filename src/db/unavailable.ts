/**
 * Tells "the database cannot be reached right now" apart from every other database error, so
 * that the HTTP layer answers 503 `database_unavailable` with Retry-After (the caller should try
 * again, a login must not be reported as failed) instead of a 500 that means a bug.
 *
 * Errors arrive wrapped: drizzle wraps driver errors in a `DrizzleQueryError` whose `cause` is
 * the driver's error, and Node reports a refused connection to a host with several addresses as
 * an `AggregateError`. The check therefore walks `cause` and `errors` and matches on codes, never
 * on the wording of a message, except for PGlite which has no code for a closed database.
 */

/** Node socket errors and the `postgres` driver's own connection error codes. */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATEs outside class 08 (connection exception) that also mean "try again later": the
 * server is shutting down or starting (57P01-57P03), has no free connection slot (53300), or a
 * statement ran into the server's statement timeout (57014) because the server is overloaded.
 */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/**
 * Workers' sockets (cloudflare:sockets, under postgres.js' workerd build) fail with a bare Error
 * that has no code, so these are matched by message: a refused or unroutable address, and a
 * connection that dropped.
 */
const WORKERD_SOCKET_MESSAGES: readonly RegExp[] = [/^proxy request failed/, /^Network connection lost/, /^Stream was cancelled/];

/** Deep enough for drizzle's wrapper around an AggregateError around socket errors. */
const MAX_DEPTH = 6;

export function isDatabaseUnavailable(err: unknown): boolean {
  return check(err, 0, new Set());
}

function check(err: unknown, depth: number, seen: Set<unknown>): boolean {
  if (depth > MAX_DEPTH || typeof err !== 'object' || err === null || seen.has(err)) return false;
  seen.add(err);
  const { code, message, cause, errors } = err as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message === 'string' && (message === 'PGlite is closed' || WORKERD_SOCKET_MESSAGES.some((m) => m.test(message)))) return true;
  if (check(cause, depth + 1, seen)) return true;
  if (Array.isArray(errors)) return errors.some((e) => check(e, depth + 1, seen));
  return false;
}
