/**
 * The stateless token helpers over HTTP (fetch handler and a real Node server): token format and
 * digest, constant-time verify with strict digest format, uniform codes, typed 400s, and no
 * token in any log line.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, postJson, type Target } from './_harness';

const harness = makeHarness();
let targets: Target[] = [];
beforeAll(async () => {
  targets = await harness.targets();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe.each(['fetch', 'node'] as const)('token helpers (%s)', (name) => {
  const target = (): Target => targets.find((t) => t.name === name) as Target;
  const post = async (path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await target().fetch(path, postJson(body));
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('POST /v1/tokens: 32 random bytes by default, digest = hex SHA-256 of the token string', async () => {
    const { status, json } = await post('/v1/tokens', {});
    expect(status).toBe(200);
    expect(json.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(json.digest).toBe(sha256(json.token as string));
    const bare = await target().fetch('/v1/tokens', { method: 'POST' });
    expect(bare.status).toBe(200);
    expect(((await bare.json()) as { token: string }).token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('POST /v1/tokens: byte count and a readable prefix, digest over the whole string', async () => {
    const { status, json } = await post('/v1/tokens', { bytes: 16, prefix: 'sk_live_' });
    expect(status).toBe(200);
    expect(json.token).toMatch(/^sk_live_[A-Za-z0-9_-]{22}$/);
    expect(json.digest).toBe(sha256(json.token as string));
    expect(((await post('/v1/tokens', { bytes: 64 })).json.token as string).length).toBe(86);
  });

  it('POST /v1/tokens: out-of-range or malformed options are 400 invalid_request', async () => {
    for (const body of [{ bytes: 15 }, { bytes: 65 }, { bytes: 32.5 }, { bytes: '32' }, { prefix: 'sk-live' }, { prefix: 'a'.repeat(17) }, { prefix: '' }, { other: 1 }]) {
      const { status, json } = await post('/v1/tokens', body);
      expect(status, JSON.stringify(body)).toBe(400);
      expect((json.error as { code: string }).code).toBe('invalid_request');
    }
  });

  it('POST /v1/tokens/verify: true for the issued pair, false for any other token, either hex case', async () => {
    const { json: issued } = await post('/v1/tokens', { prefix: 'rst_' });
    const token = issued.token as string;
    const digest = issued.digest as string;
    expect((await post('/v1/tokens/verify', { token, digest })).json).toEqual({ valid: true });
    expect((await post('/v1/tokens/verify', { token, digest: digest.toUpperCase() })).json).toEqual({ valid: true });
    expect((await post('/v1/tokens/verify', { token: `${token}x`, digest })).json).toEqual({ valid: false });
    expect((await post('/v1/tokens/verify', { token: token.slice(0, -1), digest })).json).toEqual({ valid: false });
    // Presenting the digest itself as the token does not verify.
    expect((await post('/v1/tokens/verify', { token: digest, digest })).json).toEqual({ valid: false });
  });

  it('POST /v1/tokens/verify: a digest that is not 64 hex characters is a 400, never valid', async () => {
    const digest = sha256('t');
    for (const bad of [digest.slice(0, 63), `${digest}0`, `${digest.slice(0, 63)}g`, '', ` ${digest.slice(1)}`, 42, null, [digest]]) {
      const { status, json } = await post('/v1/tokens/verify', { token: 't', digest: bad });
      expect(status, JSON.stringify(bad)).toBe(400);
      expect((json.error as { code: string }).code).toBe('invalid_request');
    }
    for (const body of [{ digest }, { token: 't' }, { token: 5, digest }, { token: 'x'.repeat(1025), digest }]) {
      expect((await post('/v1/tokens/verify', body)).status, JSON.stringify(body)).toBe(400);
    }
  });

  it('POST /v1/otp/generate: 6 digits by default, 6..10 on request, 400 outside', async () => {
    expect((await post('/v1/otp/generate', {})).json.code).toMatch(/^[0-9]{6}$/);
    for (let digits = 6; digits <= 10; digits++) {
      const { status, json } = await post('/v1/otp/generate', { digits });
      expect(status).toBe(200);
      expect(json.code).toMatch(new RegExp(`^[0-9]{${digits}}$`));
    }
    for (const digits of [5, 11, 6.5, '6']) expect((await post('/v1/otp/generate', { digits })).status).toBe(400);
  });
});

describe('token helpers and secrets', () => {
  it('no issued token, digest input or code appears in a log line', async () => {
    const [t] = targets as [Target];
    const secrets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const issued = (await (await t.fetch('/v1/tokens', postJson({ prefix: 'sk_' }))).json()) as { token: string; digest: string };
      secrets.push(issued.token);
      await t.fetch('/v1/tokens/verify', postJson({ token: issued.token, digest: issued.digest }));
      const bad = await t.fetch('/v1/tokens/verify', postJson({ token: issued.token, digest: 'zz' }));
      expect(await bad.text()).not.toContain(issued.token);
      secrets.push(((await (await t.fetch('/v1/otp/generate', postJson({ digits: 10 }))).json()) as { code: string }).code);
    }
    const logs = harness.logs.join('\n');
    expect(logs).toContain('/v1/tokens/verify');
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});
