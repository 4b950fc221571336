/**
 * Runs autocannon in this process and prints its JSON result with this process's own CPU use, so
 * a benchmark can report what the load generator itself cost the shared cores.
 * `node --import tsx bench/cannon.ts '<json options>'` (bench/lib.ts's cannon() starts it niced).
 */
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2] ?? '{}') as { url: string; method?: string; body?: string; connections: number; seconds: number };
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const result = await autocannon({
  url: options.url,
  method: (options.method ?? 'GET') as 'GET',
  connections: options.connections,
  duration: options.seconds,
  ...(options.body !== undefined && { body: options.body, headers: { 'content-type': 'application/json' } }),
});
const cpu = process.cpuUsage(cpu0);
const wall = (performance.now() - wall0) / 1000;
process.stdout.write(JSON.stringify({ result, cpu: { seconds: (cpu.user + cpu.system) / 1e6, wall } }));
