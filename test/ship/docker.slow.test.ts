/**
 * The Dockerfile, performed without Docker (no engine runs on this machine). The test parses the
 * Dockerfile and carries out its own instructions, stage by stage, each stage in its own
 * directory standing for the image's root filesystem:
 *   COPY      from the build context (the checkout filtered by .dockerignore) or `--from=<stage>`;
 *             a source that is missing, or excluded by .dockerignore, fails as `docker build` would;
 *   WORKDIR / ENV / USER / VOLUME / HEALTHCHECK / CMD as the image records them;
 *   RUN       through `sh -c` in the stage's WORKDIR with the stage's ENV, absolute image paths
 *             mapped under the stage's root.
 * Then it starts the runtime stage's CMD the way `docker run -e HASHD_API_KEYS=… -e PORT=…` would
 * (the image's environment only, as the image's USER), calls /healthz and /v1/hash, and runs the
 * HEALTHCHECK command against it (exit 0), and again after the server stopped (exit 1).
 *
 * Two substitutions, both named: the base image's `node` user (uid/gid 1000 in the official
 * node images) stands in for the name where this machine has no such user; and the build stage's
 * full `npm ci` links the checkout's node_modules instead of reinstalling every development
 * dependency, when the stage holds the same package.json and package-lock.json that the checkout
 * was installed from (npm ci installs exactly the lock file, so the tree is the same). The runtime
 * stage's production-only install is run for real, from a private copy of the local npm cache
 * (prefer-offline), so the shipped dependency set is exercised and `npm cache clean` touches only
 * that copy.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, ROOT, spawnServer, type ServerProcess } from './_server';

const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Parsing

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions of a Dockerfile: comments dropped, backslash continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      line = line.replace(/\\\s*$/, ' ');
      i++;
      const next = lines[i] as string;
      if (!/^\s*#/.test(next)) line += next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line.trim());
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse "${line}"`);
    out.push({ op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start + 1 });
  }
  return out;
}

/** `["a","b"]` (exec form) or a shell-form string run by `sh -c`. */
export function commandOf(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return ['/bin/sh', '-c', args];
}

/** ENV in either form: `K=V K2="V 2"` or the legacy `K V`. */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [k, ...rest] = args.split(/\s+/);
    env[k as string] = rest.join(' ');
    return env;
  }
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = m[2] as string;
    env[m[1] as string] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return env;
}

/** .dockerignore patterns (Go filepath.Match per segment, `**` across segments, `!` re-includes). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const ch = pattern[i] as string;
        if (ch === '*' && pattern[i + 1] === '*') {
          re += '.*';
          i++;
          if (pattern[i + 1] === '/') i++;
        } else if (ch === '*') re += '[^/]*';
        else if (ch === '?') re += '[^/]';
        else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    // A pattern that matches a directory excludes everything under it.
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}

// ---------------------------------------------------------------------------------------------
// Performing the steps

/** Users of the base image (node:*-slim creates `node` as 1000:1000) where this machine lacks them. */
const BASE_IMAGE_USERS: Record<string, { uid: number; gid: number }> = { node: { uid: 1000, gid: 1000 } };

function userIds(name: string): { uid: number; gid: number } {
  if (/^\d+(:\d+)?$/.test(name)) {
    const [u, g] = name.split(':').map(Number);
    return { uid: u as number, gid: (g ?? u) as number };
  }
  const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  if (id.status === 0) return { uid: Number(id.stdout.trim()), gid: Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim()) };
  const known = BASE_IMAGE_USERS[name];
  if (!known) throw new Error(`USER ${name}: not a user of this machine nor of the base image`);
  return known;
}

interface Stage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  user?: string;
  volumes: string[];
  healthcheck?: string[];
  cmd?: string[];
}

const IMAGE_PATH = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';

/** An absolute path of the image, under the stage's root directory. */
function inRoot(stage: Stage, path: string): string {
  return join(stage.root, posix.resolve(stage.workdir, path));
}

/** Absolute image paths in a shell command or an ENV value, mapped under the stage's root. */
function mapPaths(stage: Stage, text: string): string {
  return text.replace(/(^|[\s=:])\/(?=[A-Za-z0-9_.-])/g, (_m, pre: string) => `${pre}${stage.root}/`);
}

function copyInto(source: string, dest: string, sourceIsDir: boolean, include: (abs: string) => boolean): void {
  if (sourceIsDir) {
    mkdirSync(dest, { recursive: true });
    for (const entry of readdirSync(source)) {
      const abs = join(source, entry);
      if (!include(abs)) continue;
      copyInto(abs, join(dest, entry), lstatSync(abs).isDirectory(), include);
    }
    return;
  }
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(source, dest, { dereference: true });
}

interface Build {
  stages: Stage[];
  log: string[];
}

async function performDockerfile(dir: string, context: string, options: { npmCache: string }): Promise<Build> {
  const instructions = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const ignoreFile = join(context, '.dockerignore');
  const ignored = dockerignore(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  const inContext = (abs: string) => !ignored(relative(context, abs).split('\\').join('/'));
  const stages: Stage[] = [];
  const log: string[] = [];
  let stage: Stage | undefined;
  const current = (ins: Instruction): Stage => {
    if (!stage) throw new Error(`Dockerfile line ${ins.line}: ${ins.op} before FROM`);
    return stage;
  };
  for (const ins of instructions) {
    log.push(`${ins.op} ${ins.args}`);
    switch (ins.op) {
      case 'FROM': {
        const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
        if (!m) throw new Error(`Dockerfile line ${ins.line}: FROM ${ins.args}`);
        expect(m[1], 'a Node 20 base image').toMatch(/^node:20(\b|-)/);
        const name = m[2] ?? String(stages.length);
        const root = join(dir, `stage-${stages.length}-${name}`);
        mkdirSync(root, { recursive: true });
        stage = { name, root, workdir: '/', env: { PATH: IMAGE_PATH }, volumes: [] };
        stages.push(stage);
        break;
      }
      case 'WORKDIR': {
        const s = current(ins);
        s.workdir = posix.resolve(s.workdir, ins.args);
        mkdirSync(inRoot(s, '.'), { recursive: true });
        break;
      }
      case 'ENV': {
        const s = current(ins);
        for (const [k, v] of Object.entries(parseEnv(ins.args))) s.env[k] = v;
        break;
      }
      case 'COPY': {
        const s = current(ins);
        const words = ins.args.split(/\s+/);
        let from: Stage | undefined;
        while (words[0]?.startsWith('--')) {
          const flag = words.shift() as string;
          const fm = /^--from=(.+)$/.exec(flag);
          if (fm) {
            from = stages.find((st) => st.name === fm[1]);
            if (!from) throw new Error(`Dockerfile line ${ins.line}: COPY --from=${fm[1]}: no such stage`);
          } else if (!/^--(chown|chmod|link)=?/.test(flag)) throw new Error(`Dockerfile line ${ins.line}: unsupported COPY flag ${flag}`);
        }
        const dest = words.pop() as string;
        if (words.length === 0) throw new Error(`Dockerfile line ${ins.line}: COPY without a source`);
        const destDir = dest.endsWith('/') || words.length > 1;
        for (const src of words) {
          const abs = from ? join(from.root, posix.resolve(from.workdir, src)) : join(context, src);
          if (!existsSync(abs) || (!from && !inContext(abs))) {
            throw new Error(`Dockerfile line ${ins.line}: COPY ${src}: not found in the ${from ? `stage ${from.name}` : 'build context (or excluded by .dockerignore)'}`);
          }
          const isDir = statSync(abs).isDirectory();
          const target = inRoot(s, isDir ? dest : destDir ? posix.join(dest, posix.basename(src)) : dest);
          copyInto(abs, target, isDir, from ? () => true : inContext);
        }
        break;
      }
      case 'RUN': {
        const s = current(ins);
        const cwd = inRoot(s, '.');
        // The build stage's full install, stood in for by the checkout's own (see the header).
        if (/^npm ci$/.test(ins.args.trim())) {
          for (const f of ['package.json', 'package-lock.json']) {
            if (!existsSync(join(cwd, f))) throw new Error(`Dockerfile line ${ins.line}: npm ci without ${f} in ${s.workdir}`);
            expect(readFileSync(join(cwd, f), 'utf8'), f).toBe(readFileSync(join(ROOT, f), 'utf8'));
          }
          symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'), 'dir');
          break;
        }
        let command = mapPaths(s, ins.args);
        // `chown node:node` with the base image's ids where this machine has no such user.
        command = command.replace(/\bchown\s+([A-Za-z_][\w-]*):([A-Za-z_][\w-]*)/g, (m, u: string, g: string) => {
          const ids = userIds(u);
          const gid = g === u ? ids.gid : userIds(g).gid;
          return `chown ${ids.uid}:${gid}`;
        });
        const env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, k === 'PATH' ? v : mapPaths(s, v)]));
        const result = await execFileP('/bin/sh', ['-c', command], {
          cwd,
          env: {
            ...env,
            HOME: join(dir, 'home'),
            npm_config_cache: options.npmCache,
            npm_config_prefer_offline: 'true',
            npm_config_audit: 'false',
            npm_config_fund: 'false',
            npm_config_update_notifier: 'false',
          },
          maxBuffer: 64 * 1024 * 1024,
        }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
          throw new Error(`Dockerfile line ${ins.line}: RUN ${ins.args} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
        });
        log.push(result.stdout, result.stderr);
        break;
      }
      case 'USER':
        current(ins).user = ins.args;
        break;
      case 'VOLUME': {
        const s = current(ins);
        const list = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : ins.args.split(/\s+/);
        s.volumes.push(...list);
        break;
      }
      case 'HEALTHCHECK': {
        const m = /CMD\s+(.*)$/s.exec(ins.args);
        if (!m) throw new Error(`Dockerfile line ${ins.line}: HEALTHCHECK without CMD`);
        current(ins).healthcheck = commandOf((m[1] as string).trim());
        break;
      }
      case 'CMD':
        current(ins).cmd = commandOf(ins.args);
        break;
      case 'EXPOSE':
      case 'LABEL':
      case 'ARG':
        break;
      default:
        throw new Error(`Dockerfile line ${ins.line}: instruction ${ins.op} is not performed by this test; extend it`);
    }
  }
  return { stages, log };
}

/** `node` in an exec-form command is the image's node (this test's Node 20). */
function resolveCommand(argv: string[]): [string, string[]] {
  const [cmd, ...args] = argv as [string, ...string[]];
  return [cmd === 'node' ? process.execPath : cmd, args];
}

// ---------------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'hashd-docker-'));
// The image's USER has to reach the stage directories.
chmodSync(dir, 0o755);
afterAll(() => {
  if (process.env.HASHD_KEEP_DOCKER_DIR !== '1') rmSync(dir, { recursive: true, force: true });
});

describe('the Dockerfile, step by step (slow)', () => {
  it('parses the Dockerfile forms it uses', () => {
    expect(parseEnv('A=1 B="x y"')).toEqual({ A: '1', B: 'x y' });
    expect(parseEnv('LEGACY some value')).toEqual({ LEGACY: 'some value' });
    const ignore = dockerignore('node_modules\n*.log\n**/*.pem\n!keep.log\n');
    expect(ignore('node_modules/x/y.js')).toBe(true);
    expect(ignore('a.log')).toBe(true);
    expect(ignore('src/a.log')).toBe(false);
    expect(ignore('keep.log')).toBe(false);
    expect(ignore('src/tls/test.pem')).toBe(true);
    expect(parseDockerfile('FROM a AS b\n# c\nRUN x && \\\n  y\n')).toEqual([
      { op: 'FROM', args: 'a AS b', line: 1 },
      { op: 'RUN', args: 'x &&  y', line: 3 },
    ]);
  });

  it('a COPY of a missing file and a COPY of an ignored file fail the build', async () => {
    const context = join(dir, 'rotten');
    mkdirSync(context, { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(context, 'package.json'));
    cpSync(join(ROOT, '.dockerignore'), join(context, '.dockerignore'));
    mkdirSync(join(context, 'node_modules'));
    const cache = join(dir, 'unused-cache');
    writeFileSync(join(context, 'Dockerfile'), 'FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY package.json missing.json ./\n');
    await expect(performDockerfile(join(dir, 'r1'), context, { npmCache: cache })).rejects.toThrow(/line 3: COPY missing\.json: not found/);
    writeFileSync(join(context, 'Dockerfile'), 'FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY node_modules ./node_modules\n');
    await expect(performDockerfile(join(dir, 'r2'), context, { npmCache: cache })).rejects.toThrow(/COPY node_modules: not found .*dockerignore/);
  });

  it('builds, installs production dependencies only, starts as the image does and passes its HEALTHCHECK', { timeout: 600_000 }, async () => {
    // A private copy of the local npm cache (hard links: instant, and `npm cache clean` in the
    // Dockerfile removes only the copy's links).
    const npmCache = join(dir, 'npm-cache');
    const userCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim() || join(homedir(), '.npm');
    mkdirSync(npmCache, { recursive: true });
    if (existsSync(join(userCache, '_cacache'))) {
      expect(spawnSync('cp', ['-al', join(userCache, '_cacache'), join(npmCache, '_cacache')]).status).toBe(0);
    }

    const { stages } = await performDockerfile(join(dir, 'image'), ROOT, { npmCache });
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const runtime = stages[stages.length - 1] as Stage;
    const app = inRoot(runtime, '.');
    // Production dependencies only: the native binaries for this platform, no build tools.
    const modules = join(app, 'node_modules');
    expect(lstatSync(modules).isSymbolicLink()).toBe(false);
    for (const dep of ['hono', '@node-rs/argon2', '@node-rs/bcrypt', '@electric-sql/pglite', 'swagger-ui-dist']) expect(existsSync(join(modules, dep)), dep).toBe(true);
    expect(readdirSync(join(modules, '@node-rs')).some((d) => /^argon2-linux-x64/.test(d))).toBe(true);
    for (const dev of ['esbuild', 'tsx', 'typescript', 'vitest', 'wrangler', 'playwright-core']) expect(existsSync(join(modules, dev)), dev).toBe(false);
    // No sources in the image: it runs the bundle.
    expect(existsSync(join(app, 'src'))).toBe(false);
    expect(existsSync(join(app, 'dist/entry/node.js'))).toBe(true);

    expect(runtime.user, 'a non-root USER').toBeDefined();
    const ids = userIds(runtime.user as string);
    expect(ids.uid).not.toBe(0);
    expect(runtime.volumes).toContain(runtime.env.HASHD_DATA_DIR);
    expect(runtime.env.HOST).toBe('0.0.0.0');

    // docker run -e HASHD_API_KEYS=… -e PORT=…: the image's environment and nothing else.
    const key = `hashd_${randomBytes(32).toString('base64url')}`;
    const probe = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = probe.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(runtime.env).map(([k, v]) => [k, k === 'PATH' ? v : mapPaths(runtime, v)])),
      HOME: join(dir, 'home-node'),
      HASHD_API_KEYS: `acme=sha256:${createHash('sha256').update(key).digest('hex')}`,
      PORT: String(port),
    };
    expect(runtime.cmd).toBeDefined();
    const [cmd, args] = resolveCommand(runtime.cmd as string[]);
    let server: ServerProcess | undefined;
    try {
      server = await spawnServer(cmd, args, { cwd: app, env, uid: ids.uid, gid: ids.gid, timeoutMs: 300_000 });
      expect(server.port).toBe(port);
      expect(server.output()).toContain('"host":"0.0.0.0"');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // Beyond loopback the API key is required.
      const anonymous = await fetch(`http://127.0.0.1:${port}/v1/hash`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"password":"pw"}' });
      expect(anonymous.status).toBe(401);
      const hashed = await fetch(`http://127.0.0.1:${port}/v1/hash`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ password: 'correct horse' }),
      });
      expect(hashed.status).toBe(200);
      const { hash } = (await hashed.json()) as { hash: string };
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      const verified = await fetch(`http://127.0.0.1:${port}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ password: 'correct horse', hash }),
      });
      expect(await verified.json()).toMatchObject({ valid: true });
      // The PGlite data went to the volume, written by the image's user.
      const volume = join(runtime.root, runtime.env.HASHD_DATA_DIR as string);
      expect(readdirSync(volume).length).toBeGreaterThan(0);
      expect(statSync(volume).uid).toBe(ids.uid);

      expect(runtime.healthcheck).toBeDefined();
      const [hcmd, hargs] = resolveCommand(runtime.healthcheck as string[]);
      const healthy = spawnSync(hcmd, hargs, { cwd: app, env, uid: ids.uid, gid: ids.gid, timeout: 30_000 });
      expect(healthy.status, String(healthy.stderr)).toBe(0);

      server.child.kill('SIGTERM');
      expect(await exitOf(server.child)).toBe(0);
      const down = spawnSync(hcmd, hargs, { cwd: app, env, uid: ids.uid, gid: ids.gid, timeout: 30_000 });
      expect(down.status).toBe(1);
    } finally {
      if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });
});
