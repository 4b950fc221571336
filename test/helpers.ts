/**
 * Shared test fixtures: a CryptContext built exactly as the service builds it, with a cheap test
 * policy (tests that are not about cost must not pay OWASP's argon2 parameters on every call).
 */
import { nodeSchemeEnv } from '../src/entry/runtime-node';
import { createLimiter, type Limiter } from '../src/hashing/limiter';
import { CryptContext } from '../src/hashing/policy';
import { resolvePolicy, type PolicyFile } from '../src/hashing/policy-config';
import { createRegistry, type Registry } from '../src/hashing/registry';
import { BUILTIN_SCHEMES } from '../src/hashing/schemes/index';

/** Cheap parameters for new hashes; weak on purpose, named as such. */
export const TEST_POLICY: PolicyFile = {
  allow_weak_params: true,
  params: {
    argon2id: { memory_cost: 256, time_cost: 1 },
    bcrypt: { rounds: 4 },
  },
};

export const registry: Registry = createRegistry(BUILTIN_SCHEMES);

export interface TestCrypt {
  crypt: CryptContext;
  limiter: Limiter;
  registry: Registry;
}

/**
 * A CryptContext over the built-in registry. `policy` is merged over TEST_POLICY at the top level
 * (pass `params` to replace the test parameters).
 */
export function makeCrypt(policy: PolicyFile = {}, limits: { concurrency?: number; maxQueue?: number } = {}): TestCrypt {
  const file: PolicyFile = { ...TEST_POLICY, ...policy };
  // Keep the cheap test parameters only for schemes the policy lists (or the default list).
  if (file.params && file.schemes) {
    file.params = Object.fromEntries(Object.entries(file.params).filter(([name]) => file.schemes?.includes(name)));
  }
  const limiter = createLimiter({ concurrency: limits.concurrency ?? 2, maxQueue: limits.maxQueue ?? 1000 });
  const crypt = new CryptContext({ policy: resolvePolicy(file, registry), registry, env: nodeSchemeEnv(), limiter });
  return { crypt, limiter, registry };
}

/** The vectors fixture files written by test/vectors/generate.py. */
export interface VectorFile {
  generator: string;
  sources: Record<string, string>;
  vectors: { scheme: string; hash: string; password: string; user?: string; salt?: string; note?: string; source?: string; params?: Record<string, unknown> }[];
  malformed?: { scheme: string; hash: string; why: string }[];
}
