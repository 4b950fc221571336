/**
 * What the app may import. A Worker builds the same src/app.ts, so nothing in its module graph
 * may load PGlite or a drizzle migrator (they read files and compile WebAssembly at import):
 * opening and migrating a database is the entry's business. The graph is walked from the
 * sources' static and dynamic imports, the way a bundler would.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** Packages that only an entry (src/entry/*) or the CLI (src/cli/*) may import. */
const ENTRY_ONLY = [/^@electric-sql\/pglite(\/|$)/, /^drizzle-orm\/pglite(\/|$)/, /\/migrator$/, /^ioredis(\/|$)/];

const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^\w.])import\s*['"]([^'"]+)['"]/g;

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

function resolveLocal(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next spelling
    }
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve ${specifier}`);
}

/** Every local module reachable from `entry`, with the packages each one imports. */
function moduleGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (graph.has(file)) continue;
    const packages: string[] = [];
    graph.set(file, packages);
    for (const specifier of specifiers(file)) {
      if (specifier.startsWith('.')) queue.push(resolveLocal(file, specifier));
      else packages.push(specifier);
    }
  }
  return graph;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const entryOnly = (specifier: string): boolean => ENTRY_ONLY.some((pattern) => pattern.test(specifier));

describe('module boundaries', () => {
  it('walks the real graph of src/app.ts (the walk itself finds the modules it should)', () => {
    const graph = moduleGraph(join(SRC, 'app.ts'));
    const local = [...graph.keys()].map((file) => relative(SRC, file));
    expect(local).toEqual(expect.arrayContaining(['app.ts', 'routes/users.ts', 'db/index.ts', 'db/repositories.ts', 'store/login.ts']));
    expect(graph.get(join(SRC, 'app.ts'))).toEqual(expect.arrayContaining(['hono']));
    // The Node entry's graph does reach PGlite: the pattern would catch it if app.ts did.
    const node = [...moduleGraph(join(SRC, 'entry/node.ts')).values()].flat();
    expect(node.filter(entryOnly)).toEqual(expect.arrayContaining(['@electric-sql/pglite', 'drizzle-orm/pglite/migrator']));
  });

  it('keeps PGlite and the migrators out of everything src/app.ts imports', () => {
    const offenders = [...moduleGraph(join(SRC, 'app.ts'))].flatMap(([file, packages]) =>
      packages.filter(entryOnly).map((pkg) => `${relative(SRC, file)} imports ${pkg}`),
    );
    expect(offenders).toEqual([]);
  });

  it('imports PGlite and the migrators only in src/entry and src/cli', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !/^(entry|cli)\//.test(relative(SRC, file)))
      .flatMap((file) => specifiers(file).filter(entryOnly).map((pkg) => `${relative(SRC, file)} imports ${pkg}`));
    expect(offenders).toEqual([]);
  });
});
