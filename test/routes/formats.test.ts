/**
 * Every reference vector of every format goes through the HTTP API: /v1/verify (right password →
 * valid with the argon2id upgrade in newHash; wrong password → valid:false, no newHash),
 * /v1/identify and /v1/needs-rehash; every malformed variant gets a clean 422. Default-cost
 * vectors are left to the scheme unit tests, which say so, to keep this file fast.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { PolicyFile } from '../../src/hashing/policy-config';
import { loadVectorFiles, makeCrypt, registry, type Vector } from '../helpers';
import { memoryLogger, postJson } from './_harness';

const files = loadVectorFiles();

/** Ambiguous and plaintext schemes must be named by the policy; everything else is in the default. */
function policyFor(scheme: string): PolicyFile {
  const s = registry.get(scheme);
  return s?.ambiguous || s?.plaintext ? { schemes: ['argon2id', scheme] } : {};
}

const apps = new Map<string, ReturnType<typeof createApp>>();
function appFor(scheme: string): ReturnType<typeof createApp> {
  const key = JSON.stringify(policyFor(scheme));
  let app = apps.get(key);
  if (!app) {
    app = createApp({ crypt: makeCrypt(policyFor(scheme)).crypt, apiKeys: [], maxBodyBytes: 64 * 1024, logger: memoryLogger([]) });
    apps.set(key, app);
  }
  return app;
}

function wrongPassword(password: string): string {
  return `!${password}`;
}

function body(v: Vector, password: string): Record<string, unknown> {
  return { password, hash: v.hash, ...(v.user !== undefined && { user: v.user }), ...(v.salt !== undefined && { salt: v.salt }) };
}

for (const [file, content] of Object.entries(files)) {
  describe(`formats over HTTP: ${file}.json`, () => {
    // Vectors whose cost is only in a side channel (spring_pbkdf2's iteration count) are tested by the scheme's own tests.
    const vectors = content.vectors.filter((v) => !v.default_cost && v.params === undefined);
    it.each(vectors.map((v) => [v.scheme, v.hash.slice(0, 48), v] as const))('%s %s', async (scheme, _short, v) => {
      const app = appFor(scheme);
      const verify = await app.request('/v1/verify', postJson(body(v, v.password)));
      const result = (await verify.json()) as Record<string, unknown>;
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
        const again = await app.request('/v1/verify', postJson({ password: v.password, hash: result.newHash }));
        expect(await again.json()).toMatchObject({ valid: true, needsRehash: false });
      } else {
        expect(result.newHash).toBeUndefined();
      }
      if (scheme !== 'argon2id') expect(result.needsRehash).toBe(true);

      const wrong = (await (await app.request('/v1/verify', postJson(body(v, wrongPassword(v.password))))).json()) as Record<string, unknown>;
      expect(wrong.valid).toBe(false);
      expect(wrong.newHash).toBeUndefined();

      const identify = (await (await app.request('/v1/identify', postJson({ hash: v.hash }))).json()) as Record<string, unknown>;
      expect(identify.scheme).toBe(result.scheme);
      expect(typeof identify.params).toBe('object');

      const needs = (await (await app.request('/v1/needs-rehash', postJson({ hash: v.hash }))).json()) as Record<string, unknown>;
      expect(needs).toMatchObject({ scheme: result.scheme, needsRehash: result.needsRehash });
    });

    const malformed = content.malformed ?? [];
    if (malformed.length > 0) {
      it.each(malformed.map((m) => [m.scheme, m.why, m] as const))('malformed %s: %s', async (scheme, _why, m) => {
        const app = appFor(scheme);
        const res = await app.request('/v1/verify', postJson({ password: 'password', hash: m.hash, user: 'postgres', salt: 'salt' }));
        const out = (await res.json()) as { error?: { code: string }; valid?: boolean };
        // "!" + anything is a locked account (Linux shadow, Django): never a match, never an error.
        if (m.hash.startsWith('!')) {
          expect(out).toMatchObject({ valid: false });
          return;
        }
        // A few fixture entries are broken for their own format but well-formed hashes of another
        // (mysql41 without "*" is a bare SHA-1 hex): then they must be read as that other scheme.
        if (res.status === 200) {
          expect((out as { scheme?: string }).scheme).not.toBe(scheme);
          expect(out.valid).toBe(false);
          return;
        }
        expect(res.status, JSON.stringify(out)).toBe(422);
        expect(['malformed_hash', 'hash_cost_exceeds_cap', 'unknown_hash_format', 'scheme_not_allowed']).toContain(out.error?.code);
      });
    }
  });
}
