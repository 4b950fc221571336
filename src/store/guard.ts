/**
 * Database failures become typed errors here, once, for every store call: a connection-level
 * failure is `database_unavailable` (503 with Retry-After, never a failed login), anything else
 * is an internal error whose message is dropped, because drivers put query parameters (hashes,
 * salts) into their messages and those must not reach a log line or a response.
 */
import type { CredentialStore } from '../db/index';
import { isDatabaseUnavailable } from '../db/index';
import { HashdError } from '../errors';

export function translateDatabaseError(err: unknown): Error {
  if (err instanceof HashdError) return err;
  if (isDatabaseUnavailable(err)) {
    return new HashdError('database_unavailable', 'the database is unavailable, retry shortly', { retryAfter: 1 });
  }
  const code = (err as { code?: unknown })?.code;
  const safe = new Error(`database error${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`);
  safe.name = 'DatabaseError';
  return safe;
}

/** The same store, with every failure translated. Async iterables are guarded per step. */
export function guardStore(store: CredentialStore): CredentialStore {
  const guarded = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(store) as [string, (...args: unknown[]) => unknown][]) {
    if (name === 'exportRows') {
      guarded[name] = (...args: unknown[]) => guardIterable(fn(...args) as AsyncIterable<unknown>);
      continue;
    }
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw translateDatabaseError(err);
      }
    };
  }
  return guarded as unknown as CredentialStore;
}

async function* guardIterable<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* source;
  } catch (err) {
    throw translateDatabaseError(err);
  }
}
