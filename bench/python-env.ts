/**
 * The Python reference the formats bench compares against: passlib 1.7.4 (pinned) in a virtual
 * environment in a cache folder, created on first use from pip's configured index/mirror. When
 * that fails the bench says so loudly and the comparison is marked skipped, never left blank.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib';

export const PASSLIB_VERSION = '1.7.4';
/** passlib's optional backends for bcrypt and argon2 (the versions pip's mirror here has; with bcrypt 5 passlib's bcrypt backend may refuse to load, which the table shows). */
const BACKENDS = ['bcrypt==5.0.0', 'argon2-cffi==25.1.0'];

export type PythonEnv = { python: string; note: string } | { skipped: string };

function ok(python: string): boolean {
  const probe = spawnSync(python, ['-c', `import passlib, sys; sys.exit(0 if passlib.__version__ == '${PASSLIB_VERSION}' else 1)`], { encoding: 'utf8' });
  return probe.status === 0;
}

export function passlibPython(): PythonEnv {
  const cache = process.env.HASHD_BENCH_CACHE ?? join(ROOT, 'node_modules', '.cache', 'hashd-bench');
  const venv = join(cache, `passlib-${PASSLIB_VERSION}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(python) && ok(python)) return { python, note: `passlib ${PASSLIB_VERSION} from ${venv}` };
  mkdirSync(cache, { recursive: true });
  const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
  if (made.status !== 0) return { skipped: `python3 -m venv failed: ${(made.stderr || made.error?.message || '').trim().slice(0, 300)}` };
  const pip = spawnSync(python, ['-m', 'pip', 'install', '--quiet', `passlib==${PASSLIB_VERSION}`], { encoding: 'utf8' });
  if (pip.status !== 0 || !ok(python)) return { skipped: `pip install passlib==${PASSLIB_VERSION} failed: ${(pip.stderr || '').trim().slice(0, 300)}` };
  // The optional backends: without them passlib still verifies the crypt family and digests.
  const extras = spawnSync(python, ['-m', 'pip', 'install', '--quiet', ...BACKENDS], { encoding: 'utf8' });
  const note = extras.status === 0 ? '' : ` (without ${BACKENDS.join(', ')}: ${(extras.stderr || '').trim().slice(0, 120)})`;
  return { python, note: `passlib ${PASSLIB_VERSION} from ${venv}${note}` };
}
