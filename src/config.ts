/**
 * Environment + policy file → one frozen, validated configuration. Runtime-agnostic: the caller
 * passes the environment as a plain object and a function that reads the policy file, so the
 * Node entry, the CLI, a Worker and the tests build their configuration the same way.
 *
 * Every problem is collected and reported at once, naming the variable or policy field.
 */
import { DEFAULT_TOTP_SETTINGS, TOTP_PENDING_MAX_SECONDS, TOTP_PENDING_MIN_SECONDS, type TotpSettings } from './totp/settings';
import { PolicyError, applyPolicyEnv, parsePolicyText, resolvePolicy, type ResolvedPolicy } from './hashing/policy-config';
import type { Registry } from './hashing/registry';
import { fromBase64, fromBase64Url, fromHex } from './hashing/encoding';
import { parseTrustedProxies } from './throttle/address';
import { DEFAULT_THROTTLE_RULES, type ThrottleRule, type ThrottleRules } from './throttle/throttle';
import { parseRingKeys, type RingKeyEntry } from './keys/ring';
import {
  DEFAULT_OTP_SETTINGS,
  DEFAULT_PURGE_SETTINGS,
  DEFAULT_SESSION_SETTINGS,
  OTP_MIN_TTL_SECONDS,
  SESSION_MIN_IDLE_SECONDS,
  SESSION_MIN_TTL_SECONDS,
  type OtpSettings,
  type PurgeSettings,
  type SessionSettings,
} from './sessions/settings';

/**
 * What a caller key may do. A `service` key is what a login backend holds: hash, verify, login,
 * passwords, sessions and codes. An `admin` key adds the operator's routes (import, export, wrap,
 * inventory, throttle resets, key management); it can do everything a service key can.
 */
export type KeyScope = 'service' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['service', 'admin'];

export interface ApiKeyEntry {
  tenant: string;
  scope: KeyScope;
  /** SHA-256 of the key; the key itself never sits in configuration. */
  digest: Uint8Array;
}

export interface ServiceConfig {
  host: string;
  port: number;
  apiKeys: readonly ApiKeyEntry[];
  /** No API keys: every request is the `default` tenant. Loopback only unless allowed. */
  devMode: boolean;
  allowInsecure: boolean;
  hashConcurrency: number;
  hashQueue: number;
  /** Nice value of the hashing threads, below the event loop (Linux); 0 leaves them alone. */
  hashNice: number;
  /** Performance: the Node server's connection limits and timeouts (src/entry/overload-node.ts). */
  server: Readonly<{
    maxConnections: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxRequestsPerSocket: number;
    listenBacklog: number;
  }>;
  /** Performance: the embedded PGlite's shared_buffers, in MiB. */
  pgliteSharedBuffersMb: number;
  /**
   * Performance: legacy-verify threads idle this long end (HASHD_LEGACY_IDLE_SECONDS; 0 = they
   * start with the server and live as long as it). With HASHD_HASH_NICE set they always live.
   */
  legacyIdleSeconds: number;
  maxBodyBytes: number;
  logLevel: string;
  databaseUrl: string | undefined;
  /** Connections in the PostgreSQL pool (DATABASE_URL only). */
  databasePoolMax: number;
  dataDir: string;
  policy: ResolvedPolicy;
  /** Where the policy came from: a file path, or "built-in". */
  policySource: string;
  throttle: ThrottleConfig;
  // Sessions and one-time codes.
  sessions: SessionSettings;
  otp: OtpSettings;
  /** HASHD_OTP_SECRET decoded; undefined when unset (see sessions/otp-secret.ts). */
  otpSecret: Uint8Array | undefined;
  purge: PurgeSettings;
  // Keys and TOTP.
  /** TOTP: how long a pending enrolment can be confirmed (HASHD_TOTP_PENDING_SECONDS). */
  totp: TotpSettings;
  /** HASHD_KEYS: the master key ring, first encrypts; undefined when not configured. */
  ringKeys: readonly RingKeyEntry[] | undefined;
  /** Ship: TLS, metrics, shutdown (parseShipConfig). */
  ship: ShipConfig;
  // --- wrap job lease (hardening-login) ---
  /** How long a replica's claim on the wrap job lasts without a renewal (HASHD_WRAP_LEASE_SECONDS). */
  wrapLeaseSeconds: number;
}

// --- Throttling (issue 11) -------------------------------------------------------------------

export type ThrottleStoreKind = 'memory' | 'redis' | 'database' | 'off';
export const THROTTLE_STORE_KINDS: readonly ThrottleStoreKind[] = ['memory', 'redis', 'database', 'off'];

export interface ThrottleConfig {
  /** memory (one process), redis (REDIS_URL, shared by replicas), database (the credentials' database), off. */
  store: ThrottleStoreKind;
  redisUrl: string | undefined;
  /** Prefix of every Redis key the throttle writes. */
  redisPrefix: string;
  rules: ThrottleRules;
  /** HASHD_TRUSTED_PROXIES: addresses/CIDR ranges whose X-Forwarded-For is read. Empty: headers ignored. */
  trustedProxies: readonly string[];
}

function throttleRule(env: Record<string, string | undefined>, prefix: string, fallback: ThrottleRule, maxOfMax: number, issues: string[]): ThrottleRule {
  const maxFailures = intVar(env, `${prefix}_MAX`, fallback.maxFailures, 1, maxOfMax, issues);
  const freeFailures = intVar(env, `${prefix}_FREE`, fallback.freeFailures, 0, maxFailures, issues);
  const base = intVar(env, `${prefix}_BACKOFF_BASE`, fallback.backoffBaseMs / 1000, 0, 86_400, issues);
  const cap = intVar(env, `${prefix}_BACKOFF_MAX`, fallback.backoffMaxMs / 1000, 0, 7 * 86_400, issues);
  const window = intVar(env, `${prefix}_WINDOW`, fallback.windowMs / 1000, 1, 365 * 86_400, issues);
  if (cap < base) issues.push(`${prefix}_BACKOFF_MAX: must be at least ${prefix}_BACKOFF_BASE (${base})`);
  return Object.freeze({ maxFailures, freeFailures, backoffBaseMs: base * 1000, backoffMaxMs: cap * 1000, windowMs: window * 1000 });
}

export function loadThrottleConfig(env: Record<string, string | undefined>, issues: string[]): ThrottleConfig {
  const redisUrl = env.REDIS_URL || undefined;
  const requested = env.HASHD_THROTTLE_STORE || (redisUrl ? 'redis' : 'memory');
  let store: ThrottleStoreKind = 'memory';
  if (!THROTTLE_STORE_KINDS.includes(requested as ThrottleStoreKind)) {
    issues.push(`HASHD_THROTTLE_STORE: expected one of ${THROTTLE_STORE_KINDS.join(', ')}`);
  } else store = requested as ThrottleStoreKind;
  if (store === 'redis' && !redisUrl) issues.push('HASHD_THROTTLE_STORE=redis needs REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) issues.push('REDIS_URL: expected redis://… or rediss://…');
  const redisPrefix = env.HASHD_REDIS_PREFIX || 'hashd:throttle:';
  // NIST SP 800-63B: no more than 100 consecutive failed attempts on an account.
  const account = throttleRule(env, 'HASHD_THROTTLE_ACCOUNT', DEFAULT_THROTTLE_RULES.account, 100, issues);
  const address = throttleRule(env, 'HASHD_THROTTLE_ADDRESS', DEFAULT_THROTTLE_RULES.address, 1_000_000, issues);
  const trustedProxies = (env.HASHD_TRUSTED_PROXIES ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const i of parseTrustedProxies(trustedProxies).invalid) {
    issues.push(`HASHD_TRUSTED_PROXIES[${i}]: expected an IP address or a CIDR range (10.0.0.0/8, fd00::/8)`);
  }
  return Object.freeze({ store, redisUrl, redisPrefix, rules: Object.freeze({ account, address }), trustedProxies: Object.freeze(trustedProxies) });
}

// --- end of throttling -----------------------------------------------------------------------

export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export interface LoadConfigOptions {
  env: Record<string, string | undefined>;
  registry: Registry;
  /** Reads the policy file named by HASHD_CONFIG. */
  readFile?: (path: string) => string;
  /** Used for the default hashing concurrency. */
  cpuCount?: number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost|\[::1\])$/i;
export const DEFAULT_TENANT = 'default';

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * Parses `HASHD_API_KEYS="acme=sha256:<hex>,ops:admin=sha256:<hex>"`. The value is a list of
 * digests, so a leaked configuration does not leak a usable key. `TENANT:SCOPE=` names the
 * scope; an entry without one is a service key (entries written before scopes existed keep
 * working exactly as before).
 */
export function parseApiKeys(value: string | undefined, issues: string[]): ApiKeyEntry[] {
  if (value === undefined || value.trim() === '') return [];
  const entries: ApiKeyEntry[] = [];
  value.split(',').forEach((raw, i) => {
    const item = raw.trim();
    if (item === '') return;
    const match = /^([A-Za-z0-9_.-]{1,64})(?::([a-z]+))?=sha256:([0-9a-fA-F]{64})$/.exec(item);
    if (!match) {
      // Never echo the entry: someone may have pasted a raw key here.
      issues.push(`HASHD_API_KEYS[${i}]: expected TENANT=sha256:<64 hex digits> or TENANT:admin=sha256:<64 hex digits> (run "npx hashd keys new TENANT")`);
      return;
    }
    const scope = (match[2] ?? 'service') as KeyScope;
    if (!KEY_SCOPES.includes(scope)) {
      issues.push(`HASHD_API_KEYS[${i}]: unknown scope "${scope}" (expected one of: ${KEY_SCOPES.join(', ')})`);
      return;
    }
    entries.push({ tenant: match[1] as string, scope, digest: fromHex(match[3] as string) as Uint8Array });
  });
  return entries;
}

function intVar(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number, issues: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    issues.push(`${name}: must be an integer between ${min} and ${max}`);
    return fallback;
  }
  return value;
}

export function loadPolicy(options: LoadConfigOptions): { policy: ResolvedPolicy; source: string } {
  const path = options.env.HASHD_CONFIG;
  let file: Record<string, unknown> = {};
  if (path) {
    if (!options.readFile) throw new ConfigError(['HASHD_CONFIG: this runtime cannot read files']);
    let text: string;
    try {
      text = options.readFile(path);
    } catch (err) {
      throw new ConfigError([`HASHD_CONFIG: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
    }
    const parsed = parsePolicyText(text, path);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PolicyError([`${path}: the policy must be a table/object`]);
    file = parsed as Record<string, unknown>;
  }
  const merged = applyPolicyEnv(file, options.env);
  return { policy: resolvePolicy(merged, options.registry), source: path ?? 'built-in' };
}

/**
 * Sessions, one-time codes and their housekeeping (the sessions block). The secret is only
 * decoded and checked here; whether its absence is allowed is decided by otpSecret().
 */
function loadSessionConfig(env: Record<string, string | undefined>, issues: string[]): Pick<ServiceConfig, 'sessions' | 'otp' | 'otpSecret' | 'purge'> {
  const year = 365 * 86_400;
  const maxTtl = intVar(env, 'HASHD_SESSION_MAX_TTL_SECONDS', DEFAULT_SESSION_SETTINGS.maxTtlSeconds, SESSION_MIN_TTL_SECONDS, year, issues);
  const sessions: SessionSettings = {
    maxTtlSeconds: maxTtl,
    defaultTtlSeconds: intVar(env, 'HASHD_SESSION_TTL_SECONDS', Math.min(DEFAULT_SESSION_SETTINGS.defaultTtlSeconds, maxTtl), SESSION_MIN_TTL_SECONDS, maxTtl, issues),
    defaultIdleSeconds: intVar(env, 'HASHD_SESSION_IDLE_SECONDS', Math.min(DEFAULT_SESSION_SETTINGS.defaultIdleSeconds, maxTtl), 0, maxTtl, issues),
  };
  if (sessions.defaultIdleSeconds !== 0 && sessions.defaultIdleSeconds < SESSION_MIN_IDLE_SECONDS) {
    issues.push(`HASHD_SESSION_IDLE_SECONDS: must be 0 (no idle timeout) or at least ${SESSION_MIN_IDLE_SECONDS}`);
  }
  const otpMaxTtl = intVar(env, 'HASHD_OTP_MAX_TTL_SECONDS', DEFAULT_OTP_SETTINGS.maxTtlSeconds, OTP_MIN_TTL_SECONDS, 86_400, issues);
  const otp: OtpSettings = {
    maxTtlSeconds: otpMaxTtl,
    defaultTtlSeconds: intVar(env, 'HASHD_OTP_TTL_SECONDS', Math.min(DEFAULT_OTP_SETTINGS.defaultTtlSeconds, otpMaxTtl), OTP_MIN_TTL_SECONDS, otpMaxTtl, issues),
    attempts: DEFAULT_OTP_SETTINGS.attempts,
    issueLimit: intVar(env, 'HASHD_OTP_ISSUE_LIMIT', DEFAULT_OTP_SETTINGS.issueLimit, 1, 1000, issues),
    issueWindowSeconds: intVar(env, 'HASHD_OTP_ISSUE_WINDOW_SECONDS', DEFAULT_OTP_SETTINGS.issueWindowSeconds, 1, 86_400, issues),
  };
  let otpSecret: Uint8Array | undefined;
  const rawSecret = env.HASHD_OTP_SECRET;
  if (rawSecret !== undefined && rawSecret !== '') {
    const decoded = fromBase64(rawSecret.trim()) ?? fromBase64Url(rawSecret.trim());
    // Never echo the value: it is a secret.
    if (decoded === null || decoded.byteLength < 32) issues.push('HASHD_OTP_SECRET: must be the base64 of at least 32 random bytes (openssl rand -base64 32)');
    else otpSecret = decoded;
  }
  const purge: PurgeSettings = {
    intervalSeconds: intVar(env, 'HASHD_PURGE_INTERVAL_SECONDS', DEFAULT_PURGE_SETTINGS.intervalSeconds, 0, 86_400, issues),
    batchSize: intVar(env, 'HASHD_PURGE_BATCH', DEFAULT_PURGE_SETTINGS.batchSize, 1, 100_000, issues),
  };
  return { sessions, otp, otpSecret, purge };
}

export function loadConfig(options: LoadConfigOptions): ServiceConfig {
  const { env } = options;
  const issues: string[] = [];
  const host = env.HOST || '127.0.0.1';
  const port = intVar(env, 'PORT', 8080, 0, 65535, issues);
  const apiKeys = parseApiKeys(env.HASHD_API_KEYS, issues);
  const allowInsecure = env.HASHD_ALLOW_INSECURE === '1' || env.HASHD_ALLOW_INSECURE === 'true';
  const cpus = Math.max(1, options.cpuCount ?? 1);
  const hashConcurrency = intVar(env, 'HASHD_HASH_CONCURRENCY', cpus, 1, 1024, issues);
  const hashQueue = intVar(env, 'HASHD_HASH_QUEUE', hashConcurrency * 8, 0, 1_000_000, issues);
  const hashNice = intVar(env, 'HASHD_HASH_NICE', 0, 0, 19, issues);
  const maxBodyBytes = intVar(env, 'HASHD_MAX_BODY_BYTES', 64 * 1024, 1024, 64 * 1024 * 1024, issues);
  const databasePoolMax = intVar(env, 'HASHD_DB_POOL_MAX', 10, 1, 1000, issues);
  // --- wrap job lease (hardening-login) ---
  const wrapLeaseSeconds = intVar(env, 'HASHD_WRAP_LEASE_SECONDS', 30, 1, 3600, issues);
  // Performance: the Node server's limits (see src/entry/overload-node.ts).
  const server = {
    maxConnections: intVar(env, 'HASHD_MAX_CONNECTIONS', 2048, 0, 1_000_000, issues),
    headersTimeoutMs: intVar(env, 'HASHD_HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000, issues),
    requestTimeoutMs: intVar(env, 'HASHD_REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000, issues),
    keepAliveTimeoutMs: intVar(env, 'HASHD_KEEP_ALIVE_TIMEOUT_MS', 5_000, 0, 3_600_000, issues),
    maxRequestsPerSocket: intVar(env, 'HASHD_MAX_REQUESTS_PER_SOCKET', 0, 0, 1_000_000, issues),
    listenBacklog: intVar(env, 'HASHD_LISTEN_BACKLOG', 511, 1, 65_535, issues),
  };
  const pgliteSharedBuffersMb = intVar(env, 'HASHD_PGLITE_SHARED_BUFFERS_MB', 16, 1, 4096, issues);
  const legacyIdleSeconds = intVar(env, 'HASHD_LEGACY_IDLE_SECONDS', 60, 0, 86_400, issues);
  const ship = parseShipConfig(env, issues);
  // Callers authenticated by client certificate (mutual TLS) are not dev mode either.
  const devMode = apiKeys.length === 0 && ship.certificateTenants.length === 0;
  const throttle = loadThrottleConfig(env, issues);
  const sessionConfig = loadSessionConfig(env, issues);
  if (devMode && !isLoopbackHost(host) && !allowInsecure) {
    issues.push(
      `HOST=${host}: no HASHD_API_KEYS are configured, so every caller would be accepted; refusing to listen beyond loopback. ` +
        'Configure HASHD_API_KEYS (npx hashd keys new TENANT) or set HASHD_ALLOW_INSECURE=1 to accept this by name.',
    );
  }
  // Keys and TOTP: the master key ring. Unset is allowed here; the entry decides (a generated dev
  // ring, or refusing the features that need one in production).
  const totp: TotpSettings = Object.freeze({
    pendingSeconds: intVar(env, 'HASHD_TOTP_PENDING_SECONDS', DEFAULT_TOTP_SETTINGS.pendingSeconds, TOTP_PENDING_MIN_SECONDS, TOTP_PENDING_MAX_SECONDS, issues),
  });
  const ringKeys = env.HASHD_KEYS !== undefined && env.HASHD_KEYS.trim() !== '' ? parseRingKeys(env.HASHD_KEYS, issues) : undefined;
  let policy: ResolvedPolicy | undefined;
  let policySource = 'built-in';
  try {
    ({ policy, source: policySource } = loadPolicy(options));
  } catch (err) {
    if (err instanceof PolicyError || err instanceof ConfigError) issues.push(...err.issues);
    else throw err;
  }
  if (issues.length > 0 || !policy) throw new ConfigError(issues);
  return Object.freeze({
    host,
    port,
    apiKeys: Object.freeze(apiKeys),
    devMode,
    allowInsecure,
    hashConcurrency,
    hashQueue,
    hashNice,
    server: Object.freeze(server),
    pgliteSharedBuffersMb,
    legacyIdleSeconds,
    maxBodyBytes,
    logLevel: env.LOG_LEVEL || 'info',
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolMax,
    dataDir: env.HASHD_DATA_DIR || './data',
    policy,
    policySource,
    throttle,
    ...sessionConfig,
    ringKeys: ringKeys === undefined ? undefined : Object.freeze(ringKeys),
    totp,
    ship,
    wrapLeaseSeconds,
  });
}

// ---- Ship: HTTPS and mutual TLS, metrics, graceful shutdown ----------------------------------

/** A client certificate's subject common name that authenticates as a tenant (mutual TLS). */
export interface CertificateTenant {
  commonName: string;
  tenant: string;
  scope: KeyScope;
}

export interface ShipConfig {
  /** TLS_CERT_FILE and TLS_KEY_FILE: HTTPS only. Both or neither. */
  tls: { certFile: string; keyFile: string; clientCaFile: string | undefined } | undefined;
  /** HASHD_TLS_CLIENT_TENANTS: `CN=tenant[:scope],…`; needs TLS_CLIENT_CA_FILE. */
  certificateTenants: readonly CertificateTenant[];
  /** HASHD_METRICS_TOKEN: the bearer token of GET /metrics; unset: open. */
  metricsToken: string | undefined;
  /** HASHD_SHUTDOWN_TIMEOUT_MS: how long in-flight requests may take to finish after SIGTERM. */
  shutdownTimeoutMs: number;
}

export function parseShipConfig(env: Record<string, string | undefined>, issues: string[]): ShipConfig {
  const certFile = env.TLS_CERT_FILE || undefined;
  const keyFile = env.TLS_KEY_FILE || undefined;
  const clientCaFile = env.TLS_CLIENT_CA_FILE || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) issues.push('TLS_CERT_FILE and TLS_KEY_FILE: set both (HTTPS) or neither (plain HTTP)');
  if (clientCaFile !== undefined && certFile === undefined) issues.push('TLS_CLIENT_CA_FILE: mutual TLS needs TLS_CERT_FILE and TLS_KEY_FILE');
  const certificateTenants: CertificateTenant[] = [];
  (env.HASHD_TLS_CLIENT_TENANTS ?? '').split(',').forEach((raw, i) => {
    const item = raw.trim();
    if (item === '') return;
    const match = /^([A-Za-z0-9_.@-]{1,64})=([A-Za-z0-9_.-]{1,64})(?::(service|admin))?$/.exec(item);
    if (!match) {
      issues.push(`HASHD_TLS_CLIENT_TENANTS[${i}]: expected COMMON_NAME=TENANT or COMMON_NAME=TENANT:admin`);
      return;
    }
    certificateTenants.push({ commonName: match[1] as string, tenant: match[2] as string, scope: (match[3] ?? 'service') as KeyScope });
  });
  if (certificateTenants.length > 0 && clientCaFile === undefined) issues.push('HASHD_TLS_CLIENT_TENANTS: needs TLS_CLIENT_CA_FILE (mutual TLS)');
  const shutdownTimeoutMs = intVar(env, 'HASHD_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000, issues);
  return Object.freeze({
    tls: certFile !== undefined && keyFile !== undefined ? Object.freeze({ certFile, keyFile, clientCaFile }) : undefined,
    certificateTenants: Object.freeze(certificateTenants),
    metricsToken: env.HASHD_METRICS_TOKEN || undefined,
    shutdownTimeoutMs,
  });
}
