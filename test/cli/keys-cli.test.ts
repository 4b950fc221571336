import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseRingKeys } from '../../src/keys/ring';

const run = promisify(execFile);
const bin = new URL('../../bin/hashd.cjs', import.meta.url).pathname;

describe('hashd keys new-ring-key', () => {
  it('prints a fresh entry that HASHD_KEYS accepts, different every time', async () => {
    const entries: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { stdout } = await run(process.execPath, [bin, 'keys', 'new-ring-key', 'k7']);
      const entry = /^\s+(k7:\S+)$/m.exec(stdout)?.[1];
      expect(entry).toBeDefined();
      const issues: string[] = [];
      expect(parseRingKeys(entry as string, issues)).toHaveLength(1);
      expect(issues).toEqual([]);
      entries.push(entry as string);
    }
    expect(entries[0]).not.toBe(entries[1]);
  });

  it('refuses a bad id with exit code 2', async () => {
    await expect(run(process.execPath, [bin, 'keys', 'new-ring-key', 'bad id!'])).rejects.toMatchObject({ code: 2 });
  });
});
