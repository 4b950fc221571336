/**
 * Legacy verifies off the event loop. The iterated legacy schemes (sha-crypt, yescrypt, bsdi,
 * phpass, drupal7, md5-crypt) compute in JavaScript/WebAssembly, not in a native library
 * that has its own threads, so run inline they all share the event loop's one core. A runtime
 * with threads plugs in a `VerifyOffload` that runs them elsewhere (on Node, the worker pool in
 * pool-node.ts); the CryptContext still runs every offloaded verify inside a limiter slot, so the
 * one hashing budget governs them like an argon2 hash.
 *
 * This module is runtime-free: the offloaded work is `verifyInline`, the very function a runtime
 * without threads (the Worker entry) can call in place, so both paths compute with the same code.
 */
import { HashdError } from '../errors';
import type { Registry } from './registry';
import type { SchemeEnv, VerifyExtras } from './scheme';

/**
 * The schemes whose verify computes in JavaScript/WebAssembly for more than a trivial time.
 *
 * des_crypt and django_des_crypt are not among them: a verify is a fixed 25 DES encryptions,
 * 3-4 µs (des-wasm.ts), while handing a task to a pool thread and back costs 50-200 µs of
 * dispatch (piscina's message round trip and the thread's wake-up; measured on the 2-core AMD
 * EPYC machine, more under load), so on the pool they ran at 0.13-0.15 of the in-process rate.
 * They run inline, inside their limiter slot like every verify. bsdi_crypt, whose rounds the
 * hash chooses (passlib's default 5001 takes about 0.5 ms), stays on the pool.
 */
export const OFFLOADED_SCHEMES: ReadonlySet<string> = new Set([
  'sha512_crypt',
  'sha256_crypt',
  'kratos_sha512_crypt',
  'kratos_sha256_crypt',
  'md5_crypt',
  'apr_md5_crypt',
  'kratos_md5_crypt',
  'yescrypt',
  'bsdi_crypt',
  'phpass',
  'drupal7',
]);

/**
 * One verify, as plain data that can cross a thread boundary: the scheme the policy chose (the
 * string may have other candidates), the stored string (re-parsed where it runs: parsing is
 * cheap and the parsed form holds no functions), and the password bytes.
 */
export interface VerifyTask {
  scheme: string;
  hash: string;
  password: Uint8Array;
  extras: VerifyExtras;
}

export interface VerifyOffload {
  /** Does this offload take verifies of `scheme`? */
  accepts(scheme: string): boolean;
  /** Runs `task` to the end (the limiter drops work whose client left before it started). */
  verify(task: VerifyTask): Promise<boolean>;
}

/** Runs a VerifyTask in the current thread: what the pool's threads run, and the inline path. */
export async function verifyInline(registry: Registry, env: SchemeEnv, task: VerifyTask): Promise<boolean> {
  const scheme = registry.get(task.scheme);
  if (!scheme) throw new HashdError('unknown_hash_format', `scheme "${task.scheme}" is not registered`);
  return scheme.verify(task.password, scheme.parse(task.hash), env, task.extras);
}
