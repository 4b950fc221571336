/**
 * Lingering close for the Node server, as nginx does it. When hashd answers before it has read
 * the request body (413 for a declared length over the limit, 415, 401, 503...), closing the
 * socket at once with unread bytes in its receive buffer makes the kernel send a reset. A client
 * that writes its whole body before it reads (Python's urllib, many simple clients) then fails
 * with a broken pipe and never sees the typed error. Instead, after the response the write side
 * is closed (FIN) and the rest of the body is read and thrown away, up to `maxBytes` or `maxMs`,
 * whichever comes first; only then is the socket destroyed.
 *
 * Node's HTTP server and @hono/node-server (which drains for only 500 ms) both end such a
 * connection through `socket.destroySoon()`, so that is the one place this hooks into.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface LingerOptions {
  /** Body bytes read and discarded after an early answer before the socket is closed anyway. */
  maxBytes?: number;
  /** How long to keep reading after an early answer before closing anyway. */
  maxMs?: number;
}

export const LINGER_MAX_BYTES = 4 * 1024 * 1024;
export const LINGER_MAX_MS = 5_000;

/** Installs the lingering close on every connection of `server`. */
export function lingeringClose(server: Server, options: LingerOptions = {}): void {
  const maxBytes = options.maxBytes ?? LINGER_MAX_BYTES;
  const maxMs = options.maxMs ?? LINGER_MAX_MS;
  // The request a connection is serving, to tell whether its body was read to the end.
  const current = new WeakMap<Socket, IncomingMessage>();
  server.on('request', (req: IncomingMessage) => current.set(req.socket, req));
  server.on('connection', (socket: Socket) => {
    const destroySoon = socket.destroySoon.bind(socket);
    let lingering = false;
    socket.destroySoon = function lingeringDestroySoon(): void {
      if (lingering) return;
      const req = current.get(socket);
      if (req === undefined || req.complete || socket.destroyed) {
        destroySoon();
        return;
      }
      lingering = true;
      // The HTTP parser may read the socket natively (no 'data' events), so the bytes read are
      // taken from the handle's counter, checked a few times a second.
      const startBytes = socket.bytesRead;
      const close = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        socket.destroy();
      };
      const timer = setTimeout(close, maxMs);
      const poll = setInterval(() => {
        if (req.complete || socket.bytesRead - startBytes > maxBytes) close();
      }, 50);
      timer.unref();
      poll.unref();
      socket.once('end', close);
      socket.once('error', close);
      req.once('end', close);
      // The response is complete: send FIN, keep reading. The request body flows and is dropped
      // (its parser still sees every byte, so it knows when the client has sent it all).
      socket.end();
      req.resume();
      socket.resume();
    };
  });
}
