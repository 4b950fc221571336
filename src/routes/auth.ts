/**
 * Caller authentication by API key. Keys are configured as SHA-256 digests; a presented key is
 * hashed and compared with every configured digest in constant time (all of them, without an
 * early exit), and the matching entry names the caller's tenant. With no keys configured the
 * service is in dev mode and every caller is the default tenant with the admin scope (config.ts
 * keeps dev mode on loopback unless HASHD_ALLOW_INSECURE=1).
 *
 * Scopes: `requireScope('admin')` guards the operator's routes; a service key gets 403
 * `forbidden` there. The admin scope includes the service scope.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { ApiKeyEntry, KeyScope } from '../config';
import { DEFAULT_TENANT } from '../config';
import { HashdError } from '../errors';
import { sha256 } from '../sessions/random';
import { gate } from './gate';

export interface AuthVariables {
  tenant: string;
  scope: KeyScope;
}

export interface Caller {
  tenant: string;
  scope: KeyScope;
}

/** The entry whose digest matches the presented key; every entry is compared, no early exit. */
export function findCaller(keys: readonly ApiKeyEntry[], presented: string): Caller | undefined {
  const digest = sha256(presented);
  let caller: Caller | undefined;
  for (const entry of keys) {
    if (timingSafeEqual(digest, entry.digest) && caller === undefined) caller = { tenant: entry.tenant, scope: entry.scope };
  }
  return caller;
}

export function findTenant(keys: readonly ApiKeyEntry[], presented: string): string | undefined {
  return findCaller(keys, presented)?.tenant;
}

const SCOPE_RANK: Record<KeyScope, number> = { service: 0, admin: 1 };

/** Refuses callers whose key lacks `scope` with 403 `forbidden`. Use after apiKeyAuth. */
export function requireScope(scope: KeyScope): MiddlewareHandler<{ Variables: AuthVariables }> {
  return gate((c) => {
    if (SCOPE_RANK[c.get('scope') as KeyScope] < SCOPE_RANK[scope]) {
      throw new HashdError('forbidden', `this endpoint needs a key with the ${scope} scope`, { details: { scope } });
    }
  }) as MiddlewareHandler<{ Variables: AuthVariables }>;
}

/**
 * `certificateCaller` (mutual TLS, src/tls/server.ts): the caller named by the request's verified
 * client certificate, used when the request carries no Authorization header. With it, an empty
 * key list is not dev mode: a caller needs a mapped certificate or a key.
 */
export function apiKeyAuth(keys: readonly ApiKeyEntry[], certificateCaller?: (c: Context) => Caller | undefined): MiddlewareHandler<{ Variables: AuthVariables }> {
  const list = [...keys];
  // Not async: every path either throws or hands on next()'s promise, so an async frame (and
  // its promise) per request would buy nothing. Hono's dispatch catches a synchronous throw.
  return function apiKeyAuthMiddleware(c, next) {
    if (certificateCaller && c.req.header('authorization') === undefined) {
      const caller = certificateCaller(c);
      if (caller) {
        c.set('tenant', caller.tenant);
        c.set('scope', caller.scope);
        return next();
      }
    }
    if (list.length === 0 && !certificateCaller) {
      c.set('tenant', DEFAULT_TENANT);
      c.set('scope', 'admin');
      return next();
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    const caller = match ? findCaller(list, match[1] as string) : undefined;
    if (caller === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="hashd"');
      throw new HashdError('unauthorized', 'a valid API key is required: Authorization: Bearer <key>');
    }
    c.set('tenant', caller.tenant);
    c.set('scope', caller.scope);
    return next();
  };
}
