/**
 * Formats benchmark: per scheme, hashd's in-process verify throughput for a reference vector (the
 * default-cost one where the fixtures have it), and — when python3 with passlib is available —
 * passlib's verify throughput for the same vector measured in the same run. One verify at a
 * time on both sides, so the ratio compares the implementations, not the core count.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { nodeSchemeEnv } from '../src/entry/runtime-node';
import { createLimiter } from '../src/hashing/limiter';
import { CryptContext } from '../src/hashing/crypt-context';
import { resolvePolicy } from '../src/hashing/policy-config';
import { createRegistry } from '../src/hashing/registry';
import { BUILTIN_SCHEMES } from '../src/hashing/schemes/index';
import { OFFLOADED_SCHEMES } from '../src/hashing/offload';
import { createVerifyPool } from '../src/hashing/pool-node';
import { availableParallelism } from 'node:os';
import { fmt, ROOT, throughput } from './lib';
import { passlibPython } from './python-env';

interface Vector {
  scheme: string;
  hash: string;
  password: string;
  user?: string;
  salt?: string;
  default_cost?: boolean;
  expect?: boolean;
  params?: unknown;
}

const FILES = ['argon2', 'bcrypt', 'scrypt', 'pbkdf2', 'crypt', 'phpass', 'ldap', 'django', 'raw', 'beyond'];

function pickVectors(): Vector[] {
  const chosen = new Map<string, Vector>();
  for (const file of FILES) {
    const { vectors } = JSON.parse(readFileSync(`${ROOT}test/vectors/${file}.json`, 'utf8')) as { vectors: Vector[] };
    for (const v of vectors) {
      if (v.expect === false || v.params !== undefined) continue;
      const current = chosen.get(v.scheme);
      if (!current || (v.default_cost && !current.default_cost)) chosen.set(v.scheme, v);
    }
  }
  return [...chosen.values()];
}

let passlibNote = '';

function passlibRates(vectors: Vector[], seconds: number): Record<string, number | null> | undefined {
  const env = passlibPython();
  if ('skipped' in env) {
    passlibNote = `SKIPPED: ${env.skipped}`;
    process.stderr.write(`\n!!! formats: the passlib comparison is SKIPPED: ${env.skipped}\n\n`);
    return undefined;
  }
  passlibNote = env.note;
  const run = spawnSync(env.python, [`${ROOT}bench/passlib_bench.py`, String(seconds)], { input: JSON.stringify(vectors), encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) {
    passlibNote = `SKIPPED: the passlib run failed: ${run.stderr.slice(0, 200)}`;
    process.stderr.write(`\n!!! formats: passlib run failed, comparison SKIPPED: ${run.stderr}\n\n`);
    return undefined;
  }
  return JSON.parse(run.stdout) as Record<string, number | null>;
}

/**
 * The legacy schemes on the worker pool: verifies/s with one thread (one verify at a time) and
 * with one thread per core (as many verifies in flight), against passlib's one-core rate.
 */
async function legacyTable(vectors: Vector[], passlib: Record<string, number | null> | undefined, seconds: number): Promise<string> {
  const cores = availableParallelism();
  const legacy = vectors.filter((v) => OFFLOADED_SCHEMES.has(v.scheme));
  const encoder = new TextEncoder();
  const rates: { v: Vector; one: number; all: number }[] = [];
  const one = createVerifyPool({ threads: 1 });
  const all = createVerifyPool({ threads: cores });
  await Promise.all([one.warm(), all.warm()]);
  for (const v of legacy) {
    process.stderr.write(`formats: legacy pool ${v.scheme}\n`);
    const task = { scheme: v.scheme, hash: v.hash, password: encoder.encode(v.password), extras: {} };
    rates.push({
      v,
      one: await throughput(() => one.run(task), { inFlight: 1, seconds }),
      all: await throughput(() => all.run(task), { inFlight: cores, seconds }),
    });
  }
  await Promise.all([one.close(), all.close()]);
  const rows = rates.map(({ v, one: r1, all: rn }) => {
    const theirs = passlib?.[v.scheme] ?? null;
    const ratio = theirs ? r1 / theirs : Number.NaN;
    const scale = rn / r1;
    return `| ${v.scheme} | ${fmt(r1)} | ${fmt(rn)} | ${scale.toFixed(2)}${scale < 1.8 ? ' ⚠' : ''} | ${theirs ? fmt(theirs) : '—'} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}${ratio < 1 ? ' ⚠' : ''}` : '—'} |`;
  });
  return [
    `### Legacy schemes on the worker pool: 1 core and all ${cores} cores vs passlib`,
    '',
    `Verifies through the legacy-verify pool (src/hashing/pool-node.ts), ${seconds} s per cell: one thread with one verify in flight, and ${cores} threads with ${cores} in flight. passlib: one verify at a time (${passlibNote || 'not run'}). Targets: 1 core ≥ 1.0× passlib; all cores ≥ 1.8× one core.`,
    '',
    `| scheme | 1 thread verify/s | ${cores} threads verify/s | scaling | passlib verify/s | 1 thread / passlib |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

export async function formatsBench(options: { seconds: number }): Promise<string> {
  const registry = createRegistry(BUILTIN_SCHEMES);
  const vectors = pickVectors();
  const env = nodeSchemeEnv();
  // The service path: every non-ambiguous scheme accepted; an ambiguous or plaintext scheme gets
  // a policy that names it alone (as a deployment would), one verify at a time.
  const contextFor = (scheme: string): CryptContext => {
    const s = registry.get(scheme);
    const file = s?.ambiguous || s?.plaintext ? { schemes: [scheme, 'argon2id'], default: 'argon2id' } : {};
    return new CryptContext({ policy: resolvePolicy(file, registry), registry, env, limiter: createLimiter({ concurrency: 1, maxQueue: 10 }) });
  };
  const shared = contextFor('argon2id');
  const encoder = new TextEncoder();
  const schemeRate: Record<string, number> = {};
  const serviceRate: Record<string, number> = {};
  for (const v of vectors) {
    process.stderr.write(`formats: ${v.scheme}\n`);
    const extras = { ...(v.user !== undefined && { user: v.user }), ...(v.salt !== undefined && { salt: v.salt }) };
    const scheme = registry.get(v.scheme);
    const crypt = scheme?.ambiguous || scheme?.plaintext ? contextFor(v.scheme) : shared;
    try {
      if (!scheme) throw new Error('unknown scheme');
      const password = encoder.encode(v.password);
      // Like passlib's handler.verify: parse the string, then verify.
      const once = (): Promise<boolean> => scheme.verify(password, scheme.parse(v.hash), env, extras);
      if (!(await once())) throw new Error('vector did not verify');
      schemeRate[v.scheme] = await throughput(once, { inFlight: 1, seconds: options.seconds });
      const check = await crypt.verify(v.password, v.hash, { ...extras, rehash: false });
      if (!check.valid) throw new Error('vector did not verify through the policy');
      serviceRate[v.scheme] = await throughput(() => crypt.verify(v.password, v.hash, { ...extras, rehash: false }), { inFlight: 1, seconds: options.seconds });
    } catch (err) {
      process.stderr.write(`formats: ${v.scheme}: ${(err as Error).message}\n`);
      schemeRate[v.scheme] ??= Number.NaN;
      serviceRate[v.scheme] = Number.NaN;
    }
  }
  process.stderr.write('formats: passlib\n');
  const passlib = passlibRates(vectors, options.seconds);
  let below = 0;
  let compared = 0;
  const rows: string[] = [];
  for (const v of vectors) {
    const ours = schemeRate[v.scheme] ?? Number.NaN;
    const theirs = passlib?.[v.scheme] ?? null;
    const ratio = theirs ? ours / theirs : Number.NaN;
    if (Number.isFinite(ratio)) {
      compared++;
      if (ratio < 1) below++;
    }
    let params = '';
    try {
      params = JSON.stringify(contextFor(v.scheme).identify(v.hash).params).replace(/"/g, '').slice(0, 60);
    } catch {
      params = '';
    }
    rows.push(
      `| ${v.scheme} | ${params} | ${fmt(ours)} | ${fmt(serviceRate[v.scheme] ?? Number.NaN)} | ${theirs ? fmt(theirs) : '—'} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}${ratio < 1 ? ' ⚠' : ''}` : '—'} |`,
    );
  }
  return [
    '## Formats: verify throughput per scheme, hashd vs passlib',
    '',
    `One verify at a time, ${options.seconds} s per scheme and column, in-process. "hashd scheme" parses the string and verifies, like passlib's \`handler.verify\` (${passlib ? passlibNote : `passlib comparison ${passlibNote || 'SKIPPED'}`}; its default backends: glibc's crypt(3) for the crypt family, hashlib/OpenSSL for the digests and PBKDF2); the ratio compares those two. "hashd service" is the whole CryptContext path a request takes (identification among all ${registry.schemes.length} schemes, caps, needs-rehash reasons, the hashing limiter). The vector is the fixture's default-cost one where it has one. Target: ratio ≥ 1.0. ${passlib ? `${compared - below} of ${compared} compared schemes meet it.` : 'passlib was not available, so no ratios were measured.'}`,
    '',
    '| scheme | parameters | hashd scheme verify/s | hashd service verify/s | passlib verify/s | hashd / passlib |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    await legacyTable(vectors, passlib, options.seconds),
  ].join('\n');
}
