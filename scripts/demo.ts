/**
 * `npm run demo`: the whole system on this machine against the local Postgres and Redis.
 * Creates the database if missing, migrates, starts the ThingSpeak simulator, the API and a
 * worker as real processes, seeds the old system's 41 nodes mapped to simulator channels, and
 * prints the URL and the admin API key. Logs go to .demo/logs/. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/shared/config';
import { createLogger } from '../src/shared/logger';
import { createDb } from '../src/shared/db/knex';
import { ensureDatabaseExists } from '../src/shared/db/ensure-database';
import { runMigrations } from '../src/shared/db/migrate';
import { demoNodes } from './demo-seed';

const ROOT = path.join(__dirname, '..');
const STATE = path.join(ROOT, '.demo');
const out = (line = '') => process.stdout.write(`${line}\n`);

function adminKey(): string {
  if (process.env.ADMIN_API_KEY) return process.env.ADMIN_API_KEY;
  const file = path.join(STATE, 'admin-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `evara-demo-${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}

function encryptionKey(): string {
  if (process.env.ENCRYPTION_KEY) return process.env.ENCRYPTION_KEY;
  const file = path.join(STATE, 'encryption-key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

function start(name: string, entry: string, env: Record<string, string>): { child: ChildProcess; ready: (re: RegExp) => Promise<string> } {
  const log = createWriteStream(path.join(STATE, 'logs', `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    lines.push(...chunk.toString('utf8').split('\n'));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.once('exit', (code, signal) => {
    if (!stopping) {
      out(`! ${name} exited (${code ?? signal}); see .demo/logs/${name}.log`);
      void stopAll(1);
    }
  });
  const ready = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 30_000;
      const check = () => {
        const hit = lines.find((l) => re.test(l));
        if (hit) return resolve(hit);
        if (Date.now() > deadline || child.exitCode !== null) return reject(new Error(`${name} did not start; see .demo/logs/${name}.log`));
        setTimeout(check, 100);
      };
      check();
    });
  children.push(child);
  return { child, ready };
}

const children: ChildProcess[] = [];
let stopping = false;
async function stopAll(code: number): Promise<void> {
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  process.exit(code);
}

async function main(): Promise<void> {
  mkdirSync(path.join(STATE, 'logs'), { recursive: true });
  const port = process.env.PORT ?? '3000';
  const simPort = process.env.SIMULATOR_PORT ?? '3100';
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/evara',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    PORT: port,
    THINGSPEAK_BASE_URL: `http://127.0.0.1:${simPort}`,
    ADMIN_API_KEY: adminKey(),
    ENCRYPTION_KEY: encryptionKey(),
    POLL_INTERVAL_MS: process.env.POLL_INTERVAL_MS ?? '15000',
    QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? 'evara-demo',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    SIMULATOR_PORT: simPort,
    SIMULATOR_CHANNELS: '0', // the demo creates its channels below, one per seeded node
    SIMULATOR_CADENCE_MS: process.env.SIMULATOR_CADENCE_MS ?? '15000',
  };

  const config = loadConfig(env, 'tool');
  const log = createLogger({ service: 'demo', version: 'dev', level: 'warn' });
  out(`Database: ${config.db.host}:${config.db.port}/${config.db.database}  Redis: ${new URL(config.redis.url).host}`);
  await ensureDatabaseExists(config, log);
  const db = createDb(config, log, { poolMax: 1, statementTimeoutMs: 0 });
  const applied = await runMigrations(db, 'latest').finally(() => db.destroy());
  out(`Migrations: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date'}`);

  const sim = start('simulator', 'src/simulator/main.ts', env);
  await sim.ready(/listening/);
  const simUrl = env.THINGSPEAK_BASE_URL!;
  const api = start('api', 'src/api/main.ts', env);
  const worker = start('worker', 'src/workers/main.ts', env);
  await Promise.all([api.ready(/api started/), worker.ready(/worker started/)]);
  out(`Started: simulator ${simUrl}, API http://127.0.0.1:${port}, worker (pid ${worker.child.pid})`);

  const apiUrl = `http://127.0.0.1:${port}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${env.ADMIN_API_KEY}` };
  const adminReady = async () => (await fetch(`${apiUrl}/api/v1/communities`, { headers })).ok;
  for (let i = 0; !(await adminReady()); i++) {
    if (i > 100) throw new Error('the admin key was not accepted; see .demo/logs/api.log');
    await new Promise((r) => setTimeout(r, 100));
  }

  let created = 0;
  const nodeIds: string[] = [];
  const createdAt = new Date(Date.now() - 3 * 3600_000).toISOString();
  for (const n of demoNodes()) {
    await fetch(`${simUrl}/_sim/channels`, { method: 'POST', headers, body: JSON.stringify({ id: n.channel.id, kind: n.channel.kind, readKey: n.channel.readKey, createdAt, name: String(n.body.label) }) });
    const backfill = await fetch(`${simUrl}/_sim/channels/${n.channel.id}/entries`, { method: 'POST', headers, body: JSON.stringify({ generate: 20, stepMs: 60_000, start: new Date(Date.now() - 20 * 60_000).toISOString() }) });
    if (!backfill.ok) throw new Error(`simulator refused the backfill: ${await backfill.text()}`);
    const res = await fetch(`${apiUrl}/api/v1/nodes`, { method: 'POST', headers, body: JSON.stringify(n.body) });
    if (res.status === 201) created++;
    else if (res.status !== 409) throw new Error(`seeding ${String(n.body.nodeKey)} failed: ${res.status} ${await res.text()}`);
  }
  const list = (await (await fetch(`${apiUrl}/api/v1/nodes?limit=200`, { headers })).json()) as { data: Array<{ id: string }> };
  for (const n of list.data) nodeIds.push(n.id);
  // Poll at once instead of waiting for the first tick.
  await Promise.all(nodeIds.map((id) => fetch(`${apiUrl}/api/v1/nodes/${id}/poll`, { method: 'POST', headers })));
  await seedAlertRules(apiUrl, headers);
  out(`Seeded: ${created} new nodes (${nodeIds.length} in total), each on its own simulator channel; polling every ${env.POLL_INTERVAL_MS} ms`);

  out('');
  out(`  API:            ${apiUrl}/api/v1   (health: ${apiUrl}/health)`);
  out(`  Admin API key:  ${env.ADMIN_API_KEY}`);
  out('');
  out(`  curl -s -H "Authorization: Bearer ${env.ADMIN_API_KEY}" "${apiUrl}/api/v1/nodes?limit=5"`);
  out('');
  out('Logs: .demo/logs/{api,worker,simulator}.log   Stop: Ctrl-C');

  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));
}

/** Category rules on the seeded campus, as the old dashboard's thresholds (low < 20 %, overflow > 90 %). */
async function seedAlertRules(apiUrl: string, headers: Record<string, string>): Promise<void> {
  const communities = (await (await fetch(`${apiUrl}/api/v1/communities`, { headers })).json()) as { data: Array<{ id: string; slug: string }> };
  const communityId = communities.data.find((c) => c.slug === 'default')?.id;
  const existing = (await (await fetch(`${apiUrl}/api/v1/alert-rules?category=OHT`, { headers })).json()) as { data: unknown[] };
  if (!communityId || existing.data.length > 0) return;
  const rules = [
    { name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, clearThreshold: 25, forSeconds: 300, severity: 'warning', cooldownSeconds: 1800 },
    { name: 'Tank overflow', metric: 'level_pct', operator: '>', threshold: 90, clearThreshold: 85, forSeconds: 120, severity: 'critical', cooldownSeconds: 1800 },
  ];
  for (const rule of rules) {
    const res = await fetch(`${apiUrl}/api/v1/alert-rules`, { method: 'POST', headers, body: JSON.stringify({ ...rule, category: 'OHT', communityId }) });
    if (!res.ok) throw new Error(`seeding the alert rule "${rule.name}" failed: ${res.status} ${await res.text()}`);
  }
}

main().catch((err: unknown) => {
  out(`demo failed: ${(err as Error).message}`);
  void stopAll(1);
});
