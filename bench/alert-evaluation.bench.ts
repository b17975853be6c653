/**
 * Alert evaluation benchmark: `npx tsx bench/alert-evaluation.bench.ts` (not part of npm test).
 * In its own throwaway database `evara_bench_alerts`, stores BENCH_READINGS (20k) readings of one
 * tank channel, then evaluates the whole batch as one alerts job would, with 1 rule and with 10
 * rules, and prints samples/s and the ratio (the cost per rule). Machines here are shared and
 * noisy: compare the ratio, not the absolute figures.
 */
import { openBenchDatabase } from './bench-database';
import type { Db } from '../src/shared/db/knex';
import type { SecretKeys } from '../src/shared/crypto/secret-keyring';
import { createCommunitiesRepository } from '../src/shared/communities/communities.repository';
import { createNodesRepository } from '../src/shared/nodes/nodes.repository';
import { createAlertRulesRepository } from '../src/shared/alerts/alert-rules.repository';
import { createAlertsRepository } from '../src/shared/alerts/alerts.repository';
import { createAlertConditionStateRepository } from '../src/shared/alerts/alert-condition-state.repository';
import { createAlertSamplesRepository } from '../src/shared/alerts/alert-samples.repository';
import { createNotificationOutboxRepository } from '../src/shared/notifications/notification-outbox.repository';
import { createNodeStatusRepository } from '../src/shared/nodes/node-status.repository';
import { createMaintenanceWindowsRepository } from '../src/shared/alerts/maintenance-windows.repository';
import { evaluateNewReadings } from '../src/shared/alerts/alert-engine';
import { buildNodeInput } from '../test/helpers/factories';

const DB_NAME = 'evara_bench_alerts';
const out = (line = '') => process.stdout.write(`${line}\n`);

/** A node with `rules` rules and `count` readings (level swinging 5..95 % every 50 minutes). */
async function seedNode(db: Db, encryptionKey: SecretKeys, rules: number, count: number) {
  const community = await createCommunitiesRepository(db).findBySlug('default');
  const node = await createNodesRepository(db, encryptionKey).create(buildNodeInput(), community!.id);
  if (node === 'node_key_taken') throw new Error('node key taken in a fresh database');
  const channel = node.channels[0]!;
  const repo = createAlertRulesRepository(db);
  for (let i = 0; i < rules; i++) {
    await repo.create(
      { nodeId: node.id, name: `Tank below ${10 + i * 5}`, metric: 'level_pct', operator: '<', threshold: 10 + i * 5, clearThreshold: 12 + i * 5, forSeconds: 120, severity: 'warning', cooldownSeconds: 600, enabled: true },
      node.communityId,
    );
  }
  // field2 (distance, cm) as its number only: what the codec stores for a plain numeric text.
  await db.raw(
    `INSERT INTO readings (recorded_at, channel_epoch_id, entry_id, f2)
     SELECT now() - (? - g) * interval '1 minute', (SELECT id FROM channel_epochs WHERE node_channel_id = ? AND epoch = 0), g,
            163 - 163 * (50 + 45 * sin(g / 8.0)) / 100
     FROM generate_series(1, ?) g`,
    [count, channel.id, count],
  );
  return { nodeId: node.id, nodeChannelId: channel.id };
}

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_READINGS ?? 20_000);
  const { config, db, drop } = await openBenchDatabase(DB_NAME);
  try {
    const deps = {
      db,
      rules: createAlertRulesRepository(db),
      alerts: createAlertsRepository(db),
      maintenance: createMaintenanceWindowsRepository(db),
      conditionState: createAlertConditionStateRepository(db),
      samples: createAlertSamplesRepository(db),
      outbox: createNotificationOutboxRepository(db),
      nodeStatus: createNodeStatusRepository(db),
      catchUpAgeMs: 3600_000,
      dataQualityMs: 1_800_000,
    };
    out(`alert evaluation of ${count} readings in one job (node with one tank channel)`);
    const figures: Record<number, number> = {};
    for (const rules of [1, 10]) {
      const target = await seedNode(db, config.encryptionKey, rules, count);
      const started = performance.now();
      const result = await evaluateNewReadings(deps, { ...target, epoch: 0, fromEntryId: 1, toEntryId: count });
      const ms = performance.now() - started;
      if (result.samples !== count) throw new Error(`evaluated ${result.samples} samples, expected ${count}`);
      figures[rules] = count / (ms / 1000);
      out(`  ${String(rules).padStart(2)} rule(s): ${ms.toFixed(0)} ms, ${figures[rules]!.toFixed(0)} samples/s, ${result.opened} opened, ${result.resolved} resolved`);
    }
    out(`  cost ratio 10 rules / 1 rule: ${(figures[1]! / figures[10]!).toFixed(2)}x`);
  } finally {
    await drop();
  }
}

main().catch((err: unknown) => {
  out(`benchmark failed: ${(err as Error).message}`);
  process.exit(1);
});
