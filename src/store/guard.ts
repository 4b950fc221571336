/**
 * Database failures become typed errors here, once, for every repository call: a
 * connection-level failure is `database_unavailable` (503 with Retry-After, never a failed
 * login), anything else is an internal error whose message is dropped, because drivers put query
 * parameters (hashes, salts) into their messages and those must not reach a log line or a
 * response.
 */
import type { Repositories } from '../db/index';
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

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * The same repository with every failure translated, whatever a method returns: a thrown error,
 * a rejected promise, or an async iterable that fails at any step.
 */
export function guardRepository<T extends object>(repository: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(repository)) {
    if (typeof value !== 'function') {
      guarded[name] = value;
      continue;
    }
    const method = value as (...args: unknown[]) => unknown;
    guarded[name] = (...args: unknown[]): unknown => {
      let result: unknown;
      try {
        result = method.apply(repository, args);
      } catch (err) {
        throw translateDatabaseError(err);
      }
      if (isPromiseLike(result)) {
        return Promise.resolve(result).catch((err: unknown) => {
          throw translateDatabaseError(err);
        });
      }
      if (isAsyncIterable(result)) return guardIterable(result);
      return result;
    };
  }
  return guarded as T;
}

/** Every repository of the record guarded (see guardRepository). */
export function guardRepositories<R extends Repositories>(repositories: R): R {
  const guarded: Record<string, unknown> = {};
  for (const [name, repository] of Object.entries(repositories)) guarded[name] = guardRepository(repository as object);
  return guarded as R;
}

async function* guardIterable<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  try {
    yield* source;
  } catch (err) {
    throw translateDatabaseError(err);
  }
}
