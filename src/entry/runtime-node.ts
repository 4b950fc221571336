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
import { createVerifyPool, type VerifyPool } from '../hashing/pool-node';
import { CryptContext } from '../hashing/crypt-context';
import { Timeline } from '../hashing/timeline';
import { createRegistry, type Registry } from '../hashing/registry';
import type { SchemeEnv } from '../hashing/scheme';
import { BUILTIN_SCHEMES } from '../hashing/schemes/index';

export interface NodeCore {
  config: ServiceConfig;
  registry: Registry;
  env: SchemeEnv;
  crypt: CryptContext;
  /** The legacy-verify threads (started on first use or by warm()); close() it on shutdown. */
  pool: VerifyPool;
  /** The per-request hashing timeline the limiter records (exported by /metrics). */
  timeline: Timeline;
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

/** Whether the legacy-verify threads start with the server and live as long as it. */
export function keepsLegacyThreads(config: Pick<ServiceConfig, 'hashNice' | 'legacyIdleSeconds'>): boolean {
  return config.hashNice > 0 || config.legacyIdleSeconds === 0;
}

export function buildNodeCore(env: Record<string, string | undefined> = process.env): NodeCore {
  const registry = createRegistry(BUILTIN_SCHEMES);
  const config = loadConfig({ env, registry, readFile: (p) => readFileSync(p, 'utf8'), cpuCount: availableParallelism() });
  const schemeEnv = nodeSchemeEnv();
  const timeline = new Timeline();
  const limiter = createLimiter({ concurrency: config.hashConcurrency, maxQueue: config.hashQueue, timeline });
  // As many legacy-verify threads as hashing slots: the limiter bounds what runs on them. They
  // start on the first legacy verify and end after HASHD_LEGACY_IDLE_SECONDS without one, so an
  // idle service does not hold their isolates; niced threads (HASHD_HASH_NICE) are started at
  // once and kept, since only threads that exist can be lowered.
  const pool = createVerifyPool({ threads: config.hashConcurrency, ...(keepsLegacyThreads(config) ? {} : { idleTimeoutMs: config.legacyIdleSeconds * 1000 }) });
  const crypt = new CryptContext({ policy: config.policy, registry, env: schemeEnv, limiter, offload: pool });
  return { config, registry, env: schemeEnv, crypt, pool, timeline };
}
