/**
 * The end user's address, which the per-address limit counts. hashd is called by login backends,
 * so the address that matters is the one the backend passes (`clientIp` in the body); without
 * it, the TCP peer's. Proxy headers are ignored unless the peer is a trusted proxy
 * (HASHD_TRUSTED_PROXIES): then X-Forwarded-For is read from the right, skipping trusted hops,
 * and the right-most untrusted one is the client (the hops left of it are whatever the client
 * wrote). A Worker trusts CF-Connecting-IP, which Cloudflare sets itself.
 *
 * Addresses are counted normalised: IPv4-mapped IPv6 as IPv4, and IPv6 by its /64 prefix, since
 * one subscriber usually holds a whole /64.
 */
import type { Context } from 'hono';
import ipaddr from 'ipaddr.js';

/** Returns the end user's address for a request (the entry provides it), or undefined. */
export type ClientAddress = (c: Context) => string | undefined;

/** Strict parse: dotted-quad IPv4 or IPv6 only (ipaddr.js alone also takes `0x7f.1`). */
function parseStrict(value: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const text = value.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text) && !text.includes('%')) return ipaddr.IPv6.parse(text);
  return undefined;
}

function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

/** The counting key of an address (IPv4 as is, IPv6 as its /64), or undefined when it is not an IP. */
export function normaliseAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = parseStrict(value);
  if (!parsed) return undefined;
  const address = unmapped(parsed);
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

export type ProxyMatcher = (address: string) => boolean;

/** Parses HASHD_TRUSTED_PROXIES entries (addresses or CIDR ranges); returns the bad entries' positions. */
export function parseTrustedProxies(entries: readonly string[]): { matcher: ProxyMatcher; invalid: number[] } {
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  const invalid: number[] = [];
  entries.forEach((entry, i) => {
    const text = entry.trim();
    const [base, bits] = text.split('/');
    const address = parseStrict(base ?? '');
    const max = address?.kind() === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!address || !(prefix >= 0 && prefix <= max)) {
      invalid.push(i);
      return;
    }
    ranges.push([address, prefix]);
  });
  const matcher: ProxyMatcher = (value) => {
    const parsed = parseStrict(value);
    if (!parsed) return false;
    const candidates = [parsed, unmapped(parsed)];
    return ranges.some(([range, prefix]) => candidates.some((c) => c.kind() === range.kind() && c.match(range, prefix)));
  };
  return { matcher, invalid };
}

/**
 * The client behind a chain of proxies: starting from the TCP peer, each trusted hop hands over
 * to the one left of it in X-Forwarded-For; the first hop that is not trusted (or not an IP) is
 * the answer. An empty trust list means the peer, whatever the headers say.
 */
export function forwardedClient(peer: string | undefined, forwardedFor: string | undefined, trusted: ProxyMatcher): string | undefined {
  if (peer === undefined) return undefined;
  let current = peer;
  const hops = (forwardedFor ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted(current)) break;
    const hop = hops[i] as string;
    if (!parseStrict(hop)) break;
    current = hop;
  }
  return current;
}

/** For a Worker entry: Cloudflare sets CF-Connecting-IP itself (a client cannot choose it). */
export const cloudflareClientAddress: ClientAddress = (c) => c.req.header('cf-connecting-ip') ?? undefined;
