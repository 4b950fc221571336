/**
 * Core benchmarks (issue: CryptContext service): raw @node-rs hashing in-process against the same
 * work over HTTP, /healthz throughput, and an overload run with 1,000 connections.
 */
import { availableParallelism } from 'node:os';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash, verify as bcryptVerify } from '@node-rs/bcrypt';
import { cannon, fmt, load, memoryOf, pct, startService, throughput } from './lib';

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

  // 3. Overload: 1,000 connections on /v1/hash; /healthz probed alongside; peak RSS of the service.
  process.stderr.write('core: overload\n');
  const overloadService = await startService();
  const before = memoryOf(overloadService.pid);
  const probes: number[] = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const t0 = performance.now();
      try {
        await (await fetch(`${overloadService.url}/healthz`)).text();
        probes.push(performance.now() - t0);
      } catch {
        probes.push(Number.POSITIVE_INFINITY);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const result = await load({
    url: `${overloadService.url}/v1/hash`,
    method: 'POST',
    body: { password: 'correct horse battery staple' },
    connections: 1000,
    seconds: options.overloadSeconds,
    timeoutMs: 10_000,
  });
  probing = false;
  await prober;
  const after = memoryOf(overloadService.pid);
  await overloadService.stop();
  const ok = result.statuses['200'];
  const refused = result.statuses['503'];
  const others = Object.entries(result.statuses).filter(([s]) => s !== '200' && s !== '503');
  probes.sort((a, b) => a - b);
  const probeP = (p: number): number => probes[Math.min(probes.length - 1, Math.floor((p / 100) * probes.length))] ?? NaN;
  lines.push(
    '## Core: overload (1,000 connections on `POST /v1/hash`)',
    '',
    `bench/load.ts in its own process keeps 1,000 keep-alive connections busy for ${options.overloadSeconds} s (10 s client timeout); the default policy (argon2id m=19456 t=2 p=1), concurrency ${cores}, queue ${cores * 8}. /healthz is probed every 100 ms during the run. The load generator shares the machine's ${cores} cores with the service, so goodput is measured against the raw figure above.`,
    '',
    '| measure | value |',
    '| --- | ---: |',
    `| 200 responses | ${ok?.count ?? 0} (${fmt(ok?.perSecond ?? 0)}/s) |`,
    `| goodput vs raw hash/s | ${pct((ok?.perSecond ?? 0) / rawHash)} |`,
    `| 503 responses | ${refused?.count ?? 0} (${fmt(refused?.perSecond ?? 0, 0)}/s) |`,
    `| other outcomes | ${others.length === 0 ? 'none' : others.map(([s, v]) => `${s}: ${v.count}`).join(', ')} |`,
    `| accepted p50 / p99 ms | ${fmt(ok?.p50 ?? NaN)} / ${fmt(ok?.p99 ?? NaN)} |`,
    `| 503 p50 / p99 ms | ${fmt(refused?.p50 ?? NaN)} / ${fmt(refused?.p99 ?? NaN)} |`,
    `| /healthz during the run p50 / p99 / max ms (${probes.length} probes) | ${fmt(probeP(50))} / ${fmt(probeP(99))} / ${fmt(probes[probes.length - 1] ?? NaN)} |`,
    `| service RSS before / peak | ${fmt(before.rssMiB)} MiB / ${fmt(after.peakMiB)} MiB |`,
    '',
  );
  return lines.join('\n');
}
