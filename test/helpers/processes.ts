import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait-for';

const ROOT = path.join(__dirname, '..', '..');

export interface RunningProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  output: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `src/<entry>` with tsx as a real child process with the given environment. */
export function startProcess(entry: 'api/main.ts' | 'workers/main.ts' | 'simulator/main.ts', env: Record<string, string>): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('src', entry)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    output,
    exited,
    waitForLine: (pattern, timeoutMs = 20_000) =>
      waitFor(() => output.find((l) => pattern.test(l)) ?? '', { timeoutMs, what: `a line matching ${pattern} from ${entry} (output so far: ${output.slice(-5).join(' | ')})` }),
    kill: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Stops a process and waits for it; SIGKILL if it does not leave within `graceMs`. */
export async function stopProcess(p: RunningProcess, graceMs = 10_000): Promise<number | string> {
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  try {
    return await p.exited;
  } finally {
    clearTimeout(timer);
  }
}
