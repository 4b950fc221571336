/**
 * Bulk import against both backends: a generated 100,000-row dump with bad rows mixed in, the
 * same import twice (idempotent), CSV, and an import cut off mid-stream that leaves whole batches
 * only and completes on a rerun.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCredentials } from '../../src/store/import';
import { backends } from '../db/_backends';
import { storeAppOn } from './_app';

// Reference hashes (hashcat self-tests, password "hashcat") cycled through the dump.
const GOOD = [
  '8743b52063cd84097a65d1633f5c74f5',
  '$1$38652870$DUjsu4TTlTsOe/xxZ05uf/',
  '$P$946647711V1klyitUYhtB8Yw5DMA/w.',
  '$2a$05$MBCzKhG1KhezLh.0LRa0Kuw12nLJtpHy6DIaU.JAnqJUDYspHC.Ou',
  '{SSHA}FLzWcQqyle6Mo7NvrwXCMAmRzXQxNjYxMTYzNw==',
];

/** 100,000 lines: every 97th a bad row of one of four kinds. Returns the dump and the bad line numbers. */
function dump(rows: number): { text: string; bad: Map<number, string> } {
  const lines: string[] = [];
  const bad = new Map<number, string>();
  for (let i = 0; i < rows; i++) {
    const line = i + 1;
    if (i % 97 === 96) {
      const kind = (i / 97) % 4 | 0;
      if (kind === 0) lines.push('{"userId": "broken"'), bad.set(line, 'invalid_json');
      else if (kind === 1) lines.push(JSON.stringify({ userId: `user-${i}`, hash: 'not a hash at all' })), bad.set(line, 'unknown_hash_format');
      else if (kind === 2) lines.push(JSON.stringify({ userId: `user-${i}`, hash: '$1$38652870$DUjsu4TTlTsOe' })), bad.set(line, 'malformed_hash');
      else lines.push(JSON.stringify({ hash: GOOD[0] })), bad.set(line, 'invalid_request');
      continue;
    }
    lines.push(JSON.stringify({ userId: `user-${i}`, hash: GOOD[i % GOOD.length] }));
  }
  return { text: `${lines.join('\n')}\n`, bad };
}

async function* chunked(text: string, size: number, stopAfter?: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (stopAfter !== undefined && offset >= stopAfter) throw new Error('connection dropped');
    yield bytes.subarray(offset, offset + size);
  }
}

describe.each(backends)('import on $name', (backend) => {
  const on = storeAppOn(backend);
  const { text, bad } = dump(100_000);
  const goodRows = 100_000 - bad.size;

  it.skipIf(backend.skipReason !== undefined)('imports 100,000 rows with bad rows mixed in, then the same file again changes nothing', async () => {
    const s = on.s;
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        for await (const chunk of chunked(text, 64 * 1024)) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await s.call('/v1/import', { method: 'POST', body: stream, headers: { 'content-type': 'application/x-ndjson' }, duplex: 'half' } as RequestInit);
    const first = (await res.json()) as { imported: number; skipped: number; rejected: number; errors: { line: number; code: string }[] };
    expect(first.imported).toBe(goodRows);
    expect(first.skipped).toBe(0);
    expect(first.rejected).toBe(bad.size);
    expect(first.errors).toHaveLength(100);
    for (const e of first.errors) expect(e.code).toBe(bad.get(e.line));
    expect(await s.repos.credentials.get('acme', 'user-1')).toMatchObject({ hash: GOOD[1], scheme: 'md5_crypt', source: 'import' });

    const second = await (await s.call('/v1/import', { method: 'POST', body: text })).json();
    expect(second).toMatchObject({ imported: 0, skipped: goodRows, rejected: bad.size });
    const inventory = (await (await s.call('/v1/admin/inventory')).json()) as { total: number; weakNotLoggedInSinceImport: { scheme: string; count: number }[] };
    expect(inventory.total).toBe(goodRows);
    expect(inventory.weakNotLoggedInSinceImport.reduce((n, w) => n + w.count, 0)).toBe(goodRows);
  });

  it.skipIf(backend.skipReason !== undefined)('overwrites only when asked', async () => {
    const s = on.s;
    const line = `${JSON.stringify({ userId: 'user-1', hash: GOOD[0] })}\n`;
    expect(await (await s.call('/v1/import', { method: 'POST', body: line })).json()).toMatchObject({ imported: 0, skipped: 1 });
    expect((await s.repos.credentials.get('acme', 'user-1'))?.hash).toBe(GOOD[1]);
    expect(await (await s.call('/v1/import?onConflict=overwrite', { method: 'POST', body: line })).json()).toMatchObject({ imported: 1, skipped: 0 });
    expect((await s.repos.credentials.get('acme', 'user-1'))?.hash).toBe(GOOD[0]);
    expect(await (await s.call('/v1/import?onConflict=overwrite', { method: 'POST', body: line })).json()).toMatchObject({ imported: 0, skipped: 1 });
  });

  it.skipIf(backend.skipReason !== undefined)('reads CSV with a header and quoted fields', async () => {
    const s = on.s;
    const csv = 'userId,hash,user\ncsv-1,"$argon2id$v=19$m=256,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$hn7+SzhLFWN5L2vw5todiDT80rAFnVmYwlI26PSf7pM",\ncsv-2,md593a8cf6a7d43e3b5bcd2dc6abb3e02c6,27032153220030464358344758762807\ncsv-3,md593a8cf6a7d43e3b5bcd2dc6abb3e02c6,\n';
    const res = await s.call('/v1/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(await res.json()).toEqual({ imported: 2, skipped: 0, rejected: 1, errors: [{ line: 4, code: 'missing_hash_input' }] });
    expect(await (await s.call('/v1/login', { json: { userId: 'csv-2', password: 'hashcat' } })).json()).toEqual({ valid: true, upgraded: true });
    expect(await (await s.call('/v1/login', { json: { userId: 'csv-1', password: 'password' } })).json()).toEqual({ valid: true, upgraded: false });
  });

  it.skipIf(backend.skipReason !== undefined)('a dropped connection leaves whole batches only, and a rerun completes the import', async () => {
    const s = on.s;
    const tenant = 'beta';
    const small = dump(12_000).text;
    await expect(
      importCredentials({ ...s.repos, crypt: s.crypt }, tenant, chunked(small, 16 * 1024, 400 * 1024), { format: 'ndjson', onConflict: 'skip', batchSize: 1000 }),
    ).rejects.toThrow('connection dropped');
    const partial = (await s.repos.inventory.inventory(tenant)).total;
    expect(partial).toBeGreaterThan(0);
    expect(partial % 1000).toBe(0);
    const rerun = await importCredentials({ ...s.repos, crypt: s.crypt }, tenant, chunked(small, 16 * 1024), { format: 'ndjson', onConflict: 'skip', batchSize: 1000 });
    const expected = 12_000 - [...dump(12_000).bad.keys()].length;
    expect(rerun.imported + rerun.skipped).toBe(expected);
    expect(rerun.skipped).toBe(partial);
    expect((await s.repos.inventory.inventory(tenant)).total).toBe(expected);
  });

  it.skipIf(backend.skipReason !== undefined)('settles a user repeated across batches in file order: skip keeps the first, overwrite the last', async () => {
    const s = on.s;
    const lines = (first: string, last: string): AsyncIterable<Uint8Array> => {
      const rows = [{ userId: 'dup', hash: first }, ...Array.from({ length: 3000 }, (_, i) => ({ userId: `filler-${i}`, hash: GOOD[0] })), { userId: 'dup', hash: last }];
      return chunked(rows.map((r) => JSON.stringify(r)).join('\n'), 4096);
    };
    const deps = { ...s.repos, crypt: s.crypt };
    await importCredentials(deps, 'order', lines(GOOD[1] as string, GOOD[2] as string), { format: 'ndjson', onConflict: 'skip', batchSize: 500 });
    expect((await s.repos.credentials.get('order', 'dup'))?.hash).toBe(GOOD[1]);
    await importCredentials(deps, 'order', lines(GOOD[3] as string, GOOD[4] as string), { format: 'ndjson', onConflict: 'overwrite', batchSize: 500 });
    expect((await s.repos.credentials.get('order', 'dup'))?.hash).toBe(GOOD[4]);
  });

  it.skipIf(backend.skipReason !== undefined)('refuses a body that is not UTF-8', async () => {
    const s = on.s;
    const bytes = new Uint8Array([...new TextEncoder().encode('{"userId":"x","hash":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}\n')]);
    const res = await s.call('/v1/import', { method: 'POST', body: bytes });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_utf8' } });
  });
});

/**
 * The write path of one batch (COPY into a staging table, then one INSERT … SELECT on PostgreSQL;
 * the unnest INSERT on PGlite): stored rows in the middle of a batch, and a batch the database
 * refuses midway, which must leave the batches before it whole and nothing of its own.
 */
describe.each(backends)('import batches on $name', (backend) => {
  const on = storeAppOn(backend);
  const rowsOf = (prefix: string, n: number, hash: (i: number) => string = (i) => GOOD[i % GOOD.length] as string): string =>
    `${Array.from({ length: n }, (_, i) => JSON.stringify({ userId: `${prefix}-${i}`, hash: hash(i) })).join('\n')}\n`;

  it.skipIf(backend.skipReason !== undefined)('a batch with stored rows in its middle keeps them (skip) or replaces only those that differ (overwrite)', async () => {
    const s = on.s;
    const deps = { ...s.repos, crypt: s.crypt };
    const stored = [1000, 2500, 2501, 4998];
    for (const i of stored) await s.repos.credentials.set('mid', `m-${i}`, { hash: 'stored-before', scheme: 'argon2id', source: 'set' });
    const text = rowsOf('m', 5000);
    const skip = await importCredentials(deps, 'mid', chunked(text, 8192), { format: 'ndjson', onConflict: 'skip', batchSize: 5000, writers: 1 });
    expect(skip).toEqual({ imported: 4996, skipped: 4, rejected: 0, errors: [] });
    for (const i of stored) expect(await s.repos.credentials.get('mid', `m-${i}`)).toMatchObject({ hash: 'stored-before', source: 'set' });
    expect(await s.repos.credentials.get('mid', 'm-2499')).toMatchObject({ hash: GOOD[2499 % GOOD.length], source: 'import' });
    expect((await s.repos.inventory.inventory('mid')).total).toBe(5000);

    const overwrite = await importCredentials(deps, 'mid', chunked(text, 8192), { format: 'ndjson', onConflict: 'overwrite', batchSize: 5000, writers: 1 });
    expect(overwrite).toEqual({ imported: 4, skipped: 4996, rejected: 0, errors: [] });
    for (const i of stored) expect(await s.repos.credentials.get('mid', `m-${i}`)).toMatchObject({ hash: GOOD[i % GOOD.length], source: 'import' });
  });

  it.skipIf(backend.skipReason !== undefined)('a batch the database refuses midway fails the import, keeps the batches before it whole and writes nothing of its own', async () => {
    const s = on.s;
    const deps = { ...s.repos, crypt: s.crypt };
    // A constraint only this test has: the row at line 1,500 (batch 2 of 3) cannot be stored.
    const text = rowsOf('p', 3000).replace('"p-1499"', '"poison"');
    await on.execute(`alter table credentials add constraint import_test_refuses check (user_id <> 'poison')`);
    try {
      await expect(importCredentials(deps, 'poison', chunked(text, 8192), { format: 'ndjson', onConflict: 'skip', batchSize: 1000, writers: 1 })).rejects.toThrow();
      const total = (await s.repos.inventory.inventory('poison')).total;
      expect(total).toBe(1000);
      expect(await s.repos.credentials.get('poison', 'p-999')).toMatchObject({ source: 'import' });
      expect(await s.repos.credentials.get('poison', 'p-1000')).toBeUndefined();
      expect(await s.repos.credentials.get('poison', 'p-1998')).toBeUndefined();
    } finally {
      await on.execute('alter table credentials drop constraint import_test_refuses');
    }
    // The connection and its staging table are usable afterwards: a rerun completes the import.
    const rerun = await importCredentials(deps, 'poison', chunked(text, 8192), { format: 'ndjson', onConflict: 'skip', batchSize: 1000, writers: 1 });
    expect(rerun).toEqual({ imported: 2000, skipped: 1000, rejected: 0, errors: [] });
    expect((await s.repos.inventory.inventory('poison')).total).toBe(3000);
  });
});
