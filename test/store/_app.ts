/**
 * Builds the full service (stateless routes plus the store) over a test database, the way the
 * Node entry does, with the cheap test policy and in-memory logs.
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createApp } from '../../src/app';
import { parseApiKeys } from '../../src/config';
import { systemClock, type Clock } from '../../src/clock';
import type { DataDeps } from '../../src/app';
import type { KeyRing } from '../../src/keys/ring';
import { createRepositories, type Database, type Repositories } from '../../src/db/index';
import { nodeSchemeEnv } from '../../src/entry/runtime-node';
import type { PolicyFile } from '../../src/hashing/policy-config';
import type { CryptContext } from '../../src/hashing/crypt-context';
import { guardRepositories } from '../../src/store/guard';
import type { ClientAddress } from '../../src/throttle/address';
import type { Throttle } from '../../src/throttle/throttle';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { openFresh, type Backend } from '../db/_backends';
import { makeCrypt, registry } from '../helpers';
import { memoryLogger } from '../routes/_harness';

export const KEYS = {
  acme: 'hashd_test_acme_key_0123456789',
  beta: 'hashd_test_beta_key_9876543210',
  acmeService: 'hashd_test_acme_service_key_5555',
} as const;
/** The configuration entry name (tenant[:scope]) of each test key: acme and beta hold admin keys. */
const ENTRY_NAMES: Record<keyof typeof KEYS, string> = { acme: 'acme:admin', beta: 'beta:admin', acmeService: 'acme' };

/** The OTP server secret of the test apps: drawn from the CSPRNG when the tests start, never committed. */
export const TEST_OTP_SECRET = new Uint8Array(randomBytes(32));

export interface StoreApp {
  app: ReturnType<typeof createApp>;
  /** The repositories the app uses (guarded), for tests that look at stored rows. */
  repos: Repositories;
  crypt: CryptContext;
  logs: string[];
  /** Calls the app with tenant `acme`'s admin key (or another configured key). */
  call(path: string, init?: RequestInit & { tenant?: keyof typeof KEYS; json?: unknown }): Promise<Response>;
}

export function makeStoreApp(
  database: Database,
  options: {
    policy?: PolicyFile;
    readiness?: () => Promise<string | null>;
    repositories?: () => Repositories;
    /** The app's and the repositories' clock (sessions and codes expire by it). */
    clock?: Clock;
    /** Extra data settings (session and code settings, the OTP secret). */
    keyRing?: KeyRing;
    data?: Partial<Pick<DataDeps, 'sessions' | 'otp' | 'otpSecret' | 'totp'>>;
    throttle?: Throttle;
    clientAddress?: ClientAddress;
  } = {},
): StoreApp {
  const logs: string[] = [];
  const { crypt } = makeCrypt(options.policy, { concurrency: 2, maxQueue: 100_000 });
  const clock = options.clock ?? systemClock;
  const own = guardRepositories(createRepositories(database, clock));
  const repositories = options.repositories ?? (() => own);
  const apiKeys = parseApiKeys(
    Object.entries(KEYS)
      .map(([name, key]) => `${ENTRY_NAMES[name as keyof typeof KEYS]}=sha256:${createHash('sha256').update(key).digest('hex')}`)
      .join(','),
    [],
  );
  const app = createApp({
    crypt,
    apiKeys,
    maxBodyBytes: 64 * 1024,
    logger: memoryLogger(logs),
    ...(options.readiness && { readiness: options.readiness }),
    clock,
    data: { repositories, registry, env: nodeSchemeEnv(), wrapConcurrency: 2, keyRing: options.keyRing, otpSecret: TEST_OTP_SECRET, ...options.data },
    ...(options.throttle && { throttle: options.throttle }),
    ...(options.clientAddress && { clientAddress: options.clientAddress }),
  });
  return {
    app,
    get repos(): Repositories {
      return repositories();
    },
    crypt,
    logs,
    async call(path, init = {}) {
      const { tenant = 'acme', json, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set('authorization', `Bearer ${KEYS[tenant]}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      // Import bodies are NDJSON unless a test says otherwise (the endpoint refuses other types).
      if (path.startsWith('/v1/import') && rest.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/x-ndjson');
      return app.request(path, { ...rest, headers, ...(json !== undefined && { body: JSON.stringify(json), method: rest.method ?? 'POST' }) });
    },
  };
}

export function ndjson(rows: readonly Record<string, unknown>[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/**
 * Registers the hooks that give a describe block a fresh migrated database on `backend` and the
 * service over it, closed and dropped afterwards. Read `.s` inside the tests.
 */
export function storeAppOn(backend: Backend): { readonly s: StoreApp; execute(statement: string): Promise<void> } {
  let database: Database | undefined;
  let app: StoreApp | undefined;
  beforeAll(async () => {
    if (backend.skipReason) return;
    database = await openFresh(backend);
    app = makeStoreApp(database);
  });
  afterAll(async () => {
    await database?.close();
    await backend.cleanup();
  });
  return {
    get s(): StoreApp {
      if (!app) throw new Error(`the ${backend.name} store is not open`);
      return app;
    },
    /** Runs a raw statement on the test database (schema changes a test makes and undoes). */
    async execute(statement: string): Promise<void> {
      if (!database) throw new Error(`the ${backend.name} store is not open`);
      await database.db.execute(sql.raw(statement));
    },
  };
}
