/**
 * `hashd tls init DIR --host NAME… [--days N]`: a local CA (ca.crt, ca.key), a server certificate
 * for the hosts (server.crt, server.key) and a client certificate (client.crt, client.key).
 * `hashd tls client NAME [--dir DIR] [--days N]`: another client certificate from DIR's CA
 * (NAME.crt, NAME.key). Private keys are written mode 0600; existing files are never replaced.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueClient, issueServer, type Issued } from '../tls/ca';

export interface TlsArgs {
  positional: string[];
  hosts: string[];
  days?: number;
  dir?: string;
}

/** Parses `--host a --host b,c --days N --dir D`. */
export function parseTlsArgs(args: readonly string[]): TlsArgs {
  const out: TlsArgs = { positional: [], hosts: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--host') out.hosts.push(...value().split(',').filter(Boolean));
    else if (arg === '--days') {
      const days = Number(value());
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('--days must be an integer between 1 and 3650');
      out.days = days;
    } else if (arg === '--dir') out.dir = value();
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else out.positional.push(arg);
  }
  return out;
}

function write(dir: string, name: string, text: string, secret: boolean): void {
  const path = join(dir, name);
  // `wx`: never overwrite a key or certificate someone already deployed.
  writeFileSync(path, text, { flag: 'wx', mode: secret ? 0o600 : 0o644 });
}

function writePair(dir: string, base: string, pair: Issued): void {
  for (const name of [`${base}.crt`, `${base}.key`]) if (existsSync(join(dir, name))) throw new Error(`${join(dir, name)} exists; not replacing it`);
  write(dir, `${base}.key`, pair.key, true);
  write(dir, `${base}.crt`, pair.cert, false);
}

export async function tlsInit(args: TlsArgs, out: (line: string) => void): Promise<number> {
  const dir = args.positional[0];
  if (!dir || args.hosts.length === 0) throw new Error('usage: hashd tls init DIR --host NAME [--host NAME…] [--days N]');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of ['ca.crt', 'ca.key']) if (existsSync(join(dir, name))) throw new Error(`${join(dir, name)} exists; not replacing it`);
  const validity = args.days !== undefined ? { days: args.days } : {};
  const ca = await createCa();
  const server = await issueServer(ca, { hosts: args.hosts, ...validity });
  const client = await issueClient(ca, { name: 'client', ...validity });
  writePair(dir, 'ca', ca);
  writePair(dir, 'server', server);
  writePair(dir, 'client', client);
  out(`wrote ${dir}/ca.crt, ca.key, server.crt, server.key (${args.hosts.join(', ')}), client.crt, client.key (CN=client)`);
  out(`serve HTTPS:   TLS_CERT_FILE=${join(dir, 'server.crt')} TLS_KEY_FILE=${join(dir, 'server.key')}`);
  out(`mutual TLS:    TLS_CLIENT_CA_FILE=${join(dir, 'ca.crt')}`);
  out(`keep ${join(dir, 'ca.key')} offline: it signs every certificate this CA issues`);
  return 0;
}

export async function tlsClient(args: TlsArgs, out: (line: string) => void): Promise<number> {
  const name = args.positional[0];
  if (!name) throw new Error('usage: hashd tls client NAME [--dir DIR] [--days N]');
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new Error('NAME: letters, digits and . _ @ - only (it is the certificate common name and the file name)');
  const dir = args.dir ?? 'tls';
  let ca: Issued;
  try {
    ca = { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') };
  } catch (err) {
    throw new Error(`cannot read ${join(dir, 'ca.crt')} and ca.key (${(err as NodeJS.ErrnoException).code ?? 'error'}); run "hashd tls init ${dir} --host NAME" first or pass --dir`);
  }
  const client = await issueClient(ca, { name, ...(args.days !== undefined && { days: args.days }) });
  writePair(dir, name, client);
  out(`wrote ${join(dir, `${name}.crt`)} and ${join(dir, `${name}.key`)} (CN=${name}); map it to a tenant with HASHD_TLS_CLIENT_TENANTS=${name}=TENANT`);
  return 0;
}
