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
    `One verify at a time, ${options.seconds} s per scheme and column, in-process. "hashd scheme" parses the string and verifies, like passlib's \`handler.verify\` (passlib ${passlib ? String(passlib._version ?? '') : 'not available'}, its default backends: glibc's crypt(3) for the crypt family, hashlib/OpenSSL for the digests and PBKDF2); the ratio compares those two. "hashd service" is the whole CryptContext path a request takes (identification among all ${registry.schemes.length} schemes, caps, needs-rehash reasons, the hashing limiter). The vector is the fixture's default-cost one where it has one. Target: ratio ≥ 1.0. ${passlib ? `${compared - below} of ${compared} compared schemes meet it.` : 'passlib was not available, so no ratios were measured.'}`,
    '',
    '| scheme | parameters | hashd scheme verify/s | hashd service verify/s | passlib verify/s | hashd / passlib |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}
