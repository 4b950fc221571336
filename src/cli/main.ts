/**
 * The `hashd` command line. Each subcommand is a small function; this file only dispatches and
 * turns errors into exit codes (0 ok, 1 check failed, 2 usage or configuration error).
 */
import '../entry/threadpool';
import { readFileSync } from 'node:fs';
import { PolicyError, parsePolicyText, resolvePolicy } from '../hashing/policy-config';
import { createRegistry } from '../hashing/registry';
import { BUILTIN_SCHEMES } from '../hashing/schemes/index';
import { newApiKey } from './keys';

const USAGE = `usage:
  hashd policy check FILE     validate a policy file (TOML or JSON) without starting the server
  hashd keys new TENANT       print a new API key and its HASHD_API_KEYS entry
`;

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

function keysNew(tenant: string | undefined): number {
  if (!tenant) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    const { key, entry } = newApiKey(tenant);
    process.stdout.write(
      `API key for tenant "${tenant}" (shown once; give it to the caller, do not store it):\n  ${key}\n\n` +
        `Add this entry to HASHD_API_KEYS (comma-separated):\n  ${entry}\n`,
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
  if (command === 'keys' && sub === 'new') return keysNew(rest[0]);
  process.stderr.write(USAGE);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

process.exitCode = await main(process.argv.slice(2));
