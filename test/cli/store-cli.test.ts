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
const bin = new URL('../../bin/hashd.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hashd-cli-store-'));
const env = { ...process.env, HASHD_DATA_DIR: join(dir, 'data'), DATABASE_URL: '' };

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

describe('hashd migrate, import, inventory', () => {
  it('imports a dump with a summary and rows/s, idempotently, and reports the inventory', async () => {
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
  });

  it('explains bad usage', async () => {
    expect((await hashd('import')).code).toBe(2);
    expect((await hashd('import', 'x.ndjson', '--on-conflict', 'replace')).stderr).toContain('--on-conflict must be skip or overwrite');
  });
});
