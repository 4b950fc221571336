/**
 * Core benchmarks (issue: CryptContext service): raw @node-rs hashing in-process against the same
 * work over HTTP, /healthz throughput, and an overload run with 1,000 connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { cannon, coreShare, cpuSecondsOf, fmt, load, memoryOf, pct, scrapeTimeline, startService, threadTimes, throughput, timedThroughput, timesSince, type SchedTime } from './lib';
import { cli, withDatabase, writeDump } from './store';

export interface CoreOptions {
  seconds: number;
  overloadSeconds: number;
}

export async function coreBench(options: CoreOptions): Promise<string> {
  const cores = availableParallelism();
  const lines: string[] = [];
  const argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

  // 1. argon2id hash: raw vs HTTP, default policy (OWASP parameters).
  process.stderr.write('core: raw argon2id hash\n');
  const rawHash = await throughput(() => argon2Hash('correct horse battery staple', argon2Params), { inFlight: cores, seconds: options.seconds });
  const service = await startService();
  process.stderr.write('core: HTTP /v1/hash\n');
  const httpHash = await cannon({ url: `${service.url}/v1/hash`, method: 'POST', body: { password: 'correct horse battery staple' }, connections: cores * 4, seconds: options.seconds });
  process.stderr.write('core: /healthz\n');
  const health = await cannon({ url: `${service.url}/healthz`, connections: 50, seconds: Math.min(options.seconds, 5) });
  await service.stop();

  // 2. bcrypt cost 12 verify: raw vs HTTP. The service runs with bcrypt as default so a valid
  // verify does not also compute an argon2id upgrade (that is measured by the formats section).
  process.stderr.write('core: raw bcrypt verify\n');
  const bcryptStored = await bcryptHash('correct horse battery staple', 12);
  const rawVerify = await throughput(() => bcryptVerify('correct horse battery staple', bcryptStored), { inFlight: cores, seconds: options.seconds });
  const bcryptService = await startService({ HASHD_POLICY__default: 'bcrypt', HASHD_POLICY__schemes: '["bcrypt","argon2id"]' });
  process.stderr.write('core: HTTP /v1/verify bcrypt\n');
  const httpVerify = await cannon({
    url: `${bcryptService.url}/v1/verify`,
    method: 'POST',
    body: { password: 'correct horse battery staple', hash: bcryptStored },
    connections: cores * 4,
    seconds: options.seconds,
  });
  await bcryptService.stop();

  lines.push(
    '## Core: raw library vs HTTP',
    '',
    `Raw: @node-rs in this process with ${cores} operations in flight. HTTP: autocannon, ${cores * 4} connections, ${options.seconds} s, against \`npm start\`'s entry point in its own process. Target: HTTP ≥ 95% of raw.`,
    '',
    '| operation | raw ops/s | HTTP req/s | HTTP / raw | HTTP p50 ms | HTTP p99 ms | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| argon2id hash m=19456 t=2 p=1 (\`POST /v1/hash\`) | ${fmt(rawHash)} | ${fmt(httpHash.rps)} | ${pct(httpHash.rps / rawHash)} | ${httpHash.p50} | ${httpHash.p99} | ${httpHash.non2xx} |`,
    `| bcrypt cost 12 verify (\`POST /v1/verify\`) | ${fmt(rawVerify)} | ${fmt(httpVerify.rps)} | ${pct(httpVerify.rps / rawVerify)} | ${httpVerify.p50} | ${httpVerify.p99} | ${httpVerify.non2xx} |`,
    `| \`GET /healthz\` (50 connections) | | ${fmt(health.rps, 0)} | | ${health.p50} | ${health.p99} | ${health.non2xx} |`,
    '',
  );

  // Where HTTP loses against raw, with the priority knob on and off (its own function below).
  lines.push(await argon2TimelineBench({ seconds: options.seconds, rounds: 3 }));

  // 3. Overload: 800 connections at once on /v1/hash (its own function below).
  lines.push(await overloadBench({ seconds: options.overloadSeconds, connections: 800, rawHash }));
  lines.push(await overloadWrapBench({ seconds: options.overloadSeconds, connections: 800, rawHash, weakRows: 20_000 }));
  return lines.join('\n');
}

/** One HTTP run of the timeline section: a fresh service with `nice`, 8 connections on /v1/hash. */
async function timedHttpRun(nice: number, seconds: number, connections: number) {
  const service = await startService({ HASHD_HASH_NICE: String(nice) });
  const threads0 = threadTimes(service.pid);
  const cpu0 = cpuSecondsOf(service.pid);
  const t0 = performance.now();
  const http = await cannon({ url: `${service.url}/v1/hash`, method: 'POST', body: { password: 'correct horse battery staple' }, connections, seconds });
  const wall = (performance.now() - t0) / 1000;
  const threads = timesSince(threads0, threadTimes(service.pid));
  const serviceCpu = (cpuSecondsOf(service.pid) - cpu0) / wall;
  const timeline = await scrapeTimeline(service.url);
  await service.stop();
  return { http, threads, serviceCpu, wall, timeline };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

export interface TimelineOptions {
  seconds: number;
  /** Rounds of raw → HTTP with the priority change → HTTP without it (ratios are per round). */
  rounds: number;
  connections?: number;
}

/**
 * Where HTTP loses against raw argon2id, and what the priority knob (HASHD_HASH_NICE) does: each
 * round runs the raw loop, then the service with the hashing threads niced (5) and not (0), so
 * every ratio compares runs made a few seconds apart. For every HTTP run it prints the service's
 * own per-request timeline (queue wait, dispatch delay, run time on the thread, response write:
 * GET /metrics) next to the raw loop's per-operation time, the scheduler's view of the service's
 * threads (time on a core, time runnable but waiting for one: the event loop apart from the
 * hashing and helper threads) and the CPU the load generator used itself.
 */
export async function argon2TimelineBench(options: TimelineOptions): Promise<string> {
  const cores = availableParallelism();
  const connections = options.connections ?? 8;
  const params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
  type Run = Awaited<ReturnType<typeof timedHttpRun>>;
  const rows: { round: number; raw: Awaited<ReturnType<typeof timedThroughput>>; runs: Record<'5' | '0', Run> }[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    process.stderr.write(`core: timeline round ${round}/${options.rounds}: raw, HTTP nice 5, HTTP nice 0\n`);
    const raw = await timedThroughput(() => argon2Hash('correct horse battery staple', params), { inFlight: cores, seconds: options.seconds });
    const on = await timedHttpRun(5, options.seconds, connections);
    const off = await timedHttpRun(0, options.seconds, connections);
    rows.push({ round, raw, runs: { '5': on, '0': off } });
  }
  const perSec = (t: SchedTime, wall: number): string => `${fmt(t.cpuMs / wall / 1000, 2)} / ${fmt(t.waitMs / wall, 0)}`;
  const stage = (run: Run, name: string): string => {
    const s = run.timeline[name];
    return s ? `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)}` : 'n/a';
  };
  const lines = [
    `## Core: where HTTP loses against raw argon2id (timeline, HASHD_HASH_NICE on and off)`,
    '',
    `argon2id m=19456 t=2 p=1. Each round: the raw loop (${cores} hashes in flight, ${options.seconds} s), then \`POST /v1/hash\` over HTTP with ${connections} connections (autocannon in its own process at nice 10) against a fresh service with \`HASHD_HASH_NICE=5\`, then with \`HASHD_HASH_NICE=0\`. Target: HTTP ≥ 97% of raw.`,
    '',
    '| round | raw hash/s | nice 5: HTTP req/s | HTTP / raw | nice 0: HTTP req/s | HTTP / raw |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.round} | ${fmt(r.raw.rate)} | ${fmt(r.runs['5'].http.rps)} | ${pct(r.runs['5'].http.rps / r.raw.rate)} | ${fmt(r.runs['0'].http.rps)} | ${pct(r.runs['0'].http.rps / r.raw.rate)} |`),
    `| median | ${fmt(median(rows.map((r) => r.raw.rate)))} | | ${pct(median(rows.map((r) => r.runs['5'].http.rps / r.raw.rate)))} | | ${pct(median(rows.map((r) => r.runs['0'].http.rps / r.raw.rate)))} |`,
    '',
    'The per-request timeline of each HTTP run (ms, p50 / p99, from the service\'s `hashd_hash_timeline_seconds`), next to the raw loop\'s time per hash measured the same way (start to settle on the event loop). `run` above the raw time is what the service around the hash costs the hashing threads; `dispatch delay` is a slot left free between two hashes. Threads: CPU in cores and ms per second spent runnable but waiting for a core (Linux schedstat), for the event loop and for every other thread of the service (libuv\'s hashing pool, V8 helpers, legacy workers).',
    '',
    '| round | nice | raw per hash | queue wait | dispatch delay | run | response write | HTTP p50 / p99 | event loop cores / wait ms/s | other threads cores / wait ms/s | service CPU | load generator CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    for (const nice of ['5', '0'] as const) {
      const run = r.runs[nice];
      lines.push(
        `| ${r.round} | ${nice} | ${fmt(r.raw.p50, 2)} / ${fmt(r.raw.p99, 2)} | ${stage(run, 'queue_wait')} | ${stage(run, 'dispatch_delay')} | ${stage(run, 'run')} | ${stage(run, 'response_write')} | ${run.http.p50} / ${run.http.p99} | ${perSec(run.threads.loop, run.wall)} | ${perSec(run.threads.others, run.wall)} | ${fmt(run.serviceCpu, 2)} core | ${coreShare(run.http.loaderCpu)} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

export interface OverloadOptions {
  seconds: number;
  connections: number;
  /** The raw argon2id hashes/s measured in the same run: goodput is compared with it. */
  rawHash: number;
  /** Extra environment of the service (e.g. HASHD_HASH_NICE). */
  env?: Record<string, string>;
  /** Probe /healthz this often, ms (default 20). */
  probeEveryMs?: number;
  /** Background work started in the service right before the load and reported on right after it. */
  background?: {
    start(serviceUrl: string): Promise<void>;
    report(serviceUrl: string): Promise<string>;
  };
}

export interface OverloadResult {
  ok: { count: number; perSecond: number; p50: number; p99: number } | undefined;
  refused: { count: number; perSecond: number; p50: number; p99: number } | undefined;
  others: [string, { count: number }][];
  probes: { count: number; p50: number; p99: number; max: number };
  loaderCpu: { seconds: number; wall: number };
  serviceCpu: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  /** What `background.report` said after the load. */
  background?: string;
}

/**
 * One overload run: `connections` keep-alive connections opened at once by bench/load.ts (its own
 * process, niced) on `POST /v1/hash` for `seconds`, /healthz probed every `probeEveryMs` from this
 * process; the service's CPU, RSS and the load generator's own CPU alongside.
 */
export async function overloadRun(options: OverloadOptions): Promise<OverloadResult> {
  const service = await startService(options.env ?? {});
  const before = memoryOf(service.pid);
  await options.background?.start(service.url);
  const cpu0 = cpuSecondsOf(service.pid);
  const probes: number[] = [];
  let probing = true;
  const every = options.probeEveryMs ?? 20;
  const prober = (async () => {
    while (probing) {
      const t0 = performance.now();
      try {
        await (await fetch(`${service.url}/healthz`)).text();
        probes.push(performance.now() - t0);
      } catch {
        probes.push(Number.POSITIVE_INFINITY);
      }
      await new Promise((r) => setTimeout(r, every));
    }
  })();
  const t0 = performance.now();
  const result = await load({ url: `${service.url}/v1/hash`, method: 'POST', body: { password: 'correct horse battery staple' }, connections: options.connections, seconds: options.seconds, timeoutMs: 10_000 });
  const wall = (performance.now() - t0) / 1000;
  probing = false;
  await prober;
  const serviceCpu = (cpuSecondsOf(service.pid) - cpu0) / wall;
  const after = memoryOf(service.pid);
  const background = await options.background?.report(service.url);
  await service.stop();
  probes.sort((a, b) => a - b);
  const q = (p: number): number => probes[Math.min(probes.length - 1, Math.max(0, Math.ceil((p / 100) * probes.length) - 1))] ?? NaN;
  return {
    ok: result.statuses['200'],
    refused: result.statuses['503'],
    others: Object.entries(result.statuses).filter(([s]) => s !== '200' && s !== '503'),
    probes: { count: probes.length, p50: q(50), p99: q(99), max: probes[probes.length - 1] ?? NaN },
    loaderCpu: result.cpu,
    serviceCpu,
    rssBeforeMiB: before.rssMiB,
    rssPeakMiB: after.peakMiB,
    ...(background !== undefined && { background }),
  };
}

/** The overload section: one run with the hashing threads niced (the default) and one without. */
export async function overloadBench(options: Omit<OverloadOptions, 'env'>): Promise<string> {
  const cores = availableParallelism();
  const runs: [string, OverloadResult][] = [];
  for (const nice of ['5', '0']) {
    process.stderr.write(`core: overload, ${options.connections} connections, HASHD_HASH_NICE=${nice}\n`);
    runs.push([nice, await overloadRun({ ...options, env: { HASHD_HASH_NICE: nice } })]);
  }
  const row = (name: string, cell: (r: OverloadResult) => string): string => `| ${name} | ${runs.map(([, r]) => cell(r)).join(' | ')} |`;
  return [
    `## Core: overload (${options.connections.toLocaleString('en')} connections at once on \`POST /v1/hash\`)`,
    '',
    `bench/load.ts in its own process (nice 10) opens ${options.connections} keep-alive connections at once and keeps each busy for ${options.seconds} s (10 s client timeout); the default policy (argon2id m=19456 t=2 p=1), concurrency ${cores}, queue ${cores * 8}. /healthz is probed every ${options.probeEveryMs ?? 20} ms from the bench process. The load generator shares the machine's ${cores} cores with the service: its own CPU is in the table. Targets: /healthz p99 < 50 ms, 503 p99 < 50 ms, goodput ≥ 90% of raw.`,
    '',
    `| measure | ${runs.map(([nice]) => `HASHD_HASH_NICE=${nice}`).join(' | ')} |`,
    `| --- | ${runs.map(() => '---:').join(' | ')} |`,
    row('200 responses', (r) => `${r.ok?.count ?? 0} (${fmt(r.ok?.perSecond ?? 0)}/s)`),
    row(`goodput vs raw (${fmt(options.rawHash)} hash/s)`, (r) => pct((r.ok?.perSecond ?? 0) / options.rawHash)),
    row('503 responses', (r) => `${r.refused?.count ?? 0} (${fmt(r.refused?.perSecond ?? 0, 0)}/s)`),
    row('other outcomes', (r) => (r.others.length === 0 ? 'none' : r.others.map(([s, v]) => `${s}: ${v.count}`).join(', '))),
    row('accepted p50 / p99 ms', (r) => `${fmt(r.ok?.p50 ?? NaN)} / ${fmt(r.ok?.p99 ?? NaN)}`),
    row('503 p50 / p99 ms', (r) => `${fmt(r.refused?.p50 ?? NaN)} / ${fmt(r.refused?.p99 ?? NaN)}`),
    row('/healthz p50 / p99 / max ms', (r) => `${fmt(r.probes.p50)} / ${fmt(r.probes.p99)} / ${fmt(r.probes.max)} (${r.probes.count} probes)`),
    row('service CPU', (r) => `${fmt(r.serviceCpu, 2)} core`),
    row('load generator CPU', (r) => coreShare(r.loaderCpu)),
    row('service RSS before / peak', (r) => `${fmt(r.rssBeforeMiB)} / ${fmt(r.rssPeakMiB)} MiB`),
    '',
  ].join('\n');
}

interface WrapStatusBody {
  state: string;
  processed: number;
  total: number;
}

/**
 * The overload run repeated with a wrap job running in the service (issue #8, one hashing
 * budget): both runs against one PostgreSQL database holding `weakRows` weak hashes, the first
 * without a job, the second with `POST /v1/admin/wrap` started right before the burst. The job's
 * hashes go through the same limiter at background priority, so they only take the slots requests
 * leave: request throughput and /healthz latency should stay within 10% of the run without it.
 */
export async function overloadWrapBench(options: Omit<OverloadOptions, 'env' | 'background'> & { weakRows: number }): Promise<string> {
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'hashd-bench-wrap-'));
  try {
    return await withDatabase(async (url) => {
      const env = { DATABASE_URL: url };
      const dump = join(dir, 'weak.ndjson');
      writeDump(dump, options.weakRows, 'weak-');
      await cli(['migrate'], env);
      await cli(['import', dump], env);
      process.stderr.write(`core: overload on PostgreSQL, ${options.connections} connections, no wrap job\n`);
      const without = await overloadRun({ ...options, env });
      let startedAt = 0;
      const wrapJob = {
        async start(serviceUrl: string): Promise<void> {
          const res = await fetch(`${serviceUrl}/v1/admin/wrap`, { method: 'POST' });
          if (res.status !== 202) throw new Error(`POST /v1/admin/wrap answered ${res.status}: ${await res.text()}`);
          startedAt = ((await res.json()) as WrapStatusBody).processed;
        },
        async report(serviceUrl: string): Promise<string> {
          const status = (await (await fetch(`${serviceUrl}/v1/admin/wrap`)).json()) as WrapStatusBody;
          // A job that ended before the burst did would leave part of the run without it.
          const lasted = status.state === 'running' ? 'still running at the end' : `⚠ ${status.state} before the end`;
          return `${(status.processed - startedAt).toLocaleString('en')} of ${status.total.toLocaleString('en')} rows, ${lasted}`;
        },
      };
      process.stderr.write(`core: overload on PostgreSQL, ${options.connections} connections, with a wrap job\n`);
      const withJob = await overloadRun({ ...options, env, background: wrapJob });
      const runs = [without, withJob];
      const ratio = (pick: (r: OverloadResult) => number): string => {
        const a = pick(without);
        const b = pick(withJob);
        return Number.isFinite(a) && Number.isFinite(b) && a > 0 ? pct(b / a) : 'n/a';
      };
      const row = (name: string, cell: (r: OverloadResult) => string, change = ''): string => `| ${name} | ${runs.map(cell).join(' | ')} | ${change} |`;
      const okRate = (r: OverloadResult): number => r.ok?.perSecond ?? 0;
      const throughputRatio = okRate(without) > 0 ? okRate(withJob) / okRate(without) : NaN;
      const healthRatio = withJob.probes.p99 / without.probes.p99;
      return [
        `## Core: overload with a wrap job running (${options.connections.toLocaleString('en')} connections at once on \`POST /v1/hash\`)`,
        '',
        `The overload run above, repeated twice against one PostgreSQL database holding ${options.weakRows.toLocaleString('en')} weak rows (raw md5, md5_crypt): once as it is, once with \`POST /v1/admin/wrap\` started in the service right before the burst (the job wraps into argon2id m=19456 t=2 p=1 through the process's one limiter, at background priority: a freed slot goes to a waiting request first). Default \`HASHD_HASH_NICE\`, concurrency ${cores}, queue ${cores * 8}, ${options.seconds} s, /healthz probed every ${options.probeEveryMs ?? 20} ms. Targets: with the job, 200/s ≥ 90% and /healthz p99 ≤ 110% of the run without it, RSS bounded.`,
        '',
        '| measure | without a wrap job | with a wrap job | with / without |',
        '| --- | ---: | ---: | ---: |',
        row('200 responses', (r) => `${r.ok?.count ?? 0} (${fmt(okRate(r))}/s)`, `${pct(throughputRatio)}${throughputRatio < 0.9 ? ' ⚠' : ''}`),
        row(`goodput vs raw (${fmt(options.rawHash)} hash/s)`, (r) => pct(okRate(r) / options.rawHash)),
        row('503 responses', (r) => `${r.refused?.count ?? 0} (${fmt(r.refused?.perSecond ?? 0, 0)}/s)`),
        row('other outcomes', (r) => (r.others.length === 0 ? 'none' : r.others.map(([s, v]) => `${s}: ${v.count}`).join(', '))),
        row('accepted p50 / p99 ms', (r) => `${fmt(r.ok?.p50 ?? NaN)} / ${fmt(r.ok?.p99 ?? NaN)}`),
        row('503 p50 / p99 ms', (r) => `${fmt(r.refused?.p50 ?? NaN)} / ${fmt(r.refused?.p99 ?? NaN)}`, `p99 ${ratio((r) => r.refused?.p99 ?? NaN)}`),
        row('/healthz p50 / p99 / max ms', (r) => `${fmt(r.probes.p50)} / ${fmt(r.probes.p99)} / ${fmt(r.probes.max)} (${r.probes.count} probes)`, `p99 ${pct(healthRatio)}${healthRatio > 1.1 ? ' ⚠' : ''}`),
        row('service CPU', (r) => `${fmt(r.serviceCpu, 2)} core`),
        row('load generator CPU', (r) => coreShare(r.loaderCpu)),
        row('service RSS before / peak', (r) => `${fmt(r.rssBeforeMiB)} / ${fmt(r.rssPeakMiB)} MiB`, `peak ${ratio((r) => r.rssPeakMiB)}`),
        row('wrap job during the burst', (r) => r.background ?? '—'),
        '',
      ].join('\n');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
