/**
 * The wrap-upgrade against both backends: 10,000 weak stored hashes wrapped into argon2id, no weak
 * hash left, a sample of logins with the original passwords valid and upgraded to plain argon2id,
 * password changes during the job never overwritten, and a job that died mid-way resumed from its
 * cursor without redoing finished rows.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialRepository, ExportRepository, JobRepository } from '../../src/db/index';
import { nodeSchemeEnv } from '../../src/entry/runtime-node';
import { startWrap } from '../../src/store/wrap';
import { backends } from '../db/_backends';
import { registry } from '../helpers';
import { ndjson, storeAppOn, type StoreApp } from './_app';

// Reference hashes with their passwords (hashcat self-tests and passlib fixtures).
const REFERENCE = [
  { hash: '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/', password: 'hashcat' },
  { hash: '$P$946647711V1klyitUYhtB8Yw5DMA/w.', password: 'hashcat' },
  { hash: 'sha1$fe76b$02d5916550edf7fc8c886f044887f4b1abf9b013', password: 'hashcat' },
  { hash: '*FCF7C1B8749CF99D88E5F34271D636178FB5D130', password: 'hashcat' },
  { hash: '{SSHA}FLzWcQqyle6Mo7NvrwXCMAmRzXQxNjYxMTYzNw==', password: 'hashcat' },
];
const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function rows(count: number): { userId: string; hash: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const userId = `w-${String(i).padStart(5, '0')}`;
    if (i % 10 === 9) return { userId, hash: REFERENCE[(i / 10) % REFERENCE.length | 0]?.hash as string };
    return { userId, hash: md5(`pw-${i}`) };
  });
}
const passwordOf = (i: number): string => (i % 10 === 9 ? (REFERENCE[(i / 10) % REFERENCE.length | 0]?.password as string) : `pw-${i}`);

async function waitDone(s: StoreApp, tenant: 'acme' | 'beta' = 'acme'): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const status = (await (await s.call('/v1/admin/wrap', { tenant })).json()) as Record<string, unknown>;
    if (status.state !== 'running') return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('wrap did not finish');
}

describe.each(backends)('wrap on $name', (backend) => {
  const on = storeAppOn(backend);

  it.skipIf(backend.skipReason !== undefined)('wraps 10,000 weak rows, leaves no weak hash, and logins upgrade to plain argon2id', async () => {
    const s = on.s;
    const data = rows(10_000);
    expect(await (await s.call('/v1/import', { method: 'POST', body: ndjson(data) })).json()).toMatchObject({ imported: 10_000, rejected: 0 });
    await s.call('/v1/users/strong/password', { method: 'PUT', json: { password: 'strong-pw' } });
    const strongHash = (await s.repos.credentials.get('acme', 'strong'))?.hash;

    const start = await s.call('/v1/admin/wrap', { method: 'POST' });
    expect(start.status).toBe(202);
    expect(await start.json()).toMatchObject({ state: 'running', total: 10_000 });
    // Password changes while the job runs are never overwritten by it.
    const changed = ['w-00003', 'w-07777', 'w-09999'];
    for (const userId of changed) await s.call(`/v1/users/${userId}/password`, { method: 'PUT', json: { password: `changed-${userId}` } });
    expect((await s.call('/v1/admin/wrap', { method: 'POST' })).status).toBe(409);

    const status = await waitDone(s);
    expect(status).toMatchObject({ state: 'done', processed: 10_000, total: 10_000 });
    expect(status.wrapped).toBeGreaterThanOrEqual(10_000 - changed.length);
    expect(status.rowsPerSecond).toBeGreaterThan(0);

    const inventory = (await (await s.call('/v1/admin/inventory')).json()) as { schemes: { scheme: string; count: number }[]; wrapped: number; upgradesByDay: { kind: string; count: number }[] };
    const weak = inventory.schemes.filter((x) => registry.get(x.scheme)?.wrap);
    expect(weak).toEqual([]);
    expect(inventory.wrapped).toBe(status.wrapped);
    expect(inventory.upgradesByDay.find((u) => u.kind === 'wrap')?.count).toBe(status.wrapped);
    expect((await s.repos.credentials.get('acme', 'strong'))?.hash).toBe(strongHash);
    const sample = await s.repos.credentials.get('acme', 'w-00010');
    expect(sample).toMatchObject({ scheme: 'hashd_wrapped', wrapped: true, source: 'wrap' });
    expect(sample?.hash).not.toContain(md5('pw-10'));

    for (const userId of changed) {
      expect(await (await s.call('/v1/login', { json: { userId, password: `changed-${userId}` } })).json()).toEqual({ valid: true, upgraded: false });
    }
    for (let i = 0; i < 10_000; i += 197) {
      const userId = `w-${String(i).padStart(5, '0')}`;
      if (changed.includes(userId)) continue;
      expect(await (await s.call('/v1/login', { json: { userId, password: `x${passwordOf(i)}` } })).json(), userId).toEqual({ valid: false, upgraded: false });
      expect(await (await s.call('/v1/login', { json: { userId, password: passwordOf(i) } })).json(), userId).toEqual({ valid: true, upgraded: true });
      const row = await s.repos.credentials.get('acme', userId);
      expect(row, userId).toMatchObject({ scheme: 'argon2id', wrapped: false, source: 'login_upgrade' });
      expect(row?.hash, userId).toMatch(/^\$argon2id\$v=19\$/);
    }
  });

  it.skipIf(backend.skipReason !== undefined)('pipelines: the next batch is read before this one is written, one swap statement per batch, a password change in between wins', async () => {
    const s = on.s;
    // A tenant of its own (no API key needed: the job runs on the repositories directly).
    const tenant = 'pipeline';
    const data = rows(250).map((r) => ({ userId: `p-${r.userId}`, hash: r.hash, scheme: s.crypt.inspect(r.hash).scheme }));
    await s.repos.imports.importBatch(tenant, data, 'skip');
    const deps = { ...s.repos, crypt: s.crypt, registry, env: nodeSchemeEnv() };
    const events: string[] = [];
    let scans = 0;
    const exports: ExportRepository = {
      ...s.repos.exports,
      async scanForWrap(t, options) {
        const n = ++scans;
        events.push(`scan ${n} start`);
        const found = await s.repos.exports.scanForWrap(t, options);
        events.push(`scan ${n}: ${found.length} rows`);
        return found;
      },
    };
    const credentials: CredentialRepository = {
      ...s.repos.credentials,
      async compareAndSwapMany(t, swaps, input) {
        events.push(`swap ${swaps.length}`);
        // A password change lands after the first batch was hashed and before its write.
        if (events.filter((e) => e.startsWith('swap')).length === 1) await s.repos.credentials.set(t, 'p-w-00007', { hash: 'changed', scheme: 'argon2id', source: 'set' });
        return s.repos.credentials.compareAndSwapMany(t, swaps, input);
      },
    };
    const { done } = await startWrap({ ...deps, exports, credentials }, tenant, { batchSize: 100, concurrency: 2, owner: 'pipeline' });
    expect(await done).toMatchObject({ state: 'done', processed: 250, wrapped: 249 });
    // Batch 2's scan starts as soon as batch 1's rows are read, before any of batch 1 is written.
    expect(events.indexOf('scan 2 start')).toBeLessThan(events.indexOf('swap 100'));
    expect(events.filter((e) => e.startsWith('swap'))).toEqual(['swap 100', 'swap 100', 'swap 50']);
    expect(await s.repos.credentials.get(tenant, 'p-w-00007')).toMatchObject({ hash: 'changed', wrapped: false });
    expect((await s.repos.credentials.get(tenant, 'p-w-00008'))?.scheme).toBe('hashd_wrapped');
    expect(await s.repos.jobs.get(tenant, 'wrap')).toMatchObject({ state: 'done', processed: 250, cursor: 'p-w-00249' });
  });

  it.skipIf(backend.skipReason !== undefined)('resumes a job that died mid-way from its cursor', async () => {
    const s = on.s;
    const tenant = 'beta';
    await s.call('/v1/import', { tenant, method: 'POST', body: ndjson(rows(1200)) });
    const deps = { ...s.repos, crypt: s.crypt, registry, env: nodeSchemeEnv() };
    // A job repository that "crashes" right after recording its third batch: progress stops
    // being written and the job is never finished, as when the process dies.
    // (The lease heartbeat renews without progress; only a batch's renewal records progress.)
    let batches = 0;
    let dead = false;
    const dying: JobRepository = {
      ...s.repos.jobs,
      async renew(tenant, id, lease, progress) {
        if (dead) throw new Error('process died');
        const renewed = await s.repos.jobs.renew(tenant, id, lease, progress);
        if (progress !== undefined && ++batches === 3) {
          dead = true;
          throw new Error('process died');
        }
        return renewed;
      },
      async finish() {
        return false;
      },
    };
    const leaseMs = 1500;
    const first = await startWrap({ ...deps, jobs: dying }, tenant, { batchSize: 100, concurrency: 2, leaseMs, owner: 'first' });
    await expect(first.done).rejects.toThrow('process died');
    const crashed = await s.repos.jobs.get(tenant, 'wrap');
    expect(crashed).toMatchObject({ state: 'running', processed: 300, cursor: 'w-00299', owner: 'first' });

    // Another start while the lease holds is refused; once it has run out, the job is taken over.
    await expect(startWrap(deps, tenant, { batchSize: 100, owner: 'second' })).rejects.toMatchObject({ code: 'conflict' });
    await new Promise((r) => setTimeout(r, leaseMs + 100));
    const resumed = await startWrap(deps, tenant, { batchSize: 100, concurrency: 2, owner: 'second' });
    expect(resumed.job.id).toBe(crashed?.id);
    expect(resumed.job.owner).toBe('second');
    const done = await resumed.done;
    expect(done).toMatchObject({ state: 'done', processed: 1200 });
    const inventory = await s.repos.inventory.inventory(tenant);
    expect(inventory.byScheme).toEqual([{ scheme: 'hashd_wrapped', count: 1200 }]);
    // Rows wrapped before the crash were not wrapped twice: one wrap event per row.
    expect(inventory.upgradesByDay.filter((u) => u.kind === 'wrap').reduce((n, u) => n + u.count, 0)).toBe(1200);
    expect(await (await s.call('/v1/login', { tenant, json: { userId: 'w-00150', password: 'pw-150' } })).json()).toEqual({ valid: true, upgraded: true });
  });
});
