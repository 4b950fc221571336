/**
 * The stateless password endpoints: hash, verify (with upgrade), needs-rehash, identify and the
 * effective policy. Handlers are thin: the route declaration validates the body, the handler
 * calls the CryptContext.
 */
import type { MiddlewareHandler } from 'hono';
import type { ErrorCode } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
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
import { gate } from './gate';

export interface PasswordRoutesDeps {
  crypt: CryptContext;
  maxBodyBytes: number;
}

/** The codes every route with a JSON body can answer, before its own. */
export const JSON_BODY_ERRORS: readonly ErrorCode[] = ['unauthorized', 'unsupported_media_type', 'body_too_large', 'invalid_utf8', 'invalid_json', 'invalid_request'];
const HASH_ERRORS: readonly ErrorCode[] = ['unknown_hash_format', 'malformed_hash', 'scheme_not_allowed'];

/** Refuses before the body is read when every hashing slot and queue place is taken (503). */
export function capacityGate(crypt: CryptContext): MiddlewareHandler {
  return gate(() => {
    crypt.assertCapacity();
  });
}

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const jsonRequest = <S>(schema: S) => ({ required: true, content: { 'application/json': { schema } } });

export const hashRoute = defineRoute({
  method: 'post',
  path: '/hash',
  tags: ['passwords'],
  summary: 'Hash a password under the policy default (or a named accepted scheme)',
  request: { body: jsonRequest(hashRequest) },
  responses: { 200: json(hashResponse, 'The new hash') },
  errors: [...JSON_BODY_ERRORS, 'invalid_password_encoding', 'password_too_long', 'password_too_long_for_scheme', 'password_not_allowed_for_scheme', 'scheme_not_allowed', 'scheme_verify_only', 'overloaded'],
});

export const verifyRoute = defineRoute({
  method: 'post',
  path: '/verify',
  tags: ['passwords'],
  summary: 'Verify a password; returns a new hash when the stored one is outdated',
  description: 'passlib verify_and_update: a wrong password is `valid: false` (200). `newHash` appears only for a valid password on a hash that needs a rehash.',
  request: { body: jsonRequest(verifyRequest) },
  responses: { 200: json(verifyResponse, 'Verification result') },
  errors: [...JSON_BODY_ERRORS, ...HASH_ERRORS, 'hash_cost_exceeds_cap', 'invalid_password_encoding', 'password_too_long', 'missing_hash_input', 'overloaded'],
});

export const needsRehashRoute = defineRoute({
  method: 'post',
  path: '/needs-rehash',
  tags: ['passwords'],
  summary: 'Tell whether a stored hash should be replaced, and why',
  request: { body: jsonRequest(hashOnlyRequest) },
  responses: { 200: json(needsRehashResponse, 'Reasons, empty when current') },
  errors: [...JSON_BODY_ERRORS, ...HASH_ERRORS],
});

export const identifyRoute = defineRoute({
  method: 'post',
  path: '/identify',
  tags: ['passwords'],
  summary: 'Identify the scheme of a hash string and its parameters',
  request: { body: jsonRequest(hashOnlyRequest) },
  responses: { 200: json(identifyResponse, 'Scheme and parameters') },
  errors: [...JSON_BODY_ERRORS, ...HASH_ERRORS],
});

export const policyRoute = defineRoute({
  method: 'get',
  path: '/policy',
  tags: ['passwords'],
  summary: 'The effective policy',
  responses: { 200: json(policyResponse, 'The policy in force') },
  errors: ['unauthorized'],
});

export function passwordRoutes(deps: PasswordRoutesDeps) {
  const { crypt, maxBodyBytes } = deps;
  // Refusing before the body is read keeps an overloaded server's 503s cheap.
  const hashing = [capacityGate(crypt), jsonBody(maxBodyBytes)];
  const parsing = [jsonBody(maxBodyBytes)];
  return createRouter()
    .openapi({ ...hashRoute, middleware: hashing }, async (c) => {
      const body = c.req.valid('json');
      const options = body.scheme === undefined ? { signal: c.req.raw.signal } : { scheme: body.scheme, signal: c.req.raw.signal };
      return c.json(await crypt.hash(body.password, options), 200);
    })
    .openapi({ ...verifyRoute, middleware: hashing }, async (c) => {
      const body = c.req.valid('json');
      const result = await crypt.verify(body.password, body.hash, {
        signal: c.req.raw.signal,
        ...(body.salt !== undefined && { salt: body.salt }),
        ...(body.user !== undefined && { user: body.user }),
      });
      return c.json(result, 200);
    })
    .openapi({ ...needsRehashRoute, middleware: parsing }, (c) => c.json(crypt.needsUpdate(c.req.valid('json').hash), 200))
    .openapi({ ...identifyRoute, middleware: parsing }, (c) => c.json(crypt.identify(c.req.valid('json').hash), 200))
    .openapi(policyRoute, (c) => c.json(crypt.policy as unknown as Record<string, unknown>, 200));
}
