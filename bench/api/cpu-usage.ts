import { readFile } from 'node:fs/promises';

// Linux reports CPU time in clock ticks of 1/100 s (USER_HZ) in /proc.
const TICKS_PER_SECOND = 100;

/** CPU seconds a process has used so far: in all, and in the kernel (system time). */
export async function processCpuSeconds(pid: number): Promise<{ total: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { total: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}

/** Read and write system calls a process has made so far (socket reads and writes included). */
export async function processSyscalls(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const count = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return count('syscr') + count('syscw');
}

/** The machine's busy and total CPU seconds so far, summed over every core. */
export async function machineCpuSeconds(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

/**
 * What a run cost in CPU: the API's CPU per request (comparable across machines and days, unlike
 * latency on a shared machine) and how busy the whole machine was (near 100 % means the API
 * competed for cores with Postgres, the worker and the load, and latencies say more about that).
 */
export interface CpuCost<T> {
  result: T;
  apiCpuMsPerRequest: number;
  /** The kernel's share of the API's CPU time (socket reads and writes are most of it). */
  apiSystemShare: number;
  /** Read and write system calls of the API per request. */
  apiSyscallsPerRequest: number;
  machineBusyPct: number;
}

export async function measureCpu<T extends { total: { requests: number } }>(apiPid: number, run: () => Promise<T>): Promise<CpuCost<T>> {
  const [api0, calls0, m0] = await Promise.all([processCpuSeconds(apiPid), processSyscalls(apiPid), machineCpuSeconds()]);
  const result = await run();
  const [api1, calls1, m1] = await Promise.all([processCpuSeconds(apiPid), processSyscalls(apiPid), machineCpuSeconds()]);
  const requests = Math.max(1, result.total.requests);
  const cpu = api1.total - api0.total;
  return {
    result,
    apiCpuMsPerRequest: (cpu * 1000) / requests,
    apiSystemShare: (api1.system - api0.system) / Math.max(0.001, cpu),
    apiSyscallsPerRequest: (calls1 - calls0) / requests,
    machineBusyPct: ((m1.busy - m0.busy) / Math.max(0.001, m1.total - m0.total)) * 100,
  };
}
