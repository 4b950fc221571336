/**
 * Shared test fixtures: a CryptContext built exactly as the service builds it, with a cheap test
 * policy (tests that are not about cost must not pay OWASP's argon2 parameters on every call).
 */
import { readFileSync } from 'node:fs';
import { nodeSchemeEnv } from '../src/entry/runtime-node';
import { createLimiter, type Limiter } from '../src/hashing/limiter';
import { CryptContext } from '../src/hashing/crypt-context';
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

/** One reference vector from test/vectors/*.json (written by test/vectors/generate.py). */
export interface Vector {
  scheme: string;
  hash: string;
  password: string;
  user?: string;
  salt?: string;
  note?: string;
  source?: string;
  params?: Record<string, unknown>;
  /** Present and false for disabled markers: must verify as false with any password. */
  expect?: boolean;
  /** The one vector per scheme at the reference library's default cost (may be slow). */
  default_cost?: boolean;
}

/** The vectors fixture files written by test/vectors/generate.py. */
export interface VectorFile {
  generator: string;
  sources: Record<string, string>;
  vectors: Vector[];
  malformed?: { scheme: string; hash: string; why: string }[];
}

const VECTOR_FILES = ['argon2', 'bcrypt', 'scrypt', 'pbkdf2', 'crypt', 'phpass', 'ldap', 'django', 'raw', 'beyond', 'disabled'] as const;

/** Every committed fixture file, by name. */
export function loadVectorFiles(): Record<string, VectorFile> {
  return Object.fromEntries(
    VECTOR_FILES.map((name) => [name, JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), 'utf8')) as VectorFile]),
  );
}

export interface HashcatExample {
  scheme: string;
  hash: string;
  password: string;
  user?: string;
  valid: boolean | null;
  id: string;
}

/**
 * hashcat's published self-test hashes (password "hashcat"), as verified by passlib: a copy of
 * shared/reference/hashcat-examples.jsonl kept in test/vectors so the suite runs anywhere.
 */
export function loadHashcatExamples(): HashcatExample[] {
  return readFileSync(new URL('./vectors/hashcat-examples.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as HashcatExample);
}
