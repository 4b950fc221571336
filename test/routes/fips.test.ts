/**
 * A deployment that may only use FIPS-approved algorithms runs pbkdf2_sha256 at OWASP's 600,000
 * rounds as its default, end to end over HTTP. This test is about cost (real parameters), as its
 * name says; it makes two hashes.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { makeCrypt } from '../helpers';
import { memoryLogger, postJson } from './_harness';

describe('cost: FIPS policy with pbkdf2_sha256 at 600,000 rounds as default', () => {
  const { crypt } = makeCrypt({ schemes: ['pbkdf2_sha256', 'pbkdf2_sha512', 'bcrypt', 'argon2id'], default: 'pbkdf2_sha256', params: {} });
  const app = createApp({ crypt, apiKeys: [], maxBodyBytes: 64 * 1024, logger: memoryLogger([]) });

  it('hashes, verifies, and upgrades a legacy hash to pbkdf2_sha256', async () => {
    expect(crypt.policy.params.pbkdf2_sha256?.rounds).toEqual({ default: 600000, min: 600000 });
    const made = (await (await app.request('/v1/hash', postJson({ password: 'fips password' }))).json()) as { hash: string; scheme: string };
    expect(made.scheme).toBe('pbkdf2_sha256');
    expect(made.hash).toMatch(/^\$pbkdf2-sha256\$600000\$[./A-Za-z0-9]{22}\$[./A-Za-z0-9]{43}$/);
    expect(await (await app.request('/v1/verify', postJson({ password: 'fips password', hash: made.hash }))).json()).toEqual({
      valid: true,
      scheme: 'pbkdf2_sha256',
      needsRehash: false,
      reasons: [],
    });
    expect(await (await app.request('/v1/verify', postJson({ password: 'fips passwort', hash: made.hash }))).json()).toMatchObject({ valid: false });
    // A bcrypt hash (hashcat self-test, password "hashcat") upgrades to the FIPS default.
    const legacy = (await (await app.request('/v1/verify', postJson({ password: 'hashcat', hash: '$2a$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou' }))).json()) as { newHash?: string };
    expect(legacy.newHash).toMatch(/^\$pbkdf2-sha256\$600000\$/);
    // Fewer rounds than the policy's default need a rehash (passlib fixture at 29,000 rounds).
    expect(await (await app.request('/v1/needs-rehash', postJson({ hash: '$pbkdf2-sha256$29000$x9h7j/Ge8x6DMEao1VqrdQ$kra3R1wEnY8mPdDWHXTBSM2cRf7jYBkdkHWaJZUEOT4' }))).json()).toEqual({
      needsRehash: true,
      scheme: 'pbkdf2_sha256',
      reasons: ['param_below_min:rounds'],
    });
  });

  it('refuses weak pbkdf2 rounds for new hashes unless allowed by name', () => {
    expect(() => makeCrypt({ schemes: ['pbkdf2_sha256'], default: 'pbkdf2_sha256', params: { pbkdf2_sha256: { rounds: 100000 } }, allow_weak_params: false })).toThrow(/600000|600,000|OWASP/);
  });
});
