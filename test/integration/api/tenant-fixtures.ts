import { randomUUID } from 'node:crypto';
import type { Core } from '../../../src/shared/core';
import type { Scope } from '../../../src/shared/auth/scope';
import { buildNodeInput } from '../../helpers/factories';

/** An API key with its row id (what `createdBy.keyId` names). */
export interface TestKey {
  key: string;
  id: string;
}

export async function keyFor(core: Core, scope: Scope, label: string): Promise<TestKey> {
  const { key, record } = await core.repos.apiKeys.create({
    label,
    role: scope.role,
    distributorId: scope.role === 'distributor' ? scope.distributorId : null,
    communityId: scope.role === 'customer' ? scope.communityId : null,
  });
  return { key, id: record.id };
}

/** A distributor and one community of its, with a node in it. */
export async function distributorCommunity(core: Core): Promise<{ distributorId: string; communityId: string; nodeId: string }> {
  const suffix = randomUUID().slice(0, 12);
  const distributor = await core.repos.communities.createDistributor(`Tenancy ${suffix}`);
  if (distributor === 'name_taken') throw new Error('distributor name collision in a test');
  const community = await core.repos.communities.create({ slug: `tenancy-${suffix}`, name: 'Tenancy', distributorId: distributor.id });
  if (community === 'slug_taken') throw new Error('community slug collision in a test');
  const node = await core.repos.nodes.create(buildNodeInput(), community.id);
  if (node === 'node_key_taken') throw new Error('node key collision in a test');
  return { distributorId: distributor.id, communityId: community.id, nodeId: node.id };
}

/** Nothing listens there: these subscriptions are only managed, never delivered to. */
export const UNUSED_URL = 'http://127.0.0.1:9/hook';

export const ruleBody = (nodeId: string) => ({ nodeId, name: 'Tank low', metric: 'level_pct', operator: '<', threshold: 20, severity: 'warning' });

/** A window on one node from now, `hours` long. */
export const windowBody = (target: { nodeId: string } | { communityId: string }, hours = 1) => ({
  ...target,
  startsAt: new Date(Date.now() + 60_000).toISOString(),
  endsAt: new Date(Date.now() + 60_000 + hours * 3600_000).toISOString(),
  reason: 'pump replacement',
});

export const webhookBody = (communityId: string) => ({ url: UNUSED_URL, events: ['alert.opened'], communityId });
