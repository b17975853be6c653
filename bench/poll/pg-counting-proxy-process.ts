import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { PgRoundTrips } from './pg-counting-proxy';

/**
 * The counting proxy in a child process. In the bench's own process it shared one event loop with
 * the simulator: while the simulator serialised a page of 8,000 entries, the worker's statements
 * waited in the proxy, a cost the worker does not have in production and the floor never paid.
 */
export interface PgCountingProxyProcess {
  port: number;
  counts(): Promise<PgRoundTrips>;
  close(): Promise<void>;
}

export async function startPgCountingProxyProcess(target: { host: string; port: number }): Promise<PgCountingProxyProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'pg-counting-proxy-main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH ?? '', PG_PROXY_TARGET_HOST: target.host, PG_PROXY_TARGET_PORT: String(target.port) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the pg counting proxy exited (${code}) before listening`)));
    child.once('message', (m: { port: number }) => resolve(m.port));
  });
  let nextId = 0;
  return {
    port,
    counts: () =>
      new Promise<PgRoundTrips>((resolve) => {
        const id = ++nextId;
        const onMessage = (m: { id?: number; counts?: PgRoundTrips }) => {
          if (m.id !== id || !m.counts) return;
          child.off('message', onMessage);
          resolve(m.counts);
        };
        child.on('message', onMessage);
        child.send({ id, ask: 'counts' });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}
