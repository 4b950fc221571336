/**
 * GET /metrics (prom-client), request ids and log redaction, on the app as the Node entry builds
 * it (metrics instrumenting the CryptContext and the repositories, the entry's pino logger).
 * A broad set of requests runs, then the whole log and the whole exposition are searched for
 * every password, key, token and user id that was used.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { systemClock } from '../../src/clock';
import { parseApiKeys } from '../../src/config';
import { createRepositories, type Database } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { createNodeLogger } from '../../src/entry/logger-node';
import { nodeSchemeEnv } from '../../src/entry/runtime-node';
import { createMetrics, type HashdMetrics } from '../../src/metrics';
import { guardRepositories } from '../../src/store/guard';
import { makeCrypt, registry } from '../helpers';
import { createLimiter } from '../../src/hashing/limiter';
import { Timeline } from '../../src/hashing/timeline';
import { CryptContext } from '../../src/hashing/crypt-context';

const API_KEY = 'hashd_metrics_test_key_0f3c9a7d21';
const METRICS_TOKEN = 'metrics-token-7b1e0c55d9';
const SECRETS = ['Tr0ub4dor&3-first', 'correct-horse-second', 'wrong-guess-third', 'hashcat', API_KEY, METRICS_TOKEN];
const USERS = ['alice-metrics-user', 'carol-legacy-user'];

let database: Database;
let metrics: HashdMetrics;
let app: ReturnType<typeof createApp>;
const lines: string[] = [];

function build(limits: { concurrency: number; maxQueue: number }, policy = {}): { app: ReturnType<typeof createApp>; metrics: HashdMetrics } {
  const { crypt } = makeCrypt(policy, limits);
  const m = createMetrics({ limiterStats: () => crypt.limiter.stats(), databasePoolMax: 1, defaultMetrics: false });
  m.instrumentCrypt(crypt);
  const repos = m.instrumentRepositories(guardRepositories(createRepositories(database, systemClock)));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const created = createApp({
    crypt,
    apiKeys: parseApiKeys(`acme:admin=sha256:${createHash('sha256').update(API_KEY).digest('hex')}`, []),
    maxBodyBytes: 64 * 1024,
    logger: createNodeLogger({ level: 'info' }, sink),
    data: { repositories: () => repos, registry, env: nodeSchemeEnv(), wrapConcurrency: 2 },
    metrics: m,
    metricsToken: METRICS_TOKEN,
  });
  return { app: created, metrics: m };
}

function call(target: ReturnType<typeof createApp>, path: string, init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${API_KEY}`, ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return Promise.resolve(
    target.request(path, { method: init.method ?? (init.json !== undefined || init.body !== undefined ? 'POST' : 'GET'), headers, ...(init.json !== undefined && { body: JSON.stringify(init.json) }), ...(init.body !== undefined && { body: init.body }) }),
  );
}

async function scrape(target: ReturnType<typeof createApp>): Promise<string> {
  const res = await target.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await database.migrate();
  ({ app, metrics } = build({ concurrency: 2, maxQueue: 100 }));
});
afterAll(async () => {
  await database.close();
});

describe('GET /metrics', () => {
  it('needs the metrics token when one is configured', async () => {
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    // An API key is not the metrics token.
    expect((await app.request('/metrics', { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(401);
  });

  it('counts requests by route template, durations by scheme, upgrades by source, slots', async () => {
    const [alice, carol] = USERS as [string, string];
    const [first, second, wrong] = SECRETS as [string, string, string];
    expect((await call(app, '/v1/hash', { json: { password: first } })).status).toBe(200);
    const bcrypt = (await (await call(app, '/v1/hash', { json: { password: second, scheme: 'bcrypt' } })).json()) as { hash: string };
    const verified = (await (await call(app, '/v1/verify', { json: { password: second, hash: bcrypt.hash } })).json()) as { valid: boolean };
    expect(verified.valid).toBe(true);
    expect((await call(app, `/v1/users/${alice}/password`, { method: 'PUT', json: { password: first } })).status).toBe(204);
    expect(await (await call(app, '/v1/login', { json: { userId: alice, password: first } })).json()).toEqual({ valid: true, upgraded: false });
    expect(await (await call(app, '/v1/login', { json: { userId: alice, password: wrong } })).json()).toEqual({ valid: false, upgraded: false });
    const imported = await call(app, '/v1/import', { body: `${JSON.stringify({ userId: carol, hash: '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/' })}\n`, headers: { 'content-type': 'application/x-ndjson' } });
    expect(imported.status).toBe(200);
    expect(await (await call(app, '/v1/login', { json: { userId: carol, password: 'hashcat' } })).json()).toEqual({ valid: true, upgraded: true });
    expect((await call(app, `/v1/no-such/${alice}`)).status).toBe(404);

    const body = await scrape(app);
    expect(body).toContain('hashd_http_requests_total{method="POST",route="/v1/hash",status="200"} 2');
    expect(body).toContain('hashd_http_requests_total{method="PUT",route="/v1/users/:userId/password",status="204"} 1');
    expect(body).toContain('hashd_http_requests_total{method="POST",route="/v1/login",status="200"} 3');
    expect(body).toContain('hashd_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(body).toContain('hashd_hash_duration_seconds_count{scheme="argon2id"}');
    expect(body).toContain('hashd_hash_duration_seconds_count{scheme="bcrypt"} 1');
    expect(body).toContain('hashd_verify_duration_seconds_count{scheme="md5_crypt"} 1');
    expect(body).toContain('hashd_hash_upgrades_total{source="login_upgrade"} 1');
    expect(body).toContain('hashd_hash_slots 2');
    expect(body).toContain('hashd_hash_slots_in_use 0');
    expect(body).toContain('hashd_hash_queue_depth 0');
    expect(body).toContain('hashd_db_pool_max 1');
    expect(body).toContain('hashd_db_operations_in_flight 0');
    expect(body).toContain('hashd_http_errors_total{code="unauthorized"} 3');
    for (const value of [...SECRETS, ...USERS]) expect(body).not.toContain(value);
    expect(metrics.upgrades).toBeDefined();
  });

  it('counts 503s from overload (a cost test: real argon2id parameters, one slot, no queue)', async () => {
    const small = build({ concurrency: 1, maxQueue: 0 }, { params: { argon2id: { memory_cost: 19456, time_cost: 2 } } });
    const statuses = await Promise.all(Array.from({ length: 6 }, (_, i) => call(small.app, '/v1/hash', { json: { password: `overload-${i}` } }).then((r) => r.status)));
    const refused = statuses.filter((s) => s === 503).length;
    expect(refused).toBeGreaterThan(0);
    const body = await scrape(small.app);
    expect(body).toContain(`hashd_overload_rejections_total ${refused}`);
    expect(body).toContain(`hashd_http_requests_total{method="POST",route="/v1/hash",status="503"} ${refused}`);
  });
});

describe('request ids and logs', () => {
  it('echoes a well-formed X-Request-Id, replaces a malformed one, and logs it', async () => {
    const given = '3f1c2a9e-7d4b-4c1e-9a55-0b6c8d2e4f10';
    const res = await call(app, '/v1/identify', { json: { hash: '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/' }, headers: { 'x-request-id': given } });
    expect(res.headers.get('x-request-id')).toBe(given);
    expect(lines.some((l) => (JSON.parse(l) as { requestId?: string }).requestId === given)).toBe(true);
    const bad = await call(app, '/v1/identify', { json: { hash: '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/' }, headers: { 'x-request-id': 'bad id {"inject":1}' } });
    const replaced = bad.headers.get('x-request-id') as string;
    expect(replaced).toMatch(/^[0-9a-f]{32}$/);
    const none = await app.request('/healthz');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(none.headers.get('x-request-id')).not.toBe(replaced);
  });

  it('redacts secret-named fields as a second line of defence', () => {
    const captured: string[] = [];
    const logger = createNodeLogger(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          captured.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    logger.info({ password: 'leak-1', nested: { token: 'leak-2', authorization: 'Bearer leak-3' }, userId: 'kept' }, 'oops');
    const text = captured.join('');
    for (const leak of ['leak-1', 'leak-2', 'leak-3']) expect(text).not.toContain(leak);
    expect(text).toContain('[redacted]');
    expect(text).toContain('kept');
  });

  it('no password, key or token used by the requests above appears anywhere in the log', () => {
    expect(lines.length).toBeGreaterThan(10);
    const log = lines.join('\n');
    for (const secret of SECRETS) expect(log).not.toContain(secret);
  });
});

describe('hashing timeline metrics', () => {
  it('exports the per-request timeline as quantile gauges of numbers only (no password reaches them)', async () => {
    const timeline = new Timeline(64);
    const limiter = createLimiter({ concurrency: 1, maxQueue: 10, timeline });
    const crypt = new CryptContext({ policy: makeCrypt().crypt.policy, registry, env: nodeSchemeEnv(), limiter });
    const secret = SECRETS[0] as string;
    const controller = new AbortController();
    await Promise.all([crypt.hash(secret, { signal: controller.signal }), crypt.hash(secret)]);
    timeline.responseWritten(controller.signal, performance.now());
    const m = createMetrics({ timeline: () => timeline.summary(), defaultMetrics: false });
    const body = (await m.render()).body;
    for (const stage of ['queue_wait', 'run']) {
      for (const q of ['0.5', '0.99', '1']) expect(body).toMatch(new RegExp(`^hashd_hash_timeline_seconds\\{stage="${stage}",quantile="${q}"\\} [0-9.e-]+$`, 'm'));
      expect(body).toContain(`hashd_hash_timeline_samples{stage="${stage}"} 2`);
    }
    expect(body).toContain('hashd_hash_timeline_samples{stage="dispatch_delay"} 1');
    expect(body).toContain('hashd_hash_timeline_samples{stage="response_write"} 1');
    expect(body).not.toContain(secret);
  });
});
