import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findTenant } from '../../src/routes/auth';
import { parseApiKeys } from '../../src/config';

const run = promisify(execFile);
const bin = new URL('../../bin/hashd.cjs', import.meta.url).pathname;

async function hashd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('hashd policy check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashd-cli-'));

  it('accepts a valid file', async () => {
    const file = join(dir, 'ok.toml');
    writeFileSync(file, 'default = "argon2id"\n[params.argon2id]\nmemory_cost = 65536\n');
    const result = await hashd('policy', 'check', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok');
    expect(result.stdout).toContain('"memory_cost":65536');
  });

  it('names the bad fields and exits 1', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ default: 'bcrypt', schemes: ['argon2id', 'rot13'] }));
    const result = await hashd('policy', 'check', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('schemes[1]: unknown scheme "rot13"');
    expect(result.stderr).toContain('default: "bcrypt" is not listed in schemes');
  });

  it('exits 2 on a missing file', async () => {
    const result = await hashd('policy', 'check', join(dir, 'missing.toml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ENOENT');
  });
});

describe('hashd keys new', () => {
  it('prints a key and an entry that accepts exactly that key', async () => {
    const result = await hashd('keys', 'new', 'acme');
    expect(result.code).toBe(0);
    const key = /\n {2}(hashd_[A-Za-z0-9_-]{43})\n/.exec(result.stdout)?.[1] as string;
    const entry = /\n {2}(acme=sha256:[0-9a-f]{64})\n/.exec(result.stdout)?.[1] as string;
    expect(key).toBeDefined();
    expect(entry).toBe(`acme=sha256:${createHash('sha256').update(key).digest('hex')}`);
    const keys = parseApiKeys(entry, []);
    expect(findTenant(keys, key)).toBe('acme');
    expect(findTenant(keys, `${key}x`)).toBeUndefined();
    const other = await hashd('keys', 'new', 'acme');
    expect(other.stdout).not.toContain(key);
  });

  it('refuses a bad tenant name', async () => {
    expect((await hashd('keys', 'new', 'a b')).code).toBe(2);
  });
});
