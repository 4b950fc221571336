/**
 * The Node server as `npm start` runs it: starts on its embedded PGlite, answers health checks,
 * runs its hashing threads below the event loop's CPU priority, drains on SIGTERM, and refuses to
 * start on a bad configuration with a message that names the problem.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hashd-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['src/entry/launch.cjs', 'src/entry/node.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', HASHD_API_KEYS: '', HOST: '127.0.0.1', PORT: '0', HASHD_DATA_DIR: join(dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function listeningPort(output: () => string): Promise<number> {
  // Generous: PGlite initialises a new data directory, on a machine that may be busy.
  for (let i = 0; i < 3600; i++) {
    const line = output()
      .split('\n')
      .find((l) => l.includes('"hashd listening"'));
    if (line) return (JSON.parse(line) as { port: number }).port;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not start:\n${output()}`);
}

function niceOf(pid: number, tid: string): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('npm start', () => {
  it('serves on PGlite, lowers the hashing threads, and drains on SIGTERM', { timeout: 300_000 }, async () => {
    const server = start({ HASHD_HASH_NICE: '5' });
    const port = await listeningPort(server.output);
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const made = await fetch(`${base}/v1/hash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'pw' }) });
    expect(((await made.json()) as { hash: string }).hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(server.output()).toContain('"database":"pglite"');

    const pid = server.child.pid as number;
    if (process.platform === 'linux') {
      const threads = readdirSync(`/proc/${pid}/task`);
      expect(niceOf(pid, String(pid))).toBe(0);
      const lowered = threads.filter((tid) => tid !== String(pid) && niceOf(pid, tid) === 5);
      expect(lowered.length).toBeGreaterThanOrEqual(3);
    }

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it('refuses dev mode beyond loopback, naming HASHD_ALLOW_INSECURE', async () => {
    const server = start({ HOST: '0.0.0.0' });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('HASHD_ALLOW_INSECURE=1');
  });

  it('refuses a bad policy file, naming the field', async () => {
    const file = join(dir, 'bad.toml');
    writeFileSync(file, 'default = "argon2id"\n[params.argon2id]\nmemory_cost = 64\n');
    const server = start({ HASHD_CONFIG: file });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('params.argon2id');
  });
});
