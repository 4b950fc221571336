/**
 * Session and token benchmarks: `POST /v1/sessions/verify` requests/s against PostgreSQL and
 * against PGlite, each beside `GET /healthz` of the same service in the same run, and
 * `POST /v1/tokens/verify` (stateless: a SHA-256 and a constant-time compare). A session verify
 * is one indexed read, a digest and, at most once a minute per session, the idle-slide write.
 * Target: session verify ≥ 50% of /healthz with PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { cannon, cpuSecondsOf, fmt, pct, startService, type CannonResult } from './lib';

const ADMIN_URL = process.env.HASHD_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
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

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** startService waits 20 s; an embedded database on a busy machine can take longer to open. */
async function waitReady(url: string, seconds = 180): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become ready in ${seconds} s`);
}

/** One endpoint's runs: the median round, and the service's CPU per request. */
interface Measured {
  median: CannonResult;
  cpuUsPerRequest: number;
  rounds: CannonResult[];
}

interface Pair {
  healthz: Measured;
  verify: Measured;
  /** verify ÷ healthz of each round, and their median. */
  ratio: number;
  ratios: number[];
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * /healthz, session verify (a valid token of a session with the default idle timeout) and, with
 * PostgreSQL, tokens/verify, each warmed up unmeasured, then measured in `rounds` rounds that
 * take turns (healthz, verify, tokens, healthz, ...): drift on a shared machine then hits every
 * endpoint alike, and the ratio is the median of the rounds' own ratios.
 */
async function measure(env: Record<string, string>, connections: number, seconds: number, rounds: number): Promise<Pair & { tokens?: Measured; tokensRatio?: number }> {
  const service = await startService(env);
  try {
    await waitReady(service.url);
    const session = await postJson(`${service.url}/v1/sessions`, { userId: 'bench-user', metadata: { ua: 'autocannon' } });
    const check = await postJson(`${service.url}/v1/sessions/verify`, { token: session.token });
    if (check.valid !== true) throw new Error('the benchmark session does not verify');
    const targets: { url: string; method?: string; body?: unknown }[] = [
      { url: `${service.url}/healthz` },
      { url: `${service.url}/v1/sessions/verify`, method: 'POST', body: { token: session.token } },
    ];
    if (env.DATABASE_URL !== '') {
      const token = await postJson(`${service.url}/v1/tokens`, { prefix: 'sk_' });
      targets.push({ url: `${service.url}/v1/tokens/verify`, method: 'POST', body: { token: token.token, digest: token.digest } });
    }
    // The service starts cold (its code is compiled and optimised on first use), and a short run
    // would otherwise time the warm-up.
    for (const target of targets) await cannon({ ...target, connections, seconds: Math.min(2, seconds) });
    const each = Math.max(1, seconds / rounds);
    const runs = targets.map(() => ({ results: [] as CannonResult[], cpuUs: [] as number[] }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, target] of targets.entries()) {
        const cpu0 = cpuSecondsOf(service.pid);
        const result = await cannon({ ...target, connections, seconds: each });
        (runs[i] as (typeof runs)[number]).results.push(result);
        (runs[i] as (typeof runs)[number]).cpuUs.push(((cpuSecondsOf(service.pid) - cpu0) * 1e6) / Math.max(1, result.total));
      }
    }
    const summarise = (i: number): Measured => {
      const run = runs[i] as (typeof runs)[number];
      return { median: medianResult(run.results), cpuUsPerRequest: median(run.cpuUs), rounds: run.results };
    };
    const ratios = (i: number): number[] => (runs[i] as (typeof runs)[number]).results.map((r, round) => r.rps / ((runs[0] as (typeof runs)[number]).results[round] as CannonResult).rps);
    const healthz = summarise(0);
    const verify = summarise(1);
    const pair = { healthz, verify, ratios: ratios(1), ratio: median(ratios(1)) };
    if (targets.length < 3) return pair;
    return { ...pair, tokens: summarise(2), tokensRatio: median(ratios(2)) };
  } finally {
    await service.stop();
  }
}

/** The round whose req/s is nearest the median (with an even number of rounds, none is it). */
function medianResult(results: CannonResult[]): CannonResult {
  const middle = median(results.map((r) => r.rps));
  return results.reduce((best, r) => (Math.abs(r.rps - middle) < Math.abs(best.rps - middle) ? r : best));
}

const row = (name: string, m: Measured): string => `| ${name} | ${fmt(m.median.rps)} | ${m.rounds.map((r) => fmt(r.rps, 0)).join(' / ')} | ${m.median.p50} | ${m.median.p99} | ${fmt(m.cpuUsPerRequest)} | ${m.rounds.reduce((n, r) => n + r.non2xx + r.errors, 0)} |`;

export async function sessionsBench(options: { seconds: number; rounds?: number }): Promise<string> {
  const connections = availableParallelism() * 8;
  const rounds = options.rounds ?? 5;
  process.stderr.write('sessions: PostgreSQL\n');
  const pg = await withDatabase((url) => measure({ DATABASE_URL: url }, connections, options.seconds, rounds));
  process.stderr.write('sessions: PGlite\n');
  const dir = mkdtempSync(join(tmpdir(), 'hashd-bench-sessions-'));
  let lite: Pair;
  try {
    lite = await measure({ DATABASE_URL: '', HASHD_DATA_DIR: join(dir, 'data') }, connections, options.seconds, rounds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tokens = pg.tokens as Measured;
  const each = Math.max(1, options.seconds / rounds);
  const ratios = (values: number[]): string => values.map((v) => pct(v)).join(' / ');
  return [
    '## Sessions and tokens',
    '',
    `autocannon with ${connections} connections; each endpoint is warmed up unmeasured (up to 2 s), then measured in ${rounds} rounds of ${fmt(each)} s that take turns (healthz, session verify, tokens/verify, healthz, ...), so drift on the shared machine hits every endpoint alike. Each database runs its own service. A row shows the median round (its p50 and p99), every round's req/s, and the service's CPU per request (user + system, median of the rounds). A ratio is the median of the rounds' own ratios. Session verify: one indexed read by (tenant, id), SHA-256 of the secret compared in constant time, the idle slide written at most once a minute. Target: session verify ≥ 50% of /healthz with PostgreSQL.`,
    '',
    '| endpoint | req/s (median) | req/s by round | p50 ms | p99 ms | service CPU µs/req | non-2xx/errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('PostgreSQL: `GET /healthz`', pg.healthz),
    row('PostgreSQL: `POST /v1/sessions/verify`', pg.verify),
    row('PostgreSQL: `POST /v1/tokens/verify`', tokens),
    row('PGlite: `GET /healthz`', lite.healthz),
    row('PGlite: `POST /v1/sessions/verify`', lite.verify),
    '',
    '| ratio | median | by round |',
    '| --- | ---: | ---: |',
    `| session verify / healthz (PostgreSQL) | ${pct(pg.ratio)} | ${ratios(pg.ratios)} |`,
    `| session verify / healthz (PGlite) | ${pct(lite.ratio)} | ${ratios(lite.ratios)} |`,
    `| tokens/verify / healthz | ${pct(pg.tokensRatio as number)} | |`,
    `| service CPU per request, healthz / session verify (PostgreSQL) | ${pct(pg.healthz.cpuUsPerRequest / pg.verify.cpuUsPerRequest)} | |`,
    '',
  ].join('\n');
}
