import net from 'node:net';

/**
 * A TCP proxy in front of Postgres that counts the round trips its clients make, because
 * pg_stat_statements is not loaded on the bench machines. It reads only the frontend
 * (client -> server) stream: one untyped startup packet, then typed messages
 * `[1-byte type][int32 length incl. itself][body]`. A simple query ('Q') and a Sync ('S', the end
 * of an extended-protocol exchange: Parse/Bind/Execute/Sync) each cost one wait for the server.
 */
export interface PgRoundTrips {
  /** 'Q' + 'S': what the client waited on. */
  roundTrips: number;
  simpleQueries: number;
  syncs: number;
  connections: number;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Parser state of one client connection, fed chunk by chunk (messages straddle chunks). */
function createFrontendCounter(totals: PgRoundTrips, answer: (bytes: Buffer) => void) {
  let startup = true;
  let header = Buffer.alloc(0);
  let skip = 0;

  return function feed(chunk: Buffer): Buffer {
    // The bytes to forward: everything except an SSL/GSS request we answer ourselves.
    const forward: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - at);
        forward.push(chunk.subarray(at, at + n));
        skip -= n;
        at += n;
        continue;
      }
      const need = startup ? 8 : 5;
      const take = Math.min(need - header.length, chunk.length - at);
      header = Buffer.concat([header, chunk.subarray(at, at + take)]);
      at += take;
      if (header.length < need) break;
      if (startup) {
        const length = header.readInt32BE(0);
        const code = header.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          // Answer "no encryption" ourselves: an encrypted stream could not be counted, and a
          // local server with ssl on would otherwise say 'S'. The client then sends its real startup.
          answer(Buffer.from('N'));
        } else {
          forward.push(header);
          skip = length - 8;
          startup = false;
        }
      } else {
        const type = String.fromCharCode(header[0]!);
        if (type === 'Q') totals.simpleQueries += 1;
        if (type === 'S') totals.syncs += 1;
        forward.push(header);
        skip = header.readInt32BE(1) - 4;
      }
      header = Buffer.alloc(0);
    }
    totals.roundTrips = totals.simpleQueries + totals.syncs;
    return Buffer.concat(forward);
  };
}

export function createPgCountingProxy(target: { host: string; port: number }) {
  const totals: PgRoundTrips = { roundTrips: 0, simpleQueries: 0, syncs: 0, connections: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    totals.connections += 1;
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => {
        sockets.delete(s);
        // One side gone: the other must go too, or the pool would wait on a half-open connection.
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => s.destroy());
    }
    const feed = createFrontendCounter(totals, (bytes) => client.write(bytes));
    client.on('data', (chunk: Buffer) => {
      const out = feed(chunk);
      if (out.length > 0 && !upstream.write(out)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.pipe(client);
  });

  return {
    listen(): Promise<number> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
      });
    },
    counts: (): PgRoundTrips => ({ ...totals }),
    close(): Promise<void> {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type PgCountingProxy = ReturnType<typeof createPgCountingProxy>;
