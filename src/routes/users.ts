/**
 * Stored credentials: set a password, log in (with upgrade on login), delete a user. Every call
 * acts on the caller's tenant only.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Clock, RandomBytes } from '../clock';
import type { Repositories } from '../db/index';
import { HashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import { createSession } from '../sessions/sessions';
import type { SessionSettings } from '../sessions/settings';
import type { Logger } from '../logger';
import { login, type LoginTimes } from '../store/login';
import { normaliseAddress, type ClientAddress } from '../throttle/address';
import type { Throttle } from '../throttle/throttle';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { capacityGate, JSON_BODY_ERRORS } from './passwords';
import { loginRequest, loginResponse, setPasswordRequest, userIdField } from './schemas';
import { createdSessionSchema, resolveSessionOptions, sessionOptions, sessionView } from './sessions';
import { gate } from './gate';

export interface UserRoutesDeps {
  /** The request's repositories (throws 503 database_unavailable when the database cannot serve). */
  repositories: (c: Context) => Repositories;
  crypt: CryptContext;
  maxBodyBytes: number;
  clock: Clock;
  random: RandomBytes;
  sessionSettings: SessionSettings;
  /** Where login reports stored hashes it cannot use and upgrades it had to skip. */
  logger?: Logger;
  /** Limits failed logins per account and per client address (throttle/throttle.ts). */
  throttle: Throttle;
  /** The request's client address when the body names none (the entry's; undefined: unknown). */
  clientAddress?: ClientAddress | undefined;
  /** Batched last-login writes off the response path (store/login.ts); unset: each login writes its own. */
  loginTimes?: LoginTimes | undefined;
}

/** The address the per-address limit counts: the body's `clientIp`, else the entry's, normalised. */
export function attemptAddress(c: Context, clientIp: string | undefined, clientAddress: ClientAddress | undefined): string | undefined {
  return normaliseAddress(clientIp ?? clientAddress?.(c));
}

/** Asks for the request's repositories first, so an unavailable database answers before the body is read. */
export function databaseGate(repositories: (c: Context) => Repositories): MiddlewareHandler {
  return gate((c) => {
    repositories(c);
  });
}

/**
 * Refuses a path whose percent-encoding is not UTF-8 (`%ED%A0%80`, a lone surrogate, or `%zz`).
 * Hono keeps such a segment undecoded, which is also what `%25ED%25A0%2580` decodes to: two
 * different paths would name one user. Runs before anything else of the route.
 */
export const strictPathEncoding: MiddlewareHandler = gate((c) => {
  try {
    decodeURIComponent(new URL(c.req.url).pathname);
  } catch {
    throw new HashdError('invalid_request', 'the path is not valid percent-encoded UTF-8');
  }
});

const userParams = z.object({ userId: userIdField });

/**
 * Sessions at the route layer (the sessions work): a password change revokes the user's sessions
 * unless asked not to, and a valid login can start a session. The caller cannot hand in a token
 * to adopt (the bodies are strict objects): a login session is always a fresh one.
 */
const setPasswordWithSessions = setPasswordRequest
  .extend({ keepSessions: z.boolean().optional().meta({ description: "Keep the user's sessions (default: a password change revokes them all)." }) })
  .meta({ id: 'SetPasswordRequest' });

const loginWithSession = loginRequest
  .extend({ session: z.boolean().optional().meta({ description: 'Start a session when the password is valid.' }), ...sessionOptions })
  .meta({ id: 'LoginRequest' });

const loginWithSessionResponse = loginResponse
  .extend({ session: createdSessionSchema.optional().meta({ description: 'Present when `session: true` was asked and the password is valid.' }) })
  .meta({ id: 'LoginResponse' });

export const setPasswordRoute = defineRoute({
  method: 'put',
  path: '/users/{userId}/password',
  tags: ['users'],
  summary: "Set a user's password (hashed with the policy default and stored)",
  description: "Revokes every session of the user unless the body says `keepSessions: true`.",
  request: { params: userParams, body: { required: true, content: { 'application/json': { schema: setPasswordWithSessions } } } },
  responses: { 204: { description: 'Stored' } },
  errors: [...JSON_BODY_ERRORS, 'invalid_password_encoding', 'password_too_long', 'overloaded', 'database_unavailable'],
});

export const loginRoute = defineRoute({
  method: 'post',
  path: '/login',
  tags: ['users'],
  summary: 'Check a password against the stored hash, upgrading it when outdated',
  description:
    'A valid login whose stored hash needs a rehash replaces it by compare-and-swap on the verified hash (a password change in between wins: then `upgraded: false`). ' +
    'Every login costs at least one verify at the policy default, whoever the user is: an unknown user, a weak legacy hash (right or wrong password) and a default hash answer after the same work. ' +
    'A stored hash that cannot be used (a scheme the policy no longer accepts, malformed, costs above the caps, a locked-account marker) answers `valid: false` like a wrong password; the operator sees it in the logs and the inventory. ' +
    'A valid login never fails because of its upgrade: when the new hash is refused (overload) or its write fails, the answer is `valid: true, upgraded: false` and the next login upgrades. ' +
    'Failed logins are limited per account and per client address (`clientIp`, else the TCP peer): past the limits the answer is 429 `rate_limited` with `Retry-After`, whether or not the password is right.',
  request: { body: { required: true, content: { 'application/json': { schema: loginWithSession } } } },
  responses: { 200: { description: 'Result', content: { 'application/json': { schema: loginWithSessionResponse } } } },
  errors: [
    ...JSON_BODY_ERRORS,
    'invalid_password_encoding',
    'password_too_long',
    'overloaded',
    'database_unavailable',
    'rate_limited',
    'throttle_unavailable',
  ],
});

export const deleteUserRoute = defineRoute({
  method: 'delete',
  path: '/users/{userId}',
  tags: ['users'],
  summary: 'Remove everything stored for a user (credential, sessions, one-time codes)',
  request: { params: userParams },
  responses: { 204: { description: 'Removed (also when nothing was stored)' } },
  errors: ['unauthorized', 'invalid_request', 'database_unavailable'],
});

export function userRoutes(deps: UserRoutesDeps) {
  const { repositories, crypt, maxBodyBytes, clock, random, sessionSettings, logger, throttle } = deps;
  const database = databaseGate(repositories);
  return createRouter()
    .openapi({ ...setPasswordRoute, middleware: [strictPathEncoding, capacityGate(crypt), database, jsonBody(maxBodyBytes)] }, async (c) => {
      const { userId } = c.req.valid('param');
      const body = c.req.valid('json');
      const { hash, scheme } = await crypt.hash(body.password, { signal: c.req.raw.signal });
      const repos = repositories(c);
      await repos.credentials.set(c.get('tenant'), userId, { hash, scheme, salt: null, pgUser: null, source: 'set' });
      // After the new hash is in: a session made with the old password before this point is
      // revoked. If the revoke fails the call fails (503) and a retry revokes.
      if (body.keepSessions !== true) await repos.sessions.revokeUser(c.get('tenant'), userId);
      return c.body(null, 204);
    })
    .openapi({ ...deleteUserRoute, middleware: [strictPathEncoding, database] }, async (c) => {
      const repos = repositories(c);
      const tenant = c.get('tenant');
      const { userId } = c.req.valid('param');
      // Sessions and codes first: a failure half-way leaves a user who can still log in again,
      // never a live session of a deleted user.
      await repos.sessions.revokeUser(tenant, userId);
      await repos.otp.removeUser(tenant, userId);
      // Keys and TOTP: the user's TOTP and recovery codes go with the user.
      await repos.totp.remove(tenant, userId);
      await repos.credentials.remove(tenant, userId);
      return c.body(null, 204);
    })
    .openapi({ ...loginRoute, middleware: [capacityGate(crypt), database, jsonBody(maxBodyBytes)] }, async (c) => {
      const body = c.req.valid('json');
      // Bounds first, so a bad session option is a 400 before any hashing.
      const options = body.session === true ? resolveSessionOptions(sessionSettings, body) : undefined;
      const repos = repositories(c);
      const tenant = c.get('tenant');
      // Reserved before the password is checked, settled after: a burst cannot overrun the limit,
      // and a locked account is refused before any work, whatever the password.
      const subject = { tenant, userId: body.userId, purpose: 'password', address: attemptAddress(c, body.clientIp, deps.clientAddress) };
      const result = await throttle.guard(subject, () => login({ ...repos, crypt, ...(logger && { logger }), ...(deps.loginTimes && { loginTimes: deps.loginTimes }) }, tenant, body.userId, body.password, c.req.raw.signal), (r) => r.valid);
      if (!result.valid || options === undefined) return c.json(result, 200);
      const session = await createSession({ sessions: repos.sessions, clock, random }, tenant, { userId: body.userId, ...options });
      return c.json({ ...result, session: sessionView(session) }, 200);
    });
}
