/**
 * The store subcommands as a user runs them: `hashd migrate`, `hashd import FILE` and
 * `hashd inventory`, against an embedded PGlite directory of the test's own.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = new URL('../../bin/hashd.cjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hashd-cli-store-'));
const env: Record<string, string | undefined> = { ...process.env, HASHD_DATA_DIR: join(dir, 'data'), DATABASE_URL: '' };

async function hashd(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hashd migrate, import, inventory, wrap', () => {
  it('imports a dump with a summary and rows/s, idempotently, and reports the inventory', { timeout: 240_000 }, async () => {
    expect(await hashd('migrate')).toMatchObject({ code: 0, stdout: 'migrations applied (pglite)\n' });
    const file = join(dir, 'dump.ndjson');
    const lines = [
      ...Array.from({ length: 500 }, (_, i) => JSON.stringify({ userId: `md5-${i}`, hash: '8743b52063cd84097a65d1633f5c74f5' })),
      ...Array.from({ length: 300 }, (_, i) => JSON.stringify({ userId: `crypt-${i}`, hash: '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/' })),
      'garbage',
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const first = await hashd('import', file, '--tenant', 'acme');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ imported: 800, skipped: 0, rejected: 1, errors: [{ line: 801, code: 'invalid_json' }] });
    expect(first.stderr).toMatch(/801 rows in [\d.]+ s \(\d+ rows\/s\)/);
    const second = await hashd('import', file, '--tenant', 'acme');
    expect(JSON.parse(second.stdout)).toMatchObject({ imported: 0, skipped: 800, rejected: 1 });

    const inventory = await hashd('inventory', '--tenant', 'acme');
    const report = JSON.parse(inventory.stdout) as { total: number; needsRehash: number; schemes: { scheme: string; count: number }[] };
    expect(report.total).toBe(800);
    expect(report.needsRehash).toBe(800);
    expect(report.schemes.map((s) => [s.scheme, s.count])).toEqual([
      ['hex_md5', 500],
      ['md5_crypt', 300],
    ]);
    expect(JSON.parse((await hashd('inventory')).stdout)).toMatchObject({ total: 0 });

    // Cheap argon2 for the wrap (a test policy, weak on purpose).
    const wrapEnv = ['HASHD_POLICY__allow_weak_params=true', 'HASHD_POLICY__params__argon2id__memory_cost=256', 'HASHD_POLICY__params__argon2id__time_cost=1'];
    for (const kv of wrapEnv) {
      const [k, v] = kv.split('=') as [string, string];
      env[k] = v;
    }
    const wrap = await hashd('wrap', '--tenant', 'acme');
    expect(wrap.code).toBe(0);
    expect(JSON.parse(wrap.stdout)).toMatchObject({ state: 'done', processed: 800, total: 800, wrapped: 800 });
    expect(wrap.stderr).toMatch(/800\/800 rows +\d+ rows\/s +wrapped 800/);
    const after = JSON.parse((await hashd('inventory', '--tenant', 'acme')).stdout) as { wrapped: number; schemes: { scheme: string; count: number }[] };
    expect(after.wrapped).toBe(800);
    expect(after.schemes.map((s) => [s.scheme, s.count])).toEqual([['hashd_wrapped', 800]]);
  });

  it('explains bad usage', async () => {
    expect((await hashd('import')).code).toBe(2);
    expect((await hashd('import', 'x.ndjson', '--on-conflict', 'replace')).stderr).toContain('--on-conflict must be skip or overwrite');
  });
});
