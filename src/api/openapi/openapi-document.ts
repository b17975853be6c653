import { z } from 'zod';
import type { MountedRoute, RouteTable } from '../introspection/route-table';
import { errorBodySchema } from './envelopes';
import { ALL_ROLES, type ErrorStatus, type HttpMethod, type RouteDoc } from './route-doc';

type Json = Record<string, unknown>;
type JsonSchema = Json & { properties?: Record<string, Json>; required?: string[]; description?: string };

export interface OpenApiDocument {
  openapi: string;
  info: Json;
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<HttpMethod, Json>>>;
  components: Json;
}

const HTTP_METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];
const ERROR_REF = { $ref: '#/components/schemas/ErrorBody' };

/** Request schemas describe what a client sends (before coercion and defaults), responses what it gets. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
}

/** /nodes/:id -> /nodes/{id}; a "*rest" wildcard becomes {rest}. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

const pathParamNames = (expressPath: string) => [...expressPath.matchAll(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);

function parameters(path: string, doc: RouteDoc | undefined): Json[] {
  const params = doc?.params ? jsonSchemaOf(doc.params, 'input').properties ?? {} : {};
  const result: Json[] = pathParamNames(path).map((name) => {
    const { description, ...schema } = params[name] ?? { type: 'string' };
    return { name, in: 'path', required: true, schema, ...(description ? { description } : {}) };
  });
  if (doc?.query) {
    const query = jsonSchemaOf(doc.query, 'input');
    for (const [name, property] of Object.entries(query.properties ?? {})) {
      const { description, ...schema } = property;
      result.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema, ...(description ? { description } : {}) });
    }
  }
  return result;
}

function impliedErrors(doc: RouteDoc): Partial<Record<ErrorStatus, string>> {
  const errors: Partial<Record<ErrorStatus, string>> = {};
  if (doc.params || doc.query || doc.body) errors[400] = 'The path, query or body is invalid: `details` names every bad field';
  if (doc.auth !== 'public') {
    errors[401] = 'No API key, or one that is unknown or revoked';
    if (doc.auth.length < ALL_ROLES.length) errors[403] = `The key's role is not one of: ${doc.auth.join(', ')}`;
    errors[429] = 'Rate limited (per client address, per key, or a stricter per-route quota): retry after Retry-After seconds';
    errors[503] = 'The database or Redis is unavailable; retry after Retry-After seconds';
  }
  if (doc.params) errors[404] = 'Not found, or outside the key\'s scope';
  if (doc.body) errors[413] = 'The body is larger than 256 kB';
  return errors;
}

const RETRY_AFTER = { description: 'Seconds to wait before retrying', schema: { type: 'integer' } };

// 429s also say which quota refused and when it resets (draft-ietf-httpapi-ratelimit-headers).
function headersOf(status: '429' | '503'): Json {
  if (status === '503') return { 'Retry-After': RETRY_AFTER };
  return {
    'Retry-After': RETRY_AFTER,
    RateLimit: { description: 'The quota that refused, its remaining requests (r=0) and seconds to reset (t)', schema: { type: 'string' } },
    'RateLimit-Policy': { description: 'The quotas that apply: name, requests (q) per window (w, seconds)', schema: { type: 'string' } },
  };
}

function responses(doc: RouteDoc): Json {
  const result: Json = {};
  for (const [status, r] of Object.entries(doc.responses)) {
    if (!r) continue;
    const contentType = r.contentType ?? (r.schema ? 'application/json' : undefined);
    const content: Json = contentType ? { [contentType]: r.schema ? { schema: jsonSchemaOf(r.schema, 'output') } : {} } : {};
    for (const alt of r.alternatives ?? []) content[alt.contentType] = alt.schema ? { schema: jsonSchemaOf(alt.schema, 'output') } : {};
    result[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
  }
  const errors = { ...impliedErrors(doc), ...doc.errors };
  for (const status of Object.keys(errors).sort()) {
    result[status] = {
      description: errors[Number(status) as ErrorStatus],
      content: { 'application/json': { schema: ERROR_REF } },
      ...(status === '503' || status === '429' ? { headers: headersOf(status) } : {}),
    };
  }
  return result;
}

function tagOf(path: string, doc: RouteDoc | undefined): string {
  if (doc?.tag) return doc.tag;
  const api = /^\/api\/v1\/([^/]+)/.exec(path);
  return api ? api[1]! : 'operations';
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'api' && s !== 'v1')
    .map((s) => (/^[:*]/.test(s) ? `By${s[1]!.toUpperCase()}${s.slice(2)}` : s))
    .flatMap((s) => s.split(/[^A-Za-z0-9]+/))
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return `${method}${words.join('') || 'Root'}`;
}

function operation(method: HttpMethod, path: string, doc: RouteDoc | undefined): Json {
  const base = { tags: [tagOf(path, doc)], operationId: operationId(method, path) };
  if (!doc) {
    // Still listed, so nothing mounted is invisible; the OpenAPI test fails until it is documented.
    return { ...base, summary: 'Undocumented', 'x-undocumented': true, responses: { default: { description: 'Not documented yet' } } };
  }
  const who = doc.auth === 'public' ? 'Public: no API key needed.' : `Roles: ${doc.auth.join(', ')}.`;
  const op: Json = {
    ...base,
    summary: doc.summary,
    description: [doc.description, `**${who}**`].filter(Boolean).join('\n\n'),
    // Signed-in users reach /api/v1 only; /metrics, /admin/queues and /health details stay API-key only.
    security: doc.auth === 'public' ? [] : path.startsWith('/api/v1/') ? [{ apiKey: [] }, { supabaseJwt: [] }] : [{ apiKey: [] }],
    'x-roles': doc.auth === 'public' ? [] : [...doc.auth],
    parameters: parameters(path, doc),
    responses: responses(doc),
  };
  if (doc.body) {
    op.requestBody = { required: !doc.bodyOptional, content: { 'application/json': { schema: jsonSchemaOf(doc.body, 'input') } } };
  }
  return op;
}

const INTRO = [
  'Evara mirrors ThingSpeak channels into Postgres, derives tank levels and status, and serves them here.',
  'Routes under `/api/v1` need `Authorization: Bearer <api key>` or, when Supabase sign-in is configured, `Bearer <Supabase access token>` of a user provisioned with `POST /api/v1/users`; each operation names the roles that may call it',
  '(superadmin: everything; distributor: its communities; customer: its community). Resources outside the key\'s scope answer 404.',
  'Errors are `{ "status": "error", "code", "message", "requestId" }` with the HTTP status; dependency trouble is a 503 with Retry-After.',
  'Live events: see `POST /api/v1/ws/tickets`. This document is generated from the schemas that validate requests.',
].join(' ');

/** What each tag groups; a tag missing here still gets a generic description (tagDescription). */
const TAG_DESCRIPTIONS: Record<string, string> = {
  distributors: 'Distributors: the organisations that run communities (superadmin only)',
  communities: 'Communities: groups of nodes that customers see together',
  'api-keys': 'API keys: issue, list and revoke the keys that call this API',
  users: 'Users: people who sign in with Supabase, and the role and scope this API gives them',
  me: 'Who the caller is: a signed-in user or an API key, with its role and scope',
  nodes: 'Nodes: the tanks and meters mirrored from ThingSpeak channels, their latest status and history',
  readings: 'Readings: the raw channel feeds mirrored into Postgres',
  stats: 'Statistics: consumption, days to empty and data completeness per node, and fleet counts',
  jobs: 'Jobs: the state of background poll and sync jobs',
  system: 'System: counts and state of the whole installation',
  'alert-rules': 'Alert rules: the conditions that open alerts',
  alerts: 'Alerts: open, acknowledged and resolved alerts',
  'maintenance-windows': 'Maintenance windows: periods in which alerts are held back',
  webhooks: 'Webhooks: outgoing HTTP deliveries of alert events',
  audit: 'Audit log: who changed what, when, in the caller\'s scope (superadmin, distributor)',
  ws: 'Live socket: tickets for the WebSocket of live events',
  live: 'Live socket: tickets for the WebSocket of live events',
  debug: 'Debugging aids for operators (superadmin only)',
  health: 'Health and readiness probes for load balancers and orchestrators',
  documentation: 'This document and the Swagger UI over it',
  'status page': 'The status page for people, and its static files',
  operations: 'Operator endpoints: metrics, the queue dashboard and other tools',
};

export function tagDescription(name: string): string {
  return TAG_DESCRIPTIONS[name] ?? `Operations under /api/v1/${name}`;
}

/** The OpenAPI 3.0 document of every route and mount in the table, in the order they were mounted. */
export function buildOpenApiDocument(table: RouteTable, opts: { version: string }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const add = (method: HttpMethod, path: string, doc: RouteDoc | undefined) => {
    const key = toOpenApiPath(path);
    paths[key] = { ...paths[key], [method]: operation(method, path, doc) };
  };
  const methodsOf = (r: MountedRoute): HttpMethod[] => (r.method === 'ALL' ? [...HTTP_METHODS] : HTTP_METHODS.filter((m) => m === r.method.toLowerCase()));
  for (const route of table.routes) for (const m of methodsOf(route)) add(m, route.path, route.doc);
  for (const mount of table.mounts) for (const m of mount.doc?.methods ?? ['get']) add(m, mount.path, mount.doc);

  const tags = [...new Set(Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((op) => op.tags as string[])))];
  return {
    openapi: '3.0.3',
    info: { title: 'Evara API', version: opts.version, description: INTRO },
    // Relative: clients resolve paths against wherever they fetched this document from.
    servers: [{ url: '/', description: 'This API (the origin that served this document)' }],
    tags: tags.map((name) => ({ name, description: tagDescription(name) })),
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'Evara API key', description: 'An API key issued by POST /api/v1/api-keys (evk_...)' },
        supabaseJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Supabase Auth access token (ES256/RS256 from the project JWKS, or legacy HS256) of a user provisioned with POST /api/v1/users; its role and scope come from this API, never from the token. Refusals are 401 TOKEN_* codes; an unknown user is 403 USER_NOT_PROVISIONED.',
        },
      },
      schemas: { ErrorBody: jsonSchemaOf(errorBodySchema, 'output') },
    },
  };
}
