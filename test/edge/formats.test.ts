/**
 * The reference vector suite of test/routes/formats.test.ts (every vector it uses: the committed
 * fixtures of test/vectors/, written from passlib, Python's hashlib and the other reference
 * implementations by generate.py), run against the Worker build in local workerd: /v1/verify
 * with the right password (valid, argon2id upgrade in newHash, which verifies again), the wrong
 * one (valid:false), /v1/identify, /v1/needs-rehash, and every malformed variant as a clean 422.
 *
 * The vectors the edge cannot compute are listed explicitly in EDGE_UNAVAILABLE below: they must
 * answer 422 scheme_unavailable_here naming their scheme, and every other vector must pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyFile } from '../../src/hashing/policy-config';
import { loadVectorFiles, registry, type Vector } from '../helpers';
import { apiKey, postJson as plainPost, startWorkers } from './_worker';

/**
 * Vectors whose cost an isolate cannot carry: the hash, its scheme and why. Anything listed here
 * that starts to verify on the edge, or anything not listed that is refused, fails this file.
 */
const EDGE_UNAVAILABLE: Record<string, { scheme: string; why: string }> = {
  // ASP.NET Core Identity v3 (dotnet/aspnetcore's PasswordHasherTest): V3_SHA256_250000iter_256salt_256subkey, PBKDF2-HMAC-SHA256 with 250,000 iterations.
  'AQAAAAEAA9CQAAAAIESkQuj2Du8Y+kbc5lcN/W/3NiAZFEm11P27nrSN5/tId+bR1SwV8CO1Jd72r4C08OLvplNlCDc3oQZ8efcW+jQ=': { scheme: 'aspnet_identity_v3', why: 'PBKDF2 with 250,000 iterations; WebCrypto in Workers stops at 100,000' },
};

const files = loadVectorFiles();
const KEY = apiKey('acme', 'hashd_edge_formats_key_0123456789');

/** Ambiguous and plaintext schemes must be named by the policy; everything else is in the default (as the Node test). */
function policyFor(scheme: string): PolicyFile {
  const s = registry.get(scheme);
  return s?.ambiguous || s?.plaintext ? { schemes: ['argon2id', scheme] } : {};
}
const policyName = (scheme: string): string => {
  const s = registry.get(scheme);
  return s?.ambiguous || s?.plaintext ? `p_${scheme}` : 'default';
};

const schemesUsed = new Set<string>();
for (const content of Object.values(files)) {
  for (const v of content.vectors) schemesUsed.add(v.scheme);
  for (const m of content.malformed ?? []) schemesUsed.add(m.scheme);
}
const configs = Object.fromEntries([...schemesUsed].map((scheme) => [policyName(scheme), { policy: policyFor(scheme), vars: { HASHD_API_KEYS: KEY.entry } }]));

let workers: Awaited<ReturnType<typeof startWorkers>>;
beforeAll(async () => {
  workers = await startWorkers(configs);
}, 300_000);
afterAll(async () => {
  await workers?.close();
});

async function post(scheme: string, path: string, body: unknown): Promise<Response> {
  const fetcher = workers.fetchers[policyName(scheme)] as (path: string, init?: RequestInit) => Promise<Response>;
  return fetcher(path, plainPost(body, { authorization: `Bearer ${KEY.key}` }));
}

function body(v: Vector, password: string): Record<string, unknown> {
  return { password, hash: v.hash, ...(v.user !== undefined && { user: v.user }), ...(v.salt !== undefined && { salt: v.salt }) };
}

const seenUnavailable = new Set<string>();

for (const [file, content] of Object.entries(files)) {
  describe(`formats on the edge: ${file}.json`, () => {
    // The same selection as the Node HTTP test: default-cost vectors and side-channel costs are the scheme unit tests' business.
    const vectors = content.vectors.filter((v) => !v.default_cost && v.params === undefined);
    it.each(vectors.map((v) => [v.scheme, v.hash.slice(0, 48), v] as const))('%s %s', async (scheme, _short, v) => {
      const verify = await post(scheme, '/v1/verify', body(v, v.password));
      const result = (await verify.json()) as Record<string, unknown> & { error?: { code: string; details?: { scheme?: string } } };
      if (EDGE_UNAVAILABLE[v.hash] !== undefined) {
        expect(verify.status, JSON.stringify(result)).toBe(422);
        expect(result.error?.code).toBe('scheme_unavailable_here');
        expect(result.error?.details?.scheme).toBe(scheme);
        seenUnavailable.add(v.hash);
        return;
      }
      expect(verify.status, JSON.stringify(result)).toBe(200);
      const family = registry.get(result.scheme as string)?.family;
      expect([result.scheme, family]).toContain(scheme === 'argon2' ? 'argon2' : scheme);
      if (v.expect === false) {
        expect(result).toMatchObject({ valid: false });
        expect(result.newHash).toBeUndefined();
        return;
      }
      expect(result.valid).toBe(true);
      if (result.needsRehash) {
        expect(result.newHash).toMatch(/^\$argon2id\$v=19\$/);
        const again = await post(scheme, '/v1/verify', { password: v.password, hash: result.newHash });
        expect(await again.json()).toMatchObject({ valid: true, needsRehash: false });
      } else {
        expect(result.newHash).toBeUndefined();
      }
      if (scheme !== 'argon2id') expect(result.needsRehash).toBe(true);

      const wrong = (await (await post(scheme, '/v1/verify', body(v, `!${v.password}`))).json()) as Record<string, unknown>;
      expect(wrong.valid).toBe(false);
      expect(wrong.newHash).toBeUndefined();

      const identify = (await (await post(scheme, '/v1/identify', { hash: v.hash })).json()) as Record<string, unknown>;
      expect(identify.scheme).toBe(result.scheme);
      const needs = (await (await post(scheme, '/v1/needs-rehash', { hash: v.hash })).json()) as Record<string, unknown>;
      expect(needs).toMatchObject({ scheme: result.scheme, needsRehash: result.needsRehash });
    });

    const malformed = content.malformed ?? [];
    if (malformed.length > 0) {
      it.each(malformed.map((m) => [m.scheme, m.why, m] as const))('malformed %s: %s', async (scheme, _why, m) => {
        const res = await post(scheme, '/v1/verify', { password: 'password', hash: m.hash, user: 'postgres', salt: 'salt' });
        const out = (await res.json()) as { error?: { code: string }; valid?: boolean; scheme?: string };
        if (m.hash.startsWith('!')) {
          expect(out).toMatchObject({ valid: false });
          return;
        }
        if (res.status === 200) {
          expect(out.scheme).not.toBe(scheme);
          expect(out.valid).toBe(false);
          return;
        }
        expect(res.status, JSON.stringify(out)).toBe(422);
        expect(['malformed_hash', 'hash_cost_exceeds_cap', 'unknown_hash_format', 'scheme_not_allowed']).toContain(out.error?.code);
      });
    }
  });
}

describe('the unavailable list', () => {
  it('names only vectors that were refused here (and every refusal is listed)', () => {
    expect([...seenUnavailable].sort()).toEqual(Object.keys(EDGE_UNAVAILABLE).sort());
  });
});
