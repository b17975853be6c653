/**
 * What every load mode shares: the route mix (groups drawn by weight, paths built per kind), the
 * config and result shapes, and the recorder that turns latencies into per-group quantiles.
 */
/**
 * - `rate`: autocannon at an overall rate; its budget is per connection per second, so each
 *   second's requests leave as a burst at the start of the second.
 * - `paced`: open loop, requests sent at evenly spaced times (rate per second), latency measured
 *   from the scheduled send time, so a server that falls behind shows it (no coordinated omission).
 * - `sequential`: one request at a time on one keep-alive connection (the unloaded latency).
 */
export type LoadMode = 'rate' | 'paced' | 'sequential';

export type RouteKind = 'list' | 'node' | 'readings' | 'summary' | 'floor';

export interface RouteGroup {
  name: string;
  kind: RouteKind;
  weight: number;
}

export interface LoadConfig {
  mode: LoadMode;
  url: string;
  headers: Record<string, string>;
  nodeIds: string[];
  /**
   * Keyset cursors of the node list's pages of 50 (the first page has none), walked once before the
   * load: a list request asks for a random page by its cursor, as a dashboard paging does.
   */
  listCursors: Array<string | null>;
  rate: number;
  connections: number;
  seconds: number;
  groups: RouteGroup[];
  /** sequential mode: how many requests of each group, one after the other. */
  counts?: Record<string, number>;
}

export interface GroupStats {
  requests: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  statuses: Record<string, number>;
}

export interface LoadResult {
  mode: LoadMode;
  seconds: number;
  total: GroupStats & { errors: number; timeouts: number; targetRate: number; connections: number };
  groups: Record<string, GroupStats>;
}

export const random = (n: number) => Math.floor(Math.random() * n);

export function pathFor(kind: RouteKind, cfg: Pick<LoadConfig, 'nodeIds' | 'listCursors'>): string {
  const id = () => cfg.nodeIds[random(cfg.nodeIds.length)]!;
  switch (kind) {
    case 'list': {
      const cursor = cfg.listCursors[random(cfg.listCursors.length)];
      return cursor ? `/api/v1/nodes?limit=50&cursor=${cursor}` : '/api/v1/nodes?limit=50';
    }
    case 'node':
      return `/api/v1/nodes/${id()}`;
    case 'readings':
      return `/api/v1/nodes/${id()}/readings?limit=50`;
    case 'summary':
      return '/api/v1/alerts/summary';
    case 'floor':
      return '/';
  }
}

export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export class Recorder {
  private readonly latencies = new Map<string, number[]>();
  private readonly statuses = new Map<string, Record<string, number>>();

  record(group: string, status: number, ms: number): void {
    let l = this.latencies.get(group);
    if (!l) this.latencies.set(group, (l = []));
    l.push(ms);
    let s = this.statuses.get(group);
    if (!s) this.statuses.set(group, (s = {}));
    s[String(status)] = (s[String(status)] ?? 0) + 1;
  }

  stats(seconds: number): { total: GroupStats; groups: Record<string, GroupStats> } {
    const of = (values: number[], statuses: Record<string, number>): GroupStats => {
      const sorted = [...values].sort((a, b) => a - b);
      let non2xx = 0;
      for (const [code, n] of Object.entries(statuses)) if (!code.startsWith('2')) non2xx += n;
      return { requests: sorted.length, reqPerSec: sorted.length / seconds, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN, non2xx, statuses };
    };
    const groups: Record<string, GroupStats> = {};
    const all: number[] = [];
    const allStatuses: Record<string, number> = {};
    for (const [name, values] of this.latencies) {
      const statuses = this.statuses.get(name) ?? {};
      groups[name] = of(values, statuses);
      all.push(...values);
      for (const [code, n] of Object.entries(statuses)) allStatuses[code] = (allStatuses[code] ?? 0) + n;
    }
    return { total: of(all, allStatuses), groups };
  }
}

export function pickerOf(groups: readonly RouteGroup[]): () => RouteGroup {
  const sum = groups.reduce((s, g) => s + g.weight, 0);
  return () => {
    let r = Math.random() * sum;
    for (const g of groups) {
      r -= g.weight;
      if (r < 0) return g;
    }
    return groups[groups.length - 1]!;
  };
}

