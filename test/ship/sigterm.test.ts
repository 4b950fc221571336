/**
 * SIGTERM under load, on a real server process (on its own PostgreSQL database): hash
 * requests in flight when the signal arrives all complete with 200; once the server drains, a
 * new connection is refused; the process exits 0 within HASHD_SHUTDOWN_TIMEOUT_MS. A wrap job
 * running at the time stops at a batch boundary: the progress it recorded matches the rows it
 * replaced, and the next start takes it over from that cursor and finishes it, each row wrapped
 * exactly once.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../db/_backends';
import { exitOf, spawnSourceServer, until, type ServerProcess } from './_server';

const servers: ServerProcess[] = [];
const postgres = backends.find((b) => b.name === 'postgres') as Backend;
let databaseUrl = '';
beforeAll(async () => {
  if (postgres.skipReason === undefined) ({ url: databaseUrl } = (await postgres.create()) as { url: string });
}, 60_000);
afterAll(async () => {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await Promise.all(servers.map((s) => s.exited));
  await postgres.cleanup();
}, 60_000);

const ROWS = 3000;
const BATCH = 256;
const IN_FLIGHT = 32;
const SHUTDOWN_TIMEOUT_MS = 60_000;

const env = (): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  HASHD_HASH_CONCURRENCY: '1',
  HASHD_HASH_QUEUE: String(IN_FLIGHT * 2),
  HASHD_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  // A long lease: after the restart the watcher looks only every 10 s, leaving time to read the
  // stopped job's state before it is taken over.
  HASHD_WRAP_LEASE_SECONDS: '60',
  // 16 MiB, t=3: a few ms per hash on one slot, so the requests queue and the job has batches
  // (weak on purpose, named as such; this is not about cost).
  HASHD_POLICY__params__argon2id__memory_cost: '16384',
  HASHD_POLICY__params__argon2id__time_cost: '3',
});

/** One request on its own connection (no keep-alive); resolves with status, body and arrival time. */
function post(port: number, path: string, body: string, onWritten: () => void): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: performance.now() }));
    });
    req.on('error', reject);
    req.on('finish', onWritten);
    req.end(body);
  });
}

/** A new TCP connection: 'refused', or the status a request on it got. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : `error ${err.code}`));
    socket.once('connect', () => {
      socket.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d));
      socket.on('close', () => resolve(text === '' ? 'closed' : (text.split('\r\n')[0] as string)));
    });
  });
}

interface WrapStatus {
  state: string;
  processed: number;
  total: number;
  wrapped: number;
}

async function wrapStatus(server: ServerProcess): Promise<WrapStatus> {
  return (await (await fetch(`${server.base}/v1/admin/wrap`)).json()) as WrapStatus;
}

async function wrappedCount(server: ServerProcess): Promise<{ wrapped: number; counted: number }> {
  const inventory = (await (await fetch(`${server.base}/v1/admin/inventory`)).json()) as {
    schemes: { scheme: string; count: number }[];
    upgradesByDay: { kind: string; count: number }[];
  };
  return {
    wrapped: inventory.schemes.find((s) => s.scheme === 'hashd_wrapped')?.count ?? 0,
    counted: inventory.upgradesByDay.filter((u) => u.kind === 'wrap').reduce((n, u) => n + u.count, 0),
  };
}

describe.skipIf(postgres.skipReason !== undefined)('SIGTERM under load', () => {
  it('completes in-flight requests, refuses new connections, exits 0, and stops the wrap job at a batch boundary', { timeout: 400_000 }, async () => {
    const first = await spawnSourceServer(env());
    servers.push(first);
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const rows = Array.from({ length: ROWS }, (_, i) => JSON.stringify({ userId: `u-${String(i).padStart(5, '0')}`, hash: md5(`pw-${i}`) })).join('\n') + '\n';
    const imported = await fetch(`${first.base}/v1/import`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: rows });
    expect(await imported.json()).toMatchObject({ imported: ROWS });
    const started = await fetch(`${first.base}/v1/admin/wrap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(started.status).toBe(202);
    await until('the first wrap batch', async () => ((await wrapStatus(first)).processed > 0 ? true : undefined), 300_000, first.output);

    // N hash requests on N connections; SIGTERM as soon as all of them are written.
    let written = 0;
    let signalled: () => void = () => undefined;
    const allWritten = new Promise<void>((resolve) => (signalled = resolve));
    const inFlight = Array.from({ length: IN_FLIGHT }, (_, i) =>
      post(first.port, '/v1/hash', JSON.stringify({ password: `in-flight-${i}` }), () => {
        if (++written === IN_FLIGHT) signalled();
      }),
    );
    await allWritten;
    // In flight means the server has them: answered, running or queued for a hashing slot.
    // (Connections the kernel accepted but the server never read are reset when it stops
    // listening, as with any server: that is not what this measures.)
    let answered = 0;
    for (const p of inFlight) void p.then(() => answered++, () => undefined);
    await until('every request to reach the server', async () => {
      const text = await (await fetch(`${first.base}/metrics`)).text();
      const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      const held = gauge('hashd_hash_queue_depth') + gauge('hashd_hash_slots_in_use') - gauge('hashd_hash_slots_in_use_background');
      return answered + held >= IN_FLIGHT ? true : undefined;
    }, 120_000, first.output);
    const sentAt = performance.now();
    first.child.kill('SIGTERM');
    const exit = exitOf(first.child).then((code) => ({ code, at: performance.now() }));

    // Once it drains, a new connection is refused (or answered 503), never served.
    await until('the drain', async () => (first.output().includes('"draining"') ? true : undefined), 30_000);
    const fresh = await tryConnect(first.port);
    expect(['refused', 'HTTP/1.1 503 Service Unavailable']).toContain(fresh);

    const results = await Promise.all(inFlight);
    for (const r of results) {
      expect(r.status, r.body).toBe(200);
      expect((JSON.parse(r.body) as { hash: string }).hash).toMatch(/^\$argon2id\$v=19\$m=16384,t=3,p=1\$/);
    }
    // They were in flight: some answers came after the signal.
    expect(results.filter((r) => r.at > sentAt).length).toBeGreaterThan(0);

    const { code, at } = await exit;
    expect(code, first.output()).toBe(0);
    expect(at - sentAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const lines = first.output().split('\n');
    expect(lines.some((l) => l.includes('"wrap stopped at a batch boundary"'))).toBe(true);
    expect(lines.some((l) => l.includes('"stopped"'))).toBe(true);
    expect(first.output()).not.toContain('shutdown timeout');

    // The next start: the job is still running (not failed), stopped at a batch boundary, and
    // its recorded progress is exactly the rows it replaced.
    const second = await spawnSourceServer(env());
    servers.push(second);
    const stopped = await wrapStatus(second);
    expect(stopped.state).toBe('running');
    expect(stopped.processed).toBeGreaterThan(0);
    expect(stopped.processed).toBeLessThan(ROWS);
    expect(stopped.processed % BATCH).toBe(0);
    expect(await wrappedCount(second)).toEqual({ wrapped: stopped.processed, counted: stopped.processed });
    expect(stopped.wrapped).toBe(stopped.processed);

    // Taken over from its cursor (its lease was released) and finished: each row exactly once.
    const done = await until('the job to finish after the restart', async () => {
      const s = await wrapStatus(second);
      return s.state === 'running' ? undefined : s;
    }, 300_000);
    expect(done).toMatchObject({ state: 'done', processed: ROWS, total: ROWS, wrapped: ROWS });
    const takeover = second.output().split('\n').filter((l) => l.includes('"wrap taken over"'));
    expect(takeover).toHaveLength(1);
    expect((JSON.parse(takeover[0] as string) as { processed: number }).processed).toBe(stopped.processed);
    expect(await wrappedCount(second)).toEqual({ wrapped: ROWS, counted: ROWS });

    second.child.kill('SIGTERM');
    expect(await exitOf(second.child)).toBe(0);
  });
});
