/**
 * The job lease against both backends, with a clock the test moves: a claim takes over only a
 * job whose lease ran out, a renewal and an owner's finish work only for the current owner, a
 * job from before leases counts as leased until it has been idle for a lease, and concurrent
 * claims of one abandoned job are won by exactly one.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepositories, type Database, type Repositories } from '../../src/db/index';
import { jobs } from '../../src/db/schema';
import { backends, manualClock, openFresh } from './_backends';

describe.each(backends)('job lease on $name', (backend) => {
  let database: Database | undefined;
  let repos: Repositories;
  const clock = manualClock('2026-12-01T10:00:00.000Z');
  const skip = backend.skipReason !== undefined;

  beforeAll(async () => {
    if (skip) return;
    database = await openFresh(backend);
    repos = createRepositories(database, clock.now);
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await backend.cleanup();
  }, 60_000);

  const A = { owner: 'a', ms: 30_000 };
  const B = { owner: 'b', ms: 30_000 };

  it.skipIf(skip)('claims, renews, and takes over only after the lease ran out', async () => {
    clock.set('2026-12-01T10:00:00.000Z');
    const job = await repos.jobs.create('t1', { kind: 'wrap', total: 10, lease: A });
    expect(job).toMatchObject({ owner: 'a', leaseUntil: new Date('2026-12-01T10:00:30.000Z') });
    // Held: nobody else can take it.
    await expect(repos.jobs.claim('t1', 'wrap', B)).resolves.toBeUndefined();
    await expect(repos.jobs.claimAbandoned('wrap', B)).resolves.toEqual([]);
    // The owner renews (with progress); a stranger cannot.
    clock.set('2026-12-01T10:00:20.000Z');
    await expect(repos.jobs.renew('t1', job!.id, A, { cursor: 'u5', processed: 5 })).resolves.toBe(true);
    await expect(repos.jobs.renew('t1', job!.id, B)).resolves.toBe(false);
    clock.set('2026-12-01T10:00:45.000Z');
    await expect(repos.jobs.claim('t1', 'wrap', B)).resolves.toBeUndefined();
    // The owner stops renewing (it died): after the lease, the claim takes it, with its cursor.
    clock.set('2026-12-01T10:00:50.001Z');
    const taken = await repos.jobs.claim('t1', 'wrap', B);
    expect(taken).toMatchObject({ id: job!.id, owner: 'b', cursor: 'u5', processed: 5, state: 'running' });
    // The old owner's renewal and finish now fail, so it stops; the new owner's work.
    await expect(repos.jobs.renew('t1', job!.id, A, { cursor: 'u9', processed: 9 })).resolves.toBe(false);
    await expect(repos.jobs.finish('t1', job!.id, 'done', 'a')).resolves.toBe(false);
    await expect(repos.jobs.renew('t1', job!.id, B, { cursor: 'u9', processed: 9 })).resolves.toBe(true);
    await expect(repos.jobs.finish('t1', job!.id, 'done', 'b')).resolves.toBe(true);
    expect(await repos.jobs.get('t1', 'wrap')).toMatchObject({ state: 'done', owner: 'b', leaseUntil: null, processed: 9 });
    // A finished job is never claimed.
    clock.set('2026-12-02T10:00:00.000Z');
    await expect(repos.jobs.claim('t1', 'wrap', A)).resolves.toBeUndefined();
  });

  it.skipIf(skip)('treats a running job from before leases as leased until idle for a lease', async () => {
    clock.set('2026-12-01T11:00:00.000Z');
    const old = await repos.jobs.create('t2', { kind: 'wrap', total: 3 });
    expect(old).toMatchObject({ owner: null, leaseUntil: null });
    clock.set('2026-12-01T11:00:29.000Z');
    await expect(repos.jobs.claim('t2', 'wrap', A)).resolves.toBeUndefined();
    clock.set('2026-12-01T11:00:31.000Z');
    await expect(repos.jobs.claim('t2', 'wrap', A)).resolves.toMatchObject({ id: old!.id, owner: 'a' });
  });

  it.skipIf(skip)('concurrent claims of one abandoned job: exactly one wins', async () => {
    clock.set('2026-12-01T12:00:00.000Z');
    const job = await repos.jobs.create('t3', { kind: 'wrap', total: 1, lease: { owner: 'dead', ms: 1000 } });
    clock.set('2026-12-01T12:00:05.000Z');
    const owners = Array.from({ length: 8 }, (_, i) => ({ owner: `r${i}`, ms: 30_000 }));
    const results = await Promise.all(owners.map((lease, i) => (i % 2 === 0 ? repos.jobs.claim('t3', 'wrap', lease) : repos.jobs.claimAbandoned('wrap', lease).then((rows) => rows.find((r) => r.tenant === 't3')))));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const [row] = await database!.db.select().from(jobs).where(eq(jobs.id, job!.id));
    expect(row?.owner).toBe(winners[0]?.owner);
  });
});
