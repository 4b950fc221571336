/**
 * Shared pieces of the benchmark harness: starting the real service as a child process, running
 * autocannon and the load generator, and timing in-process work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  /** The load generator's own CPU use. */
  loaderCpu: LoaderCpu;
}

/**
 * Load generators run in their own process at a lower CPU priority (nice 10): on a 2-core machine
 * they would otherwise take CPU from the service's hashing threads, which a real deployment's
 * remote clients never do. The service itself runs at normal priority.
 */
const NICE = ['nice', '-n', '10'];

export async function cannon(options: { url: string; method?: string; body?: unknown; connections: number; seconds: number }): Promise<CannonResult> {
  const args = JSON.stringify({ ...options, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const child = spawn(NICE[0] as string, [...NICE.slice(1), process.execPath, '--import', 'tsx', 'bench/cannon.ts', args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  await new Promise((resolve) => child.once('exit', resolve));
  const { result, cpu } = JSON.parse(out) as {
    result: { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number; duration: number };
    cpu: LoaderCpu;
  };
  return {
    // Completed requests over the run's length (autocannon's per-second average drops the last partial second).
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
    loaderCpu: cpu,
  };
}

/** The load generator's own CPU use: seconds of CPU (user + system) over `wall` seconds. */
export interface LoaderCpu {
  seconds: number;
  wall: number;
}

/** A load generator's CPU as a share of one core, e.g. "0.12 core". */
export function coreShare(cpu: LoaderCpu | undefined): string {
  return cpu && cpu.wall > 0 ? `${(cpu.seconds / cpu.wall).toFixed(2)} core` : 'n/a';
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; clock ticks of 10 ms). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Scheduler time of a thread group: on a core, and runnable but waiting for one (ms). */
export interface SchedTime {
  cpuMs: number;
  waitMs: number;
}

/**
 * Per-thread scheduler statistics of a process (Linux /proc/<pid>/task/<tid>/schedstat): the
 * event loop's thread (tid = pid) apart from every other thread (libuv's hashing pool, V8's
 * helpers, the legacy-verify workers), each as time on a core and time waiting for a core.
 */
export function threadTimes(pid: number): { loop: SchedTime; others: SchedTime } {
  const out = { loop: { cpuMs: 0, waitMs: 0 }, others: { cpuMs: 0, waitMs: 0 } };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let line: string;
    try {
      line = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
    } catch {
      continue;
    }
    const [cpu, wait] = line.trim().split(' ').map(Number);
    const into = Number(tid) === pid ? out.loop : out.others;
    into.cpuMs += (cpu ?? 0) / 1e6;
    into.waitMs += (wait ?? 0) / 1e6;
  }
  return out;
}

export function timesSince(before: { loop: SchedTime; others: SchedTime }, after: { loop: SchedTime; others: SchedTime }): { loop: SchedTime; others: SchedTime } {
  const d = (a: SchedTime, b: SchedTime): SchedTime => ({ cpuMs: b.cpuMs - a.cpuMs, waitMs: b.waitMs - a.waitMs });
  return { loop: d(before.loop, after.loop), others: d(before.others, after.others) };
}

/** The service's per-request hashing timeline (ms per stage and quantile), from GET /metrics. */
export async function scrapeTimeline(url: string): Promise<Record<string, { p50: number; p99: number; max: number; count: number }>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, { p50: number; p99: number; max: number; count: number }> = {};
  const entry = (stage: string): { p50: number; p99: number; max: number; count: number } => (out[stage] ??= { p50: NaN, p99: NaN, max: NaN, count: 0 });
  for (const m of text.matchAll(/^hashd_hash_timeline_seconds\{stage="(\w+)",quantile="([\d.]+)"\} (\S+)$/gm)) {
    const e = entry(m[1] as string);
    const ms = Number(m[3]) * 1000;
    if (m[2] === '0.5') e.p50 = ms;
    else if (m[2] === '0.99') e.p99 = ms;
    else e.max = ms;
  }
  for (const m of text.matchAll(/^hashd_hash_timeline_samples\{stage="(\w+)"\} (\S+)$/gm)) entry(m[1] as string).count = Number(m[2]);
  return out;
}

export interface LoadResult {
  elapsed: number;
  /** The load generator's own CPU use. */
  cpu: LoaderCpu;
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

/** throughput() that also times every operation (start to settle, ms), like the service's `run` stage. */
export async function timedThroughput(task: () => Promise<unknown>, options: { inFlight: number; seconds: number }): Promise<{ rate: number; p50: number; p99: number }> {
  const deadline = performance.now() + options.seconds * 1000;
  const times: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.inFlight }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await task();
        times.push(performance.now() - t0);
      }
    }),
  );
  const rate = times.length / ((performance.now() - started) / 1000);
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.max(0, Math.ceil(p * times.length) - 1))] ?? NaN;
  return { rate, p50: q(0.5), p99: q(0.99) };
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function pct(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)}%` : 'n/a';
}
