/**
 * What each thread of the legacy-verify pool (pool-node.ts) runs: verifyInline over the built-in
 * registry. Node-only (worker_threads, node:crypto), loaded by piscina in every pool thread.
 */
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { verifyInline, type VerifyTask } from './offload';
import { createRegistry } from './registry';
import type { HashBackend } from './backend';
import type { SchemeEnv } from './scheme';
import { BUILTIN_SCHEMES } from './schemes/index';

const registry = createRegistry(BUILTIN_SCHEMES);

// The offloaded schemes compute with their own JavaScript/WebAssembly code and never call the
// native backend; a verify that did would be a bug, and fails loudly instead of running natively
// in a second threadpool outside the limiter's count.
const noBackend = new Proxy({} as HashBackend, {
  get(_target, method) {
    return () => Promise.reject(new Error(`the legacy-verify pool has no native backend (${String(method)})`));
  },
});
const env: SchemeEnv = {
  backend: noBackend,
  randomBytes: (n) => {
    const buf = randomBytes(n);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  },
};

export interface PoolResult {
  valid: boolean;
  /** The worker thread that computed it (tests check that verifies spread over threads). */
  threadId: number;
}

export default async function run(task: VerifyTask): Promise<PoolResult> {
  return { valid: await verifyInline(registry, env, task), threadId };
}
