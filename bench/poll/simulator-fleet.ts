import type { ThingSpeakSimulator } from '../../src/simulator/thingspeak-simulator';

/** Simulator channel ids of the bench fleet: far from the ids tests and the demo use. */
export const FIRST_BENCH_CHANNEL_ID = 5_000_001;

const MINUTE_MS = 60_000;

/**
 * Creates `count` public tank channels in the simulator through its programmatic API (no HTTP),
 * each with `history` entries `stepMs` apart ending now: what the first poll imports.
 */
export function createSimChannels(sim: ThingSpeakSimulator, count: number, history: number, stepMs = MINUTE_MS, firstId = FIRST_BENCH_CHANNEL_ID): number[] {
  const now = Date.now();
  // Channels must predate their entries: the first poll's window starts a day before created_at.
  const createdAt = new Date(now - history * stepMs - 60 * MINUTE_MS);
  const ids = Array.from({ length: count }, (_, i) => firstId + i);
  for (const id of ids) {
    sim.createChannel({ id, kind: 'tank', createdAt });
    if (history > 0) sim.appendGenerated(id, history, { stepMs, start: new Date(now - (history - 1) * stepMs) });
  }
  return ids;
}

/**
 * Before a capacity round: 1, 2 or 3 new entries on every channel (varying by channel and round),
 * a second apart ending now, so every poll of the round has new data. Returns how many were added.
 */
export function appendRoundEntries(sim: ThingSpeakSimulator, ids: readonly number[], round: number): number {
  let added = 0;
  ids.forEach((id, i) => {
    const count = ((i + round) % 3) + 1;
    added += sim.appendGenerated(id, count, { stepMs: 1_000 }).length;
  });
  return added;
}

/**
 * Appends one entry per channel per `intervalMs`, spread: each second the channels whose slot is
 * that second get their entry, so writes arrive evenly as devices' would.
 */
export function startSpreadAppender(sim: ThingSpeakSimulator, ids: readonly number[], intervalMs: number) {
  const slots = Math.max(1, Math.round(intervalMs / 1_000));
  let tick = 0;
  let appended = 0;
  const timer = setInterval(() => {
    const slot = tick % slots;
    tick += 1;
    for (let i = slot; i < ids.length; i += slots) {
      sim.appendGenerated(ids[i]!, 1, { stepMs: intervalMs });
      appended += 1;
    }
  }, 1_000);
  return {
    stop(): number {
      clearInterval(timer);
      return appended;
    },
  };
}

/** Newest entry time (ms) per simulator channel. */
export function newestSimEntries(sim: ThingSpeakSimulator, ids: readonly number[]): Map<number, number> {
  const newest = new Map<number, number>();
  for (const id of ids) {
    const entries = sim.entries(id);
    const last = entries[entries.length - 1];
    if (last) newest.set(id, last.createdAt.getTime());
  }
  return newest;
}
