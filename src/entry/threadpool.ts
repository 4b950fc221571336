/**
 * Sizes libuv's threadpool before anything uses it. Native argon2/bcrypt and node:crypto's
 * pbkdf2/scrypt all run there, and the service allows HASHD_HASH_CONCURRENCY hashes at once:
 * threads beyond that only add memory and contention, while one spare thread keeps file and DNS
 * work from queueing behind hashes. Imported first by every Node entry point.
 */
import { availableParallelism } from 'node:os';

export function hashConcurrencyFromEnv(env: Record<string, string | undefined>): number {
  const configured = Number(env.HASHD_HASH_CONCURRENCY);
  return Number.isInteger(configured) && configured > 0 ? configured : availableParallelism();
}

if (process.env.UV_THREADPOOL_SIZE === undefined) {
  process.env.UV_THREADPOOL_SIZE = String(Math.min(1024, hashConcurrencyFromEnv(process.env) + 1));
}
