import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerSnapshot, BreakerTransition, DbBreaker } from '../breaker/db-breaker';
import { scrapeLoader } from './scrape-loader';
import { trackSource } from './source-up';

// The breaker keeps its last 100 transitions in Redis; more than that between two scrapes of one
// process would be undercounted, which a breaker that flaps that fast makes moot.
const TRANSITIONS_READ = 100;

/**
 * The shared database circuit breaker, read from Redis at scrape time:
 * `evara_db_breaker_open` (1 open, 0 closed), `evara_db_breaker_consecutive_failures`, and
 * `evara_db_breaker_transitions_total{to}`. The breaker is global (one state for every worker),
 * so the counter counts the transitions this process has seen in the breaker's transition log
 * since it started, wherever they happened: every process reports the same increments; use
 * max() across processes, and rate()/increase() as with any counter (it restarts at 0).
 */
export function registerBreakerMetrics(registry: Registry, breaker: Pick<DbBreaker, 'snapshot' | 'transitions'>): void {
  const load = scrapeLoader(async (): Promise<{ snapshot: BreakerSnapshot; transitions: BreakerTransition[] }> => {
    const [snapshot, transitions] = await Promise.all([breaker.snapshot(), breaker.transitions(TRANSITIONS_READ)]);
    return { snapshot, transitions };
  });
  trackSource(registry, 'breaker', load);

  // Transitions at or before this instant are counted already (or predate this process).
  let countedUntil = Date.now();
  const transitionsTotal = new Counter({
    name: 'evara_db_breaker_transitions_total',
    help: 'Database circuit breaker transitions seen since this process started, by the state entered (global breaker: max() across processes)',
    labelNames: ['to'],
    registers: [registry],
    async collect() {
      const read = await load().catch(() => undefined);
      const fresh = read?.transitions.filter((t) => t.at > countedUntil) ?? [];
      for (const t of fresh) this.inc({ to: t.to });
      countedUntil = Math.max(countedUntil, ...fresh.map((t) => t.at));
    },
  });
  for (const to of ['open', 'closed'] as const) transitionsTotal.inc({ to }, 0);

  new Gauge({
    name: 'evara_db_breaker_open',
    help: 'Database circuit breaker state: 1 open (polling paused, degraded), 0 closed',
    registers: [registry],
    async collect() {
      const read = await load().catch(() => undefined);
      // Unknown is no sample at all (remove() drops the unlabelled one), never a 0 that reads as closed.
      if (read) this.set(read.snapshot.state === 'open' ? 1 : 0);
      else this.remove();
    },
  });

  new Gauge({
    name: 'evara_db_breaker_consecutive_failures',
    help: 'Consecutive database-unavailable failures counted by the breaker (it opens at CIRCUIT_FAILURE_THRESHOLD)',
    registers: [registry],
    async collect() {
      const read = await load().catch(() => undefined);
      if (read) this.set(read.snapshot.failures);
      else this.remove();
    },
  });
}
