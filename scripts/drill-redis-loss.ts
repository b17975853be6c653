/**
 * `npm run drill:redis-loss`: Redis lost with its data (a crash without persistence, a failover to
 * an empty replica). A private redis-server (own port), the simulator, two worker processes and
 * the API; Redis is killed (SIGKILL), left down for a while and started again empty. Then a
 * report: when polling resumed, when every channel had been polled again, whether the job
 * schedulers came back once each, what the API answered meanwhile, entries produced vs stored and
 * duplicates. Exits non-zero when the target is missed: every channel polled again within two
 * poll intervals, nothing lost, nothing stored twice, no process restarted, /health ok again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../src/shared/config';
import { schedulersFor } from '../src/workers/job-schedulers';
import { createLogger } from '../src/shared/logger';
import { createCore } from '../src/shared/core';
import { runMigrations } from '../src/shared/db/migrate';
import { createThingSpeakSimulator } from '../src/simulator/thingspeak-simulator';
import { QUEUE_NAMES } from '../src/shared/queues/queue-names';
import { createPrivateRedis } from './private-redis';

const ROOT = path.join(__dirname, '..');
const out = (line = '') => process.stdout.write(`${line}\n`);
const REDIS_PORT = Number(process.env.DRILL_REDIS_PORT ?? 6391);
const API_PORT = Number(process.env.DRILL_API_PORT ?? 47100);
const OUTAGE_MS = Number(process.env.DRILL_OUTAGE_MS ?? 10_000);
const INTERVAL_MS = Number(process.env.DRILL_POLL_INTERVAL_MS ?? 5_000);
const CHANNELS = Number(process.env.DRILL_CHANNELS ?? 20);
const SERVER_URL = process.env.DRILL_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = `evara_drill_redis_loss_${process.pid}`;

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${secs(timeoutMs)} waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Child {
  name: string;
  proc: ChildProcess;
  lines: string[];
}

function startChild(name: string, entry: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  return { name, proc, lines };
}

/** Log records of a child carrying `msg`, parsed (pino JSON, ISO times), with `at` in ms. */
function records(child: Child, msg: string): Array<Record<string, unknown> & { at: number }> {
  return child.lines.filter((l) => l.includes(msg)).flatMap((l) => {
    try {
      const record = JSON.parse(l) as Record<string, unknown> & { time: string };
      return [{ ...record, at: Date.parse(record.time) }];
    } catch {
      return [];
    }
  });
}

async function main(): Promise<void> {
  const redis = createPrivateRedis(REDIS_PORT);
  const sim = createThingSpeakSimulator();
  const children: Child[] = [];
  const databaseUrl = new URL(SERVER_URL);
  databaseUrl.pathname = `/${DB_NAME}`;
  await admin(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${DB_NAME}"`);
  await redis.start();
  let core: ReturnType<typeof createCore> | undefined;
  let socket: WebSocket | undefined;
  try {
    const { url: simUrl } = await sim.listen(0);
    const adminKey = `drill-${randomBytes(24).toString('hex')}`;
    const env: Record<string, string> = {
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redis.url,
      THINGSPEAK_BASE_URL: simUrl,
      QUEUE_PREFIX: 'drill',
      ADMIN_API_KEY: adminKey,
      POLL_INTERVAL_MS: String(INTERVAL_MS),
      CIRCUIT_CHECK_MS: '250',
      WORKER_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      PORT: String(API_PORT),
    };
    const config = loadConfig(env, 'tool');
    // The workers run every queue: every repeatable job of the system must come back, once.
    const schedulersExpected = schedulersFor(loadConfig(env, 'worker')).wanted.length;
    core = createCore(config, createLogger({ service: 'drill', version: 'dev', level: 'silent' }), { redisKind: 'worker' });
    await runMigrations(core.db, 'latest');
    const community = await core.repos.communities.findBySlug('default');
    const channels: Array<{ id: string; channelId: number; nodeId: string }> = [];
    for (let i = 0; i < CHANNELS; i++) {
      const channelId = 910_001 + i;
      sim.createChannel({ id: channelId, createdAt: new Date(Date.now() - 3600_000) });
      const node = await core.repos.nodes.create(
        { nodeKey: `drill-${i}`, label: `Drill ${i}`, category: 'OHT', analyticsType: 'EvaraTank', config: {}, expectedIntervalS: 60, channels: [{ channelId, fieldMapping: { field2: 'distance_cm' }, active: true }] },
        community!.id,
      );
      if (node !== 'node_key_taken') channels.push({ id: node.channels[0]!.id, channelId, nodeId: node.id });
    }
    sim.startGenerator({ cadenceMs: 500 });
    children.push(startChild('worker-1', 'src/workers/main.ts', env), startChild('worker-2', 'src/workers/main.ts', env), startChild('api', 'src/api/main.ts', env));
    out(`drill: private Redis on :${REDIS_PORT}, ${CHANNELS} simulated channels writing every 500 ms, poll interval ${secs(INTERVAL_MS)}, 2 workers + API on :${API_PORT}`);

    const apiBase = `http://127.0.0.1:${API_PORT}`;
    const call = async (method: string, url: string) => (await fetch(`${apiBase}${url}`, { method, headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(10_000) })).status;
    let healthReasons: string[] = [];
    const health = async () => {
      const body = (await (await fetch(`${apiBase}/health`, { signal: AbortSignal.timeout(5_000) })).json()) as { status: string; reasons?: string[] };
      healthReasons = body.reasons ?? [];
      return body.status;
    };
    const polledSince = async (since: number) => {
      const rows = (await core!.db('channel_sync_state').select('node_channel_id').where('last_poll_at', '>', new Date(since))) as Array<{ node_channel_id: string }>;
      return new Set(rows.map((r) => r.node_channel_id));
    };
    const storedCount = async () => Number(((await core!.db('readings').count('* as c')) as Array<{ c: string }>)[0]!.c);

    const startedAt = Date.now();
    await until('every channel polled once', async () => (await polledSince(0)).size === channels.length, 60_000);
    await until('/health ok', async () => (await health()) === 'ok', 30_000);
    out(`drill: every channel polled within ${secs(Date.now() - startedAt)} of the start; /health ok`);

    // A live client across the outage: it must hear telemetry again afterwards without reconnecting.
    const telemetryAt: number[] = [];
    socket = new WebSocket(`ws://127.0.0.1:${API_PORT}/api/v1/ws`, { headers: { authorization: `Bearer ${adminKey}` } });
    socket.on('message', (raw) => {
      if ((JSON.parse(raw.toString()) as { event: string }).event === 'TELEMETRY_UPDATE') telemetryAt.push(Date.now());
    });
    await until('a live telemetry event', async () => telemetryAt.length > 0, 30_000);

    await redis.kill();
    const killedAt = Date.now();
    out(`drill: Redis killed (SIGKILL) at ${new Date(killedAt).toISOString()}, down for ${secs(OUTAGE_MS)}`);
    await new Promise((r) => setTimeout(r, 2_000));
    const duringRead = await call('GET', '/api/v1/nodes?limit=5').catch((err: Error) => err.name);
    const duringPoll = await call('POST', `/api/v1/nodes/${channels[0]!.nodeId}/poll`).catch((err: Error) => err.name);
    const duringHealth = await health().catch((err: Error) => err.name);
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - killedAt))));
    await redis.start();
    const restartedAt = Date.now();
    out(`drill: Redis started again, empty, at ${new Date(restartedAt).toISOString()}`);

    const firstPolled = new Map<string, number>();
    let schedulersBackAt: number | undefined;
    let schedulersSeen = 0;
    let healthOkAt: number | undefined;
    // Watched for up to 90 s (what the issue measured: nothing at all came back without the keeper).
    const allBack = await until(
      'every channel polled again',
      async () => {
        const now = Date.now();
        for (const id of await polledSince(restartedAt)) if (!firstPolled.has(id)) firstPolled.set(id, now);
        if (healthOkAt === undefined && (await health().catch(() => 'unreachable')) === 'ok') healthOkAt = now;
        if (schedulersBackAt === undefined) {
          schedulersSeen = (await Promise.all(QUEUE_NAMES.map((q) => core!.queues[q].getJobSchedulersCount()))).reduce((a, b) => a + b, 0);
          if (schedulersSeen >= schedulersExpected) schedulersBackAt = now;
        }
        return firstPolled.size === channels.length;
      },
      90_000,
    ).catch(() => false);
    const firstPollMs = firstPolled.size > 0 ? Math.min(...firstPolled.values()) - restartedAt : undefined;
    const allPolledMs = allBack ? Math.max(...firstPolled.values()) - restartedAt : undefined;
    healthOkAt ??= await until('/health ok again', async () => ((await health()) === 'ok' ? Date.now() : undefined), allBack ? 60_000 : 1_000).catch(() => undefined);
    const afterPoll = await call('POST', `/api/v1/nodes/${channels[0]!.nodeId}/poll`);
    const afterRead = await call('GET', '/api/v1/nodes?limit=5');
    const telemetryAgainAt = await until('live telemetry again', async () => telemetryAt.find((t) => t > restartedAt), allBack ? 30_000 : 1_000).catch(() => undefined);

    // Two more intervals of normal running, to count ticks, then everything written must be stored.
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
    sim.stopGenerator();
    const stoppedAt = Date.now();
    const produced = channels.reduce((n, c) => n + sim.entries(c.channelId).length, 0);
    await until('everything produced stored', async () => (await storedCount()) >= produced, allBack ? 4 * INTERVAL_MS + 30_000 : 1_000).catch(() => undefined);
    const stored = await storedCount();
    const distinct = Number(((await core.db.raw('select count(*) as c from (select distinct channel_epoch_id, entry_id from readings) d')).rows[0] as { c: string }).c);
    const schedulersNow = (await Promise.all(QUEUE_NAMES.map((q) => core!.queues[q].getJobSchedulersCount()))).reduce((a, b) => a + b, 0);
    const workers = children.filter((c) => c.name.startsWith('worker'));
    const restored = workers.flatMap((w) => records(w, 'job schedulers restored').map((r) => `${w.name}: ${(r.schedulers as string[]).join(', ')}`));
    const ticks = workers
      .flatMap((w) => records(w, 'poll tick fanned out'))
      .map((r) => r.at)
      .filter((t) => t >= restartedAt && t <= stoppedAt)
      .sort((a, b) => a - b);
    const tickGaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    const closeTicks = tickGaps.filter((g) => g < INTERVAL_MS / 2).length;
    const exited = children.filter((c) => c.proc.exitCode !== null || c.proc.signalCode !== null).map((c) => c.name);

    const budgetMs = 2 * INTERVAL_MS;
    const checks = {
      polledInTime: allPolledMs !== undefined && allPolledMs <= budgetMs,
      nothingLost: stored === produced,
      noDuplicates: stored === distinct,
      noRestart: exited.length === 0,
      healthOk: healthOkAt !== undefined,
      schedulersOnce: schedulersNow === schedulersExpected && closeTicks === 0,
    };

    out('');
    out('Redis loss drill report');
    out(`  outage:                 ${secs(restartedAt - killedAt)} (SIGKILL, restarted empty)`);
    out(`  API during the outage:  GET /nodes ${duringRead}, POST /nodes/:id/poll ${duringPoll}, /health ${duringHealth}`);
    out(`  job schedulers:         ${schedulersBackAt ? `${schedulersExpected} of ${schedulersExpected} back ${secs(schedulersBackAt - restartedAt)} after the restart` : `only ${schedulersSeen} back`}; now ${schedulersNow}; restored by ${restored.join(' | ') || 'nobody'}`);
    out(`  first poll:             ${firstPollMs === undefined ? 'NONE within 90 s' : `${secs(firstPollMs)} after the restart`}`);
    out(`  every channel polled:   ${allPolledMs === undefined ? `NO: ${firstPolled.size} of ${channels.length} within 90 s` : `${secs(allPolledMs)} after the restart`} (target: within 2 intervals = ${secs(budgetMs)})`);
    out(`  poll ticks since:       ${ticks.length} in ${secs(stoppedAt - restartedAt)}, shortest gap ${tickGaps.length ? secs(Math.min(...tickGaps)) : '-'} (${closeTicks} closer than half an interval)`);
    out(`  /health ok again:       ${healthOkAt ? `${secs(healthOkAt - restartedAt)} after the restart` : `NO (${healthReasons.join('; ') || 'no reason given'})`}`);
    out(`  API after:              GET /nodes ${afterRead}, POST /nodes/:id/poll ${afterPoll}, live socket telemetry ${telemetryAgainAt ? `${secs(telemetryAgainAt - restartedAt)} after the restart (same socket)` : 'NONE'}`);
    out(`  entries produced:       ${produced}`);
    out(`  entries stored:         ${stored}  ${stored === produced ? '(equal: 0 lost)' : `(${produced - stored} MISSING)`}`);
    out(`  duplicates:             ${stored - distinct}`);
    out(`  processes restarted:    ${exited.length === 0 ? 'none (2 workers + API ran throughout)' : `EXITED: ${exited.join(', ')}`}`);
    const failed = Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name);
    out(`  result:                 ${failed.length === 0 ? 'PASS' : `FAIL (${failed.join(', ')})`}`);
    process.exitCode = failed.length === 0 ? 0 : 1;
  } finally {
    socket?.terminate();
    for (const c of children) c.proc.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.proc.exitCode === null && c.proc.signalCode === null ? new Promise((r) => c.proc.once('exit', r)) : undefined)));
    await core?.close();
    await sim.close();
    await redis.kill();
    await admin(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  out(`drill failed: ${(err as Error).message}`);
  process.exit(1);
});
