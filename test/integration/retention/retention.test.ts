import { applyRetention, type RetentionPolicy } from '../../../src/shared/retention/retention.repository';
import { startWorkers, type RunningWorkers } from '../../../src/workers/start-workers';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { waitFor } from '../../helpers/wait-for';
import { DAY_MS, createScope, insertAlert, insertAudit, insertNotification, insertReadings, remaining } from './retention-seed';

// Retention deletes across the whole table, so each test works in its own era of time and first
// clears whatever earlier tests (any file, run in band) left in that era: counts are then exact.
// Both parts live in one file because two global deletes running in parallel would take each
// other's rows.

const NOW = new Date('2000-06-01T00:00:00Z');
const ago = (days: number, ms = 0) => new Date(NOW.getTime() - days * DAY_MS - ms);
const DEFAULTS: RetentionPolicy = { readingsDays: 30, alertsDays: 90, auditDays: 365, rollupsDays: 730, hourlyRollupsDays: 730, batchSize: 1_000 };

async function clearEra(core: TestCore, policy: RetentionPolicy, now: Date): Promise<void> {
  await applyRetention(core.db, { ...policy, batchSize: 10_000 }, now);
}

describe('retention repository: batched deletes past each cutoff', () => {
  let core: TestCore;

  beforeAll(() => {
    core = createTestCore();
  });

  afterAll(async () => {
    await core.close();
  });

  test('given readings on both sides of the cutoff, when retention runs, then only those older than readingsDays are deleted', async () => {
    await clearEra(core, DEFAULTS, NOW);
    const s = await createScope(core);
    const kept = [ago(30), ago(29), NOW];
    await insertReadings(core, s, [ago(30, 1), ago(31), ago(400), ...kept]);

    const report = await applyRetention(core.db, DEFAULTS, NOW);

    expect(report.readings.deleted).toBe(3);
    expect((await remaining(core, s)).readings).toEqual(kept.map((d) => d.getTime()));
  });

  test('given 50 old readings and batchSize 7, when retention runs, then all 50 go in 8 separate DELETE statements', async () => {
    await clearEra(core, DEFAULTS, NOW);
    const s = await createScope(core);
    await insertReadings(core, s, Array.from({ length: 50 }, (_, i) => ago(31, i * 60_000)));
    await insertReadings(core, s, [ago(1), ago(2), ago(3)]);
    const deletes: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^delete from readings/i.test(q.sql)) deletes.push(q.sql);
    };
    core.db.on('query', onQuery);

    const report = await applyRetention(core.db, { ...DEFAULTS, batchSize: 7 }, NOW).finally(() => core.db.off('query', onQuery));

    // 7 full batches of 7, then one of 1 that tells the loop the table is done.
    expect(report.readings).toMatchObject({ deleted: 50, batches: 8 });
    expect(deletes).toHaveLength(8);
    expect((await remaining(core, s)).readings).toEqual([ago(3), ago(2), ago(1)].map((d) => d.getTime()));
  });

  test('given alerts of every status, when retention runs, then only resolved ones older than alertsDays are deleted', async () => {
    await clearEra(core, DEFAULTS, NOW);
    const s = await createScope(core);
    const openAncient = await insertAlert(core, s, 'open', ago(5_000));
    const acknowledgedAncient = await insertAlert(core, s, 'acknowledged', ago(5_000));
    await insertAlert(core, s, 'resolved', ago(90, 1));
    const resolvedRecently = await insertAlert(core, s, 'resolved', ago(89));

    const report = await applyRetention(core.db, DEFAULTS, NOW);

    expect(report.alerts.deleted).toBe(1);
    expect((await remaining(core, s)).alertIds).toEqual([openAncient, acknowledgedAncient, resolvedRecently].sort());
  });

  test('given finished and pending notifications, when retention runs, then finished ones older than alertsDays go and pending ones stay', async () => {
    await clearEra(core, DEFAULTS, NOW);
    const s = await createScope(core);
    const oldAlert = await insertAlert(core, s, 'resolved', ago(200));
    await insertNotification(core, s, 'delivered', ago(91), oldAlert);
    await insertNotification(core, s, 'failed', ago(91));
    const pendingOld = await insertNotification(core, s, 'pending', ago(500), oldAlert);
    const deliveredRecently = await insertNotification(core, s, 'delivered', ago(89));

    const report = await applyRetention(core.db, DEFAULTS, NOW);

    expect(report.notifications.deleted).toBe(2);
    expect(report.alerts.deleted).toBe(1);
    const left = (await remaining(core, s)).notifications;
    // The pending delivery outlives its deleted alert: the foreign key lets go of it (SET NULL).
    expect(left.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: pendingOld, alert_id: null },
        { id: deliveredRecently, alert_id: null },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  test('given audit entries on both sides of auditDays, when retention runs, then only the older ones are deleted', async () => {
    await clearEra(core, DEFAULTS, NOW);
    const s = await createScope(core);
    await insertAudit(core, s, [ago(365, 1), ago(1_000), ago(364), ago(31)]);

    const report = await applyRetention(core.db, DEFAULTS, NOW);

    expect(report.audit_log.deleted).toBe(2);
    expect((await remaining(core, s)).audit).toEqual([ago(364), ago(31)].map((d) => d.getTime()));
  });

  test('given other retention days, when retention runs, then each table uses its own configured days', async () => {
    const policy: RetentionPolicy = { readingsDays: 2, alertsDays: 5, auditDays: 9, rollupsDays: 730, hourlyRollupsDays: 730, batchSize: 100 };
    await clearEra(core, policy, NOW);
    const s = await createScope(core);
    for (const days of [3, 6, 10]) {
      await insertReadings(core, s, [ago(days)]);
      await insertAlert(core, s, 'resolved', ago(days));
      await insertAudit(core, s, [ago(days)]);
    }
    await insertReadings(core, s, [ago(1)]);

    const report = await applyRetention(core.db, policy, NOW);

    expect({ readings: report.readings.deleted, alerts: report.alerts.deleted, audit: report.audit_log.deleted }).toEqual({ readings: 3, alerts: 2, audit: 1 });
    const left = await remaining(core, s);
    expect(left.readings).toEqual([ago(1).getTime()]);
    expect(left.alertIds).toHaveLength(1);
    expect(left.audit).toEqual([ago(6), ago(3)].map((d) => d.getTime()));
  });
});

describe('apply-retention job on the maintenance queue', () => {
  // Days chosen so the job's cutoff (from the real clock) falls on 1990-01-01: the era before it
  // holds only this test's rows, whatever other tests store.
  const CUTOFF = Date.UTC(1990, 0, 1);
  const days = Math.round((Date.now() - CUTOFF) / DAY_MS);
  const beforeCutoff = (d: number) => new Date(CUTOFF - d * DAY_MS);
  const afterCutoff = (d: number) => new Date(CUTOFF + d * DAY_MS);
  let core: TestCore;
  let workers: RunningWorkers;

  beforeAll(async () => {
    core = createTestCore({
      WORKER_QUEUES: 'maintenance',
      RETENTION_READINGS_DAYS: String(days),
      RETENTION_ALERTS_DAYS: String(days),
      RETENTION_AUDIT_DAYS: String(days),
      RETENTION_BATCH_SIZE: '7',
    });
    workers = await startWorkers(core);
  });

  afterAll(async () => {
    await workers.close();
    await core.close();
  });

  async function seedBothSides() {
    await clearEra(core, core.config.retention, new Date());
    const s = await createScope(core);
    await insertReadings(core, s, Array.from({ length: 20 }, (_, i) => beforeCutoff(10 + i)));
    await insertReadings(core, s, [afterCutoff(10), afterCutoff(20)]);
    await insertAlert(core, s, 'resolved', beforeCutoff(10));
    const ancientOpen = await insertAlert(core, s, 'open', beforeCutoff(3_000));
    await insertAudit(core, s, [beforeCutoff(10), afterCutoff(10)]);
    return { s, ancientOpen };
  }

  async function runJob() {
    const job = await core.queues.maintenance.add('apply-retention', {});
    await waitFor(async () => (await core.queues.maintenance.getJobState(job.id!)) === 'completed', { what: 'apply-retention job completed' });
    return (await core.queues.maintenance.getJob(job.id!))!.returnvalue as Record<string, unknown>;
  }

  test('when the job runs, then it deletes in batches, returns the counts per table and logs one summary line', async () => {
    const { s, ancientOpen } = await seedBothSides();

    const result = await runJob();

    expect(result).toMatchObject({
      readings: { deleted: 20, batches: 3 },
      alerts: { deleted: 1 },
      audit_log: { deleted: 1 },
      notifications: { deleted: 0 },
    });
    expect(typeof result.durationMs).toBe('number');
    const left = await remaining(core, s);
    expect(left.readings).toEqual([afterCutoff(10), afterCutoff(20)].map((d) => d.getTime()));
    expect(left.alertIds).toEqual([ancientOpen]);
    expect(left.audit).toEqual([afterCutoff(10).getTime()]);
    const summaries = core.logs.records().filter((r) => r.msg === 'retention applied');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ deleted: { readings: 20, alerts: 1, audit_log: 1, notifications: 0 }, batches: { readings: 3 } });
  });

  test('given another run holds the retention lock, when the job runs, then it skips without deleting anything', async () => {
    const { s } = await seedBothSides();
    const lockKey = `${core.prefix}:lock:retention`;
    await core.redis.set(lockKey, 'held-by-another-worker', 'PX', 60_000);

    const result = await runJob().finally(() => core.redis.del(lockKey));

    expect(result).toEqual({ skipped: 'retention already running' });
    expect((await remaining(core, s)).readings).toHaveLength(22);
  });
});
