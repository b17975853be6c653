import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * A child process the bench started, with its last output lines kept for error messages. Stop
 * it by its own pid only (SIGTERM, then SIGKILL after a grace period).
 */
export interface BenchChild {
  pid: number;
  child: ChildProcess;
  /** Last output lines (stdout and stderr), for failure reports. */
  tail(): string[];
  exited: Promise<number | string>;
  hasExited(): boolean;
  stop(graceMs?: number): Promise<number | string>;
}

const TAIL_LINES = 40;

export function startChild(command: string, args: readonly string[], env: Record<string, string>, onLine?: (line: string) => void): BenchChild {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${command} ${args.join(' ')}`);
  const lines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      onLine?.(line);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let done = false;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  return {
    pid: child.pid,
    child,
    tail: () => [...lines],
    exited,
    hasExited: () => done,
    async stop(graceMs = 30_000) {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!done) child.kill('SIGKILL');
      }, graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A port free right now (the child binds it a moment later; a clash shows up as a start failure). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process from /proc (Linux): current and peak (high-water mark), MiB. */
export async function procMemoryMiB(pid: number): Promise<{ rss: number; peak: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the highest sample (MiB). */
export function sampleRss(pid: number, everyMs = 200) {
  let max = 0;
  const timer = setInterval(() => {
    void procMemoryMiB(pid).then((m) => {
      if (m && m.rss > max) max = m.rss;
    });
  }, everyMs);
  return {
    stop(): number {
      clearInterval(timer);
      return max;
    },
  };
}
