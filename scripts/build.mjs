// `npm run build`: bundles the Node entry and the CLI into dist/ with esbuild, and records a
// fingerprint of everything that went in, so `npm start` can tell a stale build from a fresh one.
//
// Packages stay external (resolved from node_modules at run time): the native @node-rs binaries,
// PGlite's WebAssembly and swagger-ui-dist's assets are files that a bundle cannot carry. The
// bundles sit two folders deep (dist/entry, dist/cli), like their sources, so a path the code
// resolves against its own location (the drizzle/ migrations) means the same thing in both; and
// there is no code splitting, since a shared chunk would sit at another depth.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The bundles: source → output, relative to the root. */
export const ENTRIES = [
  { in: 'src/entry/node.ts', out: 'entry/node' },
  { in: 'src/cli/main.ts', out: 'cli/main' },
  // The legacy-verify pool's threads load `./pool-task.js` next to the module that starts them
  // (src/hashing/pool-node.ts): one beside each bundle.
  { in: 'src/hashing/pool-task.ts', out: 'entry/pool-task' },
  { in: 'src/hashing/pool-task.ts', out: 'cli/pool-task' },
  // The typed client (package.json "exports": "hashd/client"); it imports nothing of the server.
  { in: 'src/client/index.ts', out: 'client/index' },
];

const STAMP = '.source-hash';

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * SHA-256 over the path and content of every input of the build: the sources, this script and
 * the package manifests. Content, not mtimes: a checkout or a copy gives files new times.
 */
export function sourceFingerprint(root = ROOT) {
  const files = [...listFiles(join(root, 'src')), join(root, 'scripts', 'build.mjs'), join(root, 'package.json'), join(root, 'package-lock.json')]
    .filter((f) => existsSync(f))
    .map((f) => relative(root, f).split('\\').join('/'))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** True when dist/ is missing, incomplete or was built from other sources. */
export function isStale(root = ROOT) {
  const dist = join(root, 'dist');
  const stamp = join(dist, STAMP);
  if (!existsSync(stamp)) return true;
  for (const e of ENTRIES) if (!existsSync(join(dist, `${e.out}.js`))) return true;
  if (!existsSync(join(dist, 'entry', 'launch.cjs'))) return true;
  return readFileSync(stamp, 'utf8').trim() !== sourceFingerprint(root);
}

export async function build(root = ROOT) {
  const { build: esbuild } = await import('esbuild');
  const dist = join(root, 'dist');
  const fingerprint = sourceFingerprint(root);
  rmSync(dist, { recursive: true, force: true });
  await esbuild({
    absWorkingDir: root,
    entryPoints: ENTRIES.map((e) => ({ in: e.in, out: e.out })),
    outdir: dist,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  // The CommonJS launcher sizes libuv's threadpool before any ES module loads (see its header).
  mkdirSync(join(dist, 'entry'), { recursive: true });
  copyFileSync(join(root, 'src', 'entry', 'launch.cjs'), join(dist, 'entry', 'launch.cjs'));
  writeFileSync(join(dist, STAMP), `${fingerprint}\n`);
  return dist;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const dist = await build();
  process.stdout.write(`built ${relative(process.cwd(), dist) || dist}/ in ${Date.now() - started} ms\n`);
}
