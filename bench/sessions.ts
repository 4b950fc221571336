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
import { cannon, fmt, pct, startService, type CannonResult } from './lib';

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

interface Pair {
  healthz: CannonResult;
  verify: CannonResult;
}

/** /healthz, then session verify (a valid token of a session with the default idle timeout). */
async function measure(env: Record<string, string>, connections: number, seconds: number): Promise<Pair & { tokens?: CannonResult }> {
  const service = await startService(env);
  try {
    await waitReady(service.url);
    const session = await postJson(`${service.url}/v1/sessions`, { userId: 'bench-user', metadata: { ua: 'autocannon' } });
    const check = await postJson(`${service.url}/v1/sessions/verify`, { token: session.token });
    if (check.valid !== true) throw new Error('the benchmark session does not verify');
    // Each endpoint is run unmeasured first: the service starts cold (its code is compiled and
    // optimised on first use), and a short run would otherwise time the warm-up.
    const warm = Math.min(2, seconds);
    const run = async (target: { url: string; method?: string; body?: unknown }): Promise<CannonResult> => {
      await cannon({ ...target, connections, seconds: warm });
      return cannon({ ...target, connections, seconds });
    };
    const healthz = await run({ url: `${service.url}/healthz` });
    const verify = await run({ url: `${service.url}/v1/sessions/verify`, method: 'POST', body: { token: session.token } });
    if (env.DATABASE_URL === '') return { healthz, verify };
    const token = await postJson(`${service.url}/v1/tokens`, { prefix: 'sk_' });
    const tokens = await run({ url: `${service.url}/v1/tokens/verify`, method: 'POST', body: { token: token.token, digest: token.digest } });
    return { healthz, verify, tokens };
  } finally {
    await service.stop();
  }
}

const row = (name: string, r: CannonResult): string => `| ${name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} |`;

export async function sessionsBench(options: { seconds: number }): Promise<string> {
  const connections = availableParallelism() * 8;
  process.stderr.write('sessions: PostgreSQL\n');
  const pg = await withDatabase((url) => measure({ DATABASE_URL: url }, connections, options.seconds));
  process.stderr.write('sessions: PGlite\n');
  const dir = mkdtempSync(join(tmpdir(), 'hashd-bench-sessions-'));
  let lite: Pair;
  try {
    lite = await measure({ DATABASE_URL: '', HASHD_DATA_DIR: join(dir, 'data') }, connections, options.seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const tokens = pg.tokens as CannonResult;
  return [
    '## Sessions and tokens',
    '',
    `autocannon with ${connections} connections for ${options.seconds} s per row, after an unmeasured run of up to 2 s on the same endpoint; each database runs its own service, and its \`/healthz\` is measured in the same run. Session verify: one indexed read by (tenant, id), SHA-256 of the secret compared in constant time, the idle slide written at most once a minute. Target: session verify ≥ 50% of /healthz with PostgreSQL.`,
    '',
    '| endpoint | req/s | p50 ms | p99 ms | non-2xx/errors |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('PostgreSQL: `GET /healthz`', pg.healthz),
    row('PostgreSQL: `POST /v1/sessions/verify`', pg.verify),
    row('PostgreSQL: `POST /v1/tokens/verify`', tokens),
    row('PGlite: `GET /healthz`', lite.healthz),
    row('PGlite: `POST /v1/sessions/verify`', lite.verify),
    '',
    '| ratio | value |',
    '| --- | ---: |',
    `| session verify / healthz (PostgreSQL) | ${pct(pg.verify.rps / pg.healthz.rps)} |`,
    `| session verify / healthz (PGlite) | ${pct(lite.verify.rps / lite.healthz.rps)} |`,
    `| tokens/verify / healthz | ${pct(tokens.rps / pg.healthz.rps)} |`,
    '',
  ].join('\n');
}
