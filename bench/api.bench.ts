/**
 * API benchmark at fleet size: `npm run bench:api -- [--smoke] [--no-worker]` (not part of npm test).
 * The compiled API runs as a child process (NODE_ENV=production) on a throwaway database
 * `evara_bench_api` seeded with the fleet (10k nodes, BENCH_API_NODES) and a few readings a node,
 * Redis keys under `benchapi-<pid>:`, while one worker child ingests from the in-process ThingSpeak
 * simulator. Load comes from its own process at a fixed rate (BENCH_API_RATE, 500/s) over 50
 * connections for BENCH_API_SECONDS (30): 15 % list pages (by keyset cursor), 60 % GET /nodes/:id,
 * 15 % readings pages, 10 % alert summary; twice: evenly paced (open loop, latency from the due
 * time; the targets are read here) and autocannon's per-second bursts. Each is preceded by a bare
 * `http` server driven the same way, the floor; unloaded latency is sequential requests. Everything is removed at the end, also on
 * failure or Ctrl-C. See BENCHMARKS.md.
 */
import os from 'node:os';
import { parseApiOptions } from './api/options';
import { closeOpenStacks, openApiStack } from './api/stack';
import type { GroupStats, LoadConfig, LoadMode, LoadResult, RouteGroup } from './api/load-mix';
import { walkListCursors } from './api/list-cursors';
import { measureCpu } from './api/cpu-usage';
import { procMemoryMiB } from './poll/child-process';
import { benchResultLine, fmt, out, printTable, type Row } from './poll/report';
import { runBenchMain } from './run-bench-main';

const MIX: RouteGroup[] = [
  { name: 'list', kind: 'list', weight: 15 },
  { name: 'node', kind: 'node', weight: 60 },
  { name: 'readings', kind: 'readings', weight: 15 },
  { name: 'summary', kind: 'summary', weight: 10 },
];
const LABEL: Record<string, string> = {
  list: 'GET /nodes?limit=50&cursor=', node: 'GET /nodes/:id', readings: 'GET /nodes/:id/readings?limit=50', summary: 'GET /alerts/summary', floor: 'bare http',
};
const MODE_LABEL: Record<'paced' | 'rate', string> = { paced: 'paced (evenly spaced)', rate: 'burst (autocannon)' };
const TARGETS = { rate: 500, nodeP99: 25, listP99: 50, unloadedNodeP50: 3 };

const ms = (v: number | null | undefined) => `${fmt(v, 2)} ms`;
const ratio = (a: number, b: number) => `${fmt(a / b, 2)}x`;

async function main(): Promise<void> {
  const opts = parseApiOptions(process.argv.slice(2), process.env);
  const startedAt = performance.now();
  out(`api bench: ${opts.nodes} nodes, ${opts.rate} req/s over ${opts.connections} connections for ${opts.seconds} s, worker ${opts.worker ? 'on' : 'off'}${opts.smoke ? ' (smoke: sizes shrunk, do not quote)' : ''}`);
  const stack = await openApiStack(opts, out);
  try {
    const listCursors = await walkListCursors(stack.apiUrl, stack.apiKey);
    out(`node list: ${listCursors.length} pages of 50, walked by cursor`);
    const base = {
      headers: { authorization: `Bearer ${stack.apiKey}` },
      nodeIds: stack.fleet.map((f) => f.nodeId),
      listCursors,
      connections: opts.connections,
      rate: opts.rate,
    };
    const api = (over: Partial<LoadConfig>): LoadConfig => ({ ...base, mode: 'paced', url: stack.apiUrl, seconds: opts.seconds, groups: MIX, ...over });
    const floorOf = (mode: LoadMode): LoadConfig => ({ ...base, mode, url: stack.floorUrl, seconds: opts.seconds, headers: {}, groups: [{ name: 'floor', kind: 'floor', weight: 1 }] });

    out(`warm-up: ${opts.warmupSeconds} s of the mix`);
    await stack.load(api({ seconds: opts.warmupSeconds }));

    out(`unloaded: ${opts.sequentialNodeGets} sequential GET /nodes/:id, ${opts.sequentialListPages} list pages`);
    const unloaded = await stack.load(api({ mode: 'sequential', counts: { node: opts.sequentialNodeGets, list: opts.sequentialListPages } }));

    const workerBefore = stack.worker ? await stack.worker.scrape() : undefined;
    const runs: Record<'paced' | 'rate', { floor: LoadResult; api: LoadResult; apiCpuMsPerRequest: number; apiSystemShare: number; apiSyscallsPerRequest: number; floorSyscallsPerRequest: number; floorCpuMsPerRequest: number; machineBusyPct: number; floorMachineBusyPct: number }> = {} as never;
    for (const mode of ['paced', 'rate'] as const) {
      out(`floor (${MODE_LABEL[mode]}): bare http server, ${opts.seconds} s`);
      const floor = await measureCpu(stack.floorPid, () => stack.load(floorOf(mode)));
      out(`api (${MODE_LABEL[mode]}): the mix, ${opts.seconds} s`);
      const measured = await measureCpu(stack.api.pid, () => stack.load(api({ mode })));
      runs[mode] = {
        floor: floor.result,
        api: measured.result,
        apiCpuMsPerRequest: measured.apiCpuMsPerRequest,
        apiSystemShare: measured.apiSystemShare,
        apiSyscallsPerRequest: measured.apiSyscallsPerRequest,
        floorSyscallsPerRequest: floor.apiSyscallsPerRequest,
        floorCpuMsPerRequest: floor.apiCpuMsPerRequest,
        machineBusyPct: measured.machineBusyPct,
        floorMachineBusyPct: floor.machineBusyPct,
      };
    }
    const workerAfter = stack.worker ? await stack.worker.scrape() : undefined;
    const apiMem = await procMemoryMiB(stack.api.pid);

    const rows: Row[] = [];
    for (const mode of ['paced', 'rate'] as const) {
      const f = runs[mode].floor.total;
      const t = runs[mode].api.total;
      const tag = MODE_LABEL[mode];
      rows.push({ mode: `floor, ${tag}`, figure: 'achieved req/s, p50 / p99', value: `${fmt(f.reqPerSec)}, ${ms(f.p50)} / ${ms(f.p99)}`, floor: `target ${opts.rate}; non-2xx ${f.non2xx}, errors ${f.errors}` });
      rows.push({ mode: `api mix, ${tag}`, figure: 'achieved req/s', value: fmt(t.reqPerSec), floor: `floor ${fmt(f.reqPerSec)}: ${ratio(t.reqPerSec, f.reqPerSec)}` });
      rows.push({ mode: '', figure: 'p50 / p99', value: `${ms(t.p50)} / ${ms(t.p99)}`, floor: `floor p99 ${ms(f.p99)}: ${ratio(t.p99, f.p99)}` });
      rows.push({ mode: '', figure: 'non-2xx / errors / timeouts', value: `${t.non2xx} / ${t.errors} / ${t.timeouts}`, floor: JSON.stringify(t.statuses) });
      rows.push({ mode: '', figure: 'API CPU per request; machine busy', value: `${fmt(runs[mode].apiCpuMsPerRequest, 2)} ms; ${fmt(runs[mode].machineBusyPct, 0)} %`, floor: `floor server ${fmt(runs[mode].floorCpuMsPerRequest, 2)} ms; floor run: machine ${fmt(runs[mode].floorMachineBusyPct, 0)} % busy` });
      rows.push({ mode: '', figure: 'API syscalls per request; kernel share', value: `${fmt(runs[mode].apiSyscallsPerRequest, 1)}; ${fmt(runs[mode].apiSystemShare * 100, 0)} %`, floor: `floor server: ${fmt(runs[mode].floorSyscallsPerRequest, 1)} syscalls per request` });
      for (const g of MIX) {
        const s: GroupStats | undefined = runs[mode].api.groups[g.name];
        if (!s) continue;
        rows.push({ mode: `  ${LABEL[g.name]}`, figure: 'req/s, p50 / p99 (max)', value: `${fmt(s.reqPerSec)}, ${ms(s.p50)} / ${ms(s.p99)}`, floor: `max ${ms(s.max)}, non-2xx ${s.non2xx}` });
      }
    }
    for (const g of ['node', 'list']) {
      const s = unloaded.groups[g];
      if (s) rows.push({ mode: `unloaded ${LABEL[g]}`, figure: `p50 / p99 (${s.requests} sequential)`, value: `${ms(s.p50)} / ${ms(s.p99)}`, floor: `non-2xx ${s.non2xx}, errors ${unloaded.total.errors}` });
    }
    if (workerBefore && workerAfter) {
      const secs = runs.paced.api.seconds + runs.rate.api.seconds + runs.paced.floor.seconds + runs.rate.floor.seconds;
      rows.push({ mode: 'worker (during the runs)', figure: 'polls/s, readings stored/s', value: `${fmt((workerAfter.polled - workerBefore.polled) / secs)}, ${fmt((workerAfter.readingsStored - workerBefore.readingsStored) / secs)}`, floor: `failed ${workerAfter.failed - workerBefore.failed}` });
    }
    if (apiMem) rows.push({ mode: 'api process', figure: 'RSS / peak (VmHWM)', value: `${fmt(apiMem.rss, 0)} / ${fmt(apiMem.peak, 0)} MiB` });

    // The targets are read on the paced run: evenly spaced arrivals at the target rate.
    const mixed = runs.paced.api;
    const t = mixed.total;
    const f = runs.paced.floor.total;
    const node = mixed.groups.node;
    const list = mixed.groups.list;
    const checks = {
      sustained: t.reqPerSec >= TARGETS.rate * 0.98,
      noErrors: t.non2xx === 0 && t.errors === 0 && t.timeouts === 0,
      nodeP99: (node?.p99 ?? Infinity) < TARGETS.nodeP99,
      listP99: (list?.p99 ?? Infinity) < TARGETS.listP99,
      unloadedNodeP50: (unloaded.groups.node?.p50 ?? Infinity) < TARGETS.unloadedNodeP50,
    };
    out();
    printTable(rows);
    out();
    out(`targets (issue 11): ${Object.entries(checks).map(([k, ok]) => `${k} ${ok ? 'met' : 'MISSED'}`).join(', ')}`);
    const compact = (r: LoadResult) => ({ seconds: r.seconds, total: r.total, groups: r.groups });
    out(
      benchResultLine({
        bench: 'api',
        at: new Date().toISOString(),
        smoke: opts.smoke,
        machine: { cpus: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
        nodes: stack.fleet.length,
        readingsStored: stack.readingsStored,
        worker: opts.worker,
        rate: opts.rate,
        connections: opts.connections,
        seconds: opts.seconds,
        paced: { api: compact(runs.paced.api), floor: compact(runs.paced.floor), apiCpuMsPerRequest: runs.paced.apiCpuMsPerRequest, apiSyscallsPerRequest: runs.paced.apiSyscallsPerRequest, apiSystemShare: runs.paced.apiSystemShare, machineBusyPct: runs.paced.machineBusyPct },
        burst: { api: compact(runs.rate.api), floor: compact(runs.rate.floor), apiCpuMsPerRequest: runs.rate.apiCpuMsPerRequest, apiSyscallsPerRequest: runs.rate.apiSyscallsPerRequest, apiSystemShare: runs.rate.apiSystemShare, machineBusyPct: runs.rate.machineBusyPct },
        unloaded: compact(unloaded),
        ratios: {
          paced: { reqPerSec: t.reqPerSec / f.reqPerSec, p99: t.p99 / f.p99 },
          burst: { reqPerSec: runs.rate.api.total.reqPerSec / runs.rate.floor.total.reqPerSec, p99: runs.rate.api.total.p99 / runs.rate.floor.total.p99 },
        },
        worker_during_mix: workerBefore && workerAfter ? { polled: workerAfter.polled - workerBefore.polled, readingsStored: workerAfter.readingsStored - workerBefore.readingsStored, failed: workerAfter.failed - workerBefore.failed } : null,
        apiMemMiB: apiMem ?? null,
        targets: TARGETS,
        checks,
        totalSeconds: (performance.now() - startedAt) / 1000,
      }),
    );
  } finally {
    await stack.close();
  }
}

runBenchMain(main, closeOpenStacks);
