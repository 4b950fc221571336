/**
 * The store subcommands of `hashd`: migrate, import, wrap and inventory, run against the database
 * the environment configures (DATABASE_URL, else PGlite under HASHD_DATA_DIR), with the same
 * policy and hashing as the service. Progress goes to stderr, results to stdout.
 */
import { createReadStream, statSync } from 'node:fs';
import { DEFAULT_TENANT } from '../config';
import { openNodeDatabase } from '../entry/database-node';
import { buildNodeCore } from '../entry/runtime-node';
import type { Logger } from '../logger';
import { importCredentials, type ImportFormat } from '../store/import';
import { loadNodeKeyRing } from '../entry/keyring-node';
import { rotateRing } from '../keys/rotate';
import { buildInventory } from '../store/inventory';
import { startWrap } from '../store/wrap';
import { systemClock } from '../clock';
import { purgeExpired } from '../sessions/purge';

export interface StoreCommandOptions {
  tenant?: string;
  onConflict?: 'skip' | 'overwrite';
  format?: ImportFormat;
  schemes?: string[];
}

const stderrLogger: Logger = {
  info: () => undefined,
  warn: (fields, message) => process.stderr.write(`hashd: ${message} ${JSON.stringify(fields)}\n`),
  error: (fields, message) => process.stderr.write(`hashd: ${message} ${JSON.stringify(fields)}\n`),
};

function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
  else process.stderr.write(`${text}\n`);
}

function bar(done: number, total: number, width = 30): string {
  if (total <= 0) return '';
  const filled = Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${((done / total) * 100).toFixed(1)}% `;
}

async function withStore<T>(fn: (ctx: { core: ReturnType<typeof buildNodeCore>; db: Awaited<ReturnType<typeof openNodeDatabase>> }) => Promise<T>): Promise<T> {
  const core = buildNodeCore(process.env);
  const db = await openNodeDatabase(core.config, stderrLogger);
  try {
    if ((await db.readiness()) !== null) throw new Error('the database is not reachable');
    return await fn({ core, db });
  } finally {
    await Promise.allSettled([db.close(), core.pool.close()]);
  }
}

export async function migrateCommand(): Promise<number> {
  return withStore(async ({ db }) => {
    process.stdout.write(`migrations applied (${db.database.kind})\n`);
    return 0;
  });
}

export async function importCommand(file: string, options: StoreCommandOptions): Promise<number> {
  const format: ImportFormat = options.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
  return withStore(async ({ core, db }) => {
    const started = performance.now();
    // The bar follows the bytes read, since the number of rows is not known before the end.
    const size = statSync(file).size;
    let read = 0;
    const source = async function* (): AsyncIterable<Uint8Array> {
      for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
        read += chunk.length;
        yield chunk;
      }
    };
    const summary = await importCredentials({ ...db.repositories(), crypt: core.crypt }, options.tenant ?? DEFAULT_TENANT, source(), {
      format,
      onConflict: options.onConflict ?? 'skip',
      onProgress: (p) => {
        const seconds = (performance.now() - started) / 1000;
        progressLine(`${bar(read, size)}${p.rows} rows  ${(p.rows / seconds).toFixed(0)} rows/s  imported ${p.imported}  skipped ${p.skipped}  rejected ${p.rejected}`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const rows = summary.imported + summary.skipped + summary.rejected;
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    process.stderr.write(`${rows} rows in ${seconds.toFixed(1)} s (${(rows / seconds).toFixed(0)} rows/s), peak RSS ${peakMiB.toFixed(0)} MiB\n`);
    return 0;
  });
}

export async function wrapCommand(options: StoreCommandOptions): Promise<number> {
  return withStore(async ({ core, db }) => {
    const { done } = await startWrap({ ...db.repositories(), crypt: core.crypt, registry: core.registry, env: core.env }, options.tenant ?? DEFAULT_TENANT, {
      concurrency: core.config.hashConcurrency,
      ...(options.schemes && { schemes: options.schemes }),
      onProgress: (s) => progressLine(`${bar(s.processed, s.total)}${s.processed}/${s.total} rows  ${s.rowsPerSecond.toFixed(0)} rows/s  wrapped ${s.wrapped}`),
    });
    const status = await done;
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(status)}\n`);
    return status.state === 'done' ? 0 : 1;
  });
}

export async function inventoryCommand(options: StoreCommandOptions): Promise<number> {
  return withStore(async ({ core, db }) => {
    const tenant = options.tenant ?? DEFAULT_TENANT;
    const report = await buildInventory({ ...db.repositories(), crypt: core.crypt }, tenant);
    const encryptedByRingKey = await db.repositories().ringRows.countByRingKey(tenant);
    process.stdout.write(`${JSON.stringify({ ...report, encryptedByRingKey }, null, 2)}\n`);
    return 0;
  });
}

/**
 * `hashd keys rotate [--batch N]`: re-seals every encrypted row (all tenants) under the first
 * HASHD_KEYS key, with progress on stderr, then prints the rows each key id still holds. Exit 1
 * when rows remain that cannot be re-sealed (their key id is missing from the ring, or damaged).
 */
export async function keysRotateCommand(options: { batchSize?: number }): Promise<number> {
  return withStore(async ({ core, db }) => {
    const { ring, source } = await loadNodeKeyRing(core.config, stderrLogger);
    if (!ring) throw new Error('HASHD_KEYS is not configured: there is no ring to rotate to');
    process.stderr.write(`hashd: rotating to ring key "${ring.primaryId}" (${source}; ring: ${ring.ids.join(', ')})\n`);
    const result = await rotateRing(
      { ring, rows: db.repositories().ringRows },
      { ...(options.batchSize !== undefined && { batchSize: options.batchSize }), onProgress: (p) => progressLine(`${bar(p.done, p.total)}${p.done}/${p.total} rows (${p.slot})`) },
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    const perKey: Record<string, number> = {};
    for (const c of result.counts) perKey[c.ringKeyId] = (perKey[c.ringKeyId] ?? 0) + c.count;
    process.stdout.write(
      `${JSON.stringify({ primary: ring.primaryId, rewritten: result.rewritten, unavailable: result.unavailable, failed: result.failed, rowsByRingKey: perKey, bySlot: result.counts }, null, 2)}\n`,
    );
    return result.unavailable + result.failed > 0 ? 1 : 0;
  });
}

/**
 * Deletes every expired session, dead one-time code and stale pending TOTP enrolment (all
 * tenants), in batches of HASHD_PURGE_BATCH, with a progress line per batch on stderr (counts
 * only) and the totals as JSON on stdout.
 */
export async function purgeCommand(): Promise<number> {
  return withStore(async ({ core, db }) => {
    process.stderr.write(`hashd: purging (${db.database.kind}, batches of ${core.config.purge.batchSize})\n`);
    const result = await purgeExpired(db.repositories(), systemClock, {
      batchSize: core.config.purge.batchSize,
      maxBatches: Number.MAX_SAFE_INTEGER,
      totpPendingSeconds: core.config.totp.pendingSeconds,
      onProgress: ({ table, removed }) => progressLine(`${table}: ${removed} removed`),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  });
}
