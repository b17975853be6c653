import { randomUUID } from 'node:crypto';
import type { Core } from '../../src/shared/core';
import type { CreateNodeInput } from '../../src/shared/nodes/node';
import { createNodeSchema } from '../../src/shared/nodes/node';

let channelSeq = 500_000 + Math.floor(Math.random() * 1_000_000);

/** A fresh ThingSpeak channel id, unique within the run. */
export function nextChannelId(): number {
  channelSeq += 1;
  return channelSeq;
}

export function buildNodeInput(overrides: Partial<CreateNodeInput> = {}): CreateNodeInput {
  return createNodeSchema.parse({
    nodeKey: `node-${randomUUID().slice(0, 12)}`,
    label: 'Test tank',
    category: 'OHT',
    analyticsType: 'EvaraTank',
    config: { tank: { shape: 'rectangular', unit: 'm', height: 1.63, length: 2, breadth: 1.5 } },
    expectedIntervalS: 60,
    channels: [{ channelId: nextChannelId(), fieldMapping: { field1: 'temperature', field2: 'distance_cm' } }],
    ...overrides,
  });
}

/** Creates a node in the default community and returns it with its first channel. */
export async function createNode(core: Core, overrides: Partial<CreateNodeInput> = {}) {
  const community = await core.repos.communities.findBySlug('default');
  const node = await core.repos.nodes.create(buildNodeInput(overrides), community!.id);
  if (node === 'node_key_taken') throw new Error('node key collision in a test');
  return { node, channel: node.channels[0]! };
}
