/**
 * Throttling's cost on login: `POST /v1/login` requests/s with throttling off
 * (HASHD_THROTTLE_STORE=off), on with the memory store and on with Redis (REDIS_URL), in the
 * same run, against one PostgreSQL database and one stored argon2id hash (m=19456 t=2 p=1, as
 * bench/store.ts's login measurement). The three services run side by side, started once; the
 * rounds load one at a time, in a rotating order, so drift on a shared machine hits every mode
 * alike, and each round's ratios compare runs minutes apart at most. Besides req/s the table
 * gives each service's CPU per login and Redis's own CPU per login (INFO cpu), which noise moves
 * less. On a loaded machine the HTTP runs swing by more than the 5% measured, so a second
 * table times the throttle alone in this process, in the same run: `Throttle.guard` around a check
 * that does nothing, with the memory store and with the Redis store, as attempts/s and CPU per
 * attempt (this process's, and Redis's own), set against one login's service CPU with throttling
 * off. Target: throttling costs < 5% of login throughput (on / off ≥ 95%).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { Redis } from 'ioredis';
import { systemClock } from '../src/clock';
import { createRedisThrottleStore } from '../src/entry/throttle-redis';
import { createMemoryThrottleStore } from '../src/throttle/memory';
import { createThrottle, type ThrottleStore } from '../src/throttle/throttle';
import { cannon, cpuSecondsOf, fmt, pct, startService, throughput, type CannonResult, type Service } from './lib';
import { withDatabase } from './store';

const REDIS_URL = process.env.HASHD_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/10';
const MODES = ['off', 'memory', 'redis'] as const;
type Mode = (typeof MODES)[number];
const PASSWORD = 'correct horse battery staple';
const TARGET = 0.95;

interface Run extends CannonResult {
  /** The service's CPU per completed login, ms. */
  cpuMsPerLogin: number;
  /** Redis's CPU per completed login, ms (redis mode). */
  redisMsPerLogin?: number;
}

async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_sys') + field('used_cpu_user');
}

/** A small share, with two decimals (0.04%). */
const share = (ratio: number): string => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(2)}%` : 'n/a');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

interface GuardCost {
  perSecond: number;
  /** This process's CPU per attempt (the throttle and, for Redis, its client), µs. */
  cpuUs: number;
  /** Redis's CPU per attempt, µs. */
  redisUs?: number;
}

/** `Throttle.guard` around a check that does nothing and succeeds, `inFlight` at once. */
async function guardCost(store: ThrottleStore, options: { seconds: number; inFlight: number; redis?: Redis }): Promise<GuardCost> {
  const throttle = createThrottle({ store, clock: systemClock });
  const subject = { tenant: 'bench', userId: 'bench-user', purpose: 'password', address: '203.0.113.7' };
  const attempt = (): Promise<boolean> => throttle.guard(subject, async () => true, (ok) => ok);
  for (let i = 0; i < 200; i++) await attempt();
  const redis0 = options.redis ? await redisCpuSeconds(options.redis) : 0;
  const cpu0 = process.cpuUsage();
  let attempts = 0;
  const perSecond = await throughput(() => attempt().then(() => attempts++), { inFlight: options.inFlight, seconds: options.seconds });
  const cpu = process.cpuUsage(cpu0);
  const out: GuardCost = { perSecond, cpuUs: (cpu.user + cpu.system) / attempts };
  if (options.redis) out.redisUs = (((await redisCpuSeconds(options.redis)) - redis0) * 1e6) / attempts;
  await throttle.close();
  return out;
}

export async function throttleBench(options: { seconds: number; rounds?: number }): Promise<string> {
  const cores = availableParallelism();
  const connections = cores * 4;
  const rounds = options.rounds ?? 5;
  const prefix = `hashd:bench:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const load0 = loadavg();
  try {
    return await withDatabase(async (url) => {
      const env: Record<Mode, Record<string, string>> = {
        off: { HASHD_THROTTLE_STORE: 'off', REDIS_URL: '' },
        memory: { HASHD_THROTTLE_STORE: 'memory', REDIS_URL: '' },
        redis: { HASHD_THROTTLE_STORE: 'redis', REDIS_URL, HASHD_REDIS_PREFIX: prefix },
      };
      const services = {} as Record<Mode, Service>;
      // One after the other: the first applies the migrations.
      for (const mode of MODES) services[mode] = await startService({ DATABASE_URL: url, ...env[mode] });
      try {
        const put = await fetch(`${services.off.url}/v1/users/bench-user/password`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: PASSWORD }) });
        if (put.status !== 204) throw new Error(`PUT failed: ${put.status}`);
        const body = { userId: 'bench-user', password: PASSWORD, clientIp: '203.0.113.7' };
        const runs: Record<Mode, Run>[] = [];
        for (let round = 0; round < rounds; round++) {
          const order = MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
          const results = {} as Record<Mode, Run>;
          for (const mode of order) {
            process.stderr.write(`throttle: round ${round + 1}, ${mode}\n`);
            const service = services[mode];
            const cpu0 = cpuSecondsOf(service.pid);
            const redis0 = mode === 'redis' ? await redisCpuSeconds(redis) : 0;
            const result = await cannon({ url: `${service.url}/v1/login`, method: 'POST', body, connections, seconds: options.seconds });
            const cpu = cpuSecondsOf(service.pid) - cpu0;
            const run: Run = { ...result, cpuMsPerLogin: (cpu * 1000) / result.total };
            if (mode === 'redis') run.redisMsPerLogin = (((await redisCpuSeconds(redis)) - redis0) * 1000) / result.total;
            results[mode] = run;
          }
          runs.push(results);
        }
        const ratio = (r: Record<Mode, Run>, mode: Mode): number => r[mode].rps / r.off.rps;
        const memoryRatio = median(runs.map((r) => ratio(r, 'memory')));
        const redisRatio = median(runs.map((r) => ratio(r, 'redis')));
        const cell = (r: Run): string => `${fmt(r.rps)} (${r.p50} / ${r.p99}${r.non2xx + r.errors > 0 ? `; ${r.non2xx + r.errors} failed` : ''})`;
        const cpuCell = (r: Record<Mode, Run>): string => MODES.map((m) => fmt(r[m].cpuMsPerLogin, 2)).join(' / ');
        process.stderr.write('throttle: guard() in process\n');
        const guardSeconds = Math.max(1, options.seconds / 2);
        const redisStore = createRedisThrottleStore({ url: REDIS_URL, prefix });
        if (!(await redisStore.connected(5000))) throw new Error(`Redis at ${REDIS_URL} is unreachable`);
        const guards: Record<'memory' | 'redis', GuardCost> = {
          memory: await guardCost(createMemoryThrottleStore(), { seconds: guardSeconds, inFlight: connections }),
          redis: await guardCost(redisStore, { seconds: guardSeconds, inFlight: connections, redis }),
        };
        const offCpuUs = median(runs.map((r) => r.off.cpuMsPerLogin)) * 1000;
        const load1 = loadavg();
        const verdict = (ratio: number): string => (ratio >= TARGET ? 'meets' : 'misses');
        return [
          '## Throttling: login with throttling off, on (memory) and on (Redis)',
          '',
          `\`POST /v1/login\` of one stored argon2id hash (m=19456 t=2 p=1) with a \`clientIp\` (so the account and the address counters are both checked), over HTTP against PostgreSQL, autocannon with ${connections} connections for ${options.seconds} s per run. Three services run side by side on the same database: \`HASHD_THROTTLE_STORE=off\`, \`memory\`, and \`redis\` (${REDIS_URL.replace(/\/\/[^@]*@/, '//')}); each round loads one at a time in a rotating order. CPU per login is the service's own (user + system); Redis's is its server's \`INFO cpu\` over the run. Load average (1/5/15 min) before: ${load0.map((l) => l.toFixed(2)).join(' / ')}, after: ${load1.map((l) => l.toFixed(2)).join(' / ')}. Target: throttling costs < 5% of login throughput (on / off ≥ 95%): memory ${verdict(memoryRatio)} it (${pct(memoryRatio)}), Redis ${verdict(redisRatio)} it (${pct(redisRatio)}).`,
          '',
          '| round | off req/s (p50 / p99 ms) | memory req/s | Redis req/s | memory / off | Redis / off | service CPU ms per login (off / memory / Redis) | Redis server CPU ms per login (shared server: an upper bound) |',
          '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
          ...runs.map((r, i) => `| ${i + 1} | ${cell(r.off)} | ${cell(r.memory)} | ${cell(r.redis)} | ${pct(ratio(r, 'memory'))} | ${pct(ratio(r, 'redis'))} | ${cpuCell(r)} | ${fmt(r.redis.redisMsPerLogin ?? NaN, 3)} |`),
          `| median | ${fmt(median(runs.map((r) => r.off.rps)))} | ${fmt(median(runs.map((r) => r.memory.rps)))} | ${fmt(median(runs.map((r) => r.redis.rps)))} | ${pct(memoryRatio)} | ${pct(redisRatio)} | ${MODES.map((m) => fmt(median(runs.map((r) => r[m].cpuMsPerLogin)), 2)).join(' / ')} | ${fmt(median(runs.map((r) => r.redis.redisMsPerLogin ?? NaN)), 3)} |`,
          '',
          `The throttle alone, in the bench process, ${guardSeconds} s each: \`Throttle.guard\` (reserve the account and address counters, run a check that does nothing, settle it as a success) with ${connections} attempts in flight, against one login's service CPU with throttling off (${fmt(offCpuUs / 1000, 2)} ms, the median above). Redis's CPU is its server's \`INFO cpu\` over the run (a shared server: an upper bound).`,
          '',
          "| store | attempts/s | CPU µs per attempt (this process) | Redis server CPU µs per attempt | this process CPU / one login's CPU (off) |",
          '| --- | ---: | ---: | ---: | ---: |',
          `| memory | ${fmt(guards.memory.perSecond, 0)} | ${fmt(guards.memory.cpuUs, 1)} | | ${share(guards.memory.cpuUs / offCpuUs)} |`,
          `| Redis | ${fmt(guards.redis.perSecond, 0)} | ${fmt(guards.redis.cpuUs, 1)} | ${fmt(guards.redis.redisUs ?? NaN, 1)} | ${share(guards.redis.cpuUs / offCpuUs)} |`,
          '',
        ].join('\n');
      } finally {
        await Promise.all(MODES.map((m) => services[m]?.stop()));
      }
    });
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}
