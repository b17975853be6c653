import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Db } from '../../../src/shared/db/knex';
import { runMigrations } from '../../../src/shared/db/migrate';
import { decryptSecret, SecretUnreadableError } from '../../../src/shared/crypto/secret-box';
import { webhookSecretContext } from '../../../src/shared/crypto/secret-contexts';
import { keyIdOf } from '../../../src/shared/crypto/secret-keyring';
import { createWebhookSubscriptionsRepository } from '../../../src/shared/notifications/webhook-subscriptions.repository';
import { pollChannel, type PollDeps } from '../../../src/shared/polling/poll-channel';
import { createThingSpeakClient } from '../../../src/shared/thingspeak/thingspeak.client';
import { createThingSpeakSimulator } from '../../../src/simulator/thingspeak-simulator';
import { createNode, nextChannelId } from '../../helpers/factories';
import { apiClient, issueKey } from '../../helpers/http';
import { sealLegacyV1 } from '../../helpers/legacy-secret';
import { openOwnDatabase } from '../../helpers/own-database';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { itDatabaseUrl, testDatabaseName, withDatabase } from '../../setup/test-env';

const ROOT = path.join(__dirname, '..', '..', '..');
const SUFFIX = 'rotate_key';

/** `npm run rotate-encryption-key` as a real process; resolves with its exit code and output. */
function runRotation(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('scripts', 'rotate-encryption-key.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

/**
 * A key rotation on a database of its own (the script walks whole tables): rows sealed under the old
 * key, in both formats, keep working while both keys are configured; the script re-seals them; the
 * old key can then go.
 */
describe('encryption key rotation', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const env = { OLD: oldKey.toString('base64'), NEW: newKey.toString('base64') };
  const sim = createThingSpeakSimulator();
  let simUrl: string;
  let own: { db: Db; drop(): Promise<void> };
  let databaseUrl: string;
  const cores: TestCore[] = [];
  const secrets = { a: 'READKEYA0001', b: 'READKEYB0002', c: 'READKEYC0003' };
  let channels: { a: { id: string; channelId: number }; b: { id: string; channelId: number } };
  let webhook: { id: string; secret: string };

  const core = (vars: Record<string, string>, role: 'api' | 'worker' = 'worker') => {
    const c = createTestCore({ DATABASE_URL: databaseUrl, THINGSPEAK_BASE_URL: simUrl, ...vars }, role);
    cores.push(c);
    return c;
  };
  const deps = (c: TestCore): PollDeps => ({
    db: c.db,
    repo: c.repos.poll,
    nodeStatus: c.repos.nodeStatus,
    client: createThingSpeakClient({ baseUrl: simUrl, timeoutMs: 2_000 }),
    producers: c.producers,
    encryptionKey: c.config.encryptionKey,
    overlapMs: 300_000,
  });
  const readKeyColumn = async (id: string): Promise<string> => (await own.db('node_channels').where({ id }).first('read_key_encrypted')).read_key_encrypted;
  const scriptEnv = (vars: Record<string, string>) => ({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, ...vars });

  beforeAll(async () => {
    simUrl = (await sim.listen(0)).url;
    own = await openOwnDatabase(SUFFIX);
    await runMigrations(own.db);
    databaseUrl = withDatabase(itDatabaseUrl(), `${testDatabaseName()}_${SUFFIX}`);

    // Before the rotation: everything sealed under the old key; one read key still in the legacy v1 format.
    const before = core({ ENCRYPTION_KEY: env.OLD });
    const a = await createNode(before, { channels: [{ channelId: nextChannelId(), readKey: secrets.a, fieldMapping: { field2: 'distance_cm' }, active: true }] });
    const b = await createNode(before, { channels: [{ channelId: nextChannelId(), readKey: 'REPLACEDBELOW', fieldMapping: { field2: 'distance_cm' }, active: true }] });
    await own.db('node_channels').where({ id: b.channel.id }).update({ read_key_encrypted: sealLegacyV1(secrets.b, oldKey) });
    channels = { a: { id: a.channel.id, channelId: a.channel.channelId }, b: { id: b.channel.id, channelId: b.channel.channelId } };
    const created = await createWebhookSubscriptionsRepository(before.db, before.config.encryptionKey).create(
      { communityId: null, distributorId: null },
      { url: 'https://hooks.example.com/evara', events: ['alert.opened'], active: true },
    );
    webhook = { id: created.subscription.id, secret: created.secret };
    for (const [c, key] of [[channels.a, secrets.a], [channels.b, secrets.b]] as const) {
      sim.createChannel({ id: c.channelId, readKey: key });
      sim.appendGenerated(c.channelId, 5, { start: new Date(Date.now() - 600_000), stepMs: 60_000 });
    }
  });

  afterAll(async () => {
    await Promise.all(cores.map((c) => c.close()));
    await own.drop();
    await sim.close();
  });

  test('given rows sealed under the old key (v2 and legacy v1), when processes run with the new key and the old one as previous, then polls read every key and new secrets are sealed under the new key', async () => {
    const rotating = core({ ENCRYPTION_KEY: env.NEW, ENCRYPTION_KEYS_PREVIOUS: env.OLD });

    for (const c of [channels.a, channels.b]) {
      expect(await pollChannel(deps(rotating), c.id, rotating.log)).toMatchObject({ outcome: 'polled', inserted: 5 });
    }
    const row = await own.db('webhook_subscriptions').where({ id: webhook.id }).first('secret_encrypted');
    expect(decryptSecret(row.secret_encrypted, rotating.config.encryptionKey, webhookSecretContext(webhook.id))).toBe(webhook.secret);

    // The API, meanwhile, seals what it is given under the new key.
    const api = core({ ENCRYPTION_KEY: env.NEW, ENCRYPTION_KEYS_PREVIOUS: env.OLD }, 'api');
    const key = await issueKey(api, { role: 'superadmin' });
    const created = await apiClient(api, key)
      .post('/api/v1/nodes', {
        nodeKey: `rotation-${Date.now()}`,
        label: 'Rotation tank',
        category: 'OHT',
        analyticsType: 'EvaraTank',
        config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
        expectedIntervalS: 60,
        channels: [{ channelId: nextChannelId(), readKey: secrets.c, fieldMapping: { field2: 'distance_cm' } }],
      })
      .expect(201);
    const sealed = await readKeyColumn((created.body.data.channels as Array<{ id: string }>)[0]!.id);
    expect(sealed.startsWith(`v2:${keyIdOf(newKey)}:`)).toBe(true);
  });

  test('when the rotate script runs (after a dry run that writes nothing), then every value is re-sealed under the new key, it prints counts and key ids but no secret, and a rerun changes nothing', async () => {
    const before = await readKeyColumn(channels.b.id);
    const dry = await runRotation(scriptEnv({ ENCRYPTION_KEY: env.NEW, ENCRYPTION_KEYS_PREVIOUS: env.OLD }), ['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.output).toMatch(/node_channels\.read_key_encrypted: 3 scanned, 2 to re-encrypt, 1 already current, 0 unreadable/);
    expect(await readKeyColumn(channels.b.id)).toBe(before);

    const first = await runRotation(scriptEnv({ ENCRYPTION_KEY: env.NEW, ENCRYPTION_KEYS_PREVIOUS: env.OLD }), ['--batch-size=1']);

    expect(first).toMatchObject({ code: 0 });
    expect(first.output).toContain(`current key ${keyIdOf(newKey)}; previous keys: ${keyIdOf(oldKey)}`);
    expect(first.output).toMatch(/node_channels\.read_key_encrypted: 3 scanned, 2 re-encrypted, 1 already current, 0 changed meanwhile \(kept\), 0 unreadable/);
    expect(first.output).toMatch(/webhook_subscriptions\.secret_encrypted: 1 scanned, 1 re-encrypted, 0 already current/);
    for (const secret of [...Object.values(secrets), webhook.secret, env.OLD, env.NEW, oldKey.toString('hex'), newKey.toString('hex')]) {
      expect(first.output).not.toContain(secret);
    }
    const stored = [...(await own.db('node_channels').whereNotNull('read_key_encrypted').pluck('read_key_encrypted')), ...(await own.db('webhook_subscriptions').pluck('secret_encrypted'))];
    expect(stored).toHaveLength(4);
    expect(stored.every((s: string) => s.startsWith(`v2:${keyIdOf(newKey)}:`))).toBe(true);

    const again = await runRotation(scriptEnv({ ENCRYPTION_KEY: env.NEW, ENCRYPTION_KEYS_PREVIOUS: env.OLD }));
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/node_channels\.read_key_encrypted: 3 scanned, 0 re-encrypted, 3 already current/);
    expect(again.output).toMatch(/webhook_subscriptions\.secret_encrypted: 1 scanned, 0 re-encrypted, 1 already current/);
  });

  test('given the rotation is done, when processes run with the new key only, then every read key and the webhook secret still open', async () => {
    const after = core({ ENCRYPTION_KEY: env.NEW });
    sim.appendGenerated(channels.a.channelId, 1, { start: new Date(), stepMs: 1 });
    sim.appendGenerated(channels.b.channelId, 1, { start: new Date(), stepMs: 1 });
    for (const c of [channels.a, channels.b]) {
      expect(await pollChannel(deps(after), c.id, after.log)).toMatchObject({ outcome: 'polled', inserted: 1 });
    }
    const row = await own.db('webhook_subscriptions').where({ id: webhook.id }).first('secret_encrypted');
    expect(decryptSecret(row.secret_encrypted, after.config.encryptionKey, webhookSecretContext(webhook.id))).toBe(webhook.secret);
  });

  test('given a read key copied from another row, when that channel is polled, then its key does not open (bound to the row it was sealed for)', async () => {
    const after = core({ ENCRYPTION_KEY: env.NEW });
    const { channel } = await createNode(after, { channels: [{ channelId: channels.a.channelId + 7_000_000, readKey: 'ITSOWNKEY', fieldMapping: {}, active: true }] });
    await own.db('node_channels').where({ id: channel.id }).update({ read_key_encrypted: await readKeyColumn(channels.a.id) });

    await expect(pollChannel(deps(after), channel.id, after.log)).rejects.toBeInstanceOf(SecretUnreadableError);
    await own.db('node_channels').where({ id: channel.id }).delete();
  });

  test('given a value no configured key opens, when the script runs, then it exits 1 and names the row by id only', async () => {
    const stray = randomBytes(32);
    const after = core({ ENCRYPTION_KEY: stray.toString('base64') });
    const { node, channel } = await createNode(after, { channels: [{ channelId: nextChannelId(), readKey: 'SEALEDBYALOSTKEY', fieldMapping: {}, active: true }] });

    const run = await runRotation(scriptEnv({ ENCRYPTION_KEY: env.NEW }));

    expect(run.code).toBe(1);
    expect(run.output).toMatch(/previous keys: none/);
    expect(run.output).toMatch(/node_channels\.read_key_encrypted: 4 scanned, 0 re-encrypted, 3 already current, 0 changed meanwhile \(kept\), 1 unreadable/);
    expect(run.output).toContain(channel.id);
    expect(run.output).not.toContain('SEALEDBYALOSTKEY');
    await own.db('nodes').where({ id: node.id }).delete();
  });
});
