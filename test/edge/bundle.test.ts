/**
 * The Worker bundle, as `wrangler deploy --dry-run` produces it, carries none of the Node-only
 * code: no native @node-rs modules, no PGlite, no worker threads or thread pools. The argon2
 * WebAssembly ships beside it as a module compiled at upload, never as bytes compiled at run time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildWorker, type WorkerBuild } from './_worker';

let build: WorkerBuild;
let code: string;
beforeAll(async () => {
  build = await buildWorker();
  code = readFileSync(build.script, 'utf8');
}, 300_000);

describe('the Worker bundle', () => {
  it('has no @node-rs, PGlite, piscina or node:worker_threads code', () => {
    // esbuild marks each bundled file with a `// node_modules/<package>/…` comment.
    for (const forbidden of ['@node-rs', '@electric-sql/pglite', 'piscina', 'worker_threads', '@hono/node-server', 'database-client', 'backend-node']) {
      expect(code.includes(forbidden), forbidden).toBe(false);
    }
    expect(code).toContain('// src/hashing/backend-edge.ts');
    expect(code).toContain('// node_modules/@noble/hashes');
    expect(code).toContain('// node_modules/bcryptjs');
    // Only runtime modules workerd provides under nodejs_compat are imported, plus the WebAssembly.
    const imports = [...code.matchAll(/^import .* from "([^"]+)";?$/gm)].map((m) => m[1] as string);
    expect(imports.length).toBeGreaterThan(0);
    for (const specifier of imports) expect(specifier, specifier).toMatch(/^((node:)?(async_hooks|buffer|crypto|events|stream|string_decoder|util|net|tls|perf_hooks)|cloudflare:sockets|\.\/[0-9a-f]+-argon2\.wasm)$/);
  });

  it('imports argon2 as a WebAssembly module shipped beside the script, and postgres over cloudflare:sockets', () => {
    const wasm = readdirSync(build.dir).filter((f) => f.endsWith('.wasm'));
    expect(wasm).toHaveLength(1);
    expect(readFileSync(join(build.dir, wasm[0] as string)).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    expect(code).toMatch(new RegExp(`^import \\w+ from "\\./${wasm[0]}"`, 'm'));
    expect(code).toContain('cloudflare:sockets');
    // Runtime compilation of bytes is what Workers refuse: the edge build must never depend on it.
    expect(code).not.toMatch(/WebAssembly\.(compile|instantiate)\(\s*(await\s+)?(readFile|fetch)/);
  });

  it('stays within the Workers size limits (3 MB compressed on the free plan, 10 MB paid)', () => {
    const gzip = gzipSync(code).length + readdirSync(build.dir).filter((f) => f.endsWith('.wasm')).reduce((n, f) => n + gzipSync(readFileSync(join(build.dir, f))).length, 0);
    expect(gzip).toBeLessThan(3 * 1024 * 1024);
  });
});
