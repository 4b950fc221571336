/**
 * A closed-loop HTTP load generator for runs where autocannon's summary is not enough: it keeps
 * `connections` requests in flight on keep-alive sockets and records latency per status code, so
 * an overload run can report the latency of accepted (200) and refused (503) requests apart.
 * Runs as its own process (`node --import tsx bench/load.ts '<json options>'`) and prints JSON.
 */
import http from 'node:http';

interface Options {
  url: string;
  method: string;
  body?: string;
  connections: number;
  seconds: number;
  timeoutMs: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
const latencies = new Map<string, number[]>();
const cpu0 = process.cpuUsage();
const started = performance.now();
const deadline = started + options.seconds * 1000;

function record(status: string, ms: number): void {
  let list = latencies.get(status);
  if (!list) latencies.set(status, (list = []));
  list.push(ms);
}

function once(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      options.url,
      { method: options.method, agent, headers: options.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) } : {}, timeout: options.timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => {
          record(String(res.statusCode), performance.now() - t0);
          resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => {
      record(err.message === 'timeout' ? 'timeout' : 'error', performance.now() - t0);
      resolve();
    });
    if (options.body) req.write(options.body);
    req.end();
  });
}

async function loop(): Promise<void> {
  while (performance.now() < deadline) await once();
}

await Promise.all(Array.from({ length: options.connections }, loop));
const elapsed = (performance.now() - started) / 1000;
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const summary: Record<string, { count: number; perSecond: number; p50: number; p99: number; max: number }> = {};
for (const [status, list] of latencies) {
  list.sort((a, b) => a - b);
  summary[status] = { count: list.length, perSecond: list.length / elapsed, p50: pct(list, 50), p99: pct(list, 99), max: list[list.length - 1] ?? NaN };
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ elapsed, cpu: { seconds: (cpu.user + cpu.system) / 1e6, wall: elapsed }, statuses: summary }));
agent.destroy();
