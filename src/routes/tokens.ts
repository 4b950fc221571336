/**
 * The stateless token helpers: a random token with its SHA-256 digest (for the caller's own API
 * keys or reset links), the constant-time check of a token against a stored digest, and a
 * uniform numeric code. Nothing is stored; the caller keeps the digest.
 */
import { z } from 'zod';
import type { RandomBytes } from '../clock';
import { fromHex } from '../hashing/encoding';
import { equalBytes } from '../hashing/compare';
import { randomDigits, randomToken, sha256, sha256Hex } from '../sessions/random';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { JSON_BODY_ERRORS } from './passwords';

export interface TokenRoutesDeps {
  random: RandomBytes;
  maxBodyBytes: number;
}

export const TOKEN_BYTES = { min: 16, max: 64, default: 32 } as const;
export const CODE_DIGITS = { min: 6, max: 10, default: 6 } as const;

export const tokenRequest = z
  .strictObject({
    bytes: z
      .number()
      .int()
      .min(TOKEN_BYTES.min)
      .max(TOKEN_BYTES.max)
      .optional()
      .meta({ description: `Random bytes in the token (${TOKEN_BYTES.min}..${TOKEN_BYTES.max}, default ${TOKEN_BYTES.default}).` }),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,16}$/, 'up to 16 characters of A-Z, a-z, 0-9 and _')
      .optional()
      .meta({ description: 'A readable prefix written in front of the random part, such as `sk_live_`.' }),
  })
  .meta({ id: 'TokenRequest' });

export const tokenResponse = z
  .object({
    token: z.string().meta({ description: 'prefix + unpadded base64url of the random bytes. Give it out; do not store it.' }),
    digest: z.string().meta({ description: 'Hex SHA-256 of the whole token string: store this.' }),
  })
  .meta({ id: 'TokenResponse' });

export const tokenVerifyRequest = z
  .strictObject({
    token: z.string().max(1024),
    digest: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (SHA-256)'),
  })
  .meta({ id: 'TokenVerifyRequest' });

export const tokenVerifyResponse = z.object({ valid: z.boolean() }).meta({ id: 'TokenVerifyResponse' });

export const codeRequest = z
  .strictObject({
    digits: z
      .number()
      .int()
      .min(CODE_DIGITS.min)
      .max(CODE_DIGITS.max)
      .optional()
      .meta({ description: `Number of digits (${CODE_DIGITS.min}..${CODE_DIGITS.max}, default ${CODE_DIGITS.default}).` }),
  })
  .meta({ id: 'CodeRequest' });

export const codeResponse = z.object({ code: z.string() }).meta({ id: 'CodeResponse' });

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const jsonRequest = <S>(schema: S, required = true) => ({ required, content: { 'application/json': { schema } } });

export const tokenRoute = defineRoute({
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'A random token and the SHA-256 digest to store for it',
  description: 'The body is optional (defaults: 32 bytes, no prefix).',
  request: { body: jsonRequest(tokenRequest, false) },
  responses: { 200: json(tokenResponse, 'The token and its digest') },
  errors: JSON_BODY_ERRORS,
});

export const tokenVerifyRoute = defineRoute({
  method: 'post',
  path: '/tokens/verify',
  tags: ['tokens'],
  summary: 'Check a token against a stored SHA-256 digest (constant time)',
  request: { body: jsonRequest(tokenVerifyRequest) },
  responses: { 200: json(tokenVerifyResponse, 'Whether SHA-256(token) equals the digest') },
  errors: JSON_BODY_ERRORS,
});

export const codeRoute = defineRoute({
  method: 'post',
  path: '/otp/generate',
  tags: ['tokens'],
  summary: 'A uniform random numeric code (nothing stored; see POST /v1/otp for stored codes)',
  description: 'The body is optional (default: 6 digits).',
  request: { body: jsonRequest(codeRequest, false) },
  responses: { 200: json(codeResponse, 'The code') },
  errors: JSON_BODY_ERRORS,
});

export function tokenRoutes(deps: TokenRoutesDeps) {
  const { random, maxBodyBytes } = deps;
  const optionalBody = [jsonBody(maxBodyBytes, { optional: true })];
  return createRouter()
    .openapi({ ...tokenRoute, middleware: optionalBody }, (c) => {
      const body = c.req.valid('json');
      const token = `${body.prefix ?? ''}${randomToken(random, body.bytes ?? TOKEN_BYTES.default)}`;
      return c.json({ token, digest: sha256Hex(token) }, 200);
    })
    .openapi({ ...tokenVerifyRoute, middleware: [jsonBody(maxBodyBytes)] }, (c) => {
      const body = c.req.valid('json');
      // The schema admits exactly 64 hex characters, so both sides are 32 bytes here.
      const stored = fromHex(body.digest) as Uint8Array;
      return c.json({ valid: equalBytes(sha256(body.token), stored) }, 200);
    })
    .openapi({ ...codeRoute, middleware: optionalBody }, (c) => {
      const body = c.req.valid('json');
      return c.json({ code: randomDigits(random, body.digits ?? CODE_DIGITS.default) }, 200);
    });
}
