/**
 * A TCP proxy to the real PostgreSQL (127.0.0.1:5432) that a test can stop and start on a fixed
 * port, to cut the service off from its database without touching the machine's shared server.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class PgProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  static async onFreePort(): Promise<PgProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    return new PgProxy(port);
  }

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: 5432 });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => (this.server as Server).listen(this.port, '127.0.0.1', resolve));
  }

  /** Closes the listener and cuts every open connection. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** `url` (a database on 127.0.0.1:5432) pointed at this proxy instead. */
  route(url: string): string {
    const target = new URL(url);
    target.port = String(this.port);
    return target.toString();
  }
}
