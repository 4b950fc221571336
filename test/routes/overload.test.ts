import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, postJson, type Target } from './_harness';

// Each hash takes tens of milliseconds, so 1 slot and a queue of 2 are quickly full.
const harness = makeHarness({
  policy: { params: { argon2id: { memory_cost: 32768, time_cost: 3 } } },
  limits: { concurrency: 1, maxQueue: 2 },
});
// A hash that outlasts the server noticing two aborted clients by far, on a loaded machine too:
// the queued requests must be given up while the slot is still busy (about 0.2 s here).
const slow = makeHarness({
  policy: { params: { argon2id: { memory_cost: 65536, time_cost: 8 } } },
  limits: { concurrency: 1, maxQueue: 2 },
});
let node: Target;
let slowNode: Target;
let targets: Target[] = [];
beforeAll(async () => {
  const fast = await harness.targets();
  const slowTargets = await slow.targets();
  targets = [...fast, ...slowTargets];
  node = fast.find((t) => t.name === 'node') as Target;
  slowNode = slowTargets.find((t) => t.name === 'node') as Target;
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

describe('overload', () => {
  it('answers every request with 200 or an immediate 503 + Retry-After, and /healthz stays up', async () => {
    const requests = Array.from({ length: 30 }, () => node.fetch('/v1/hash', postJson({ password: 'pw' })));
    const health = await node.fetch('/healthz');
    expect(health.status).toBe(200);
    const responses = await Promise.all(requests);
    const statuses = responses.map((r) => r.status);
    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    const refused = responses.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toMatchObject({ error: { code: 'overloaded' } });
    }
    for (const r of responses.filter((x) => x.status === 200)) await r.text();
  });

  it('drops queued requests whose client went away before hashing them', async () => {
    const limiter = (slow.deps.crypt as unknown as { limiter: { stats(): { dropped: number; completed: number; queued: number } } }).limiter;
    const before = limiter.stats();
    // One request occupies the slot; two more wait in the queue and then give up.
    const running = slowNode.fetch('/v1/hash', postJson({ password: 'pw' }));
    await new Promise((r) => setTimeout(r, 2));
    const controllers = [new AbortController(), new AbortController()];
    const waiting = controllers.map((c) => slowNode.fetch('/v1/hash', { ...postJson({ password: 'pw' }), signal: c.signal }).catch((e: Error) => e.name));
    // Abort once both are in the queue (the running hash takes about 0.2 s).
    for (let i = 0; i < 200 && limiter.stats().queued < 2; i++) await new Promise((r) => setTimeout(r, 1));
    expect(limiter.stats().queued).toBe(2);
    controllers.forEach((c) => c.abort());
    expect(await Promise.all(waiting)).toEqual(['AbortError', 'AbortError']);
    expect((await running).status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const after = limiter.stats();
    expect(after.dropped - before.dropped).toBe(2);
    expect(after.completed - before.completed).toBe(1);
  });
});
