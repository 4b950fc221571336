/**
 * One test matrix for the HTTP layer: each case runs against the app's fetch handler and against
 * a real Node server on a loopback port (what a deployment runs), as h3's test setup does.
 * Logs go through a real pino logger into memory, so tests can assert what is (not) logged.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp, type AppDeps } from '../../src/app';
import type { Logger } from '../../src/logger';
import { makeCrypt } from '../helpers';
import type { PolicyFile } from '../../src/hashing/policy-config';

export interface Target {
  name: 'fetch' | 'node';
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface Harness {
  logs: string[];
  targets: () => Promise<Target[]>;
  deps: AppDeps;
}

export function memoryLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

export function makeHarness(options: { policy?: PolicyFile; deps?: Partial<AppDeps>; limits?: { concurrency?: number; maxQueue?: number } } = {}): Harness {
  const logs: string[] = [];
  const { crypt } = makeCrypt(options.policy, options.limits);
  const deps: AppDeps = { crypt, apiKeys: [], maxBodyBytes: 64 * 1024, logger: memoryLogger(logs), ...options.deps };
  const app = createApp(deps);
  return {
    logs,
    deps,
    async targets() {
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const { port } = server.address() as AddressInfo;
      return [
        { name: 'fetch', fetch: async (path, init) => app.request(path, init), close: async () => undefined },
        {
          name: 'node',
          fetch: (path, init) => fetch(`http://127.0.0.1:${port}${path}`, init),
          close: () => new Promise<void>((resolve) => server.close(() => resolve())),
        },
      ];
    },
  };
}

export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
