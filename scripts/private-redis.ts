import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/**
 * A throw-away `redis-server` on its own port that keeps nothing on disk, so a drill or a test can
 * really kill "Redis" and bring it back empty without touching the shared one. `kill()` is a
 * SIGKILL (a crash: nothing is saved, clients see their connections reset); `start()` again gives
 * an empty server on the same port.
 */
export function createPrivateRedis(port: number) {
  let child: ChildProcess | undefined;

  const answersPing = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let reply = '';
      socket.setTimeout(500, () => socket.destroy());
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        reply += chunk.toString('utf8');
        if (reply.includes('\r\n')) socket.end();
      });
      socket.on('close', () => resolve(reply.startsWith('+PONG')));
      socket.on('error', () => undefined);
    });

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    /** Starts an empty server and resolves once it answers PING (10 s at most). */
    async start(): Promise<void> {
      if (child) throw new Error(`private redis on :${port} is already running`);
      if (await answersPing()) throw new Error(`port ${port} already has a Redis: pick another (DRILL_REDIS_PORT)`);
      const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
        stdio: 'ignore',
      });
      child = started;
      started.once('exit', () => {
        if (child === started) child = undefined;
      });
      const deadline = Date.now() + 10_000;
      while (!(await answersPing())) {
        if (child !== started) throw new Error(`redis-server on :${port} exited at start`);
        if (Date.now() > deadline) throw new Error(`redis-server on :${port} did not answer within 10 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** SIGKILL, like a crash; resolves once the process is gone. */
    async kill(): Promise<void> {
      const running = child;
      if (!running) return;
      const gone = new Promise((r) => running.once('exit', r));
      running.kill('SIGKILL');
      await gone;
    },
    running: () => child !== undefined,
  };
}
