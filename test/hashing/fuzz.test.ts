/**
 * Hash strings are attacker-controlled. 100,000+ random and mutated strings (mutations of every
 * reference vector, malformed fixture and hashcat example) go through identify, needs-rehash and
 * verify; each call must return normally or throw a typed HashdError with a 4xx status — never
 * another exception, never a 500 — and finish within a time bound.
 *
 * Verify runs under caps lowered to the highest cost any seed vector uses, so a mutation that
 * raises a cost digit is refused before work (which is itself what caps are for) and the run stays
 * fast; identify and needs-rehash run under the default caps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HashdError } from '../../src/errors';
import type { PolicyFile } from '../../src/hashing/policy-config';
import { loadHashcatExamples, loadVectorFiles, makeCrypt, registry } from '../helpers';

const files = Object.values(loadVectorFiles());
const seeds = [
  ...files.flatMap((f) => f.vectors.filter((v) => !v.default_cost).map((v) => v.hash)),
  ...files.flatMap((f) => (f.malformed ?? []).map((m) => m.hash)),
  ...loadHashcatExamples().map((e) => e.hash),
];

// Every scheme listed (ambiguous and plaintext ones too), so every parser is exercised.
const allSchemes = ['argon2id', ...registry.schemes.map((s) => s.name).filter((n) => n !== 'argon2id')];

function seedCaps(): Record<string, Record<string, number>> {
  const caps: Record<string, Record<string, number>> = {};
  for (const hash of seeds) {
    for (const scheme of registry.candidates(hash)) {
      try {
        const parsed = scheme.parse(hash);
        const entry = (caps[scheme.name] ??= {});
        for (const [k, v] of Object.entries(parsed.cost)) entry[k] = Math.max(entry[k] ?? 1, v, 1);
      } catch {
        // Malformed seeds do not set caps.
      }
    }
  }
  return caps;
}

// Cheap producers, so caps derived from the seeds are never below the policy's own defaults.
const broad: PolicyFile = {
  schemes: allSchemes,
  legacy_raw: registry.schemes.filter((s) => s.ambiguous).map((s) => s.name),
  params: {
    argon2id: { memory_cost: 256, time_cost: 1 },
    argon2i: { memory_cost: 256, time_cost: 1 },
    argon2d: { memory_cost: 256, time_cost: 1 },
    bcrypt: { rounds: 4 },
    pbkdf2_sha256: { rounds: 1000 },
    pbkdf2_sha512: { rounds: 1000 },
    scrypt: { ln: 10 },
  },
};
const { crypt: defaultCaps } = makeCrypt(broad);
// A cap below what the policy itself produces is refused by the policy, so raise those to the default.
const lowered = seedCaps();
for (const [scheme, params] of Object.entries(defaultCaps.policy.params)) {
  for (const [key, bound] of Object.entries(params)) {
    const entry = lowered[scheme];
    if (entry?.[key] !== undefined && typeof bound.default === 'number') entry[key] = Math.max(entry[key], bound.default);
  }
}
const { crypt: lowCaps } = makeCrypt({ ...broad, verify_caps: lowered });

const seedArb = fc.constantFrom(...seeds);
const alphabet = fc.constantFrom(...'$.,=/+*!{}:_-0123456789abcdefxyzABCDEFXYZ \u0000\u00e9\ud800'.split(''));
const mutated = fc
  .tuple(seedArb, fc.array(fc.tuple(fc.nat(), fc.nat(), alphabet, fc.constantFrom('replace', 'insert', 'delete', 'truncate', 'duplicate')), { minLength: 1, maxLength: 4 }))
  .map(([seed, edits]) => {
    let s = seed;
    for (const [a, b, ch, op] of edits) {
      const i = s.length === 0 ? 0 : a % s.length;
      if (op === 'replace') s = s.slice(0, i) + ch + s.slice(i + 1);
      else if (op === 'insert') s = s.slice(0, i) + ch + s.slice(i);
      else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
      else if (op === 'truncate') s = s.slice(0, i);
      else s = s.slice(0, i) + s.slice(i, i + (b % 16)) + s.slice(i);
    }
    return s;
  });
const prefixed = fc.tuple(fc.constantFrom(...seeds.map((s) => s.slice(0, Math.max(1, s.lastIndexOf('$') + 1)))), fc.string({ maxLength: 80 })).map(([p, r]) => p + r);
const hashArb = fc.oneof(mutated, mutated, prefixed, fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }));

function expectTyped(err: unknown, input: string): void {
  if (!(err instanceof HashdError) || err.status >= 500) {
    throw new Error(`untyped failure for ${JSON.stringify(input)}: ${(err as Error)?.stack ?? String(err)}`);
  }
}

// Hang detection, not a speed target (those live in the benchmark): generous enough for a GC
// pause on a loaded 2-core machine, far below what a catastrophic regex or an unbounded loop costs.
const SYNC_BOUND_MS = 1000;

describe('fuzz: hash strings are attacker-controlled', () => {
  it('identify and needs-rehash: 100,000 strings, typed errors only, each call bounded', () => {
    let slowest = 0;
    fc.assert(
      fc.property(hashArb, (hash) => {
        for (const call of [() => defaultCaps.identify(hash), () => defaultCaps.needsUpdate(hash)]) {
          const t0 = performance.now();
          try {
            call();
          } catch (err) {
            expectTyped(err, hash);
          }
          slowest = Math.max(slowest, performance.now() - t0);
        }
      }),
      { numRuns: 100_000, seed: 20261126 },
    );
    expect(slowest).toBeLessThan(SYNC_BOUND_MS);
  });

  it('verify: 100,000 strings, typed errors or a boolean, each call bounded', async () => {
    let computed = 0;
    await fc.assert(
      fc.asyncProperty(hashArb, fc.constantFrom('password', 'hashcat', '', 'p\u00e4ss'), async (hash, password) => {
        const started = performance.now();
        try {
          const result = await lowCaps.verify(password, hash, { user: 'postgres', salt: 'salt', rehash: false });
          expect(typeof result.valid).toBe('boolean');
          computed++;
        } catch (err) {
          expectTyped(err, hash);
        }
        const ms = performance.now() - started;
        if (ms > 5000) throw new Error(`verify took ${ms.toFixed(0)} ms for ${JSON.stringify(hash)}`);
      }),
      { numRuns: 100_000, seed: 20261126 },
    );
    // The mutations must reach the verify step often enough to matter.
    expect(computed).toBeGreaterThan(1000);
  });
});
