/**
 * A hashd server as a child process (the way `npm start`, the image's CMD or a replica runs it):
 * its combined output, its exit, and its base URL once it logged "hashd listening".
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  base: string;
  port: number;
}

/** The exit code of a process, or of a signal as `SIG...`. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal as string))));
}

/**
 * Spawns `command args` and waits (up to `timeoutMs`) for its "hashd listening" log line; throws
 * with the whole output when it exits or never listens.
 */
export async function spawnServer(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<ServerProcess> {
  const child = spawn(command, args, { cwd: ROOT, ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (out += d));
  child.on('error', (err) => (out += `spawn error: ${err.message}\n`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const end = Date.now() + (options.timeoutMs ?? 300_000);
  while (Date.now() < end) {
    const line = out.split('\n').find((l) => l.includes('"hashd listening"'));
    if (line) {
      const port = (JSON.parse(line) as { port: number }).port;
      return { child, output: () => out, exited, port, base: `http://127.0.0.1:${port}` };
    }
    if (child.exitCode !== null || child.signalCode !== null || out.includes('spawn error:')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start (exit ${child.exitCode ?? child.signalCode}):\n${out}`);
}

/** `npm start`'s server from the TypeScript sources (src/entry/launch.cjs + tsx), cheap test hashing. */
export function spawnSourceServer(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<ServerProcess> {
  return spawnServer(process.execPath, ['src/entry/launch.cjs', 'src/entry/node.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      HASHD_API_KEYS: '',
      REDIS_URL: '',
      HOST: '127.0.0.1',
      PORT: '0',
      // Weak on purpose, named as such: these tests are not about cost.
      HASHD_POLICY__allow_weak_params: 'true',
      HASHD_POLICY__params__argon2id__memory_cost: '256',
      HASHD_POLICY__params__argon2id__time_cost: '1',
      ...env,
    },
    ...options,
  });
}

/** Polls `probe` until it returns a value other than undefined. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 300_000, output?: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${output ? `; output:\n${output()}` : ''}`);
}
