/**
 * `npm run build` and `npm start` on a fresh copy of the tree: start builds dist/ when it is
 * missing or stale and then runs the built JavaScript (not tsx), and the CLI runs from dist/
 * where no sources are installed (as in the production image).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hashd-build-'));
const tree = join(dir, 'tree');
const run = promisify(execFile);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const item of ['src', 'scripts', 'bin', 'drizzle', 'package.json', 'package-lock.json']) cpSync(join(root, item), join(tree, item), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');

function start(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['scripts/start.cjs'], {
    cwd: tree,
    env: { ...process.env, DATABASE_URL: '', HASHD_API_KEYS: '', HOST: '127.0.0.1', PORT: '0', HASHD_DATA_DIR: join(dir, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function listeningPort(output: () => string): Promise<number> {
  // Generous: the first start builds, and PGlite initialises a new data directory.
  for (let i = 0; i < 3600; i++) {
    const line = output()
      .split('\n')
      .find((l) => l.includes('"hashd listening"'));
    if (line) return (JSON.parse(line) as { port: number }).port;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not start:\n${output()}`);
}

async function startAndHash(): Promise<string> {
  const server = start();
  try {
    const port = await listeningPort(server.output);
    const res = await fetch(`http://127.0.0.1:${port}/v1/hash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'pw' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { hash: string }).hash).toMatch(/^\$argon2id\$/);
    // md5-crypt verifies on the legacy-verify pool's threads, which load dist/entry/pool-task.js.
    const legacy = await fetch(`http://127.0.0.1:${port}/v1/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'hashcat', hash: '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/' }),
    });
    expect(((await legacy.json()) as { valid: boolean }).valid).toBe(true);
    // The running code is the bundle, not the TypeScript sources.
    const maps = readFileSync(`/proc/${server.child.pid}/maps`, 'utf8');
    expect(maps).not.toContain('tsx');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    return server.output();
  } finally {
    server.child.kill('SIGKILL');
  }
}

describe('npm run build / npm start', () => {
  it('builds when dist/ is missing or stale, not when it is fresh, and runs the bundle', { timeout: 300_000 }, async () => {
    expect(existsSync(join(tree, 'dist'))).toBe(false);
    const first = await startAndHash();
    expect(first).toContain('dist/ is missing or stale; building');
    expect(existsSync(join(tree, 'dist/entry/node.js'))).toBe(true);

    const fresh = await startAndHash();
    expect(fresh).not.toContain('building');

    const file = join(tree, 'src/routes/health.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// changed\n`);
    const stale = await startAndHash();
    expect(stale).toContain('dist/ is missing or stale; building');
  });

  it('the CLI runs from dist/ where no sources are installed', { timeout: 300_000 }, async () => {
    const { build } = (await import(join(tree, 'scripts/build.mjs'))) as { build: () => Promise<string> };
    await build();
    renameSync(join(tree, 'src'), join(tree, 'src.off'));
    try {
      const policy = join(dir, 'policy.toml');
      writeFileSync(policy, 'default = "argon2id"\nschemes = ["argon2id", "bcrypt"]\n');
      const { stdout } = await run(process.execPath, [join(tree, 'bin/hashd.cjs'), 'policy', 'check', policy], { cwd: dir });
      expect(stdout).toContain(': ok');
      const migrate = await run(process.execPath, [join(tree, 'bin/hashd.cjs'), 'migrate'], { cwd: dir, env: { ...process.env, DATABASE_URL: '', HASHD_DATA_DIR: join(dir, 'cli-data') } });
      expect(migrate.stdout).toBe('migrations applied (pglite)\n');
    } finally {
      renameSync(join(tree, 'src.off'), join(tree, 'src'));
    }
  });
});
