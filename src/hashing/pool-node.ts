/**
 * The legacy-verify pool for Node.js: piscina worker threads that run verifyInline (offload.ts)
 * for the schemes that compute in JavaScript/WebAssembly, so they use every core instead of the
 * event loop's one. The pool has as many threads as the limiter has slots; since every offloaded
 * verify holds a limiter slot while it runs, piscina's own queue stays empty and the limiter
 * remains the one place where hashing work waits, is refused, or is dropped.
 *
 * Node-only (worker_threads through piscina); imported by the Node entry, the CLI and tests.
 */
import Piscina from 'piscina';
import { OFFLOADED_SCHEMES, type VerifyOffload, type VerifyTask } from './offload';
import type { PoolResult } from './pool-task';

export interface VerifyPoolOptions {
  /** Threads in the pool: the hashing concurrency. */
  threads: number;
  /**
   * Threads left idle this long end, and start again on the next legacy verify (each thread is
   * an isolate with the scheme registry loaded: about 19 MiB of an idle service's RSS). Default:
   * never (the threads live as long as the pool).
   */
  idleTimeoutMs?: number;
}

export interface VerifyPool extends VerifyOffload {
  /** The verify with the id of the thread that ran it (for tests and the bench). */
  run(task: VerifyTask): Promise<PoolResult>;
  /** Starts the threads now rather than on the first legacy verify. */
  warm(): Promise<void>;
  /** Thread ids of the pool's live threads. */
  threadIds(): number[];
  close(): Promise<void>;
}

/**
 * From the TypeScript sources a thread needs tsx's loader (pool-worker.mjs registers it); from a
 * compiled build the task module itself is the entry.
 */
function workerFile(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? './pool-worker.mjs' : './pool-task.js', import.meta.url).href;
}

export function createVerifyPool(options: VerifyPoolOptions): VerifyPool {
  if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError('threads must be a positive integer');
  const idle = options.idleTimeoutMs;
  if (idle !== undefined && !(Number.isInteger(idle) && idle > 0)) throw new RangeError('idleTimeoutMs must be a positive integer');
  let pool: Piscina<VerifyTask, PoolResult> | undefined;
  // Created on first use, so a CLI command that never verifies a legacy hash starts no thread.
  const get = (): Piscina<VerifyTask, PoolResult> =>
    (pool ??= new Piscina<VerifyTask, PoolResult>({
      filename: workerFile(),
      name: 'default',
      minThreads: options.threads,
      maxThreads: options.threads,
      // Threads stay: starting one (and its WebAssembly modules) costs far more than a verify.
      idleTimeout: Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
    }));
  // No abort signal is passed on: piscina aborts a running task by terminating its thread.
  // The idle timeout ends the whole pool (piscina's own per-thread timeout keeps threads that
  // never ran a task); the next verify creates it again.
  let inFlight = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const retire = (): void => {
    idleTimer = undefined;
    if (inFlight > 0 || pool === undefined) return;
    const p = pool;
    pool = undefined;
    void p.destroy();
  };
  const run = (task: VerifyTask): Promise<PoolResult> => {
    if (idle === undefined) return get().run(task);
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    inFlight++;
    return get()
      .run(task)
      .finally(() => {
        if (--inFlight === 0) (idleTimer = setTimeout(retire, idle)).unref();
      });
  };
  return {
    accepts: (scheme) => OFFLOADED_SCHEMES.has(scheme),
    run,
    async verify(task) {
      return (await run(task)).valid;
    },
    async warm() {
      // One trivial task per thread waits until each thread has loaded the task module.
      const trivial: VerifyTask = { scheme: 'md5_crypt', hash: '$1$$qRPK7m23GJusamGpoGLby/', password: new Uint8Array(0), extras: {} };
      await Promise.all(Array.from({ length: options.threads }, () => run(trivial)));
    },
    threadIds: () => (pool ? pool.threads.map((t) => t.threadId) : []),
    async close() {
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      idleTimer = undefined;
      const p = pool;
      pool = undefined;
      await p?.destroy();
    },
  };
}
