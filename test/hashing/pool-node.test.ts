/**
 * The legacy-verify pool: verifies of the JavaScript/WebAssembly schemes on worker threads give
 * exactly the inline results (passlib's reference vectors, right and wrong passwords), two at
 * once run on two different threads, and the CryptContext sends them there inside limiter slots.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/hashing/limiter';
import { CryptContext } from '../../src/hashing/crypt-context';
import { OFFLOADED_SCHEMES, verifyInline, type VerifyTask } from '../../src/hashing/offload';
import { createVerifyPool } from '../../src/hashing/pool-node';
import { resolvePolicy } from '../../src/hashing/policy-config';
import { shaCryptChecksum } from '../../src/hashing/schemes/crypt';
import { nodeSchemeEnv } from '../../src/entry/runtime-node';
import { TEST_POLICY, loadVectorFiles, registry, type Vector } from '../helpers';

const encoder = new TextEncoder();
const pool = createVerifyPool({ threads: 2 });
afterAll(() => pool.close());

// Every fixture of an offloaded scheme below its reference library's default cost (cheap ones).
const vectors: Vector[] = Object.values(loadVectorFiles())
  .flatMap((f) => f.vectors)
  .filter((v) => OFFLOADED_SCHEMES.has(v.scheme) && !v.default_cost);

const task = (v: Vector, password = v.password): VerifyTask => ({ scheme: v.scheme, hash: v.hash, password: encoder.encode(password), extras: {} });

describe('legacy-verify pool', () => {
  it('covers every offloaded scheme with fixtures', () => {
    const covered = new Set(vectors.map((v) => v.scheme));
    for (const scheme of ['sha512_crypt', 'sha256_crypt', 'md5_crypt', 'bsdi_crypt', 'phpass', 'yescrypt']) expect(covered, scheme).toContain(scheme);
  });

  it('leaves des_crypt and django_des_crypt inline: their fixed 25 encryptions cost less than a dispatch', () => {
    for (const scheme of ['des_crypt', 'django_des_crypt']) expect(OFFLOADED_SCHEMES.has(scheme), scheme).toBe(false);
  });

  it('gives the inline results for every fixture, right and wrong password', async () => {
    const env = nodeSchemeEnv();
    for (const v of vectors) {
      const [right, wrong] = await Promise.all([pool.run(task(v)), pool.run(task(v, `wrong-${v.password}`))]);
      expect(right.valid, `${v.scheme} ${v.hash}`).toBe(await verifyInline(registry, env, task(v)));
      expect(right.valid, `${v.scheme} ${v.hash}`).toBe(v.expect ?? true);
      expect(wrong.valid, `${v.scheme} ${v.hash}`).toBe(false);
    }
  });

  it('runs two concurrent sha512_crypt verifies on two different threads', async () => {
    await pool.warm();
    const salt = encoder.encode('2threads');
    const password = encoder.encode('correct horse');
    // Enough rounds that the first verify is still running when the second is dispatched.
    const rounds = 100_000;
    const hash = `$6$rounds=${rounds}$2threads$${shaCryptChecksum(512, password, salt, rounds)}`;
    const t: VerifyTask = { scheme: 'sha512_crypt', hash, password, extras: {} };
    const results = await Promise.all([pool.run(t), pool.run(t)]);
    expect(results.map((r) => r.valid)).toEqual([true, true]);
    const threads = new Set(results.map((r) => r.threadId));
    expect(threads.size).toBe(2);
    for (const id of threads) expect(pool.threadIds()).toContain(id);
    expect(threads.has(0)).toBe(false); // 0 is the main thread
  });

  it('the CryptContext verifies offloaded schemes on the pool, inside a limiter slot', async () => {
    const limiter = createLimiter({ concurrency: 2, maxQueue: 10 });
    const calls: string[] = [];
    const crypt = new CryptContext({
      policy: resolvePolicy({ ...TEST_POLICY, params: { argon2id: { memory_cost: 256, time_cost: 1 } }, schemes: ['argon2id', 'sha512_crypt', 'md5_crypt', 'ldap_salted_sha1'] }, registry),
      registry,
      env: nodeSchemeEnv(),
      limiter,
      offload: {
        accepts: (scheme) => pool.accepts(scheme),
        async verify(t) {
          calls.push(t.scheme);
          expect(limiter.stats().running).toBe(1);
          return pool.verify(t);
        },
      },
    });
    const sha = vectors.find((v) => v.scheme === 'sha512_crypt') as Vector;
    const md5 = vectors.find((v) => v.scheme === 'md5_crypt') as Vector;
    await expect(crypt.verify(sha.password, sha.hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'sha512_crypt' });
    await expect(crypt.verify('wrong', md5.hash, { rehash: false })).resolves.toMatchObject({ valid: false, scheme: 'md5_crypt' });
    // A scheme the pool does not take runs inline.
    await expect(crypt.verify('hashcat', '{SSHA}FLzWcQqyle6Mo7NvrwXCMAmRzXQxNjYxMTYzNw==', { rehash: false })).resolves.toMatchObject({ valid: true });
    expect(calls).toEqual(['sha512_crypt', 'md5_crypt']);
    expect(limiter.stats()).toMatchObject({ running: 0, completed: 3 });
  });
});

describe('legacy-verify pool with an idle timeout', () => {
  it('starts no thread before the first verify, verifies on a thread, and ends its threads once idle', { timeout: 30_000 }, async () => {
    const idle = createVerifyPool({ threads: 2, idleTimeoutMs: 200 });
    try {
      expect(idle.threadIds()).toEqual([]);
      const md5 = vectors.find((v) => v.scheme === 'md5_crypt') as Vector;
      const result = await idle.run(task(md5));
      expect(result.valid).toBe(true);
      expect(result.threadId).not.toBe(0);
      // Polled, not timed: the thread ends some time after 200 ms without work.
      for (let i = 0; i < 200 && idle.threadIds().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(idle.threadIds()).toEqual([]);
      // The next verify starts a thread again.
      await expect(idle.run(task(md5, 'wrong'))).resolves.toMatchObject({ valid: false });
    } finally {
      await idle.close();
    }
  });

  it('refuses an idle timeout that is not a positive integer', () => {
    expect(() => createVerifyPool({ threads: 1, idleTimeoutMs: 0 })).toThrow(RangeError);
  });
});
