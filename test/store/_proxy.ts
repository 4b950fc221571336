/**
 * A TCP proxy to the real PostgreSQL (127.0.0.1:5432), or another local server (Redis on 6379),
 * that a test can stop and start on a fixed port, to cut the service off from its database
 * without touching the machine's shared server. `hang()` keeps accepting connections but
 * forwards nothing either way (a server that stopped answering, or a network that drops packets).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class PgProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  private hanging = false;
  constructor(
    readonly port: number,
    readonly upstreamPort = 5432,
  ) {}

  static async onFreePort(upstreamPort = 5432): Promise<PgProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    return new PgProxy(port, upstreamPort);
  }

  async start(): Promise<void> {
    this.hanging = false;
    this.server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      // Hanging: accepted, read and never answered.
      if (this.hanging) return void client.resume();
      const upstream = createConnection({ host: '127.0.0.1', port: this.upstreamPort });
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => undefined);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => (this.server as Server).listen(this.port, '127.0.0.1', resolve));
  }

  /**
   * Stops forwarding: open connections stay open but carry nothing further either way, and new
   * ones are accepted and never answered, until stop().
   */
  hang(): void {
    this.hanging = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.removeAllListeners('data');
      s.resume();
    }
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
