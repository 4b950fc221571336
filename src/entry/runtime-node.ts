/**
 * Builds the hashing core for Node.js from the environment: configuration, native backend,
 * limiter and CryptContext. Shared by the server entry, the CLI and the benchmark, so they all
 * hash exactly as the service does.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadConfig, type ServiceConfig } from '../config';
import { createNodeBackend } from '../hashing/backend-node';
import { createLimiter } from '../hashing/limiter';
import { CryptContext } from '../hashing/crypt-context';
import { createRegistry, type Registry } from '../hashing/registry';
import type { SchemeEnv } from '../hashing/scheme';
import { BUILTIN_SCHEMES } from '../hashing/schemes/index';

export interface NodeCore {
  config: ServiceConfig;
  registry: Registry;
  env: SchemeEnv;
  crypt: CryptContext;
}

export function nodeSchemeEnv(): SchemeEnv {
  return {
    backend: createNodeBackend(),
    randomBytes: (n) => {
      const buf = randomBytes(n);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },
  };
}

export function buildNodeCore(env: Record<string, string | undefined> = process.env): NodeCore {
  const registry = createRegistry(BUILTIN_SCHEMES);
  const config = loadConfig({ env, registry, readFile: (p) => readFileSync(p, 'utf8'), cpuCount: availableParallelism() });
  const schemeEnv = nodeSchemeEnv();
  const limiter = createLimiter({ concurrency: config.hashConcurrency, maxQueue: config.hashQueue });
  const crypt = new CryptContext({ policy: config.policy, registry, env: schemeEnv, limiter });
  return { config, registry, env: schemeEnv, crypt };
}
