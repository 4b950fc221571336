/**
 * The policy file: its schema, its defaults and its validation. A policy is data (which schemes,
 * which default, which parameters and caps) and is checked completely at start, so a bad file
 * stops the service with a message naming every bad field instead of failing on some later login.
 *
 * Unknown keys are refused (a typo must not silently fall back to a default), and so are
 * dangerous ones: a fixed salt, weak parameters for new hashes (unless `allow_weak_params = true`
 * is written by name) and plaintext schemes that were not named explicitly.
 */
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { Registry } from './registry';
import type { ParamValue, Scheme } from './scheme';

const paramBound = z
  .object({
    default: z.union([z.number(), z.string()]).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();

const paramEntry = z.union([z.number(), z.string(), paramBound]);

export const policyFileSchema = z
  .object({
    schemes: z.array(z.string().min(1)).min(1).optional(),
    default: z.string().min(1).optional(),
    deprecated: z.union([z.literal('auto'), z.array(z.string().min(1))]).optional(),
    // Some legacy algorithms (sha-crypt) cost the square of the password length: 4 KiB bounds it.
    max_password_bytes: z.number().int().min(8).max(4096).optional(),
    normalize: z.enum(['none', 'NFC', 'NFKC']).optional(),
    legacy_bcrypt_truncation: z.boolean().optional(),
    allow_weak_params: z.boolean().optional(),
    legacy_raw: z.array(z.string().min(1)).optional(),
    params: z.record(z.string(), z.record(z.string(), paramEntry)).optional(),
    verify_caps: z.record(z.string(), z.record(z.string(), z.number().int().positive())).optional(),
  })
  .strict();

export type PolicyFile = z.infer<typeof policyFileSchema>;

export interface ResolvedParam {
  default: ParamValue;
  min?: number;
  max?: number;
}

/** The effective, validated policy. Frozen; `GET /v1/policy` reports it as is. */
export interface ResolvedPolicy {
  schemes: readonly string[];
  default: string;
  deprecated: readonly string[];
  maxPasswordBytes: number;
  normalize: 'none' | 'NFC' | 'NFKC';
  legacyBcryptTruncation: boolean;
  allowWeakParams: boolean;
  legacyRaw: readonly string[];
  /** Parameters of new hashes, per scheme that can produce hashes and is listed. */
  params: Readonly<Record<string, Readonly<Record<string, ResolvedParam>>>>;
  /** Highest cost a presented hash may ask for, per listed scheme and cost parameter. */
  verifyCaps: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** A policy that cannot be used; `issues` name every bad field. */
export class PolicyError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid policy:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

/**
 * The raw-digest formats accepted when a policy does not say: the most common reading of each
 * length (32 hex is MD5, 40 SHA-1, 64 SHA-256, 128 SHA-512). identify still names every other
 * reading in `candidates`.
 */
export const DEFAULT_LEGACY_RAW = ['hex_md5', 'hex_sha1', 'hex_sha256', 'hex_sha512'] as const;

/**
 * The built-in policy: argon2id with OWASP's parameters for new hashes; every other non-plaintext
 * scheme hashd knows is accepted for verification and deprecated, so a valid login hands back the
 * argon2id upgrade.
 */
export function defaultPolicyFile(registry: Registry): PolicyFile {
  // Sibling variants of argon2id (argon2i, argon2d) are accepted through their family and
  // reported as outdated variants, so they need not be listed.
  const family = registry.get('argon2id')?.family;
  const schemes = [
    'argon2id',
    ...registry.schemes.filter((s) => s.name !== 'argon2id' && !s.plaintext && !s.ambiguous && (family === undefined || s.family !== family)).map((s) => s.name),
  ];
  return { schemes, default: 'argon2id', deprecated: 'auto' };
}

function describeZodIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') return `${path}: unknown key(s) ${issue.keys.join(', ')}`;
    return `${path}: ${issue.message}`;
  });
}

/** Parses a policy file's text; TOML unless the name ends in .json. */
export function parsePolicyText(text: string, fileName: string): unknown {
  try {
    return fileName.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseToml(text);
  } catch (err) {
    throw new PolicyError([`${fileName}: not valid ${fileName.endsWith('.json') ? 'JSON' : 'TOML'}: ${(err as Error).message.split('\n')[0]}`]);
  }
}

/**
 * Applies environment overrides of the form `HASHD_POLICY__<path>=<value>`, where the path's
 * segments are separated by `__` (`HASHD_POLICY__params__argon2id__memory_cost=65536`). A value
 * that parses as JSON is used as JSON (numbers, booleans, arrays), anything else as a string.
 */
export function applyPolicyEnv(file: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(file);
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith('HASHD_POLICY__') || raw === undefined) continue;
    const path = key.slice('HASHD_POLICY__'.length).split('__').filter(Boolean);
    if (path.length === 0) continue;
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    let node: Record<string, unknown> = out;
    for (const segment of path.slice(0, -1)) {
      const child = node[segment];
      if (typeof child !== 'object' || child === null || Array.isArray(child)) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  }
  return out;
}

function isNumericSpec(scheme: Scheme, name: string): boolean {
  return typeof scheme.producer?.params[name]?.default === 'number';
}

/**
 * Validates a policy file against the registry and fills in defaults. Collects every problem
 * before throwing, so one run of `hashd policy check` shows all of them.
 */
export function resolvePolicy(input: unknown, registry: Registry): ResolvedPolicy {
  const parsed = policyFileSchema.safeParse(input ?? {});
  if (!parsed.success) throw new PolicyError(describeZodIssues(parsed.error));
  const file = parsed.data;
  const base = defaultPolicyFile(registry);
  const issues: string[] = [];

  const legacyRaw =
    file.legacy_raw ?? (file.schemes ? file.schemes.filter((n) => registry.get(n)?.ambiguous) : DEFAULT_LEGACY_RAW.filter((n) => registry.get(n)));
  const listed = file.schemes ?? [...(base.schemes as string[]), ...legacyRaw];
  const defaultName = file.default ?? (file.schemes ? (file.schemes[0] as string) : 'argon2id');

  const seen = new Set<string>();
  listed.forEach((name, i) => {
    const scheme = registry.get(name);
    if (!scheme) issues.push(`schemes[${i}]: unknown scheme "${name}"`);
    if (seen.has(name)) issues.push(`schemes[${i}]: "${name}" is listed twice`);
    seen.add(name);
  });
  legacyRaw.forEach((name, i) => {
    const scheme = registry.get(name);
    if (!scheme) issues.push(`legacy_raw[${i}]: unknown scheme "${name}"`);
    else if (!scheme.ambiguous) issues.push(`legacy_raw[${i}]: "${name}" is not a raw digest format`);
    else if (file.schemes && !seen.has(name)) issues.push(`legacy_raw[${i}]: "${name}" must also be listed in schemes`);
  });
  const schemes = file.schemes ? listed : listed.filter((n, i) => listed.indexOf(n) === i);

  const defaultScheme = registry.get(defaultName);
  if (!schemes.includes(defaultName)) issues.push(`default: "${defaultName}" is not listed in schemes`);
  else if (defaultScheme && !defaultScheme.producer) issues.push(`default: "${defaultName}" is verify-only, hashd cannot make new hashes of it`);

  let deprecated: string[];
  if (file.deprecated === undefined || file.deprecated === 'auto') deprecated = schemes.filter((n) => n !== defaultName);
  else {
    deprecated = file.deprecated;
    deprecated.forEach((name, i) => {
      if (!schemes.includes(name)) issues.push(`deprecated[${i}]: "${name}" is not listed in schemes`);
      if (name === defaultName) issues.push(`deprecated[${i}]: the default scheme cannot be deprecated`);
    });
  }

  // Parameters for new hashes: only for listed schemes that can produce hashes.
  const params: Record<string, Record<string, ResolvedParam>> = {};
  for (const [schemeName, entries] of Object.entries(file.params ?? {})) {
    const scheme = registry.get(schemeName);
    if (!scheme || !schemes.includes(schemeName)) {
      issues.push(`params.${schemeName}: not a listed scheme`);
      continue;
    }
    if (!scheme.producer) {
      issues.push(`params.${schemeName}: "${schemeName}" is verify-only and takes no parameters`);
      continue;
    }
    for (const key of Object.keys(entries)) {
      if (key === 'salt') issues.push(`params.${schemeName}.salt: a fixed salt is never allowed; salts are always random`);
      else if (!scheme.producer.params[key]) issues.push(`params.${schemeName}.${key}: unknown parameter (known: ${Object.keys(scheme.producer.params).join(', ')})`);
    }
  }
  for (const name of schemes) {
    const scheme = registry.get(name);
    if (!scheme?.producer) continue;
    const resolved: Record<string, ResolvedParam> = {};
    const given = file.params?.[name] ?? {};
    for (const [key, spec] of Object.entries(scheme.producer.params)) {
      const entry = given[key];
      const where = `params.${name}.${key}`;
      const numeric = isNumericSpec(scheme, key);
      let param: ResolvedParam;
      if (entry === undefined) param = { default: spec.default };
      else if (typeof entry === 'object') param = { default: entry.default ?? spec.default, ...(entry.min !== undefined && { min: entry.min }), ...(entry.max !== undefined && { max: entry.max }) };
      else param = { default: entry };
      if (numeric) {
        if (typeof param.default !== 'number' || !Number.isInteger(param.default)) {
          issues.push(`${where}: must be an integer`);
          continue;
        }
        // Unless said otherwise, hashes below the configured default need a rehash.
        if (param.min === undefined) param.min = param.default;
        if (spec.floor !== undefined && param.default < spec.floor) issues.push(`${where}: ${param.default} is below the lowest value ${spec.floor}`);
        if (spec.ceiling !== undefined && param.default > spec.ceiling) issues.push(`${where}: ${param.default} is above the highest value ${spec.ceiling}`);
        if (param.min > param.default) issues.push(`${where}: min ${param.min} is above the default ${param.default}`);
        if (param.max !== undefined && param.max < param.default) issues.push(`${where}: max ${param.max} is below the default ${param.default}`);
      } else {
        if (typeof param.default !== 'string') issues.push(`${where}: must be a string`);
        else if (spec.choices && !spec.choices.includes(param.default)) issues.push(`${where}: must be one of ${spec.choices.join(', ')}`);
        if (param.min !== undefined || param.max !== undefined) issues.push(`${where}: min/max apply to numeric parameters only`);
      }
      resolved[key] = param;
    }
    const defaults = Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, v.default]));
    const weak = scheme.producer.weakness?.(defaults) ?? null;
    if (weak && !file.allow_weak_params && (name === defaultName || file.params?.[name] !== undefined)) {
      issues.push(`params.${name}: ${weak}; set allow_weak_params = true to allow it by name`);
    }
    params[name] = resolved;
  }

  // Caps: built-in per scheme, overridable; a cap must allow the hashes the policy itself makes.
  const verifyCaps: Record<string, Record<string, number>> = {};
  for (const [schemeName, entries] of Object.entries(file.verify_caps ?? {})) {
    const scheme = registry.get(schemeName);
    if (!scheme || !schemes.includes(schemeName)) {
      issues.push(`verify_caps.${schemeName}: not a listed scheme`);
      continue;
    }
    for (const key of Object.keys(entries)) {
      if (scheme.costCaps[key] === undefined) issues.push(`verify_caps.${schemeName}.${key}: unknown cost parameter (known: ${Object.keys(scheme.costCaps).join(', ') || 'none'})`);
    }
  }
  for (const name of schemes) {
    const scheme = registry.get(name);
    if (!scheme) continue;
    const caps = { ...scheme.costCaps, ...(file.verify_caps?.[name] ?? {}) };
    for (const [key, cap] of Object.entries(caps)) {
      const def = params[name]?.[key]?.default;
      if (typeof def === 'number' && def > cap) issues.push(`verify_caps.${name}.${key}: cap ${cap} is below the policy's own default ${def}`);
    }
    verifyCaps[name] = caps;
  }

  if (issues.length > 0) throw new PolicyError(issues);
  return deepFreeze({
    schemes,
    default: defaultName,
    deprecated,
    maxPasswordBytes: file.max_password_bytes ?? 1024,
    normalize: file.normalize ?? 'none',
    legacyBcryptTruncation: file.legacy_bcrypt_truncation ?? false,
    allowWeakParams: file.allow_weak_params ?? false,
    legacyRaw,
    params,
    verifyCaps,
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
