import pino from 'pino';
import { createThingSpeakSimulator } from './thingspeak-simulator';

/**
 * `npm run simulator`: a fleet of simulated tank channels that keep receiving readings, for local
 * development and the demo. A dev tool, so it reads its own few variables instead of the app config.
 */
export interface SimulatorEnv {
  host: string;
  port: number;
  channels: number;
  cadenceMs: number;
  messyRatio: number;
  backfill: number;
}

export const FIRST_CHANNEL_ID = 100001;

/** Every third channel is private, with read key `simkey-<id>`. */
export const simulatedReadKey = (channelId: number) => `simkey-${channelId}`;

export function parseSimulatorEnv(env: Record<string, string | undefined>): SimulatorEnv {
  const problems: string[] = [];
  const number = (name: string, def: number, min: number, max: number, integer = true): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return def;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      problems.push(`${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got "${raw}"`);
      return def;
    }
    return value;
  };
  const parsed: SimulatorEnv = {
    host: env.SIMULATOR_HOST?.trim() || '127.0.0.1',
    port: number('SIMULATOR_PORT', 3100, 0, 65535),
    channels: number('SIMULATOR_CHANNELS', 41, 0, 10_000),
    cadenceMs: number('SIMULATOR_CADENCE_MS', 15_000, 100, 86_400_000),
    messyRatio: number('SIMULATOR_MESSY_RATIO', 0.02, 0, 1, false),
    backfill: number('SIMULATOR_BACKFILL', 20, 0, 100_000),
  };
  if (problems.length > 0) throw new Error(`Invalid simulator settings: ${problems.join('; ')}`);
  return parsed;
}

async function main(): Promise<void> {
  const log = pino({ name: 'thingspeak-simulator', level: process.env.LOG_LEVEL ?? 'info' });
  let settings: SimulatorEnv;
  try {
    settings = parseSimulatorEnv(process.env);
  } catch (err) {
    log.fatal({ err }, 'simulator not started');
    process.exitCode = 1;
    return;
  }

  const sim = createThingSpeakSimulator();
  // Channels must predate their backfilled entries, as on ThingSpeak: pollers may start from created_at.
  const createdAt = new Date(Date.now() - (settings.backfill + 1) * settings.cadenceMs - 3_600_000);
  const privateIds: number[] = [];
  for (let i = 0; i < settings.channels; i++) {
    const id = FIRST_CHANNEL_ID + i;
    const isPrivate = (i + 1) % 3 === 0;
    if (isPrivate) privateIds.push(id);
    sim.createChannel({
      id,
      name: `Evara simulated tank ${i + 1}`,
      kind: 'tank',
      createdAt,
      readKey: isPrivate ? simulatedReadKey(id) : undefined,
    });
    sim.appendGenerated(id, settings.backfill, { stepMs: settings.cadenceMs, messyRatio: settings.messyRatio });
  }
  sim.startGenerator({ cadenceMs: settings.cadenceMs, messyRatio: settings.messyRatio });

  const { url } = await sim.listen(settings.port, settings.host);
  log.info(
    {
      url,
      channels: settings.channels,
      firstChannelId: FIRST_CHANNEL_ID,
      privateChannelIds: privateIds,
      readKeyPattern: 'simkey-<id>',
      cadenceMs: settings.cadenceMs,
      messyRatio: settings.messyRatio,
    },
    `thingspeak simulator listening on ${url}`,
  );

  const stop = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'thingspeak simulator stopping');
    sim.close().then(
      () => log.info('thingspeak simulator stopped'),
      (err: unknown) => {
        log.error({ err }, 'thingspeak simulator did not close cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) void main();
