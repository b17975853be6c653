import type { FieldKey } from '../shared/thingspeak/feed';
import type { ChannelKind, FieldLabels, SimFields } from './channel-store';

/**
 * Plausible readings for the three Evara node types, drifting slowly per channel like real
 * sensors, with optional "messy" values copied from what devices actually write to ThingSpeak.
 * Seeded, so a run can be reproduced.
 */
export const KIND_FIELD_LABELS: Record<ChannelKind, FieldLabels> = {
  // Evara tank firmware: field1 temperature, field2 ultrasonic distance to the water surface.
  tank: { field1: 'Temperature', field2: 'Distance (cm)' },
  flow: { field1: 'Flow rate (L/min)', field2: 'Total volume (m3)' },
  deep: { field1: 'Temperature', field2: 'Water depth (m)' },
};

interface ChannelDrift {
  temperature: number;
  distanceCm: number;
  depthM: number;
  pumpOn: boolean;
  totalM3: number;
}

export interface ValueGenerator {
  /** One entry's fields; `stepMs` is the time since the previous entry (flow totals integrate it). */
  next(channelId: number, kind: ChannelKind, opts: { stepMs: number; messyRatio: number }): SimFields;
}

export function createValueGenerator(seed = 20260901): ValueGenerator {
  const random = mulberry32(seed);
  const drift = new Map<number, ChannelDrift>();
  const between = (min: number, max: number) => min + random() * (max - min);

  function driftOf(channelId: number): ChannelDrift {
    let d = drift.get(channelId);
    if (!d) {
      d = { temperature: between(25, 30), distanceCm: between(30, 140), depthM: between(25, 55), pumpOn: false, totalM3: between(0, 500) };
      drift.set(channelId, d);
    }
    return d;
  }

  function values(d: ChannelDrift, kind: ChannelKind, stepMs: number): Partial<Record<FieldKey, string>> {
    d.temperature = clamp(d.temperature + between(-0.2, 0.2), 18, 38);
    switch (kind) {
      case 'tank':
        d.distanceCm = clamp(d.distanceCm + between(-1.5, 1.5), 10, 160);
        return { field1: d.temperature.toFixed(1), field2: d.distanceCm.toFixed(1) };
      case 'deep':
        d.depthM = clamp(d.depthM + between(-0.1, 0.1), 5, 80);
        return { field1: d.temperature.toFixed(1), field2: d.depthM.toFixed(2) };
      case 'flow': {
        if (random() < 0.05) d.pumpOn = !d.pumpOn;
        const litresPerMinute = d.pumpOn ? between(40, 80) : 0;
        d.totalM3 += (litresPerMinute * stepMs) / 60_000 / 1000;
        return { field1: litresPerMinute.toFixed(2), field2: d.totalM3.toFixed(3) };
      }
    }
  }

  function messy(value: string): string {
    const pick = random();
    if (pick < 0.25) return 'nan';
    if (pick < 0.5) return `  ${value}\r\n`;
    if (pick < 0.75) return value.replace('.', ',');
    return 'err';
  }

  return {
    next(channelId, kind, { stepMs, messyRatio }) {
      const fields: SimFields = values(driftOf(channelId), kind, stepMs);
      if (messyRatio > 0) {
        for (const key of Object.keys(fields) as FieldKey[]) {
          const value = fields[key];
          if (typeof value === 'string' && random() < messyRatio) fields[key] = messy(value);
        }
      }
      return fields;
    },
  };
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

// Small, fast, seedable; Math.random cannot be seeded.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
