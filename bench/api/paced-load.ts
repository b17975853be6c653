import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { pathFor, pickerOf, Recorder, type LoadConfig, type LoadResult } from './load-mix';

/**
 * Open-loop load at evenly spaced times: request i is due at start + i / rate, whatever happened
 * to the ones before it, over at most `connections` keep-alive sockets (a request finding them all
 * busy waits in the agent). Latency runs from the due time, not from the send: time spent waiting
 * for a socket because the server is behind counts (no coordinated omission). This is how a fleet
 * of dashboards arrives; autocannon's per-second budget sends each second's requests as a burst.
 */
export async function runPaced(cfg: LoadConfig): Promise<LoadResult> {
  const pick = pickerOf(cfg.groups);
  const recorder = new Recorder();
  const target = new URL(cfg.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: cfg.connections });
  const total = Math.round(cfg.rate * cfg.seconds);
  const intervalMs = 1000 / cfg.rate;
  let errors = 0;
  let timeouts = 0;
  const inFlight = new Set<Promise<void>>();

  const send = (group: string, path: string, dueAt: number) => {
    const done = new Promise<void>((resolve) => {
      const req = http.get({ host: target.hostname, port: target.port, path, agent, headers: cfg.headers, timeout: 10_000 }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          recorder.record(group, res.statusCode ?? 0, performance.now() - dueAt);
          resolve();
        });
        res.on('error', () => {
          errors += 1;
          resolve();
        });
      });
      req.on('timeout', () => {
        timeouts += 1;
        req.destroy(new Error('timeout'));
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
    for (; sent < due; sent += 1) {
      const g = pick();
      send(g.name, pathFor(g.kind, cfg), start + sent * intervalMs);
    }
    await delay(1);
  }
  await Promise.all(inFlight);
  agent.destroy();
  // The rate achieved is responses over the schedule's length plus the time the last ones took.
  const seconds = (performance.now() - start) / 1000;
  const { total: all, groups } = recorder.stats(seconds);
  return { mode: 'paced', seconds, total: { ...all, errors, timeouts, targetRate: cfg.rate, connections: cfg.connections }, groups };
}
