/**
 * `npm run bench`: runs every benchmark section against the real service and writes BENCHMARKS.md
 * with the date, the machine and the versions. `npm run bench -- --only core --seconds 5` runs a
 * part, shorter, and only prints it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { coreBench } from './core';
import { edgeBench } from './edge';
import { formatsBench } from './formats';
import { memoryBench } from './memory';
import { sessionsBench } from './sessions';
import { storeBench } from './store';
import { throttleBench } from './throttle';
import { ROOT } from './lib';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(flag('seconds') ?? 10);
const only = flag('only')?.split(',');

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

const sections: { name: string; run: () => Promise<string> }[] = [
  { name: 'core', run: () => coreBench({ seconds, overloadSeconds: Math.max(seconds, 15) }) },
  { name: 'formats', run: () => formatsBench({ seconds: Math.max(0.5, seconds / 10) }) },
  { name: 'memory', run: () => memoryBench({ seconds }) },
  { name: 'sessions', run: () => sessionsBench({ seconds }) },
  { name: 'edge', run: () => edgeBench({ seconds: Math.max(2, seconds / 2) }) },
  { name: 'throttle', run: () => throttleBench({ seconds, rounds: Number(flag('throttle-rounds') ?? 5) }) },
  { name: 'store', run: () => storeBench({ seconds, importRows: Number(flag('import-rows') ?? 1_000_000), wrapRows: Number(flag('wrap-rows') ?? 3000) }) },
];

const parts: string[] = [];
for (const section of sections) {
  if (only && !only.includes(section.name)) continue;
  parts.push(await section.run());
}

const header = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory. ` +
    `Node ${process.version}; hono ${versionOf('hono')}, @hono/node-server ${versionOf('@hono/node-server')}, @node-rs/argon2 ${versionOf('@node-rs/argon2')}, @node-rs/bcrypt ${versionOf('@node-rs/bcrypt')}, autocannon ${versionOf('autocannon')}.`,
  '',
].join('\n');
// A partial run (--only, shorter --seconds) prints its tables but leaves BENCHMARKS.md, which
// holds the full run, alone.
if (!only) writeFileSync(`${ROOT}BENCHMARKS.md`, `${header}\n${parts.join('\n')}`);
process.stdout.write(`${header}\n${parts.join('\n')}`);
