/**
 * Bad input on the stateless routes (issue 7), on the fetch handler and a real Node server:
 * bcrypt and NUL, needs-rehash on unusable or over-cap hashes, and strings that could never be
 * stored; every code a route answers here is listed in its OpenAPI `x-error-codes`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, postJson, type Target } from './_harness';

const harness = makeHarness({ policy: { schemes: ['argon2id', 'bcrypt'], default: 'argon2id' } });
let targets: Target[] = [];
beforeAll(async () => {
  targets = await harness.targets();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

async function each(fn: (t: Target) => Promise<void>): Promise<void> {
  for (const target of targets) {
    try {
      await fn(target);
    } catch (err) {
      (err as Error).message = `[${target.name}] ${(err as Error).message}`;
      throw err;
    }
  }
}

async function codeOf(res: Response): Promise<{ status: number; code: string | undefined }> {
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

const BCRYPT_PASSWORD = '$2a$04$2tXmSi48HWep8ZLknQstruAZgjPD2WqDXSAn1nmAaN6RC9.I6sxv.'; // pyca/bcrypt, "password"
const ARGON2 = (t: number): string => `$argon2id$v=19$m=256,t=${t},p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM`;

describe('bad input on the password routes', () => {
  it('POST /v1/hash with scheme bcrypt and a NUL in the password: 422 password_not_allowed_for_scheme', async () => {
    await each(async (t) => {
      expect(await codeOf(await t.fetch('/v1/hash', postJson({ password: 'a\u0000b', scheme: 'bcrypt' })))).toEqual({ status: 422, code: 'password_not_allowed_for_scheme' });
      expect((await t.fetch('/v1/hash', postJson({ password: 'a\u0000b' }))).status).toBe(200);
      const res = await t.fetch('/v1/verify', postJson({ password: 'password\u0000', hash: BCRYPT_PASSWORD }));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ valid: false, scheme: 'bcrypt' });
    });
  });

  it('POST /v1/needs-rehash: cost_exceeds_cap above the caps, unusable for markers and the empty string', async () => {
    await each(async (t) => {
      for (const time of [1000, 2 ** 32 - 1]) {
        expect(await (await t.fetch('/v1/needs-rehash', postJson({ hash: ARGON2(time) }))).json()).toEqual({ needsRehash: true, scheme: 'argon2id', reasons: ['cost_exceeds_cap'] });
      }
      for (const hash of ['', '!', '*', '!!']) {
        expect(await (await t.fetch('/v1/needs-rehash', postJson({ hash }))).json(), JSON.stringify(hash)).toMatchObject({ needsRehash: true, unusable: true });
      }
      expect(await (await t.fetch('/v1/needs-rehash', postJson({ hash: ARGON2(1) }))).json()).toEqual({ needsRehash: false, scheme: 'argon2id', reasons: [] });
    });
  });

  it('a hash, salt or user holding U+0000 or a lone surrogate is 400 invalid_request', async () => {
    await each(async (t) => {
      for (const body of [
        { password: 'x', hash: `${ARGON2(1)}\u0000` },
        { password: 'x', hash: `${ARGON2(1)}\ud800` },
        { password: 'x', hash: ARGON2(1), salt: '\u0000' },
        { password: 'x', hash: ARGON2(1), user: 'a\udc00' },
      ]) {
        expect(await codeOf(await t.fetch('/v1/verify', postJson(body))), JSON.stringify(body)).toEqual({ status: 400, code: 'invalid_request' });
      }
      expect(await codeOf(await t.fetch('/v1/needs-rehash', postJson({ hash: '\u0000' })))).toEqual({ status: 400, code: 'invalid_request' });
    });
  });

  it('lists the new codes in the routes\' x-error-codes', async () => {
    const app = targets[0] as Target;
    const doc = (await (await app.fetch('/openapi.json')).json()) as { paths: Record<string, Record<string, { 'x-error-codes': string[] }>> };
    expect(doc.paths['/v1/hash']?.post?.['x-error-codes']).toContain('password_not_allowed_for_scheme');
    expect(doc.paths['/v1/verify']?.post?.['x-error-codes']).toContain('invalid_request');
    expect(doc.paths['/v1/needs-rehash']?.post?.['x-error-codes']).toContain('invalid_request');
  });
});
