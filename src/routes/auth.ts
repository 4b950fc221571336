/**
 * Caller authentication by API key. Keys are configured as SHA-256 digests; a presented key is
 * hashed and compared with every configured digest in constant time (all of them, without an
 * early exit), and the matching entry names the caller's tenant. With no keys configured the
 * service is in dev mode and every caller is the default tenant (config.ts keeps dev mode on
 * loopback unless HASHD_ALLOW_INSECURE=1).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiKeyEntry } from '../config';
import { DEFAULT_TENANT } from '../config';
import { HashdError } from '../errors';

export interface AuthVariables {
  tenant: string;
}

export function findTenant(keys: readonly ApiKeyEntry[], presented: string): string | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let tenant: string | undefined;
  for (const entry of keys) {
    if (timingSafeEqual(digest, entry.digest) && tenant === undefined) tenant = entry.tenant;
  }
  return tenant;
}

export function apiKeyAuth(keys: readonly ApiKeyEntry[]): MiddlewareHandler<{ Variables: AuthVariables }> {
  const list = [...keys];
  return async function apiKeyAuthMiddleware(c, next) {
    if (list.length === 0) {
      c.set('tenant', DEFAULT_TENANT);
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    const tenant = match ? findTenant(list, match[1] as string) : undefined;
    if (tenant === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="hashd"');
      throw new HashdError('unauthorized', 'a valid API key is required: Authorization: Bearer <key>');
    }
    c.set('tenant', tenant);
    return next();
  };
}
