import { Router } from 'express';
import { z } from 'zod';
import type { Core } from '../../shared/core';
import { NotFoundError, ValidationError } from '../../shared/errors';
import { createRuleSchema, updateRuleSchema } from '../../shared/alerts/alert';
import type { NodeView } from '../../shared/nodes/node';
import { NODE_CATEGORIES } from '../../shared/nodes/node';
import { createAlertRule, deleteAlertRule, updateAlertRule } from '../../shared/alerts/alert-rule-actions';
import { actorOf, authOf, principalOf } from '../middleware/auth';
import { parse } from '../middleware/validate';
import { dataOf, offsetPageOf } from '../openapi/envelopes';
import { alertRuleSchema } from '../openapi/resource-schemas';
import { ALL_ROLES, apiDoc, type RouteDoc } from '../openapi/route-doc';
import { paginationSchema, uuidParam } from './pagination';

const listQuery = paginationSchema
  .extend({
    nodeId: z.string().uuid().optional(),
    communityId: z.string().uuid().optional(),
    category: z.enum(NODE_CATEGORIES).optional(),
    enabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  })
  .strict();

const ruleAnswer = dataOf(alertRuleSchema);

const WHO_MAY_CHANGE = 'A customer key may change only the rules it created; a distributor key those of its communities not created by a superadmin key; a superadmin key any.';

const DOCS = {
  create: {
    summary: 'Create a threshold rule',
    description:
      'On one node (nodeId), or on every node of a category in a community (category + communityId; a customer\'s key implies its community). `metric` must be one the node reports: a field alias, a raw field (single-channel nodes) or a derived value.',
    auth: ALL_ROLES,
    body: createRuleSchema,
    responses: { 201: { description: 'Created', schema: ruleAnswer } },
    errors: { 404: 'NODE_NOT_FOUND or COMMUNITY_NOT_FOUND', 409: 'TENANT_LIMIT_REACHED: the community has TENANT_MAX_ALERT_RULES_PER_COMMUNITY rules' },
  },
  list: { summary: 'List the rules in scope', auth: ALL_ROLES, query: listQuery, responses: { 200: { description: 'A page of rules', schema: offsetPageOf(alertRuleSchema) } } },
  get: { summary: 'A rule', auth: ALL_ROLES, params: uuidParam, responses: { 200: { description: 'The rule', schema: ruleAnswer } }, errors: { 404: 'ALERT_RULE_NOT_FOUND' } },
  update: {
    summary: 'Change a rule',
    description: `Disabling a rule resolves its unresolved alerts. ${WHO_MAY_CHANGE}`,
    auth: ALL_ROLES,
    params: uuidParam,
    body: updateRuleSchema,
    responses: { 200: { description: 'The rule after the change', schema: ruleAnswer } },
    errors: { 403: 'FORBIDDEN: the key may not change what the rule\'s creator made', 404: 'ALERT_RULE_NOT_FOUND' },
  },
  delete: {
    summary: 'Delete a rule (resolving its unresolved alerts)',
    description: WHO_MAY_CHANGE,
    auth: ALL_ROLES,
    params: uuidParam,
    responses: { 204: { description: 'Deleted' } },
    errors: { 403: 'FORBIDDEN: the key may not change what the rule\'s creator made', 404: 'ALERT_RULE_NOT_FOUND' },
  },
} satisfies Record<string, RouteDoc>;

const DERIVED_BY_TYPE: Record<NodeView['analyticsType'], readonly string[]> = {
  EvaraTank: ['level_pct', 'volume_l'],
  EvaraFlow: ['flow_rate'],
  EvaraDeep: ['depth_m'],
};

/**
 * The names a rule on this node can watch: its field aliases and derived values, and the raw
 * field names when the node has one channel (with two, "field1" would mean two different things).
 */
function metricsOf(node: NodeView): string[] {
  const names = new Set<string>(DERIVED_BY_TYPE[node.analyticsType]);
  for (const c of node.channels) {
    for (const [field, alias] of Object.entries(c.fieldMapping)) {
      if (node.channels.length === 1) names.add(field);
      names.add(alias);
    }
  }
  return [...names].sort();
}

/**
 * Threshold rules, per node or per category within a community. Every role may create rules on
 * what it can see (a customer watches its own tanks) and read them all; scope is checked on every
 * route, and a change also on who created the rule (tenancy/change-permission.ts).
 */
export function alertRulesRoutes(core: Core): Router {
  const router = Router();
  const { alertRules, nodes, communities, alerts } = core.repos;

  const actions = { db: core.db, alerts, alertRules, nodeStatus: core.repos.nodeStatus, outbox: core.repos.outbox, flush: { producers: core.producers, outbox: core.repos.outbox, events: core.events } };

  router.post('/alert-rules', apiDoc(DOCS.create), async (req, res) => {
    const auth = authOf(req);
    const input = parse(createRuleSchema, req.body, 'body');
    let communityId: string;
    if (input.nodeId) {
      const node = await nodes.get(auth.scope, input.nodeId);
      if (!node) throw new NotFoundError(`Node ${input.nodeId} was not found`, 'NODE_NOT_FOUND');
      const available = metricsOf(node);
      if (!available.includes(input.metric)) {
        throw new ValidationError(`Invalid body: body.metric: "${input.metric}" is not reported by this node; available: ${available.join(', ')}`);
      }
      communityId = node.communityId;
    } else {
      const requested = input.communityId ?? (auth.scope.role === 'customer' ? auth.scope.communityId : undefined);
      if (!requested) throw new ValidationError('Invalid body: body.communityId: is required for a category rule');
      if (!(await communities.findInScope(auth.scope, requested))) throw new NotFoundError(`Community ${requested} was not found`, 'COMMUNITY_NOT_FOUND');
      communityId = requested;
    }
    const rule = await createAlertRule(actions, { actor: actorOf(auth), createdBy: principalOf(auth), communityId, rule: input, maxPerCommunity: core.config.tenantLimits.alertRulesPerCommunity });
    req.log.info({ ruleId: rule.id, nodeId: rule.nodeId, category: rule.category }, 'alert rule created');
    res.status(201).location(`/api/v1/alert-rules/${rule.id}`).json({ data: rule });
  });

  router.get('/alert-rules', apiDoc(DOCS.list), async (req, res) => {
    const { limit, offset, ...filter } = parse(listQuery, req.query, 'query');
    const page = await alertRules.list(authOf(req).scope, filter, { limit, offset });
    res.json({ data: page.items, page: { limit, offset, total: page.total } });
  });

  router.get('/alert-rules/:id', apiDoc(DOCS.get), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const rule = await alertRules.get(authOf(req).scope, id);
    if (!rule) throw new NotFoundError(`Alert rule ${id} was not found`, 'ALERT_RULE_NOT_FOUND');
    res.json({ data: rule });
  });

  router.patch('/alert-rules/:id', apiDoc(DOCS.update), async (req, res) => {
    const auth = authOf(req);
    const { id } = parse(uuidParam, req.params, 'path');
    const input = parse(updateRuleSchema, req.body, 'body');
    let metricProblem: string | undefined;
    if (input.metric !== undefined) {
      const current = await alertRules.get(auth.scope, id);
      const node = current?.nodeId ? await nodes.get(auth.scope, current.nodeId) : undefined;
      if (node && !metricsOf(node).includes(input.metric)) {
        metricProblem = `body.metric: "${input.metric}" is not reported by this node; available: ${metricsOf(node).join(', ')}`;
      }
    }
    if (metricProblem) throw new ValidationError(`Invalid body: ${metricProblem}`);
    const updated = await updateAlertRule(actions, { scope: auth.scope, actor: actorOf(auth), by: principalOf(auth), id, change: input }, req.log);
    if (!updated) throw new NotFoundError(`Alert rule ${id} was not found`, 'ALERT_RULE_NOT_FOUND');
    if ('problem' in updated) throw new ValidationError(`Invalid body: body.clearThreshold: ${updated.problem}`);
    res.json({ data: updated });
  });

  router.delete('/alert-rules/:id', apiDoc(DOCS.delete), async (req, res) => {
    const { id } = parse(uuidParam, req.params, 'path');
    const auth = authOf(req);
    if (!(await deleteAlertRule(actions, { scope: auth.scope, actor: actorOf(auth), by: principalOf(auth), id }, req.log))) throw new NotFoundError(`Alert rule ${id} was not found`, 'ALERT_RULE_NOT_FOUND');
    res.status(204).end();
  });

  return router;
}
