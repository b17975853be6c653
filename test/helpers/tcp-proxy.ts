import net from 'node:net';

/**
 * A TCP proxy in front of the shared Postgres that a test can cut and restore, to stop "the
 * database" without stopping the server other tests use. Cut: the listener closes (new
 * connections are refused) and open connections are destroyed, as when a server goes away.
 */
export function createTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let blackholed = false;

  function listen(): Promise<number> {
    server = net.createServer((client) => {
      if (blackholed) {
        // A host that accepts and never answers: clients wait for their own timeouts.
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('error', () => client.destroy());
        return;
      }
      const upstream = net.connect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => server!.listen(port, '127.0.0.1', () => {
      port = (server!.address() as net.AddressInfo).port;
      resolve(port);
    }));
  }

  return {
    start: listen,
    /** Keeps accepting but never answers (a hung database), after killing open connections. */
    blackhole(on = true): void {
      blackholed = on;
      if (on) for (const socket of sockets) socket.destroy();
    },
    /** Stops accepting and kills every open connection. */
    async cut(): Promise<void> {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    get port() {
      return port;
    },
  };
}
