/**
 * Overload handling at the Node server's edge. Under a burst of hundreds of connections the event
 * loop's time goes to accepting, parsing and refusing; every microsecond spent on a request that
 * will be refused is taken from the requests that are served and from /healthz. So a hashing
 * request that the limiter could not take is refused here, from the parsed request line alone:
 * before its body is read, before hono builds a Request, before authentication, logging and
 * routing, with one fixed, preallocated 503 (Retry-After). A small body (declared, ≤ 16 KiB) is
 * discarded and the connection kept, so the refusal does not cost a reconnect; a larger or
 * chunked one is never read and its connection is closed.
 *
 * The server's own limits bound the rest: server.maxConnections (beyond it a new socket is
 * closed at accept, the cheapest refusal there is), headers/request timeouts against slow
 * clients, keep-alive limits, and the listen backlog (the kernel's accept queue).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ServerLimits {
  /** server.maxConnections; 0 = unlimited. */
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** server.maxRequestsPerSocket; 0 = unlimited. */
  maxRequestsPerSocket: number;
  /** The listen backlog: connections the kernel queues before the server accepts them. */
  listenBacklog: number;
}

/** The endpoints that take a hashing slot (their routes also check capacity, as the Worker does). */
export function isHashingRequest(method: string | undefined, url: string | undefined): boolean {
  if (url === undefined) return false;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (method === 'POST') return path === '/v1/hash' || path === '/v1/verify' || path === '/v1/login';
  if (method === 'PUT') return path.startsWith('/v1/users/') && path.endsWith('/password');
  return false;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface EarlyRefusalOptions {
  /** True when a hashing request submitted now would be refused. */
  full: () => boolean;
  retryAfterSeconds?: number;
  /** Called for every refusal (metrics). */
  onRefused?: () => void;
}

/**
 * A refused request whose declared body is at most this long keeps its connection: the body is
 * discarded by the server (it is usually already in the socket's buffer, read with the headers),
 * and the client's next request comes on the same socket. Closing instead would turn every 503
 * into a reconnect: under a burst of hundreds of clients the reconnects overflow the accept queue
 * and the dropped SYNs are retried by the kernel a second later, so a 503 would take > 1 s to reach
 * its client. Longer or chunked bodies are not read: the 503 closes their connection.
 */
export const KEEP_ALIVE_BODY_MAX = 16 * 1024;

/** Wraps a request listener so that hashing requests are refused before their body is read while the limiter is full. */
export function withEarlyRefusal(listener: Listener, options: EarlyRefusalOptions): Listener {
  const body = Buffer.from(JSON.stringify({ error: { code: 'overloaded', message: 'hashing capacity is exhausted, retry shortly' } }));
  const common = {
    'content-type': 'application/json',
    'content-length': String(body.length),
    'retry-after': String(options.retryAfterSeconds ?? 1),
    'cache-control': 'no-store',
  };
  const closing = { ...common, connection: 'close' };
  return function earlyRefusal(req, res) {
    if (isHashingRequest(req.method, req.url) && options.full()) {
      options.onRefused?.();
      const declared = req.headers['content-length'];
      const small = declared !== undefined && req.headers['transfer-encoding'] === undefined && /^\d{1,9}$/.test(declared) && Number(declared) <= KEEP_ALIVE_BODY_MAX;
      if (small) {
        // Node's server discards the unread body once the response has finished, then reads
        // the next request from the same connection (if the client keeps it alive).
        res.writeHead(503, common);
        res.end(body);
        return;
      }
      // The body is never read: the connection closes after this response, so it is not parsed either.
      res.shouldKeepAlive = false;
      res.writeHead(503, closing);
      res.end(body);
      return;
    }
    listener(req, res);
  };
}
