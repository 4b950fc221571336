/**
 * Lingering close on the Node server (issue 7): a client that writes its whole 1 MB body before
 * it reads (as Python's urllib does) must read the typed 413, never a reset. The client is a raw
 * socket that sends `Connection: close` (as urllib does) and writes the body in 64 KiB pieces a
 * little apart, as a slower link would deliver them; a try counts only when every write
 * succeeded and the 413 JSON arrived.
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { lingeringClose } from '../../src/entry/linger';
import { makeCrypt } from '../helpers';
import { memoryLogger } from '../routes/_harness';

let server: Server;
let port: number;

beforeAll(async () => {
  const { crypt } = makeCrypt();
  const app = createApp({ crypt, apiKeys: [], maxBodyBytes: 64 * 1024, logger: memoryLogger([]) });
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  lingeringClose(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Outcome {
  response: string;
  writeError: string | undefined;
}

/** Headers, then the whole body in pieces, then read whatever comes back until the server closes. */
async function writeAllThenRead(path: string, headers: Record<string, string>, body: Uint8Array, pieceBytes: number, pauseMs: number): Promise<Outcome> {
  // Half-open: the server's FIN after its answer does not stop this client writing, as with urllib.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const received: Buffer[] = [];
  let writeError: string | undefined;
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', (err: NodeJS.ErrnoException) => {
    writeError ??= err.code ?? err.message;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // `Connection: close`, as urllib sends it: the server's cue to close right after its answer.
  const head = Object.entries({ host: 'localhost', connection: 'close', 'content-length': String(body.byteLength), ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
  for (let offset = 0; offset < body.byteLength; offset += pieceBytes) {
    if (socket.destroyed) {
      writeError ??= 'closed before the body was written';
      break;
    }
    await new Promise<void>((resolve) => socket.write(body.subarray(offset, offset + pieceBytes), (err) => {
      if (err) writeError ??= (err as NodeJS.ErrnoException).code ?? err.message;
      resolve();
    }));
    await sleep(pauseMs);
  }
  socket.end();
  await closed;
  return { response: Buffer.concat(received).toString('utf8'), writeError };
}

describe('lingering close after an early answer', () => {
  const body = new Uint8Array(1024 * 1024).fill(0x61);

  it('20 tries of a 1 MB body written fully before reading: each reads the typed 413 JSON', async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 20; i++) outcomes.push(await writeAllThenRead('/v1/hash', { 'content-type': 'application/json' }, body, 64 * 1024, 40));
    const failed = outcomes.filter((o) => o.writeError !== undefined || !o.response.startsWith('HTTP/1.1 413'));
    expect(failed.map((o) => o.writeError ?? o.response.slice(0, 40))).toEqual([]);
    for (const { response } of outcomes) {
      const json = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
      expect(json.error.code).toBe('body_too_large');
    }
  });

  it('the same for a 415 answered before the body is read', async () => {
    for (let i = 0; i < 3; i++) {
      const outcome = await writeAllThenRead('/v1/hash', { 'content-type': 'text/plain' }, body.subarray(0, 256 * 1024), 32 * 1024, 40);
      expect(outcome.writeError).toBeUndefined();
      expect(outcome.response).toMatch(/^HTTP\/1\.1 415/);
      expect(outcome.response).toContain('"unsupported_media_type"');
    }
  });

  it('stops reading after its byte bound: a 16 MB body is cut off, not read to the end', async () => {
    const outcome = await writeAllThenRead('/v1/hash', { 'content-type': 'application/json' }, new Uint8Array(16 * 1024 * 1024), 1024 * 1024, 0);
    // The 413 still arrived first; then the server closed long before the body's end.
    expect(outcome.response).toMatch(/^HTTP\/1\.1 413/);
    expect(outcome.writeError).toBeDefined();
  });
});
