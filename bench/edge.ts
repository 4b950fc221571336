/**
 * Edge section: argon2id (OWASP: m=19456 KiB, t=2, p=1) and bcrypt-10 verify time inside local
 * workerd (the Worker build: WebAssembly argon2, bcryptjs) against the native Node service
 * (@node-rs), each measured as sequential POST /v1/verify requests over loopback, so both include
 * the same HTTP round trip (shown separately as GET /healthz). Session verify requests/s through
 * the Worker (Hyperdrive binding → PostgreSQL, a client per request) against the Node service
 * (its pool), both on one database and one session, autocannon in the same run, each beside its
 * own /healthz. Also the size of the Worker bundle.
 * `npm run bench -- --only edge --seconds 3` runs just this section.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { gzipSync } from 'node:zlib';
import { buildWorker, createTestDatabase, startWorker } from '../test/edge/_worker';
import { cannon, fmt, pct, startService, type CannonResult } from './lib';

const PASSWORD = 'correct horse battery staple';

async function timeRequests(send: () => Promise<Response>, seconds: number): Promise<{ median: number; p90: number; n: number }> {
  // Two warm-up requests: the first compiles and instantiates, which a serving isolate has done.
  for (let i = 0; i < 2; i++) await (await send()).arrayBuffer();
  const times: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || times.length < 5) {
    const start = performance.now();
    const res = await send();
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`bench request failed: ${res.status}`);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] as number, p90: times[Math.floor(times.length * 0.9)] as number, n: times.length };
}

function bundleSize(dir: string): { rawKiB: number; gzipKiB: number } {
  let raw = 0;
  let gzip = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.js') && !name.endsWith('.wasm')) continue;
    const bytes = readFileSync(join(dir, name));
    raw += statSync(join(dir, name)).size;
    gzip += gzipSync(bytes).length;
  }
  return { rawKiB: raw / 1024, gzipKiB: gzip / 1024 };
}

export async function edgeBench(options: { seconds: number }): Promise<string> {
  const connections = availableParallelism() * 8;
  const build = await buildWorker();
  const size = bundleSize(build.dir);
  // The OWASP policy (the built-in default) and bcrypt at cost 10, the same on both runtimes.
  const policy = { allow_weak_params: false, params: { argon2id: { memory_cost: 19456, time_cost: 2, parallelism: 1 }, bcrypt: { rounds: 10 } } };
  // One migrated PostgreSQL database behind both: the Worker through its HYPERDRIVE binding
  // (Miniflare's local proxy), the Node service through its own pool.
  const database = await createTestDatabase();
  // Dev mode on both (no caller keys): every call is tenant "default", so one session serves both.
  const worker = await startWorker({ policy, vars: { HASHD_ALLOW_INSECURE: '1' }, databaseUrl: database.url });
  const node = await startService({ HASHD_HASH_CONCURRENCY: '1', DATABASE_URL: database.url });
  const rows: string[] = [];
  const sessionRows: string[] = [];
  const ratios: string[] = [];
  try {
    // startService gives up waiting after ~20 s; a busy machine can take longer to start it.
    for (let i = 0; i < 600; i++) {
      const up = await fetch(`${node.url}/readyz`).then((r) => r.ok, () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const hashOn = async (url: string, scheme: string): Promise<string> =>
      ((await (await fetch(`${url}/v1/hash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD, scheme }) })).json()) as { hash: string }).hash;
    const targets = [
      { name: 'local workerd (Worker build)', url: worker.url },
      { name: 'Node (native @node-rs)', url: node.url },
    ];
    // One hash of each scheme, made on Node, verified by both (the same work on each).
    const hashes = { argon2id: await hashOn(node.url, 'argon2id'), bcrypt: await hashOn(node.url, 'bcrypt') };
    for (const [label, hash] of [['argon2id m=19456,t=2,p=1 verify', hashes.argon2id], ['bcrypt cost 10 verify', hashes.bcrypt]] as const) {
      for (const t of targets) {
        const r = await timeRequests(() => fetch(`${t.url}/v1/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD, hash }) }), options.seconds);
        rows.push(`| ${label} | ${t.name} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.n} |`);
      }
    }
    for (const t of targets) {
      const r = await timeRequests(() => fetch(`${t.url}/healthz`), Math.min(1, options.seconds));
      rows.push(`| GET /healthz (HTTP round trip only) | ${t.name} | ${r.median.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.n} |`);
    }
    // Session verify: one session made on Node, checked by both (the same row, the same work).
    const made = await fetch(`${node.url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: 'bench-user' }) });
    const { token } = (await made.json()) as { token: string };
    const measured: Record<string, { healthz: CannonResult; verify: CannonResult }> = {};
    for (const t of targets) {
      const check = (await (await fetch(`${t.url}/v1/sessions/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })).json()) as { valid?: boolean };
      if (check.valid !== true) throw new Error(`${t.name}: the benchmark session does not verify`);
      process.stderr.write(`edge: session verify on ${t.name}\n`);
      const healthz = await cannon({ url: `${t.url}/healthz`, connections, seconds: options.seconds });
      // One trivial query: on the Worker it shows what the per-request client costs by itself.
      const readyz = await cannon({ url: `${t.url}/readyz`, connections, seconds: options.seconds });
      const verify = await cannon({ url: `${t.url}/v1/sessions/verify`, method: 'POST', body: { token }, connections, seconds: options.seconds });
      measured[t.name] = { healthz, verify };
      const row = (name: string, r: CannonResult): string => `| ${name} | ${t.name} | ${fmt(r.rps)} | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} |`;
      sessionRows.push(row('`GET /healthz`', healthz), row('`GET /readyz` (one query)', readyz), row('`POST /v1/sessions/verify`', verify));
      ratios.push(`| session verify / healthz, ${t.name} | ${pct(verify.rps / healthz.rps)} |`);
    }
    const [edgeRps, nodeRps] = targets.map((t) => measured[t.name]?.verify.rps ?? NaN) as [number, number];
    ratios.push(`| session verify req/s, Worker / Node | ${pct(edgeRps / nodeRps)} |`);
  } finally {
    await worker.close();
    await node.stop();
    await database.drop();
  }
  return [
    '## Edge (Cloudflare Worker build in local workerd)',
    '',
    'Sequential `POST /v1/verify` requests over loopback, one at a time (hashing concurrency 1 on both), after two warm-up requests. ' +
      'Local workerd runs the same V8 and WebAssembly engine as Cloudflare, but not its machines: treat the ratio, not the absolute numbers, as the result.',
    '',
    '| operation | runtime | median ms | p90 ms | requests |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Session verify: autocannon with ${connections} connections for ${options.seconds} s per row, the Worker and the Node service on one PostgreSQL database and one session, in the same run. ` +
      'The Worker opens a `postgres` client per request through the HYPERDRIVE binding; locally that is a new PostgreSQL connection per request (Miniflare proxies it), where Cloudflare\'s Hyperdrive keeps a warm pool near the database: the local number is a lower bound. The Node service keeps its pool.',
    '',
    '| endpoint | runtime | req/s | p50 ms | p99 ms | non-2xx/errors |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...sessionRows,
    '',
    '| ratio | value |',
    '| --- | ---: |',
    ...ratios,
    '',
    `Worker bundle (\`wrangler deploy --dry-run\`): ${size.rawKiB.toFixed(0)} KiB, ${size.gzipKiB.toFixed(0)} KiB gzipped (script and argon2 WebAssembly; Workers allow 3 MB compressed on the free plan, 10 MB on paid).`,
    '',
  ].join('\n');
}
