/**
 * Shared pieces of the benchmark harness: starting the real service as a child process, running
 * autocannon and the load generator, and timing in-process work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const ROOT = new URL('..', import.meta.url).pathname;

export interface Service {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts `npm start`'s entry point with extra environment, and waits until /healthz answers. */
export async function startService(env: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['src/entry/launch.cjs', 'src/entry/node.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
  }
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Peak and current resident memory of a process, in MiB (Linux /proc). */
export function memoryOf(pid: number): { peakMiB: number; rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { peakMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

export interface CannonResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

/**
 * Load generators run in their own process at a lower CPU priority (nice 10): on a 2-core machine
 * they would otherwise take CPU from the service's hashing threads, which a real deployment's
 * remote clients never do. The service itself runs at normal priority.
 */
const NICE = ['nice', '-n', '10'];

export async function cannon(options: { url: string; method?: string; body?: unknown; connections: number; seconds: number }): Promise<CannonResult> {
  const args = [...NICE.slice(1), process.execPath, `${ROOT}node_modules/autocannon/autocannon.js`, '--json', '-c', String(options.connections), '-d', String(options.seconds), '-m', options.method ?? 'GET'];
  if (options.body !== undefined) args.push('-H', 'content-type=application/json', '-b', JSON.stringify(options.body));
  args.push(options.url);
  const child = spawn(NICE[0] as string, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  await new Promise((resolve) => child.once('exit', resolve));
  const result = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number };
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

export interface LoadResult {
  elapsed: number;
  statuses: Record<string, { count: number; perSecond: number; p50: number; p99: number; max: number }>;
}

/** Runs bench/load.ts in its own process. */
export async function load(options: { url: string; method: string; body?: unknown; connections: number; seconds: number; timeoutMs: number }): Promise<LoadResult> {
  const args = JSON.stringify({ ...options, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const child = spawn(NICE[0] as string, [...NICE.slice(1), process.execPath, '--import', 'tsx', 'bench/load.ts', args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out) as LoadResult;
}

/** Keeps `inFlight` calls of `task` running for `seconds`; returns completed operations per second. */
export async function throughput(task: () => Promise<unknown>, options: { inFlight: number; seconds: number }): Promise<number> {
  const deadline = performance.now() + options.seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (performance.now() < deadline) {
        await task();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function pct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : 'n/a';
}
