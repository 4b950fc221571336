/**
 * The `hashd` command line. Each subcommand is a small function; this file only dispatches and
 * turns errors into exit codes (0 ok, 1 check failed, 2 usage or configuration error).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { newRingEntry } from '../keys/ring';
import { PolicyError, parsePolicyText, resolvePolicy } from '../hashing/policy-config';
import { createRegistry } from '../hashing/registry';
import { BUILTIN_SCHEMES } from '../hashing/schemes/index';
import { ConfigError } from '../config';
import { HashdError } from '../errors';
import { newApiKey } from './keys';
import { parseTlsArgs, tlsClient, tlsInit } from './tls';
import { importCommand, inventoryCommand, keysRotateCommand, migrateCommand, purgeCommand, wrapCommand, type StoreCommandOptions } from './store';

const USAGE = `usage:
  hashd policy check FILE     validate a policy file (TOML or JSON) without starting the server
  hashd keys new TENANT [--admin]  print a new API key (service scope, or admin) and its HASHD_API_KEYS entry
  hashd keys new-ring-key [ID]  print a fresh master key ring entry (ID:base64 of 32 random bytes) for HASHD_KEYS
  hashd keys rotate [--batch N]  re-encrypt every encrypted row under the first HASHD_KEYS key (resumable)
  hashd migrate               apply the database migrations
  hashd import FILE [--tenant T] [--on-conflict skip|overwrite] [--format ndjson|csv]
                              import a legacy hash dump (NDJSON lines or CSV with a header)
  hashd wrap [--tenant T] [--schemes a,b]
                              wrap every weak stored hash in argon2id (resumable)
  hashd inventory [--tenant T]
                              stored credentials by scheme, cost, rehash need and upgrades
  hashd purge                 delete expired sessions, one-time codes and stale pending TOTP enrolments (every tenant)
  hashd tls init DIR --host NAME... [--days N]
                              a local CA, a server certificate for the hosts and a client certificate (PEM)
  hashd tls client NAME [--dir DIR] [--days N]
                              another client certificate from DIR's CA (default DIR: ./tls)
The store commands use DATABASE_URL, else PGlite under HASHD_DATA_DIR (default ./data).
`;

function flags(args: string[]): { positional: string[]; options: Record<string, string> } {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith('--')) options[arg.slice(2)] = args[++i] ?? '';
    else positional.push(arg);
  }
  return { positional, options };
}

function storeOptions(options: Record<string, string>): StoreCommandOptions {
  const out: StoreCommandOptions = {};
  if (options.tenant) out.tenant = options.tenant;
  if (options['on-conflict']) {
    if (options['on-conflict'] !== 'skip' && options['on-conflict'] !== 'overwrite') throw new Error('--on-conflict must be skip or overwrite');
    out.onConflict = options['on-conflict'];
  }
  if (options.format) {
    if (options.format !== 'csv' && options.format !== 'ndjson') throw new Error('--format must be ndjson or csv');
    out.format = options.format;
  }
  if (options.schemes) out.schemes = options.schemes.split(',').filter(Boolean);
  return out;
}

function policyCheck(file: string | undefined): number {
  if (!file) {
    process.stderr.write(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`hashd: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  try {
    const policy = resolvePolicy(parsePolicyText(text, file), createRegistry(BUILTIN_SCHEMES));
    process.stdout.write(
      `${file}: ok\n  default: ${policy.default}\n  schemes: ${policy.schemes.length} accepted (${policy.deprecated.length} deprecated)\n` +
        `  parameters of new hashes: ${JSON.stringify(Object.fromEntries(Object.entries(policy.params[policy.default] ?? {}).map(([k, v]) => [k, v.default])))}\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof PolicyError) {
      process.stderr.write(`${file}: invalid policy\n${err.issues.map((i) => `  - ${i}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
}

function keysNew(args: string[]): number {
  const admin = args.includes('--admin');
  const tenant = args.find((a) => !a.startsWith('--'));
  if (!tenant) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    const { key, entry } = newApiKey(tenant, { admin });
    process.stdout.write(
      `API key for tenant "${tenant}", ${admin ? 'admin' : 'service'} scope (shown once; give it to the caller, do not store it):\n  ${key}\n\n` +
        `Add this entry to HASHD_API_KEYS (comma-separated):\n  ${entry}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`hashd: ${(err as Error).message}\n`);
    return 2;
  }
}

function keysNewRingKey(args: string[]): number {
  const id = args[0] ?? `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`;
  try {
    const entry = newRingEntry(id, (n) => new Uint8Array(randomBytes(n)));
    process.stdout.write(
      `New master key ring entry (keep it secret; put it FIRST in HASHD_KEYS and keep the old entries after it until "hashd keys rotate" reports 0 rows under them):\n  ${entry}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`hashd: ${(err as Error).message}\n`);
    return 2;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'policy' && sub === 'check') return policyCheck(rest[0]);
  if (command === 'keys' && sub === 'new') return keysNew(rest);
  if (command === 'tls' && (sub === 'init' || sub === 'client')) {
    try {
      const args = parseTlsArgs(rest);
      const out = (line: string): void => void process.stdout.write(`${line}\n`);
      return await (sub === 'init' ? tlsInit(args, out) : tlsClient(args, out));
    } catch (err) {
      process.stderr.write(`hashd: ${(err as Error).message}\n`);
      return 2;
    }
  }
  if (command === 'keys' && sub === 'new-ring-key') return keysNewRingKey(rest);
  if (command === 'keys' && sub === 'rotate') {
    const { options } = flags(rest);
    const batch = options.batch === undefined ? undefined : Number(options.batch);
    if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 10_000)) {
      process.stderr.write('hashd: --batch must be an integer between 1 and 10000\n');
      return 2;
    }
    try {
      return await keysRotateCommand(batch === undefined ? {} : { batchSize: batch });
    } catch (err) {
      if (err instanceof ConfigError || (err instanceof Error && !('code' in err))) {
        process.stderr.write(`hashd: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  }
  if (command === 'migrate' || command === 'import' || command === 'wrap' || command === 'inventory' || command === 'purge') {
    const { positional, options } = flags(argv.slice(1));
    try {
      const opts = storeOptions(options);
      if (command === 'migrate') return await migrateCommand();
      if (command === 'wrap') return await wrapCommand(opts);
      if (command === 'inventory') return await inventoryCommand(opts);
      if (command === 'purge') return await purgeCommand();
      if (!positional[0]) {
        process.stderr.write(USAGE);
        return 2;
      }
      return await importCommand(positional[0], opts);
    } catch (err) {
      if (err instanceof ConfigError || err instanceof PolicyError || err instanceof HashdError) {
        process.stderr.write(`hashd: ${err.message}\n`);
        return 2;
      }
      if (err instanceof Error && !('code' in err)) {
        process.stderr.write(`hashd: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  }
  process.stderr.write(USAGE);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

process.exitCode = await main(process.argv.slice(2));
