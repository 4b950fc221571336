/**
 * The stateless password endpoints: hash, verify (with upgrade), needs-rehash, identify and the
 * effective policy. Handlers are thin: they validate the body and call the CryptContext.
 */
import { Hono } from 'hono';
import type { CryptContext } from '../hashing/crypt-context';
import type { AuthVariables } from './auth';
import { readJson } from './body';
import type { RouteDoc } from './openapi';
import {
  hashOnlyRequest,
  hashRequest,
  hashResponse,
  identifyResponse,
  needsRehashResponse,
  policyResponse,
  verifyRequest,
  verifyResponse,
} from './schemas';

export interface PasswordRoutesDeps {
  crypt: CryptContext;
  maxBodyBytes: number;
}

export function passwordRoutes(deps: PasswordRoutesDeps): Hono<{ Variables: AuthVariables }> {
  const { crypt, maxBodyBytes } = deps;
  const app = new Hono<{ Variables: AuthVariables }>();

  // Refusing before the body is read keeps an overloaded server's 503s cheap.
  app.post('/hash', async (c) => {
    crypt.assertCapacity();
    const body = await readJson(c, hashRequest, maxBodyBytes);
    const options = body.scheme === undefined ? { signal: c.req.raw.signal } : { scheme: body.scheme, signal: c.req.raw.signal };
    return c.json(await crypt.hash(body.password, options));
  });

  app.post('/verify', async (c) => {
    crypt.assertCapacity();
    const body = await readJson(c, verifyRequest, maxBodyBytes);
    const result = await crypt.verify(body.password, body.hash, {
      signal: c.req.raw.signal,
      ...(body.salt !== undefined && { salt: body.salt }),
      ...(body.user !== undefined && { user: body.user }),
    });
    return c.json(result);
  });

  app.post('/needs-rehash', async (c) => {
    const body = await readJson(c, hashOnlyRequest, maxBodyBytes);
    return c.json(crypt.needsUpdate(body.hash));
  });

  app.post('/identify', async (c) => {
    const body = await readJson(c, hashOnlyRequest, maxBodyBytes);
    return c.json(crypt.identify(body.hash));
  });

  app.get('/policy', (c) => c.json(crypt.policy));

  return app;
}

const common = ['invalid_json', 'invalid_utf8', 'invalid_request', 'body_too_large', 'unauthorized'];
const hashErrors = ['unknown_hash_format', 'malformed_hash', 'scheme_not_allowed'];

export const passwordRouteDocs: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/hash',
    tag: 'passwords',
    auth: true,
    summary: 'Hash a password under the policy default (or a named accepted scheme)',
    request: hashRequest,
    responses: { 200: { description: 'The new hash', schema: hashResponse } },
    errors: [...common, 'invalid_password_encoding', 'password_too_long', 'password_too_long_for_scheme', 'scheme_not_allowed', 'scheme_verify_only', 'overloaded'],
  },
  {
    method: 'post',
    path: '/v1/verify',
    tag: 'passwords',
    auth: true,
    summary: 'Verify a password; returns a new hash when the stored one is outdated',
    description: 'passlib verify_and_update: a wrong password is `valid: false` (200). `newHash` appears only for a valid password on a hash that needs a rehash.',
    request: verifyRequest,
    responses: { 200: { description: 'Verification result', schema: verifyResponse } },
    errors: [...common, ...hashErrors, 'hash_cost_exceeds_cap', 'invalid_password_encoding', 'password_too_long', 'missing_hash_input', 'overloaded'],
  },
  {
    method: 'post',
    path: '/v1/needs-rehash',
    tag: 'passwords',
    auth: true,
    summary: 'Tell whether a stored hash should be replaced, and why',
    request: hashOnlyRequest,
    responses: { 200: { description: 'Reasons, empty when current', schema: needsRehashResponse } },
    errors: [...common, ...hashErrors],
  },
  {
    method: 'post',
    path: '/v1/identify',
    tag: 'passwords',
    auth: true,
    summary: 'Identify the scheme of a hash string and its parameters',
    request: hashOnlyRequest,
    responses: { 200: { description: 'Scheme and parameters', schema: identifyResponse } },
    errors: [...common, ...hashErrors],
  },
  {
    method: 'get',
    path: '/v1/policy',
    tag: 'passwords',
    auth: true,
    summary: 'The effective policy',
    responses: { 200: { description: 'The policy in force', schema: policyResponse } },
    errors: ['unauthorized'],
  },
];
