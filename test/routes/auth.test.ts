import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseApiKeys, ConfigError } from '../../src/config';
import { registry } from '../helpers';
import { makeHarness, postJson, type Target } from './_harness';

const ACME_KEY = 'hashd_acme_0123456789abcdefghijklmnopqrstuv';
const BETA_KEY = 'hashd_beta_ZYXWVUTSRQPONMLKJIHGFEDCBA987654';
const digest = (key: string): string => createHash('sha256').update(key).digest('hex');
const apiKeys = parseApiKeys(`acme=sha256:${digest(ACME_KEY)}, beta=sha256:${digest(BETA_KEY)}`, []);

const harness = makeHarness({ deps: { apiKeys } });
let targets: Target[] = [];
beforeAll(async () => {
  targets = await harness.targets();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

describe('API keys', () => {
  it('accepts a configured key and names its tenant in the log', async () => {
    for (const t of targets) {
      const res = await t.fetch('/v1/hash', postJson({ password: 'x' }, { authorization: `Bearer ${ACME_KEY}` }));
      expect(res.status).toBe(200);
      const res2 = await t.fetch('/v1/policy', { headers: { authorization: `Bearer ${BETA_KEY}` } });
      expect(res2.status).toBe(200);
    }
    const tenants = harness.logs.map((l) => JSON.parse(l) as { tenant?: string }).map((l) => l.tenant);
    expect(tenants).toContain('acme');
    expect(tenants).toContain('beta');
  });

  it.each([
    ['no header', undefined],
    ['a wrong key', 'Bearer hashd_acme_0123456789abcdefghijklmnopqrstuw'],
    ['the digest instead of the key', `Bearer ${digest(ACME_KEY)}`],
    ['a non-bearer scheme', `Basic ${ACME_KEY}`],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with 401', async (_name, header) => {
    for (const t of targets) {
      const res = await t.fetch('/v1/hash', postJson({ password: 'x' }, header ? { authorization: header } : {}));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="hashd"');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
  });

  it('keeps health and docs open', async () => {
    for (const t of targets) {
      expect((await t.fetch('/healthz')).status).toBe(200);
      expect((await t.fetch('/readyz')).status).toBe(200);
      expect((await t.fetch('/openapi.json')).status).toBe(200);
    }
  });

  it('never logs a key', () => {
    const all = harness.logs.join('\n');
    expect(all).not.toContain(ACME_KEY);
    expect(all).not.toContain(BETA_KEY);
  });
});

describe('configuration of keys and dev mode', () => {
  it('parses digests and refuses raw keys without echoing them', () => {
    const issues: string[] = [];
    expect(parseApiKeys(`acme=sha256:${digest(ACME_KEY)}`, issues)).toHaveLength(1);
    parseApiKeys(`acme=${ACME_KEY}`, issues);
    expect(issues).toHaveLength(1);
    expect(issues[0]).not.toContain(ACME_KEY);
  });

  it('refuses to start in dev mode on a non-loopback host unless HASHD_ALLOW_INSECURE=1', () => {
    expect(() => loadConfig({ env: { HOST: '0.0.0.0' }, registry })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { HOST: '0.0.0.0' }, registry })).toThrow(/HASHD_ALLOW_INSECURE=1/);
    expect(loadConfig({ env: { HOST: '0.0.0.0', HASHD_ALLOW_INSECURE: '1' }, registry }).devMode).toBe(true);
    expect(loadConfig({ env: { HOST: '0.0.0.0', HASHD_API_KEYS: `a=sha256:${digest('k')}` }, registry }).devMode).toBe(false);
    expect(loadConfig({ env: {}, registry })).toMatchObject({ host: '127.0.0.1', port: 8080, devMode: true });
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ env: { PORT: 'eighty', HASHD_HASH_CONCURRENCY: '0', HASHD_POLICY__default: 'nope' }, registry });
      throw new Error('expected ConfigError');
    } catch (err) {
      expect((err as ConfigError).issues).toEqual([
        'PORT: must be an integer between 0 and 65535',
        'HASHD_HASH_CONCURRENCY: must be an integer between 1 and 1024',
        'default: "nope" is not listed in schemes',
      ]);
    }
  });

  it('reads the policy file named by HASHD_CONFIG and reports unreadable files', () => {
    const files: Record<string, string> = { '/etc/hashd.toml': 'max_password_bytes = 128\n' };
    const readFile = (p: string): string => {
      const text = files[p];
      if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return text;
    };
    expect(loadConfig({ env: { HASHD_CONFIG: '/etc/hashd.toml' }, registry, readFile }).policy.maxPasswordBytes).toBe(128);
    expect(() => loadConfig({ env: { HASHD_CONFIG: '/etc/missing.toml' }, registry, readFile })).toThrow(/cannot read \/etc\/missing\.toml: ENOENT/);
  });
});

describe('API key scopes in HASHD_API_KEYS', () => {
  it('reads TENANT=… as a service key and TENANT:admin=… as an admin key', () => {
    const issues: string[] = [];
    const keys = parseApiKeys(`acme=sha256:${digest(ACME_KEY)},ops:admin=sha256:${digest(BETA_KEY)},x:service=sha256:${digest('k')}`, issues);
    expect(issues).toEqual([]);
    expect(keys.map((k) => [k.tenant, k.scope])).toEqual([
      ['acme', 'service'],
      ['ops', 'admin'],
      ['x', 'service'],
    ]);
  });

  it('names an unknown scope without echoing the entry', () => {
    const issues: string[] = [];
    parseApiKeys(`acme:root=sha256:${digest(ACME_KEY)}`, issues);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain('unknown scope');
    expect(issues[0]).not.toContain(digest(ACME_KEY));
  });
});
