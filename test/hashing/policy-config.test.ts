import { describe, expect, it } from 'vitest';
import { PolicyError, applyPolicyEnv, parsePolicyText, resolvePolicy } from '../../src/hashing/policy-config';
import { registry } from '../helpers';

function issuesOf(input: unknown): readonly string[] {
  try {
    resolvePolicy(input, registry);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as PolicyError).issues;
  }
  throw new Error('expected the policy to be refused');
}

describe('built-in policy', () => {
  const policy = resolvePolicy({}, registry);

  it('uses argon2id with the OWASP parameters as default', () => {
    expect(policy.default).toBe('argon2id');
    expect(policy.params.argon2id).toEqual({
      memory_cost: { default: 19456, min: 19456 },
      time_cost: { default: 2, min: 2 },
      parallelism: { default: 1, min: 1 },
      salt_bytes: { default: 16, min: 16 },
      hash_bytes: { default: 32, min: 32 },
    });
  });

  it('accepts bcrypt (cost 12) and deprecates everything but the default', () => {
    expect(policy.schemes).toContain('bcrypt');
    expect(policy.params.bcrypt?.rounds?.default).toBe(12);
    expect(policy.deprecated).toContain('bcrypt');
    expect(policy.deprecated).not.toContain('argon2id');
    expect(policy.deprecated).toEqual(policy.schemes.filter((s) => s !== 'argon2id'));
  });

  it('has safe defaults: 1024-byte passwords, no truncation, no normalization', () => {
    expect(policy.maxPasswordBytes).toBe(1024);
    expect(policy.legacyBcryptTruncation).toBe(false);
    expect(policy.normalize).toBe('none');
    expect(policy.verifyCaps.argon2id).toEqual({ memory_cost: 262144, time_cost: 32, parallelism: 16 });
    expect(policy.verifyCaps.bcrypt).toEqual({ rounds: 16 });
  });

  it('never lists plaintext schemes by default', () => {
    for (const name of policy.schemes) expect(registry.get(name)?.plaintext ?? false).toBe(false);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.params.argon2id)).toBe(true);
  });
});

describe('policy validation', () => {
  it('names an unknown top-level key', () => {
    expect(issuesOf({ defualt: 'bcrypt' })).toEqual([expect.stringContaining('defualt')]);
  });

  it('names an unknown scheme in schemes and the default not listed', () => {
    const issues = issuesOf({ schemes: ['argon2id', 'rot13'], default: 'bcrypt' });
    expect(issues).toContain('schemes[1]: unknown scheme "rot13"');
    expect(issues).toContain('default: "bcrypt" is not listed in schemes');
  });

  it('refuses a fixed salt by name', () => {
    expect(issuesOf({ params: { argon2id: { salt: 'abc' } } })).toEqual([
      'params.argon2id.salt: a fixed salt is never allowed; salts are always random',
    ]);
  });

  it('refuses weak parameters unless allow_weak_params is set by name', () => {
    const issues = issuesOf({ params: { argon2id: { memory_cost: 1024, time_cost: 1 } } });
    expect(issues).toEqual([expect.stringMatching(/^params\.argon2id: memory_cost below 7168 KiB; set allow_weak_params = true/)]);
    expect(() => resolvePolicy({ allow_weak_params: true, params: { argon2id: { memory_cost: 1024, time_cost: 1 } } }, registry)).not.toThrow();
    expect(issuesOf({ params: { bcrypt: { rounds: 8 } } })).toEqual([expect.stringMatching(/^params\.bcrypt: bcrypt cost below 10/)]);
  });

  it('accepts the other OWASP argon2id equivalents', () => {
    for (const [m, t] of [[47104, 1], [19456, 2], [12288, 3], [9216, 4], [7168, 5]]) {
      expect(() => resolvePolicy({ params: { argon2id: { memory_cost: m, time_cost: t } } }, registry)).not.toThrow();
    }
  });

  it('checks bounds: min above default, max below default, unknown parameter, non-integer', () => {
    const issues = issuesOf({
      params: { argon2id: { memory_cost: { default: 19456, min: 65536 }, time_cost: { default: 3, max: 2 }, lanes: 4, parallelism: 1.5 } },
    });
    expect(issues).toContain('params.argon2id.memory_cost: min 65536 is above the default 19456');
    expect(issues).toContain('params.argon2id.time_cost: max 2 is below the default 3');
    expect(issues).toContain('params.argon2id.lanes: unknown parameter (known: memory_cost, time_cost, parallelism, salt_bytes, hash_bytes)');
    expect(issues).toContain('params.argon2id.parallelism: must be an integer');
  });

  it('refuses caps below what the policy itself produces, and caps on unknown parameters', () => {
    const issues = issuesOf({ params: { bcrypt: { rounds: 13 } }, verify_caps: { bcrypt: { rounds: 12, cost: 3 } } });
    expect(issues).toContain('verify_caps.bcrypt.rounds: cap 12 is below the policy\'s own default 13');
    expect(issues).toContain('verify_caps.bcrypt.cost: unknown cost parameter (known: rounds)');
  });

  it('refuses deprecating the default and a verify-only default', () => {
    expect(issuesOf({ schemes: ['argon2id', 'bcrypt'], deprecated: ['argon2id'] })).toContain(
      'deprecated[0]: the default scheme cannot be deprecated',
    );
  });

  it('validates types with the field path', () => {
    expect(issuesOf({ max_password_bytes: 'lots' })[0]).toMatch(/^max_password_bytes: /);
    expect(issuesOf({ normalize: 'NFD' })[0]).toMatch(/^normalize: /);
    expect(issuesOf({ deprecated: 'everything' })[0]).toMatch(/^deprecated: /);
  });

  it('lists every problem at once', () => {
    expect(issuesOf({ schemes: ['argon2id', 'nope1', 'nope2'], params: { argon2id: { salt: 'x' } } })).toHaveLength(3);
  });

  it('takes explicit deprecated lists and bcrypt as default', () => {
    const policy = resolvePolicy({ schemes: ['bcrypt', 'argon2id'], default: 'bcrypt', deprecated: [] }, registry);
    expect(policy.default).toBe('bcrypt');
    expect(policy.deprecated).toEqual([]);
  });
});

describe('policy files and environment overrides', () => {
  it('parses TOML and JSON', () => {
    const toml = parsePolicyText('default = "argon2id"\nschemes = ["argon2id", "bcrypt"]\n[params.bcrypt]\nrounds = 13\n', 'p.toml');
    expect(resolvePolicy(toml, registry).params.bcrypt?.rounds).toEqual({ default: 13, min: 13 });
    const json = parsePolicyText('{"max_password_bytes": 256}', 'p.json');
    expect(resolvePolicy(json, registry).maxPasswordBytes).toBe(256);
  });

  it('reports a syntax error with the file name', () => {
    expect(() => parsePolicyText('default = ', 'policy.toml')).toThrow(/policy\.toml: not valid TOML/);
  });

  it('applies HASHD_POLICY__ overrides as JSON or strings', () => {
    const merged = applyPolicyEnv({ params: { bcrypt: { rounds: 12 } } }, {
      HASHD_POLICY__default: 'bcrypt',
      HASHD_POLICY__params__argon2id__memory_cost: '65536',
      HASHD_POLICY__params__bcrypt__rounds: '13',
      HASHD_POLICY__legacy_bcrypt_truncation: 'true',
      OTHER: 'x',
    });
    expect(merged).toEqual({
      default: 'bcrypt',
      legacy_bcrypt_truncation: true,
      params: { bcrypt: { rounds: 13 }, argon2id: { memory_cost: 65536 } },
    });
  });
});
