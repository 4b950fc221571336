/**
 * Store benchmarks: `hashd import` of a 1,000,000-row NDJSON dump into PostgreSQL and into PGlite
 * (rows/s and the importer's peak RSS, against a 100,000-row run to show memory stays flat),
 * `POST /v1/login` against `POST /v1/verify` of the same hash, and `hashd wrap` rows/s against
 * raw argon2id hashes/s.
 */
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash as argon2Hash } from '@node-rs/argon2';
import postgres from 'postgres';
import { cannon, type CannonResult, fmt, pct, ROOT, startService, throughput } from './lib';

const ADMIN_URL = process.env.HASHD_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Two runs of one endpoint as one: requests/s over both, the worse half's latency. */
function combine(a: CannonResult, b: CannonResult): CannonResult {
  const seconds = (r: CannonResult): number => (r.rps > 0 ? r.total / r.rps : 0);
  const total = a.total + b.total;
  return {
    rps: total / Math.max(1e-9, seconds(a) + seconds(b)),
    p50: Math.max(a.p50, b.p50),
    p99: Math.max(a.p99, b.p99),
    non2xx: a.non2xx + b.non2xx,
    errors: a.errors + b.errors,
    total,
    loaderCpu: { seconds: a.loaderCpu.seconds + b.loaderCpu.seconds, wall: a.loaderCpu.wall + b.loaderCpu.wall },
  };
}

/** Runs `fn` with the URL of a PostgreSQL database created for it, dropped afterwards. */
export async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `hashd_bench_${randomBytes(5).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  }
}

interface CliRun {
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs the `hashd` CLI with extra environment; rejects when it exits non-zero. */
export function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}bin/hashd.cjs`, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('exit', (code) => (code === 0 ? resolve({ stdout, stderr, seconds: (performance.now() - started) / 1000 }) : reject(new Error(`hashd ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`))));
  });
}

/** An NDJSON dump of `rows` weak hashes (three raw md5 to one md5_crypt), user ids `<prefix><n>`. */
export function writeDump(path: string, rows: number, prefix: string): void {
  const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(JSON.stringify({ userId: `${prefix}${i}`, hash: i % 4 === 3 ? '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/' : md5(`pw-${i}`) }));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function importStats(run: CliRun): { rows: number; rowsPerSecond: number; peakMiB: number } {
  const m = /(\d+) rows in ([\d.]+) s \((\d+) rows\/s\), peak RSS (\d+) MiB/.exec(run.stderr);
  return { rows: Number(m?.[1]), rowsPerSecond: Number(m?.[3]), peakMiB: Number(m?.[4]) };
}

export async function storeBench(options: { seconds: number; importRows: number; wrapRows: number }): Promise<string> {
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'hashd-bench-'));
  const lines: string[] = [];
  try {
    // 1. Import: 1,000,000 rows and 100,000 rows, into PostgreSQL and PGlite.
    const big = join(dir, 'big.ndjson');
    const small = join(dir, 'small.ndjson');
    writeDump(big, options.importRows, 'u');
    writeDump(small, Math.max(1000, options.importRows / 10), 's');
    const results: string[] = [];
    for (const target of ['postgres', 'pglite'] as const) {
      process.stderr.write(`store: import into ${target}\n`);
      const run = async (env: Record<string, string>): Promise<string> => {
        // Create the database first, so the import's memory does not include PGlite's initdb.
        await cli(['migrate'], env);
        const a = importStats(await cli(['import', small], env));
        const b = importStats(await cli(['import', big], env));
        return `| ${target} | ${b.rows.toLocaleString('en')} | ${fmt(b.rowsPerSecond, 0)} | ${b.peakMiB} MiB (${a.rows.toLocaleString('en')} rows: ${a.peakMiB} MiB) |`;
      };
      if (target === 'postgres') results.push(await withDatabase((url) => run({ DATABASE_URL: url })));
      else results.push(await run({ DATABASE_URL: '', HASHD_DATA_DIR: join(dir, 'pglite') }));
    }
    lines.push(
      '## Store: bulk import (`hashd import`)',
      '',
      `An NDJSON dump of pre-hashed rows (raw md5 and md5_crypt), imported by the CLI into an empty database; every row is identified against the policy. Target: ≥ 50,000 rows/s into PostgreSQL, memory flat.`,
      '',
      '| database | rows | rows/s | importer peak RSS |',
      '| --- | ---: | ---: | --- |',
      ...results,
      '',
    );

    // 2. Login vs verify, and 3. wrap vs raw argon2, on PostgreSQL.
    await withDatabase(async (url) => {
      process.stderr.write('store: login vs verify\n');
      const service = await startService({ DATABASE_URL: url });
      const put = await fetch(`${service.url}/v1/users/bench-user/password`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'correct horse battery staple' }) });
      if (put.status !== 204) throw new Error(`PUT failed: ${put.status}`);
      const exported = (await (await fetch(`${service.url}/v1/export`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { hash: string });
      const storedHash = exported[0]?.hash as string;
      // Two halves each, in the order verify, login, login, verify: a neighbour's load that
      // grows or fades during the run falls on both endpoints alike.
      const run = (endpoint: 'verify' | 'login'): Promise<CannonResult> =>
        cannon({
          url: `${service.url}/v1/${endpoint}`,
          method: 'POST',
          body: endpoint === 'verify' ? { password: 'correct horse battery staple', hash: storedHash } : { userId: 'bench-user', password: 'correct horse battery staple' },
          connections: cores * 4,
          seconds: options.seconds / 2,
        });
      const verifyA = await run('verify');
      const loginA = await run('login');
      const loginB = await run('login');
      const verifyB = await run('verify');
      const verify = combine(verifyA, verifyB);
      const login = combine(loginA, loginB);
      await service.stop();
      lines.push(
        '## Store: login vs verify',
        '',
        `The same argon2id hash (m=19456 t=2 p=1), over HTTP against PostgreSQL, autocannon with ${cores * 4} connections, ${options.seconds} s per endpoint in two halves run verify, login, login, verify (req/s over both halves; p50 and p99 the worse half's). Login reads the row (a prepared statement), verifies, and hands the login time to the batched writer (off the response path). Target: login ≥ 95% of verify.`,
        '',
        '| endpoint | req/s | p50 ms | p99 ms | non-2xx |',
        '| --- | ---: | ---: | ---: | ---: |',
        `| \`POST /v1/verify\` | ${fmt(verify.rps)} | ${verify.p50} | ${verify.p99} | ${verify.non2xx} |`,
        `| \`POST /v1/login\` | ${fmt(login.rps)} | ${login.p50} | ${login.p99} | ${login.non2xx} |`,
        `| login / verify | ${pct(login.rps / verify.rps)} | | | |`,
        '',
      );

      process.stderr.write('store: wrap\n');
      const weak = join(dir, 'weak.ndjson');
      writeDump(weak, options.wrapRows, 'wrap-');
      await cli(['import', weak], { DATABASE_URL: url });
      // Raw argon2id right before and right after the wrap, so a neighbour's load that comes or
      // goes during the run falls on both sides of the ratio alike.
      const raw = (): Promise<number> => throughput(() => argon2Hash(randomBytes(16), { memoryCost: 19456, timeCost: 2, parallelism: 1 }), { inFlight: cores, seconds: options.seconds / 2 });
      const rawBefore = await raw();
      const wrap = await cli(['wrap'], { DATABASE_URL: url });
      const rawAfter = await raw();
      const rawArgon2 = (rawBefore + rawAfter) / 2;
      const status = JSON.parse(wrap.stdout.trim().split('\n').pop() as string) as { processed: number; rowsPerSecond: number; wrapped: number };
      lines.push(
        '## Store: wrap-upgrade (`hashd wrap`)',
        '',
        `${options.wrapRows.toLocaleString('en')} weak rows (raw md5, md5_crypt) in PostgreSQL wrapped into argon2id (m=19456 t=2 p=1) by the CLI with ${cores} hashes at once, against raw @node-rs/argon2 hashes/s with ${cores} in flight in the bench process (${options.seconds / 2} s right before the wrap and ${options.seconds / 2} s right after, averaged). The job reads batch N+1 while batch N hashes and writes each batch's swaps in one statement while the next one hashes. Target: wrap ≥ 95% of raw.`,
        '',
        '| measure | value |',
        '| --- | ---: |',
        `| raw argon2id hashes/s (before / after the wrap) | ${fmt(rawArgon2)} (${fmt(rawBefore)} / ${fmt(rawAfter)}) |`,
        `| wrap rows/s | ${fmt(status.rowsPerSecond)} (${status.wrapped} wrapped of ${status.processed}) |`,
        `| wrap / raw | ${pct(status.rowsPerSecond / rawArgon2)} |`,
        '',
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return lines.join('\n');
}
