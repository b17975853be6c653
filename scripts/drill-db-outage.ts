/**
 * `npm run drill:db-outage`: a fault drill anyone can run. A private Postgres (own port), the
 * simulator, two worker processes and the API; the database is stopped for a while and started
 * again; then a report: when the breaker opened and after how many failures, how long polling was
 * paused, and whether every entry the simulator produced was stored exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { createCore } from '../src/shared/core';
import { runMigrations } from '../src/shared/db/migrate';
import { createThingSpeakSimulator } from '../src/simulator/thingspeak-simulator';
import { createPrivatePostgres } from './private-postgres';

const ROOT = path.join(__dirname, '..');
const out = (line = '') => process.stdout.write(`${line}\n`);
const PG_PORT = Number(process.env.DRILL_PG_PORT ?? 55432);
const OUTAGE_MS = Number(process.env.DRILL_OUTAGE_MS ?? 15_000);
const CHANNELS = 10;

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const pg = createPrivatePostgres(PG_PORT);
  const children: ChildProcess[] = [];
  const sim = createThingSpeakSimulator();
  pg.init();
  pg.start();
  try {
    const { url: simUrl } = await sim.listen(0);
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      DATABASE_URL: pg.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      THINGSPEAK_BASE_URL: simUrl,
      QUEUE_PREFIX: `drill-${Date.now()}`,
      POLL_INTERVAL_MS: '2000',
      CIRCUIT_FAILURE_THRESHOLD: '5',
      CIRCUIT_PROBE_BASE_MS: '2000',
      CIRCUIT_PROBE_MAX_MS: '4000',
      CIRCUIT_CHECK_MS: '250',
      CIRCUIT_RAMP_MS: '2000',
      LOG_LEVEL: 'warn',
      PORT: '0',
    };
    const config = loadConfig(env, 'tool');
    const core = createCore(config, createLogger({ service: 'drill', version: 'dev', level: 'silent' }), { redisKind: 'worker' });
    await runMigrations(core.db, 'latest');
    const community = await core.repos.communities.findBySlug('default');
    const channels: Array<{ id: string; channelId: number }> = [];
    for (let i = 0; i < CHANNELS; i++) {
      const channelId = 900_001 + i;
      sim.createChannel({ id: channelId, createdAt: new Date(Date.now() - 3600_000) });
      const node = await core.repos.nodes.create(
        { nodeKey: `drill-${i}`, label: `Drill ${i}`, category: 'OHT', analyticsType: 'EvaraTank', config: {}, expectedIntervalS: 60, channels: [{ channelId, fieldMapping: { field2: 'distance_cm' }, active: true }] },
        community!.id,
      );
      if (node !== 'node_key_taken') channels.push({ id: node.channels[0]!.id, channelId });
    }
    sim.startGenerator({ cadenceMs: 500 });
    for (const name of ['worker-1', 'worker-2', 'api']) {
      const entry = name === 'api' ? 'src/api/main.ts' : 'src/workers/main.ts';
      children.push(spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' }));
    }
    out(`drill: private Postgres on :${PG_PORT}, ${CHANNELS} simulated channels writing every 500 ms, 2 workers + API`);

    const storedCount = async () => Number(((await core.db('readings').count('* as c')) as Array<{ c: string }>)[0]!.c);
    await until('first readings stored', async () => (await storedCount()) > 0, 30_000);

    const stoppedAt = Date.now();
    pg.stop();
    out(`drill: database stopped at ${new Date(stoppedAt).toISOString()} for ${OUTAGE_MS} ms`);
    await until('breaker open', async () => (await core.breaker.snapshot()).state === 'open', OUTAGE_MS + 30_000);
    const opened = await core.breaker.snapshot();
    const pausedSeen = await core.queues.poll.isPaused();
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
    pg.start();
    const restartedAt = Date.now();
    out(`drill: database started again at ${new Date(restartedAt).toISOString()}`);
    await until('breaker closed', async () => (await core.breaker.snapshot()).state === 'closed', 60_000);
    await until('queue resumed', async () => !(await core.queues.poll.isPaused()), 30_000);
    const resumedAt = Date.now();
    sim.stopGenerator();

    const produced = channels.reduce((n, c) => n + sim.entries(c.channelId).length, 0);
    await until('backlog stored', async () => (await storedCount()) >= produced, 120_000);
    const stored = await storedCount();
    const distinct = Number(((await core.db.raw('select count(*) as c from (select distinct channel_epoch_id, entry_id from readings) d')).rows[0] as { c: string }).c);
    const transitions = await core.breaker.transitions();

    out('');
    out('DB outage drill report');
    out(`  breaker opened:       ${new Date(opened.openedAt!).toISOString()} (${((opened.openedAt! - stoppedAt) / 1000).toFixed(1)} s after the stop), after ${opened.failures} consecutive failures`);
    out(`  poll queue paused:    ${pausedSeen ? 'yes' : 'no'}; resumed ${new Date(resumedAt).toISOString()} (${((resumedAt - opened.openedAt!) / 1000).toFixed(1)} s paused)`);
    out(`  transitions:          ${transitions.map((t) => `${t.from}->${t.to} (${t.reason})`).reverse().join(', ')}`);
    out(`  entries produced:     ${produced}`);
    out(`  entries stored:       ${stored}  ${stored === produced ? '(equal)' : '(DIFFERENT)'}`);
    out(`  duplicates:           ${stored - distinct}`);
    await core.close();
    process.exitCode = stored === produced && stored === distinct ? 0 : 1;
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    await sim.close();
    pg.destroy();
  }
}

main().catch((err: unknown) => {
  out(`drill failed: ${(err as Error).message}`);
  process.exit(1);
});
