/**
 * Stored credentials: set a password, log in (with upgrade on login), delete a user. Every call
 * acts on the caller's tenant only.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Repositories } from '../db/index';
import type { CryptContext } from '../hashing/crypt-context';
import type { Logger } from '../logger';
import { login } from '../store/login';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { capacityGate, JSON_BODY_ERRORS } from './passwords';
import { loginRequest, loginResponse, setPasswordRequest, userIdField } from './schemas';

export interface UserRoutesDeps {
  /** The request's repositories (throws 503 database_unavailable when the database cannot serve). */
  repositories: (c: Context) => Repositories;
  crypt: CryptContext;
  maxBodyBytes: number;
  /** Where login reports stored hashes it cannot use and upgrades it had to skip. */
  logger?: Logger;
}

/** Asks for the request's repositories first, so an unavailable database answers before the body is read. */
export function databaseGate(repositories: (c: Context) => Repositories): MiddlewareHandler {
  return async function databaseGateMiddleware(c, next) {
    repositories(c);
    await next();
  };
}

const userParams = z.object({ userId: userIdField });

export const setPasswordRoute = defineRoute({
  method: 'put',
  path: '/users/{userId}/password',
  tags: ['users'],
  summary: "Set a user's password (hashed with the policy default and stored)",
  request: { params: userParams, body: { required: true, content: { 'application/json': { schema: setPasswordRequest } } } },
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
    'A valid login never fails because of its upgrade: when the new hash is refused (overload) or its write fails, the answer is `valid: true, upgraded: false` and the next login upgrades.',
  request: { body: { required: true, content: { 'application/json': { schema: loginRequest } } } },
  responses: { 200: { description: 'Result', content: { 'application/json': { schema: loginResponse } } } },
  errors: [
    ...JSON_BODY_ERRORS,
    'invalid_password_encoding',
    'password_too_long',
    'overloaded',
    'database_unavailable',
  ],
});

export const deleteUserRoute = defineRoute({
  method: 'delete',
  path: '/users/{userId}',
  tags: ['users'],
  summary: 'Remove everything stored for a user',
  request: { params: userParams },
  responses: { 204: { description: 'Removed (also when nothing was stored)' } },
  errors: ['unauthorized', 'invalid_request', 'database_unavailable'],
});

export function userRoutes(deps: UserRoutesDeps) {
  const { repositories, crypt, maxBodyBytes, logger } = deps;
  const database = databaseGate(repositories);
  return createRouter()
    .openapi({ ...setPasswordRoute, middleware: [capacityGate(crypt), database, jsonBody(maxBodyBytes)] }, async (c) => {
      const { userId } = c.req.valid('param');
      const { hash, scheme } = await crypt.hash(c.req.valid('json').password, { signal: c.req.raw.signal });
      await repositories(c).credentials.set(c.get('tenant'), userId, { hash, scheme, salt: null, pgUser: null, source: 'set' });
      return c.body(null, 204);
    })
    .openapi({ ...deleteUserRoute, middleware: [database] }, async (c) => {
      await repositories(c).credentials.remove(c.get('tenant'), c.req.valid('param').userId);
      // Keys and TOTP: the user's TOTP and recovery codes go with the user.
      await repositories(c).totp.remove(c.get('tenant'), c.req.valid('param').userId);
      return c.body(null, 204);
    })
    .openapi({ ...loginRoute, middleware: [capacityGate(crypt), database, jsonBody(maxBodyBytes)] }, async (c) => {
      const body = c.req.valid('json');
      return c.json(await login({ ...repositories(c), crypt, ...(logger && { logger }) }, c.get('tenant'), body.userId, body.password, c.req.raw.signal), 200);
    });
}
