/**
 * The Node HTTP tests of the stateless endpoints (test/routes/passwords.test.ts), run against
 * the Worker build in local workerd over a loopback port, plus what only the edge has: API keys
 * required (no dev mode), the scheme_unavailable_here refusals, and logs without secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BCRYPT_2A, expectError, statelessSuite, type FetchTarget } from '../routes/_stateless-suite';
import { apiKey, postJson as postJsonNoAuth, startWorker, type LocalWorker } from './_worker';

const KEY = apiKey('acme', 'hashd_edge_test_key_0123456789abcdef');
let worker: LocalWorker;
beforeAll(async () => {
  worker = await startWorker({ vars: { HASHD_API_KEYS: KEY.entry } });
}, 300_000);
afterAll(async () => {
  await worker?.close();
});

/** The Worker over HTTP, with tenant acme's key on every request. */
const t: FetchTarget = {
  fetch(path, init = {}) {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${KEY.key}`);
    return worker.fetch(path, { ...init, headers });
  },
};
const postJson = (body: unknown): RequestInit => postJsonNoAuth(body);

async function each(fn: (t: FetchTarget) => Promise<void>): Promise<void> {
  await fn(t);
}

statelessSuite(each);

describe('only on the edge', () => {
  it('needs a caller key: 401 without one, and a Worker without HASHD_API_KEYS refuses to serve', async () => {
    const res = await worker.fetch('/v1/hash', postJsonNoAuth({ password: 'x' }));
    await expectError(res, 401, 'unauthorized');
    const open = await startWorker({});
    try {
      const refused = await open.fetch('/v1/hash', postJsonNoAuth({ password: 'x' }));
      expect(refused.status).toBe(500);
      expect(await refused.json()).toMatchObject({ error: { code: 'internal' } });
      expect(open.logs.join('\n')).toContain('HASHD_API_KEYS: a Worker needs caller keys');
    } finally {
      await open.close();
    }
  });

  it('refuses what an isolate cannot carry with 422 scheme_unavailable_here naming the scheme, before any work', async () => {
    // 600,000 PBKDF2 iterations (the default of pbkdf2_sha256): WebCrypto in Workers stops at 100,000.
    const pbkdf2 = await expectError(await t.fetch('/v1/verify', postJson({ password: 'x', hash: '$pbkdf2-sha256$600000$c2FsdHNhbHQ$hFR8jv6sWk4vRcCGaXJ2nm9YiyTLedr7eNUJyiBJWDk' })), 422, 'scheme_unavailable_here');
    expect(pbkdf2.error).toMatchObject({ details: { scheme: 'pbkdf2_sha256', algorithm: 'pbkdf2_sha256' } });
    // Django's PBKDF2 names its own scheme, not the primitive inside it.
    const django = await expectError(await t.fetch('/v1/verify', postJson({ password: 'x', hash: 'pbkdf2_sha256$1000000$c2FsdHNhbHQ$hFR8jv6sWk4vRcCGaXJ2nm9YiyTLedr7eNUJyiBJWDk=' })), 422, 'scheme_unavailable_here');
    expect(django.error).toMatchObject({ details: { scheme: 'django_pbkdf2_sha256' } });
    // argon2id with 256 MiB: beyond the 128 MB of an isolate (the Node service's cap allows it).
    const argon = await expectError(
      await t.fetch('/v1/verify', postJson({ password: 'x', hash: '$argon2id$v=19$m=262144,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM' })),
      422,
      'scheme_unavailable_here',
    );
    expect(argon.error).toMatchObject({ details: { scheme: 'argon2id' } });
    // scrypt with N=2^17, r=8 (its default for new hashes) needs 128 MiB.
    const scrypt = await expectError(await t.fetch('/v1/hash', postJson({ password: 'x', scheme: 'scrypt' })), 422, 'scheme_unavailable_here');
    expect(scrypt.error).toMatchObject({ details: { scheme: 'scrypt' } });
    const newPbkdf2 = await expectError(await t.fetch('/v1/hash', postJson({ password: 'x', scheme: 'pbkdf2_sha256' })), 422, 'scheme_unavailable_here');
    expect(newPbkdf2.error).toMatchObject({ details: { scheme: 'pbkdf2_sha256' } });
  });

  it('keeps passwords and keys out of its logs and error bodies', async () => {
    const secret = 'edge-Secret-Pa55word-%%';
    const before = worker.logs.length;
    const bodies = [
      await t.fetch('/v1/hash', postJson({ password: secret })),
      await t.fetch('/v1/verify', postJson({ password: secret, hash: BCRYPT_2A })),
      await t.fetch('/v1/verify', postJson({ password: secret, hash: '$pbkdf2-sha256$600000$c2FsdHNhbHQ$hFR8jv6sWk4vRcCGaXJ2nm9YiyTLedr7eNUJyiBJWDk' })),
      await t.fetch('/v1/verify', postJson({ password: secret, hash: 'garbage' })),
      await t.fetch('/v1/hash', postJson(`{"password":"${secret}",`)),
    ].map((r) => r.text());
    for (const text of await Promise.all(bodies)) expect(text).not.toContain(secret);
    const lines = worker.logs.slice(before);
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.join('\n')).not.toContain(secret);
    expect(worker.logs.join('\n')).not.toContain(KEY.key);
  });
});
