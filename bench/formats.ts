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
import { CryptContext } from '../src/hashing/policy';
import { resolvePolicy } from '../src/hashing/policy-config';
import { createRegistry } from '../src/hashing/registry';
import { BUILTIN_SCHEMES } from '../src/hashing/schemes/index';
import { fmt, ROOT, throughput } from './lib';

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

function passlibRates(vectors: Vector[], seconds: number): Record<string, number | null> | undefined {
  const probe = spawnSync('python3', ['-c', 'import passlib'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const run = spawnSync('python3', [`${ROOT}bench/passlib_bench.py`, String(seconds)], { input: JSON.stringify(vectors), encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) {
    process.stderr.write(`formats: passlib run failed: ${run.stderr}\n`);
    return undefined;
  }
  return JSON.parse(run.stdout) as Record<string, number | null>;
}

export async function formatsBench(options: { seconds: number }): Promise<string> {
  const registry = createRegistry(BUILTIN_SCHEMES);
  const vectors = pickVectors();
  // Every scheme accepted (ambiguous and plaintext ones named), default caps raised for the
  // default-cost vectors, one verify at a time.
  const schemes = ['argon2id', ...registry.schemes.map((s) => s.name).filter((n) => n !== 'argon2id')];
  const policy = resolvePolicy({ schemes, legacy_raw: registry.schemes.filter((s) => s.ambiguous).map((s) => s.name) }, registry);
  const crypt = new CryptContext({ policy, registry, env: nodeSchemeEnv(), limiter: createLimiter({ concurrency: 1, maxQueue: 10 }) });
  const rows: string[] = [];
  const hashd: Record<string, number> = {};
  for (const v of vectors) {
    process.stderr.write(`formats: ${v.scheme}\n`);
    const extras = { ...(v.user !== undefined && { user: v.user }), ...(v.salt !== undefined && { salt: v.salt }), rehash: false };
    try {
      const check = await crypt.verify(v.password, v.hash, extras);
      if (!check.valid) throw new Error('vector did not verify');
      hashd[v.scheme] = await throughput(() => crypt.verify(v.password, v.hash, extras), { inFlight: 1, seconds: options.seconds });
    } catch (err) {
      process.stderr.write(`formats: ${v.scheme}: ${(err as Error).message}\n`);
      hashd[v.scheme] = Number.NaN;
    }
  }
  process.stderr.write('formats: passlib\n');
  const passlib = passlibRates(vectors, options.seconds);
  let below = 0;
  let compared = 0;
  for (const v of vectors) {
    const ours = hashd[v.scheme] ?? Number.NaN;
    const theirs = passlib?.[v.scheme] ?? null;
    const ratio = theirs ? ours / theirs : Number.NaN;
    if (Number.isFinite(ratio)) {
      compared++;
      if (ratio < 1) below++;
    }
    const params = (() => {
      try {
        return JSON.stringify(crypt.identify(v.hash).params).replace(/"/g, '').slice(0, 60);
      } catch {
        return '';
      }
    })();
    rows.push(`| ${v.scheme} | ${params} | ${fmt(ours)} | ${theirs ? fmt(theirs) : '—'} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}${ratio < 1 ? ' ⚠' : ''}` : '—'} |`);
  }
  return [
    '## Formats: verify throughput per scheme, hashd vs passlib',
    '',
    `One verify at a time, ${options.seconds} s per scheme, in-process (hashd: CryptContext.verify with caps and parsing; passlib ${passlib ? (passlib._version ?? '') : 'not available'}: handler.verify in python3). The vector is the fixture's default-cost one where it has one. Target: ratio ≥ 1.0. ${passlib ? `${compared - below} of ${compared} compared schemes meet it.` : 'passlib was not available, so no ratios were measured.'}`,
    '',
    '| scheme | parameters | hashd verify/s | passlib verify/s | hashd / passlib |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}
