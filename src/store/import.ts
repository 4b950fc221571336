/**
 * Bulk import of legacy hash dumps, shared by `POST /v1/import` and `hashd import FILE`.
 *
 * The input streams through: NDJSON lines `{userId, hash, salt?, user?}` or CSV with a header row
 * (`userId,hash[,salt][,user]`). Each row passes the checks a verify of it would make (identify
 * against the policy's accepted schemes, parse, verify caps, plaintext refusal) and every string
 * in it must be storable as given (no U+0000, no lone surrogate), so nothing is stored that could
 * never be verified; a refused row is reported with its line and code and the import goes on. A
 * line longer than 64 KiB is skipped as `record_too_large` without being held in memory. Good rows are written in transactional batches while the next batch is being parsed, so memory
 * stays at a few batches whatever the size of the dump. A failure or a dropped connection leaves
 * whole batches only, and since an import skips rows already stored (unless asked to overwrite),
 * rerunning the same file completes it.
 */
import { parse as parseCsv } from 'csv-parse';
import { isStorableText, type ImportConflict, type ImportRow, type Repositories } from '../db/index';
import { HashdError, isHashdError, type ErrorCode } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';

export type ImportFormat = 'ndjson' | 'csv';

export interface ImportOptions {
  format: ImportFormat;
  onConflict: ImportConflict;
  batchSize?: number;
  /** Batches written at once, each lane in order (default 2). */
  writers?: number;
  /** Called after every written batch. */
  onProgress?: (progress: { rows: number; imported: number; skipped: number; rejected: number }) => void;
}

export interface ImportSummary {
  imported: number;
  skipped: number;
  rejected: number;
  errors: { line: number; code: ErrorCode }[];
}

export interface ImportDeps extends Pick<Repositories, 'imports'> {
  crypt: CryptContext;
}

const MAX_ERRORS = 100;
const MAX_FIELD = 4096;
/** The longest record (NDJSON line or CSV record) read, in characters; a longer one is skipped. */
const MAX_RECORD = 64 * 1024;
/** Formats whose stored hash needs an input kept beside it. */
const REQUIRED_EXTRAS: Record<string, 'salt' | 'user'> = { postgres_md5: 'user', salted_digest: 'salt' };

interface RawRow {
  line: number;
  value: unknown;
}

function reject(code: ErrorCode): never {
  throw new HashdError(code, code);
}

function toImportRow(crypt: CryptContext, raw: unknown): ImportRow {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) reject('invalid_request');
  const r = raw as Record<string, unknown>;
  // A string the database would refuse (U+0000) or change (a lone surrogate becomes U+FFFD, so
  // two ids would share a row) is as bad as a missing one.
  const str = (v: unknown, max: number): string | undefined =>
    typeof v === 'string' && v.length > 0 && v.length <= max && isStorableText(v) ? v : undefined;
  const userId = str(r.userId, 256);
  const hash = str(r.hash, MAX_FIELD);
  if (userId === undefined || hash === undefined) reject('invalid_request');
  const salt = r.salt === undefined || r.salt === null || r.salt === '' ? undefined : str(r.salt, 1024);
  const user = r.user === undefined || r.user === null || r.user === '' ? undefined : str(r.user, 1024);
  if ((r.salt !== undefined && r.salt !== null && r.salt !== '' && salt === undefined) || (r.user !== undefined && r.user !== null && r.user !== '' && user === undefined)) {
    reject('invalid_request');
  }
  // Exactly what a verify checks before any work: a row that fails here could never log in.
  const { scheme } = crypt.assertVerifiable(hash);
  const needed = REQUIRED_EXTRAS[scheme];
  if ((needed === 'salt' && salt === undefined) || (needed === 'user' && user === undefined)) reject('missing_hash_input');
  return { userId, hash, scheme, ...(salt !== undefined && { salt }), ...(user !== undefined && { pgUser: user }) };
}

type ReadItem = RawRow | { line: number; error: ErrorCode };

async function* ndjsonRows(source: AsyncIterable<Uint8Array>): AsyncIterable<ReadItem> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The current line so far: never more than MAX_RECORD characters. Past that the line is
  // reported once and the rest of it is dropped as it streams in, up to its newline.
  let pending = '';
  let discarding = false;
  let line = 0;
  const emit = function* (text: string): Iterable<ReadItem> {
    line++;
    const trimmed = text.trim();
    if (trimmed === '') return;
    try {
      yield { line, value: JSON.parse(trimmed) };
    } catch {
      yield { line, error: 'invalid_json' };
    }
  };
  const feed = function* (text: string): Iterable<ReadItem> {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      if (!discarding) {
        if (pending.length + (end - start) > MAX_RECORD) {
          line++;
          yield { line, error: 'record_too_large' };
          pending = '';
          discarding = true;
        } else {
          pending += text.slice(start, end);
        }
      }
      if (nl < 0) return;
      if (discarding) discarding = false;
      else yield* emit(pending);
      pending = '';
      start = nl + 1;
    }
  };
  for await (const chunk of source) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw new HashdError('invalid_utf8', `the import is not valid UTF-8 after line ${line}`);
    }
    yield* feed(text);
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw new HashdError('invalid_utf8', 'the import ends in an incomplete UTF-8 sequence');
  }
  yield* feed(rest);
  if (!discarding && pending.trim() !== '') yield* emit(pending);
}

async function* csvRows(source: AsyncIterable<Uint8Array>): AsyncIterable<RawRow | { line: number; error: ErrorCode }> {
  const parser = parseCsv({ columns: true, bom: true, info: true, skip_empty_lines: true, trim: false, max_record_size: MAX_RECORD, encoding: 'utf8' });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        const text = decoder.decode(chunk, { stream: true });
        if (!parser.write(text)) await new Promise((resolve) => parser.once('drain', resolve));
      }
      decoder.decode();
      parser.end();
    } catch (err) {
      parser.destroy(err instanceof TypeError ? new HashdError('invalid_utf8', 'the import is not valid UTF-8') : (err as Error));
    }
  })();
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { line: item.info.lines, value: item.record };
    }
  } catch (err) {
    if (isHashdError(err)) throw err;
    const code = (err as { code?: string }).code ?? '';
    // A quoted CSV field may span lines, so after an oversized record there is no safe place to
    // resume: the import stops there with a 413 (the batches before it are stored, whole).
    if (code === 'CSV_MAX_RECORD_SIZE') throw new HashdError('record_too_large', `a CSV record is longer than ${MAX_RECORD} characters`, { details: { maxChars: MAX_RECORD } });
    throw new HashdError('invalid_request', code === 'CSV_INVALID_COLUMN_MAPPING' || code.startsWith('CSV_') ? `the CSV cannot be read (${code})` : 'the CSV cannot be read');
  } finally {
    await feed;
  }
}

/**
 * Rows are spread over `writers` lanes by user id, each lane writing its batches in order on its
 * own connection: two lanes keep PostgreSQL busy on both cores while this process parses, and
 * since a user id always lands in the same lane, a user repeated in the dump is still settled in
 * file order (skip keeps the first row, overwrite the last).
 */
function laneOf(userId: string, lanes: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

export async function importCredentials(deps: ImportDeps, tenant: string, source: AsyncIterable<Uint8Array>, options: ImportOptions): Promise<ImportSummary> {
  const { imports, crypt } = deps;
  const batchSize = options.batchSize ?? 5000;
  const summary: ImportSummary = { imported: 0, skipped: 0, rejected: 0, errors: [] };
  let rows = 0;
  const lanes = Array.from({ length: Math.max(1, options.writers ?? 2) }, () => ({ batch: [] as ImportRow[], writing: Promise.resolve() }));

  const fail = (line: number, code: ErrorCode): void => {
    summary.rejected++;
    if (summary.errors.length < MAX_ERRORS) summary.errors.push({ line, code });
  };
  const flush = async (lane: (typeof lanes)[number]): Promise<void> => {
    if (lane.batch.length === 0) return;
    const current = lane.batch;
    lane.batch = [];
    await lane.writing;
    lane.writing = imports.importBatch(tenant, current, options.onConflict).then((result) => {
      summary.imported += result.inserted;
      summary.skipped += result.skipped;
      options.onProgress?.({ rows, imported: summary.imported, skipped: summary.skipped, rejected: summary.rejected });
    });
    // Surface a failed write at the lane's next flush without an unhandled rejection meanwhile.
    lane.writing.catch(() => undefined);
  };
  const settle = (): Promise<unknown> => Promise.all(lanes.map((lane) => lane.writing.catch(() => undefined)));

  const reader = options.format === 'csv' ? csvRows(source) : ndjsonRows(source);
  try {
    await readAll();
  } catch (err) {
    // Settle the batches in flight before reporting the failure, so that when this function
    // returns the stored state is final: whole batches only.
    await settle();
    throw err;
  }
  for (const lane of lanes) await flush(lane);
  await Promise.all(lanes.map((lane) => lane.writing));
  return summary;

  async function readAll(): Promise<void> {
    for await (const item of reader) {
      rows++;
      if ('error' in item) {
        fail(item.line, item.error);
        continue;
      }
      let row: ImportRow;
      try {
        row = toImportRow(crypt, item.value);
      } catch (err) {
        if (!isHashdError(err)) throw err;
        fail(item.line, err.code);
        continue;
      }
      const lane = lanes[laneOf(row.userId, lanes.length)] as (typeof lanes)[number];
      lane.batch.push(row);
      if (lane.batch.length >= batchSize) await flush(lane);
    }
  }
}
