import seed from './seed/complex-backend-seed-nodes.json';

/** A node of the old system's seed, as the demo maps it onto the API and the simulator. */
export interface DemoNode {
  body: Record<string, unknown>;
  channel: { id: number; kind: 'tank' | 'flow' | 'deep'; readKey?: string };
}

export const DEMO_FIRST_CHANNEL_ID = 200_001;

/** "2.00L L" = 2 lakh litres, "75k L", "34k+31k", "1.5L+60k"; anything else (HP, units) is unknown. */
export function parseCapacityLitres(capacity: string): number | undefined {
  let total = 0;
  for (const m of capacity.matchAll(/(\d+(?:\.\d+)?)\s*([kL])/g)) total += Number(m[1]) * (m[2] === 'k' ? 1_000 : 100_000);
  return total > 0 ? total : undefined;
}

const TANK_HEIGHT_M = 1.63; // the simulated ultrasonic distances run up to 160 cm

export function demoNodes(): DemoNode[] {
  return seed.initial_nodes.map((n, i) => {
    const channelId = DEMO_FIRST_CHANNEL_ID + i;
    const type = n.type as 'EvaraTank' | 'EvaraDeep' | 'EvaraFlow';
    const kind = type === 'EvaraTank' ? 'tank' : type === 'EvaraFlow' ? 'flow' : 'deep';
    // Every third channel is private, as many real ones are, so the read-key path is exercised.
    const readKey = (i + 1) % 3 === 0 ? `demokey${channelId}` : undefined;
    const capacity = parseCapacityLitres(n.capacity) ?? 50_000;
    const side = Math.sqrt(capacity / 1000 / TANK_HEIGHT_M);
    const config =
      type === 'EvaraTank'
        ? { tank: { shape: 'rectangular', unit: 'm', height: TANK_HEIGHT_M, length: Number(side.toFixed(3)), breadth: Number(side.toFixed(3)) } }
        : {};
    const fieldMapping =
      kind === 'tank' ? { field1: 'temperature', field2: 'distance_cm' } : kind === 'flow' ? { field1: 'flow_rate', field2: 'total_m3' } : { field1: 'temperature', field2: 'depth_m' };
    return {
      channel: { id: channelId, kind, readKey },
      body: {
        nodeKey: n.node_key,
        label: n.label,
        category: n.category,
        analyticsType: type,
        config,
        lat: n.lat,
        lng: n.lng,
        locationName: n.location_name,
        expectedIntervalS: 60,
        channels: [{ channelId, ...(readKey ? { readKey } : {}), fieldMapping }],
      },
    };
  });
}
