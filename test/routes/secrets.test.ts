import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, postJson, type Target } from './_harness';

/**
 * The password must appear in no log line and no response other than the one that issues it.
 * Every path that handles a password, success and failure, is driven here with a recognisable
 * password, and then the captured pino output and every response body are searched for it.
 */
const SECRET = 'S3cret-Pa55-\u{1F511}-7f3a9c';
const BCRYPT = '$2a$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou';

const harness = makeHarness({ policy: { max_password_bytes: 256 }, deps: { maxBodyBytes: 2048 } });
let targets: Target[] = [];
const bodies: string[] = [];
beforeAll(async () => {
  targets = await harness.targets();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});

describe('secrets stay out of logs and error bodies', () => {
  it('on every password path', async () => {
    const calls: [string, RequestInit][] = [
      ['/v1/hash', postJson({ password: SECRET })],
      ['/v1/hash', postJson({ password: SECRET, scheme: 'nope' })],
      ['/v1/hash', postJson({ password: SECRET.repeat(20), scheme: 'bcrypt' })],
      ['/v1/hash', postJson({ password: SECRET.repeat(40) })],
      ['/v1/hash', postJson({ password: SECRET, extra: SECRET })],
      ['/v1/hash', postJson(`{"password": "${SECRET}"`)],
      ['/v1/hash', postJson({ password: SECRET.repeat(200) })],
      ['/v1/hash', postJson(`{"password": "${SECRET}\\ud800"}`)],
      ['/v1/verify', postJson({ password: SECRET, hash: BCRYPT })],
      ['/v1/verify', postJson({ password: SECRET, hash: SECRET })],
      ['/v1/verify', postJson({ password: SECRET, hash: '$2b$31$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou' })],
      ['/v1/verify', postJson({ password: SECRET, hash: `$2b$05$${SECRET}` })],
      ['/v1/verify', postJson({ password: [SECRET], hash: BCRYPT })],
      ['/v1/needs-rehash', postJson({ hash: `$argon2id$v=19$m=1,t=1,p=1$${SECRET}$x` })],
      ['/v1/identify', postJson({ hash: SECRET })],
      ['/v1/identify', postJson({ hash: SECRET, password: SECRET })],
    ];
    for (const t of targets) {
      for (const [path, init] of calls) {
        const res = await t.fetch(path, init);
        const text = await res.text();
        // The one response allowed to carry password-derived data is a hash: never the password.
        bodies.push(text);
        expect(res.status, `${path} ${String(init.body).slice(0, 40)}`).toBeLessThan(500);
      }
    }
    const logs = harness.logs.join('\n');
    expect(harness.logs.length).toBeGreaterThanOrEqual(calls.length * 2);
    for (const haystack of [logs, ...bodies]) {
      expect(haystack).not.toContain(SECRET);
      expect(haystack).not.toContain('S3cret');
      expect(haystack).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    }
  });
});
