/**
 * The wrap job's lease with two real server processes (as `npm start` runs them) against one
 * PostgreSQL database created by the test: both are asked to start the job at once and exactly
 * one runs it; the other does not touch it while the lease is renewed, and takes it over, from
 * its cursor, when the first is killed with SIGKILL mid-job. Every row ends wrapped exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import postgresClient from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../db/_backends';

const root = new URL('../../', import.meta.url).pathname;
const postgres = backends.find((b) => b.name === 'postgres') as Backend;
const ROWS = 3000;

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  base: string;
}

async function startServer(url: string): Promise<Server> {
  const child = spawn(process.execPath, ['src/entry/launch.cjs', 'src/entry/node.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: url,
      HASHD_API_KEYS: '',
      HOST: '127.0.0.1',
      PORT: '0',
      HASHD_HASH_CONCURRENCY: '1',
      HASHD_WRAP_LEASE_SECONDS: '2',
      // Wrap hashes of about 4-8 ms each on one slot (16 MiB, weak on purpose, named as such), so
      // the job lasts over ten seconds even on a quiet, fast machine: long enough to watch the
      // lease being renewed and to kill the runner mid-job, short enough for the suite.
      HASHD_POLICY__allow_weak_params: 'true',
      HASHD_POLICY__params__argon2id__memory_cost: '16384',
      HASHD_POLICY__params__argon2id__time_cost: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 1200; i++) {
    const line = out.split('\n').find((l) => l.includes('"hashd listening"'));
    if (line) return { child, output: () => out, exited, base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not start:\n${out}`);
}

interface WrapStatus {
  state: string;
  processed: number;
  total: number;
  wrapped: number;
}

async function status(server: Server): Promise<WrapStatus> {
  return (await (await fetch(`${server.base}/v1/admin/wrap`)).json()) as WrapStatus;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(postgres.skipReason !== undefined)('wrap lease across two server processes on one PostgreSQL', () => {
  const servers: Server[] = [];
  let url = '';

  beforeAll(async () => {
    ({ url } = (await postgres.create()) as { url: string });
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await postgres.cleanup();
  }, 60_000);

  it('exactly one runs the job; the other takes over when the first is killed mid-job', { timeout: 300_000 }, async () => {
    // One after the other, so the second finds the migrations applied.
    const a = await startServer(url);
    servers.push(a);
    const b = await startServer(url);
    servers.push(b);

    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const body = Array.from({ length: ROWS }, (_, i) => JSON.stringify({ userId: `u-${String(i).padStart(5, '0')}`, hash: md5(`pw-${i}`) })).join('\n') + '\n';
    const imported = await fetch(`${a.base}/v1/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
    expect(await imported.json()).toMatchObject({ imported: ROWS });

    // Both replicas are asked at once: one starts the job, the other answers 409.
    const post = (s: Server) => fetch(`${s.base}/v1/admin/wrap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const [ra, rb] = await Promise.all([post(a), post(b)]);
    expect([ra.status, rb.status].sort()).toEqual([202, 409]);
    expect(((await (ra.status === 409 ? ra : rb).json()) as { error: { code: string } }).error.code).toBe('conflict');
    const [runner, other] = ra.status === 202 ? [a, b] : [b, a];
    // The lease owner is `<pid>:<random>`: the job row names the process that runs it.
    const sql = postgresClient(url, { max: 1, onnotice: () => {} });
    const ownerPid = async (): Promise<number> => Number(String((await sql`select owner from jobs where kind = 'wrap'`)[0]?.owner).split(':')[0]);
    expect(await ownerPid()).toBe(runner.child.pid);

    // Mid-job: some batches done, not all.
    const mid = await until('the first batches', async () => {
      const s = await status(other);
      return s.processed > 0 ? s : undefined;
    });
    expect(mid.state).toBe('running');
    expect(mid.processed).toBeLessThan(ROWS);
    // For longer than a lease, the other replica (whose watcher looks every second) leaves the
    // job alone, because the runner renews its lease with every batch.
    await new Promise((r) => setTimeout(r, 3000));
    const stillRunning = await status(other);
    expect(stillRunning.state).toBe('running');
    expect(other.output()).not.toContain('"wrap taken over"');
    expect(await ownerPid()).toBe(runner.child.pid);

    runner.child.kill('SIGKILL');
    await runner.exited;
    const killedAt = (await status(other)).processed;
    expect(killedAt).toBeLessThan(ROWS);

    const done = await until('the job to finish on the other replica', async () => {
      const s = await status(other);
      return s.state === 'running' ? undefined : s;
    });
    expect(done).toMatchObject({ state: 'done', processed: ROWS, total: ROWS });
    expect(await ownerPid()).toBe(other.child.pid);
    await sql.end({ timeout: 5 });
    const takeover = other.output().split('\n').filter((l) => l.includes('"wrap taken over"'));
    expect(takeover).toHaveLength(1);
    // It resumed from the cursor the runner left, not from the start.
    expect((JSON.parse(takeover[0] as string) as { processed: number }).processed).toBeGreaterThan(0);

    const inventory = (await (await fetch(`${other.base}/v1/admin/inventory`)).json()) as {
      schemes: { scheme: string; count: number }[];
      upgradesByDay: { kind: string; count: number }[];
    };
    expect(inventory.schemes.map((s) => [s.scheme, s.count])).toEqual([['hashd_wrapped', ROWS]]);
    // No row was wrapped twice (each replacement is a compare-and-swap on the md5 it read, and
    // the counter is added per batch): at most ROWS, and short by at most the batch the killed
    // replica had swapped but not yet counted.
    const counted = inventory.upgradesByDay.filter((u) => u.kind === 'wrap').reduce((n, u) => n + u.count, 0);
    expect(counted).toBeLessThanOrEqual(ROWS);
    expect(counted).toBeGreaterThanOrEqual(ROWS - 256);
    const login = await fetch(`${other.base}/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'u-00007', password: 'pw-7' }) });
    expect(await login.json()).toEqual({ valid: true, upgraded: true });

    other.child.kill('SIGTERM');
    expect(await other.exited).toBe(0);
  });
});
