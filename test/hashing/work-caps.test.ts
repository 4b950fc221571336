/**
 * Work caps that count the password: a verify whose work units (rounds × blocks per round, see
 * src/hashing/work.ts) exceed `verify_caps.<scheme>.work` is refused with hash_cost_exceeds_cap
 * before any work, whatever the rounds; the policy can lower or raise the cap.
 */
import { describe, expect, it, vi } from 'vitest';
import { HashdError } from '../../src/errors';
import { PolicyError } from '../../src/hashing/policy-config';
import { shaCryptChecksum } from '../../src/hashing/schemes/crypt';
import { WORK_CAPS, iteratedWork } from '../../src/hashing/work';
import { makeCrypt, registry } from '../helpers';

const encoder = new TextEncoder();
const scheme = (name: string) => {
  const s = registry.get(name);
  if (!s?.work) throw new Error(`${name} has no work function`);
  return s as typeof s & { work: NonNullable<typeof s.work> };
};

async function refusal(promise: Promise<unknown>): Promise<HashdError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HashdError);
    return err as HashdError;
  }
  throw new Error('expected a HashdError');
}

// A sha512_crypt string at the rounds cap (checksum irrelevant: it must never be computed).
const MILLION = `$6$rounds=1000000$saltsaltsaltsalt$${'a'.repeat(85)}.`;

describe('work caps', () => {
  it('counts rounds × blocks per round, with the password length in the blocks', () => {
    const sha512 = scheme('sha512_crypt');
    const parsed = sha512.parse(MILLION);
    // 8 bytes: the longest round input (P+S+P+C = 96 bytes) is one SHA-512 block, plus 3 of overhead.
    expect(sha512.work(parsed, 8)).toBe(1_000_000 * 4);
    expect(sha512.work(parsed, 1000)).toBe(1_000_000 * (17 + 3));
    expect(sha512.work(parsed, 1000)).toBe(iteratedWork('sha512', 1_000_000, 2000 + 16 + 64));
    // At the rounds cap the built-in work cap admits passwords up to 143 bytes.
    expect(sha512.work(parsed, 143)).toBeLessThanOrEqual(WORK_CAPS.sha512);
    expect(sha512.work(parsed, 144)).toBeGreaterThan(WORK_CAPS.sha512);
    const sha256 = scheme('sha256_crypt');
    const p256 = sha256.parse(`$5$rounds=1000000$saltsaltsaltsalt$${'a'.repeat(42)}.`);
    expect(sha256.work(p256, 99)).toBeLessThanOrEqual(WORK_CAPS.sha256);
    expect(sha256.work(p256, 100)).toBeGreaterThan(WORK_CAPS.sha256);
    // passlib's default rounds stay verifiable with long passwords.
    expect(sha512.work(sha512.parse(MILLION.replace('1000000', '656000')), 335)).toBeLessThanOrEqual(WORK_CAPS.sha512);
    // phpass and Drupal 7 at the log2 cap of 20 (character "I" is 20 in hash64).
    const phpass = scheme('phpass');
    const p = phpass.parse(`$P$Iabcdefgh${'.'.repeat(22)}`);
    expect(phpass.work(p, 359)).toBeLessThanOrEqual(WORK_CAPS.md5);
    expect(phpass.work(p, 360)).toBeGreaterThan(WORK_CAPS.md5);
    const drupal = scheme('drupal7');
    const d = drupal.parse(`$S$Iabcdefgh${'.'.repeat(43)}`);
    expect(drupal.work(d, 175)).toBeLessThanOrEqual(WORK_CAPS.sha512);
    expect(drupal.work(d, 176)).toBeGreaterThan(WORK_CAPS.sha512);
    // The U$ forms hash the password's 32-character MD5, whatever its length.
    const u = drupal.parse(`U$S$Iabcdefgh${'.'.repeat(43)}`);
    expect(drupal.work(u, 1000)).toBe(drupal.work(u, 1));
    // MD5-crypt's fixed 1000 rounds stay far below the cap at the longest allowed password.
    const md5 = scheme('md5_crypt');
    expect(md5.work(md5.parse('$1$38652870$DUjsu4TTlTsOe/xxZ05uf/'), 4096)).toBeLessThan(WORK_CAPS.md5 / 50);
  });

  it('refuses sha512_crypt rounds=1,000,000 with a 1,000-byte password before any work', async () => {
    const { crypt } = makeCrypt({ schemes: ['argon2id', 'sha512_crypt'] });
    const verify = vi.spyOn(registry.get('sha512_crypt') as NonNullable<ReturnType<typeof registry.get>>, 'verify');
    const password = 'p'.repeat(1000);
    const err = await refusal(crypt.verify(password, MILLION));
    expect(err.code).toBe('hash_cost_exceeds_cap');
    expect(err.status).toBe(422);
    expect(err.details).toEqual({ scheme: 'sha512_crypt', param: 'work', value: 20_000_000, cap: WORK_CAPS.sha512 });
    expect(err.message).not.toContain(password.slice(0, 16));
    // Under the rounds cap too, the work cap applies: rounds are fine, the password is not.
    await expect(refusal(crypt.verify('p'.repeat(200), MILLION.replace('1000000', '900000')))).resolves.toMatchObject({ code: 'hash_cost_exceeds_cap' });
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
  });

  it('verifies a long password at usual rounds (the cap counts work, not length)', async () => {
    const { crypt } = makeCrypt({ schemes: ['argon2id', 'sha512_crypt'] });
    const password = 'long passphrase '.repeat(62); // 992 bytes
    const salt = 'saltsaltsaltsalt';
    const hash = `$6$${salt}$${shaCryptChecksum(512, encoder.encode(password), encoder.encode(salt), 5000)}`;
    await expect(crypt.verify(password, hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'sha512_crypt' });
    await expect(crypt.verify(`${password}!`, hash, { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('takes verify_caps.<scheme>.work from the policy, lower or higher', async () => {
    const low = makeCrypt({ schemes: ['argon2id', 'sha512_crypt', 'phpass'], verify_caps: { sha512_crypt: { work: 1000 * 4 }, phpass: { work: 100 } } }).crypt;
    const v1000 = '$6$rounds=1000$R6zTIwM0gk3dSMYC$cpXi74Y5udp25YiTp9lXlj/9wYGRiduM0g.raTxThCoPtC.w2ix25khLmReMpt17YPlfib.x23M2EUeFgiqjV/';
    // 1000 rounds × (1 block + 3) fits exactly with a short password; a 16-byte one needs 2 blocks.
    await expect(low.verify('x', v1000, { rehash: false })).resolves.toMatchObject({ valid: false });
    await expect(refusal(low.verify('x'.repeat(16), v1000))).resolves.toMatchObject({ code: 'hash_cost_exceeds_cap', details: { param: 'work', cap: 4000 } });
    await expect(refusal(low.verify('hashcat', '$P$946647711V1klyitUYhtB8Yw5DMA/w.'))).resolves.toMatchObject({ code: 'hash_cost_exceeds_cap', details: { scheme: 'phpass', param: 'work' } });
    const high = makeCrypt({ schemes: ['argon2id', 'sha512_crypt'], verify_caps: { sha512_crypt: { work: 25_000_000 } } }).crypt;
    expect(() => high.assertVerifiable(MILLION)).not.toThrow();
    // The rounds cap still holds on its own.
    expect(() => high.assertVerifiable(MILLION.replace('1000000', '1000001'))).toThrow(expect.objectContaining({ code: 'hash_cost_exceeds_cap', details: expect.objectContaining({ param: 'rounds' }) }));
  });

  it('refuses a work cap on a scheme that has none, naming the known parameters', () => {
    expect(() => makeCrypt({ schemes: ['argon2id', 'bcrypt'], verify_caps: { bcrypt: { work: 10 } } })).toThrow(PolicyError);
    expect(() => makeCrypt({ schemes: ['argon2id', 'sha512_crypt'], verify_caps: { sha512_crypt: { works: 10 } } })).toThrow(/rounds, work/);
  });
});
