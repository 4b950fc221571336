/**
 * Runs the Worker build in local workerd for the edge tests: the bundle that `wrangler deploy`
 * would upload (built with `wrangler deploy --dry-run --outdir`, so the tests exercise exactly
 * what ships), started with Miniflare's programmatic API on a loopback port, no account and no
 * network. The Hyperdrive binding points at a PostgreSQL database created for the test file,
 * migrated with the same migrator as `npx hashd migrate`, and dropped at the end.
 *
 * The build is cached under node_modules/.cache by a digest of everything that goes into it, so
 * the test files of one run (and later runs without changes) build once.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import postgres from 'postgres';
import { openDatabase } from '../../src/entry/database-client';
import type { PolicyFile } from '../../src/hashing/policy-config';
import { TEST_POLICY } from '../helpers';

const ROOT = new URL('../../', import.meta.url).pathname;
const CACHE = join(ROOT, 'node_modules/.cache/hashd-worker');
const ADMIN_URL = process.env.HASHD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** wrangler.toml's compatibility settings, read once so tests run what deploys. */
function wranglerCompat(): { date: string; flags: string[] } {
  const text = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1];
  if (!date || flags === undefined) throw new Error('wrangler.toml: compatibility_date/flags not found');
  return { date, flags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

function digestInputs(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(relative(ROOT, path)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'src'));
  walk(join(ROOT, 'drizzle'));
  for (const file of ['wrangler.toml', 'package-lock.json', 'tsconfig.json']) hash.update(readFileSync(join(ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

export interface WorkerBuild {
  dir: string;
  /** The bundled script (wrangler names it after the entry). */
  script: string;
}

/** The Worker bundle as `wrangler deploy` would upload it. */
export async function buildWorker(): Promise<WorkerBuild> {
  const dir = join(CACHE, digestInputs());
  const script = join(dir, 'worker.js');
  if (!existsSync(script)) {
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(CACHE, { recursive: true });
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', tmp], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    });
    // Another test file may have finished the same build meanwhile: either copy is the same.
    await rename(tmp, dir).catch(async () => rm(tmp, { recursive: true, force: true }));
  }
  return { dir, script };
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh PostgreSQL database with hashd's migrations applied (unless asked not to), dropped by `drop()`. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `hashd_edge_${randomBytes(6).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  if (options.migrate !== false) {
    const database = await openDatabase({ url: url.toString(), poolMax: 1 });
    await database.migrate();
    await database.close();
  }
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export interface LocalWorker {
  /** http://127.0.0.1:<port> */
  url: string;
  mf: Miniflare;
  /** Every line the Worker wrote to its console (the JSON log lines). */
  logs: string[];
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Policy, merged over the cheap test policy (as test/helpers.ts makeCrypt does). */
  policy?: PolicyFile;
  /** Extra string bindings (vars and secrets). */
  vars?: Record<string, string>;
  /** The PostgreSQL URL the HYPERDRIVE binding points at; no binding when absent. */
  databaseUrl?: string;
  /** A HYPERDRIVE binding that is a plain `{ connectionString }` object, bypassing Miniflare's proxy. */
  rawHyperdrive?: string;
}

/** The policy merged over the cheap test policy, exactly as test/helpers.ts makeCrypt merges it. */
function testPolicy(policy: PolicyFile = {}): PolicyFile {
  const file: PolicyFile = { ...TEST_POLICY, ...policy };
  if (file.params && file.schemes) {
    file.params = Object.fromEntries(Object.entries(file.params).filter(([name]) => file.schemes?.includes(name)));
  }
  return file;
}

/**
 * Miniflare's Hyperdrive binding insists on a password in the URL; the test server trusts
 * loopback connections and ignores it.
 */
function withPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password === '') url.password = 'unused';
  return url.toString();
}

export interface LocalWorkers {
  /** One fetch per configuration, by the name it was given. */
  fetchers: Record<string, (path: string, init?: RequestInit) => Promise<Response>>;
  logs: string[];
  close(): Promise<void>;
}

/**
 * Several configurations of the Worker in one local workerd (one process, one start), each
 * reached through its own fetcher. The first one also serves on the loopback port.
 */
export async function startWorkers(configs: Record<string, StartOptions>): Promise<LocalWorkers & { url: string; mf: Miniflare }> {
  const build = await buildWorker();
  const compat = wranglerCompat();
  const logs: string[] = [];
  const workers = Object.entries(configs).map(([name, options]) => ({
    name,
    rootPath: build.dir,
    scriptPath: build.script,
    modules: true,
    modulesRules: [{ type: 'CompiledWasm' as const, include: ['**/*.wasm'] }],
    compatibilityDate: compat.date,
    compatibilityFlags: compat.flags,
    bindings: {
      LOG_LEVEL: 'info',
      HASHD_HASH_CONCURRENCY: '1',
      HASHD_POLICY: JSON.stringify(testPolicy(options.policy)),
      ...options.vars,
      ...(options.rawHyperdrive !== undefined && { HYPERDRIVE: { connectionString: options.rawHyperdrive } }),
    },
    ...(options.databaseUrl !== undefined && { hyperdrives: { HYPERDRIVE: withPassword(options.databaseUrl) } }),
  }));
  const mf = new Miniflare({
    workers,
    host: '127.0.0.1',
    port: 0,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      for (const stream of [stdout, stderr]) stream.on('data', (chunk: Buffer) => logs.push(...String(chunk).split('\n').filter(Boolean)));
    },
  });
  const url = (await mf.ready).toString().replace(/\/$/, '');
  const fetchers: LocalWorkers['fetchers'] = {};
  for (const { name } of workers) {
    // Miniflare's own Fetcher type needs @cloudflare/workers-types; its fetch is the undici one.
    const worker = (await mf.getWorker(name)) as unknown as { fetch(url: string, init?: RequestInit): Promise<Response> };
    fetchers[name] = (path, init) => worker.fetch(`http://localhost${path}`, init);
  }
  return { url, mf, logs, fetchers, close: () => mf.dispose() };
}

/** The Worker in local workerd, reached over HTTP on 127.0.0.1. */
export async function startWorker(options: StartOptions = {}): Promise<LocalWorker> {
  const { url, mf, logs, close } = await startWorkers({ hashd: options });
  return { url, mf, logs, close, fetch: (path, init) => fetch(`${url}${path}`, init) };
}

export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

/** A caller key and its HASHD_API_KEYS entry. */
export function apiKey(entry: string, key: string): { key: string; entry: string } {
  return { key, entry: `${entry}=sha256:${createHash('sha256').update(key).digest('hex')}` };
}

export type Fetcher = (path: string, init?: RequestInit) => Promise<Response>;

export interface CallInit extends RequestInit {
  /** Which caller key authenticates (a key of the map given to `keyedCaller`). */
  as?: string;
  /** A JSON body (POST unless `method` says otherwise). */
  json?: unknown;
}

/** Calls a Worker with one of `keys` as the bearer key, JSON bodies made from `json`. */
export function keyedCaller(fetcher: Fetcher, keys: Record<string, { key: string }>, fallback: string): (path: string, init?: CallInit) => Promise<Response> {
  return (path, init = {}) => {
    const { as = fallback, json, ...rest } = init;
    const key = keys[as];
    if (!key) throw new Error(`no caller key ${as}`);
    const headers = new Headers(rest.headers);
    headers.set('authorization', `Bearer ${key.key}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetcher(path, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json), method: rest.method ?? 'POST' }) });
  };
}

