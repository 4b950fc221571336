/**
 * Memory benchmark: resident memory of the built server (`npm start`'s dist/entry/node.js) idle
 * after start-up and at peak under 400 concurrent `POST /v1/hash` requests, on embedded PGlite
 * (a new data directory, then the same directory on a second start) and on PostgreSQL.
 * Targets (issue 8): PGlite ≤ 250 MiB idle, ≤ 350 MiB under 400 concurrent hashes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, freePort, load, memoryOf, ROOT, type Service } from './lib';

async function startBuilt(env: Record<string, string>): Promise<Service> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['scripts/start.cjs'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', HASHD_API_KEYS: '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 1200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
  }
  return { url, pid: child.pid as number, stop: () => new Promise((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))) };
}

async function measure(name: string, env: Record<string, string>, seconds: number): Promise<string> {
  const service = await startBuilt(env);
  // Idle: after start-up work (pool threads, first hash) has settled.
  await new Promise((r) => setTimeout(r, 5000));
  const idle = memoryOf(service.pid).rssMiB;
  // Reset the peak (VmHWM) so it measures the load, not start-up (initdb peaks on a new directory).
  try {
    writeFileSync(`/proc/${service.pid}/clear_refs`, '5');
  } catch {
    // Not Linux or not permitted: the peak then includes start-up.
  }
  const result = await load({ url: `${service.url}/v1/hash`, method: 'POST', body: { password: 'correct horse battery staple' }, connections: 400, seconds, timeoutMs: 30_000 });
  const { peakMiB } = memoryOf(service.pid);
  await service.stop();
  const ok = result.statuses['200']?.count ?? 0;
  const refused = result.statuses['503']?.count ?? 0;
  return `| ${name} | ${fmt(idle, 0)} | ${fmt(peakMiB, 0)} | ${ok} / ${refused} |`;
}

export async function memoryBench(options: { seconds: number }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hashd-bench-mem-'));
  const rows: string[] = [];
  try {
    const dataDir = join(dir, 'data');
    process.stderr.write('memory: PGlite, new directory\n');
    rows.push(await measure('PGlite, first start (new data directory, initdb)', { DATABASE_URL: '', HASHD_DATA_DIR: dataDir }, options.seconds));
    process.stderr.write('memory: PGlite, existing directory\n');
    rows.push(await measure('PGlite, existing data directory', { DATABASE_URL: '', HASHD_DATA_DIR: dataDir }, options.seconds));
    const admin = process.env.HASHD_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const database = `hashd_bench_mem_${process.pid}`;
    const created = spawnSync('psql', [admin, '-c', `create database ${database}`], { encoding: 'utf8' });
    if (created.status === 0) {
      process.stderr.write('memory: PostgreSQL\n');
      try {
        rows.push(await measure('PostgreSQL', { DATABASE_URL: admin.replace(/\/[^/]*$/, `/${database}`) }, options.seconds));
      } finally {
        spawnSync('psql', [admin, '-c', `drop database ${database}`], { encoding: 'utf8' });
      }
    } else {
      rows.push(`| PostgreSQL | skipped: ${created.stderr.trim().slice(0, 80)} | | |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    '## Memory: RSS of the built server, idle and under 400 concurrent hashes',
    '',
    `\`npm start\`'s built server, default policy (argon2id m=19456 KiB), RSS 5 s after start-up, then the peak (VmHWM) over ${options.seconds} s of 400 connections posting /v1/hash (load generator in its own process). Targets for PGlite: ≤ 250 MiB idle, ≤ 350 MiB under load.`,
    '',
    '| database | idle RSS MiB | peak RSS MiB under load | 200 / 503 |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}
