/**
 * The HTTP tests of the stateless endpoints (hash, verify, needs-rehash, identify, policy, body
 * limits), shared by the Node app (test/routes/passwords.test.ts) and the Worker build in local
 * workerd (test/edge/worker.test.ts): the same requests must get the same answers on both.
 */
import { describe, expect, it } from 'vitest';
import { postJson } from './_harness';

/** What the suite needs of a service: a fetch that carries the caller's key. */
export interface FetchTarget {
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Runs one check against every target of the file (each target's name in the failure). */
export type Each = (fn: (t: FetchTarget) => Promise<void>) => Promise<void>;

export async function expectError(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe('string');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return body as unknown as Record<string, unknown>;
}

/** hashcat's bcrypt self-test hash, password "hashcat". */
export const BCRYPT_2A = '$2a$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou';

/** Declares the shared describe blocks; `each` runs a check on every target. */
export function statelessSuite(each: Each): void {
  describe('POST /v1/hash', () => {
    it('returns an argon2id hash under the default policy', async () => {
      await each(async (t) => {
        const res = await t.fetch('/v1/hash', postJson({ password: 'hunter2' }));
        expect(res.status).toBe(200);
        const body = (await res.json()) as { hash: string; scheme: string };
        expect(body.scheme).toBe('argon2id');
        expect(body.hash).toMatch(/^\$argon2id\$v=19\$m=256,t=1,p=1\$/);
      });
    });

    it('makes a bcrypt hash when asked, and 422s a scheme that is not accepted', async () => {
      await each(async (t) => {
        const res = await t.fetch('/v1/hash', postJson({ password: 'x', scheme: 'bcrypt' }));
        expect(((await res.json()) as { hash: string }).hash).toMatch(/^\$2b\$04\$/);
        await expectError(await t.fetch('/v1/hash', postJson({ password: 'x', scheme: 'md4000' })), 422, 'scheme_not_allowed');
        await expectError(await t.fetch('/v1/hash', postJson({ password: 'x', scheme: 'md5_crypt' })), 422, 'scheme_verify_only');
        await expectError(await t.fetch('/v1/hash', postJson({ password: 'p'.repeat(73), scheme: 'bcrypt' })), 422, 'password_too_long_for_scheme');
      });
    });
  });

  describe('POST /v1/verify', () => {
    it('verifies, and upgrades an outdated hash with newHash', async () => {
      await each(async (t) => {
        const res = await t.fetch('/v1/verify', postJson({ password: 'hashcat', hash: BCRYPT_2A }));
        expect(res.status).toBe(200);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ valid: true, scheme: 'bcrypt', needsRehash: true, reasons: ['deprecated_scheme', 'outdated_variant'] });
        expect(body.newHash).toMatch(/^\$argon2id\$/);
        const again = (await (await t.fetch('/v1/verify', postJson({ password: 'hashcat', hash: body.newHash }))).json()) as Record<string, unknown>;
        expect(again).toEqual({ valid: true, scheme: 'argon2id', needsRehash: false, reasons: [] });
      });
    });

    it('answers a wrong password with valid:false and no newHash', async () => {
      await each(async (t) => {
        const res = await t.fetch('/v1/verify', postJson({ password: 'Hashcat', hash: BCRYPT_2A }));
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ valid: false, scheme: 'bcrypt', needsRehash: true, reasons: ['deprecated_scheme', 'outdated_variant'] });
      });
    });

    it('maps hash problems to 422 codes', async () => {
      await each(async (t) => {
        await expectError(await t.fetch('/v1/verify', postJson({ password: 'x', hash: 'zzz' })), 422, 'unknown_hash_format');
        await expectError(await t.fetch('/v1/verify', postJson({ password: 'x', hash: '$2b$05$short' })), 422, 'malformed_hash');
        const huge = '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM';
        const body = await expectError(await t.fetch('/v1/verify', postJson({ password: 'x', hash: huge })), 422, 'hash_cost_exceeds_cap');
        expect((body.error as { details: unknown }).details).toEqual({ scheme: 'argon2id', param: 'memory_cost', value: 4194304, cap: 262144 });
        await expectError(await t.fetch('/v1/verify', postJson({ password: 'x', hash: BCRYPT_2A.replace('$05$', '$31$') })), 422, 'hash_cost_exceeds_cap');
      });
    });
  });

  describe('POST /v1/needs-rehash and /v1/identify', () => {
    it('reports reasons and parameters', async () => {
      await each(async (t) => {
        const nr = await t.fetch('/v1/needs-rehash', postJson({ hash: BCRYPT_2A }));
        expect(await nr.json()).toEqual({ needsRehash: true, scheme: 'bcrypt', reasons: ['deprecated_scheme', 'outdated_variant'] });
        const id = await t.fetch('/v1/identify', postJson({ hash: BCRYPT_2A }));
        expect(await id.json()).toEqual({ scheme: 'bcrypt', params: { ident: '2a', rounds: 5 } });
        await expectError(await t.fetch('/v1/identify', postJson({ hash: 'nothing-known' })), 422, 'unknown_hash_format');
        // A bare 32-hex string: the default policy reads it as MD5 and names the other readings.
        expect(await (await t.fetch('/v1/identify', postJson({ hash: '8743b52063cd84097a65d1633f5c74f5' }))).json()).toEqual({
          scheme: 'hex_md5',
          params: {},
          candidates: ['hex_md5', 'nthash', 'django_unsalted_md5'],
        });
      });
    });
  });

  describe('GET /v1/policy, health, OpenAPI, docs', () => {
    it('serves the effective policy', async () => {
      await each(async (t) => {
        const body = (await (await t.fetch('/v1/policy')).json()) as Record<string, unknown>;
        expect(body.default).toBe('argon2id');
        expect(body.maxPasswordBytes).toBe(1024);
      });
    });

    it('answers /healthz and /readyz', async () => {
      await each(async (t) => {
        expect(await (await t.fetch('/healthz')).json()).toEqual({ status: 'ok' });
        expect(await (await t.fetch('/readyz')).json()).toEqual({ status: 'ready' });
      });
    });

    it('describes every endpoint in OpenAPI 3.1 and serves the docs page', async () => {
      await each(async (t) => {
        const doc = (await (await t.fetch('/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
        expect(doc.openapi).toBe('3.1.0');
        for (const [path, method] of [['/v1/hash', 'post'], ['/v1/verify', 'post'], ['/v1/needs-rehash', 'post'], ['/v1/identify', 'post'], ['/v1/policy', 'get'], ['/healthz', 'get'], ['/readyz', 'get']] as const) {
          expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
        }
        expect(doc.components.schemas.VerifyRequest).toMatchObject({ type: 'object', required: ['password', 'hash'] });
        const docs = await t.fetch('/docs');
        expect(docs.status).toBe(200);
        expect(await docs.text()).toContain('/openapi.json');
      });
    });

    it('answers unknown paths with a JSON 404', async () => {
      await each(async (t) => {
        await expectError(await t.fetch('/v2/anything'), 404, 'not_found');
      });
    });
  });

  describe('bad input is a typed 4xx, never a 500', () => {
    it('bad JSON, missing fields, wrong types, unknown fields → 400', async () => {
      await each(async (t) => {
        await expectError(await t.fetch('/v1/verify', postJson('{"password": "x",')), 400, 'invalid_json');
        await expectError(await t.fetch('/v1/verify', postJson('')), 400, 'invalid_json');
        await expectError(await t.fetch('/v1/verify', postJson('[]')), 400, 'invalid_request');
        await expectError(await t.fetch('/v1/verify', postJson({ password: 'x' })), 400, 'invalid_request');
        await expectError(await t.fetch('/v1/verify', postJson({ password: 1, hash: BCRYPT_2A })), 400, 'invalid_request');
        await expectError(await t.fetch('/v1/hash', postJson({ password: 'x', pasword: 'y' })), 400, 'invalid_request');
        await expectError(await t.fetch('/v1/hash', postJson('null')), 400, 'invalid_request');
      });
    });

    it('a body that is not UTF-8 → 400 invalid_utf8', async () => {
      await each(async (t) => {
        const bytes = new Uint8Array([...new TextEncoder().encode('{"password":"a'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
        await expectError(await t.fetch('/v1/hash', { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes }), 400, 'invalid_utf8');
      });
    });

    it('a lone surrogate in the password → 400 invalid_password_encoding', async () => {
      await each(async (t) => {
        await expectError(await t.fetch('/v1/hash', postJson('{"password":"a\\ud800"}')), 400, 'invalid_password_encoding');
        await expectError(await t.fetch('/v1/verify', postJson(`{"password":"a\\udfff","hash":"${BCRYPT_2A}"}`)), 400, 'invalid_password_encoding');
      });
    });

    it('a password over max_password_bytes → 413', async () => {
      await each(async (t) => {
        await expectError(await t.fetch('/v1/hash', postJson({ password: 'x'.repeat(1025) })), 413, 'password_too_long');
      });
    });

    it('a body over the limit → 413, also when streamed without Content-Length', async () => {
      const big = JSON.stringify({ password: 'x'.repeat(70 * 1024) });
      await each(async (t) => {
        await expectError(await t.fetch('/v1/hash', postJson(big)), 413, 'body_too_large');
        const encoder = new TextEncoder();
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 80; i++) controller.enqueue(encoder.encode('x'.repeat(1024)));
            controller.close();
          },
        });
        const res = await t.fetch('/v1/hash', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
        await expectError(res, 413, 'body_too_large');
      });
    });
  });
}
