/**
 * The client address the per-address limit counts: normalisation, the trusted-proxy walk of
 * X-Forwarded-For, and a real Node server where spoofed proxy headers change nothing unless
 * HASHD_TRUSTED_PROXIES names the peer.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index';
import { openDatabase } from '../../src/entry/database-client';
import { nodeClientAddress } from '../../src/entry/throttle-node';
import { forwardedClient, normaliseAddress, parseTrustedProxies } from '../../src/throttle/address';
import { createMemoryThrottleStore } from '../../src/throttle/memory';
import { createThrottle, DEFAULT_THROTTLE_RULES } from '../../src/throttle/throttle';
import { KEYS, makeStoreApp } from '../store/_app';

describe('normaliseAddress', () => {
  it('keeps IPv4, unmaps IPv4-mapped IPv6, counts IPv6 by /64, refuses non-addresses', () => {
    expect(normaliseAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(normaliseAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(normaliseAddress('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(normaliseAddress('2001:0db8:0001:0002:ffff::1')).toBe('2001:db8:1:2::/64');
    for (const bad of ['', 'localhost', '0x7f.0.0.1', '1.2.3', '300.1.1.1', 'fe80::1%eth0', undefined]) expect(normaliseAddress(bad)).toBeUndefined();
  });
});

describe('forwardedClient', () => {
  const { matcher } = parseTrustedProxies(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
  it('answers the peer when the peer is not trusted, whatever the header says', () => {
    expect(forwardedClient('198.51.100.1', '1.1.1.1', matcher)).toBe('198.51.100.1');
    expect(forwardedClient('198.51.100.1', undefined, parseTrustedProxies([]).matcher)).toBe('198.51.100.1');
  });
  it('walks trusted hops from the right and stops at the first untrusted one', () => {
    expect(forwardedClient('127.0.0.1', '6.6.6.6, 203.0.113.5, 10.1.2.3', matcher)).toBe('203.0.113.5');
    expect(forwardedClient('::ffff:127.0.0.1', '203.0.113.5', matcher)).toBe('203.0.113.5');
    expect(forwardedClient('fd00::1', '2001:db8::9', matcher)).toBe('2001:db8::9');
    // A garbage hop ends the walk at the last trusted address.
    expect(forwardedClient('127.0.0.1', '203.0.113.5, not-an-ip', matcher)).toBe('127.0.0.1');
    expect(forwardedClient('127.0.0.1', '', matcher)).toBe('127.0.0.1');
  });
  it('refuses bad trust entries by position', () => {
    expect(parseTrustedProxies(['10.0.0.0/8', 'nope', '10.0.0.0/33', '::1/129', '::1']).invalid).toEqual([1, 2, 3]);
  });
});

describe('over a real server', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    await database.migrate();
  });
  afterAll(async () => database?.close());

  /** A server whose address limit allows 2 failures, with the given trusted proxies. */
  async function server(trusted: string[]): Promise<{ login: (headers: Record<string, string>, body?: Record<string, unknown>) => Promise<number>; close: () => Promise<void> }> {
    const rules = { ...DEFAULT_THROTTLE_RULES, address: { maxFailures: 2, freeFailures: 2, backoffBaseMs: 0, backoffMaxMs: 0, windowMs: 60_000 } };
    const throttle = createThrottle({ store: createMemoryThrottleStore(), rules, clock: () => new Date() });
    const s = makeStoreApp(database, { throttle, clientAddress: nodeClientAddress(trusted) });
    const http = serve({ fetch: s.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => http.once('listening', () => resolve()));
    const { port } = http.address() as AddressInfo;
    let n = 0;
    return {
      login: async (headers, body = {}) => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.acme}`, ...headers },
          // A new account each time: only the address counter can refuse.
          body: JSON.stringify({ userId: `spray-${++n}`, password: 'wrong', ...body }),
        });
        await res.arrayBuffer();
        return res.status;
      },
      close: () => new Promise<void>((resolve) => http.close(() => resolve())),
    };
  }

  it('ignores X-Forwarded-For, X-Real-IP and CF-Connecting-IP without HASHD_TRUSTED_PROXIES', async () => {
    const s = await server([]);
    try {
      expect(await s.login({})).toBe(200);
      expect(await s.login({})).toBe(200);
      // The peer (127.0.0.1) is at its limit: no header makes it someone else.
      for (const header of ['x-forwarded-for', 'x-real-ip', 'cf-connecting-ip', 'forwarded', 'true-client-ip']) {
        expect(await s.login({ [header]: '198.51.100.99' }), header).toBe(429);
      }
      // The backend's clientIp names the end user: another user, another counter.
      expect(await s.login({}, { clientIp: '198.51.100.99' })).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('honours only the trusted hops of X-Forwarded-For when the peer is a trusted proxy', async () => {
    const s = await server(['127.0.0.1/32']);
    try {
      const xff = (chain: string) => ({ 'x-forwarded-for': chain });
      expect(await s.login(xff('203.0.113.1'))).toBe(200);
      expect(await s.login(xff('203.0.113.1'))).toBe(200);
      expect(await s.login(xff('203.0.113.1'))).toBe(429);
      // The client cannot escape by prepending hops: the right-most untrusted one counts.
      expect(await s.login(xff('9.9.9.9, 203.0.113.1'))).toBe(429);
      expect(await s.login(xff('203.0.113.2'))).toBe(200);
      // Other headers still mean nothing.
      expect(await s.login({ ...xff('203.0.113.1'), 'x-real-ip': '203.0.113.77', 'cf-connecting-ip': '203.0.113.78' })).toBe(429);
    } finally {
      await s.close();
    }
  });
});
