/**
 * The repository guard: every failure of any repository method, whether it throws, rejects or
 * fails while an async iterable is being read, becomes a typed error without the driver's
 * message (drivers quote query parameters: hashes, salts).
 */
import { describe, expect, it } from 'vitest';
import { HashdError } from '../../src/errors';
import { guardRepositories, guardRepository } from '../../src/store/guard';

/** An error shaped like a refused connection, its message quoting a secret as drivers do. */
function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED while inserting $1$secret-hash'), { code: 'ECONNREFUSED' });
}

function broken(): Error {
  return Object.assign(new Error('duplicate key value (user_id)=(alice) hash=$1$secret-hash'), { code: '23505' });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const example = {
  async ok(n: number): Promise<number> {
    return n * 2;
  },
  async rejects(): Promise<void> {
    throw refused();
  },
  throws(): Promise<void> {
    throw broken();
  },
  async *rows(failAfter: number): AsyncGenerator<number> {
    for (let i = 0; ; i++) {
      if (i === failAfter) throw refused();
      yield i;
    }
  },
  plain: 42,
};

describe('guardRepository', () => {
  const guarded = guardRepository(example);

  it('passes results through unchanged', async () => {
    await expect(guarded.ok(21)).resolves.toBe(42);
    expect(guarded.plain).toBe(42);
    await expect(collect(guarded.rows(3)).catch(() => 'failed')).resolves.toBe('failed');
  });

  it('turns a rejected connection into 503 database_unavailable with Retry-After', async () => {
    const err = await guarded.rejects().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HashdError);
    expect(err).toMatchObject({ code: 'database_unavailable', status: 503, retryAfter: 1 });
  });

  it('drops the message of any other error, also when the method throws synchronously', async () => {
    const err = (await Promise.resolve()
      .then(() => guarded.throws())
      .catch((e: unknown) => e)) as Error;
    expect(err).not.toBeInstanceOf(HashdError);
    expect(err.name).toBe('DatabaseError');
    expect(err.message).toBe('database error (SQLSTATE 23505)');
    expect(err.message).not.toContain('secret');
  });

  it('guards an async iterable at every step, with no name-based special case', async () => {
    const seen: number[] = [];
    const err = await (async () => {
      for await (const row of guarded.rows(2)) seen.push(row);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0, 1]);
    expect(err).toMatchObject({ code: 'database_unavailable' });
    await expect(collect(guardRepository({ async *none() {} }).none())).resolves.toEqual([]);
  });

  it('guards every repository of a record', async () => {
    const repos = guardRepositories({ a: example, b: { async fail(): Promise<void> { throw refused(); } } } as never) as unknown as {
      a: typeof example;
      b: { fail(): Promise<void> };
    };
    await expect(repos.a.ok(1)).resolves.toBe(2);
    await expect(repos.b.fail()).rejects.toMatchObject({ code: 'database_unavailable' });
  });
});
