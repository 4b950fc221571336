/**
 * Stored credentials: set a password, log in (with upgrade on login), delete a user. Every call
 * acts on the caller's tenant only.
 */
import { Hono, type Context } from 'hono';
import type { Repositories } from '../db/index';
import { HashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import { login } from '../store/login';
import type { AuthVariables } from './auth';
import { readJson } from './body';
import type { RouteDoc } from './openapi';
import { loginRequest, loginResponse, setPasswordRequest } from './schemas';

export interface UserRoutesDeps {
  /** The request's repositories (throws 503 database_unavailable when the database cannot serve). */
  repositories: (c: Context) => Repositories;
  crypt: CryptContext;
  maxBodyBytes: number;
}

function userIdOf(raw: string): string {
  if (raw.length < 1 || raw.length > 256) throw new HashdError('invalid_request', 'userId must be 1 to 256 characters');
  return raw;
}

export function userRoutes(deps: UserRoutesDeps): Hono<{ Variables: AuthVariables }> {
  const { repositories, crypt, maxBodyBytes } = deps;
  const app = new Hono<{ Variables: AuthVariables }>();

  app.put('/users/:userId/password', async (c) => {
    const userId = userIdOf(c.req.param('userId'));
    crypt.assertCapacity();
    const { credentials } = repositories(c);
    const body = await readJson(c, setPasswordRequest, maxBodyBytes);
    const { hash, scheme } = await crypt.hash(body.password, { signal: c.req.raw.signal });
    await credentials.set(c.get('tenant'), userId, { hash, scheme, salt: null, pgUser: null, source: 'set' });
    return c.body(null, 204);
  });

  app.delete('/users/:userId', async (c) => {
    const userId = userIdOf(c.req.param('userId'));
    await repositories(c).credentials.remove(c.get('tenant'), userId);
    return c.body(null, 204);
  });

  app.post('/login', async (c) => {
    crypt.assertCapacity();
    const repos = repositories(c);
    const body = await readJson(c, loginRequest, maxBodyBytes);
    return c.json(await login({ ...repos, crypt }, c.get('tenant'), body.userId, body.password, c.req.raw.signal));
  });

  return app;
}

const common = ['invalid_json', 'invalid_utf8', 'invalid_request', 'body_too_large', 'unauthorized', 'database_unavailable'];

export const userRouteDocs: RouteDoc[] = [
  {
    method: 'put',
    path: '/v1/users/:userId/password',
    tag: 'users',
    auth: true,
    summary: "Set a user's password (hashed with the policy default and stored)",
    request: setPasswordRequest,
    responses: { 204: { description: 'Stored' } },
    errors: [...common, 'invalid_password_encoding', 'password_too_long', 'overloaded'],
  },
  {
    method: 'post',
    path: '/v1/login',
    tag: 'users',
    auth: true,
    summary: 'Check a password against the stored hash, upgrading it when outdated',
    description:
      'A valid login whose stored hash needs a rehash replaces it by compare-and-swap on the verified hash (a password change in between wins: then `upgraded: false`). An unknown user answers like a wrong password, after the same work.',
    request: loginRequest,
    responses: { 200: { description: 'Result', schema: loginResponse } },
    errors: [...common, 'invalid_password_encoding', 'password_too_long', 'malformed_hash', 'hash_cost_exceeds_cap', 'overloaded'],
  },
  {
    method: 'delete',
    path: '/v1/users/:userId',
    tag: 'users',
    auth: true,
    summary: 'Remove everything stored for a user',
    responses: { 204: { description: 'Removed (also when nothing was stored)' } },
    errors: ['unauthorized', 'database_unavailable'],
  },
];
