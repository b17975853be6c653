import type { HealthReport } from './health-report';

type DependencyState<K extends 'database' | 'redis'> = Pick<HealthReport['services'][K], 'status'>;

/** The report without what only operators should read: driver error texts and check latencies. */
export type PublicHealthReport = Omit<HealthReport, 'services'> & {
  services: Omit<HealthReport['services'], 'database' | 'redis'> & { database: DependencyState<'database'>; redis: DependencyState<'redis'> };
};

/**
 * What anonymous callers of /health see: every state (ok / degraded / down, up / down per
 * dependency, circuit, queue depths) but no error text, which can name hosts, users and
 * databases, and no latency, which maps the network for nobody's benefit.
 */
export function publicHealthView(report: HealthReport): PublicHealthReport {
  return {
    ...report,
    services: {
      ...report.services,
      database: { status: report.services.database.status },
      redis: { status: report.services.redis.status },
    },
  };
}
