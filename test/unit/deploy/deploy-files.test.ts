/**
 * Deploy files: render.yaml and docker-compose.yml are validated against vendored JSON schemas
 * (compose: test/schemas/compose; render: ../shared/schemas/render, see its SOURCE.md), then checked for the properties the schemas
 * cannot express (health path, migrations, shared secrets, no secret values, dependency wiring).
 * Plus text checks of Dockerfile, .dockerignore and .env.example. No Docker engine is needed.
 * Without ../shared beside the checkout (a fresh clone), only the Render schema checks are skipped, with the reason.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { findOptionalFile, itNeeding } from '../../helpers/outside-file';

const ROOT = path.resolve(__dirname, '../../..');
const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

type Json = Record<string, unknown>;
const clone = <T>(v: T): T => structuredClone(v);

/** Parse YAML strictly: syntax errors and duplicate keys throw (yaml's defaults). */
function loadYaml(rel: string): Json {
  const doc: unknown = parseYaml(read(rel), { prettyErrors: true, uniqueKeys: true });
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${rel}: not a YAML mapping`);
  return doc as Json;
}

/**
 * Both schemas are draft 2020-12 (`$schema` .../draft/2020-12/schema), hence ajv/dist/2020.
 * Strict mode stays on except strictTypes (the schemas use union types and `properties`
 * without `type: object`, which are legal JSON Schema). The Render schema uses `format: uri`
 * once; ajv-formats is not installed, so that single format is defined here instead of
 * switching format validation off.
 */
function compile(schemaRel: string): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strictTypes: false, allowUnionTypes: true });
  ajv.addFormat('uri', (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  });
  return ajv.compile(JSON.parse(read(schemaRel)) as Json);
}

const describeErrors = (errors: ErrorObject[] | null | undefined): string =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');

/**
 * Render publishes no licence for its schema (see ../shared/schemas/render/SOURCE.md), so it is
 * not vendored: it is read from the workplace's shared/ folder, which CI and every developer
 * machine have beside the repo. A vendored copy in test/schemas/render is used first if present.
 * A fresh clone has neither: the checks that need the schema are then skipped with the reason
 * (`itWithRenderSchema`); everything else in this file still runs.
 */
const RENDER_SCHEMA = findOptionalFile('Render Blueprint schema', [
  'test/schemas/render/render.yaml.schema.json',
  '../shared/schemas/render/render.yaml.schema.json',
]);
const itWithRenderSchema = itNeeding(RENDER_SCHEMA);
/** Null when the schema is absent; every test that calls it is declared with `itWithRenderSchema`, so it is skipped then. */
const validateRender = (RENDER_SCHEMA.present ? compile(RENDER_SCHEMA.rel) : null) as ValidateFunction;
const validateCompose = compile('test/schemas/compose/compose-spec.compose-go-2020-12.json');

const render = loadYaml('render.yaml');
const compose = loadYaml('docker-compose.yml');

// ---------- the public contract: env var names from src/shared/config.ts ----------

/** Keys of `envSchema` in src/shared/config.ts, read from the source text (the schema is not exported). */
function envSchemaKeys(): string[] {
  const src = read('src/shared/config.ts');
  const start = src.indexOf('const envSchema = z.object({');
  if (start < 0) throw new Error('src/shared/config.ts: `const envSchema = z.object({` not found; update this test');
  const end = src.indexOf('\n});', start);
  const body = src.slice(start, end);
  const keys = [...body.matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1] as string);
  if (keys.length < 10) throw new Error(`src/shared/config.ts: only ${keys.length} envSchema keys found; update this test`);
  return keys;
}
const CONFIG_KEYS = envSchemaKeys();
const SECRET_KEYS = ['DATABASE_URL', 'ADMIN_API_KEY', 'ENCRYPTION_KEY', 'DATABASE_CA_CERT'];

// ---------- render.yaml helpers ----------

interface EnvVarDef {
  key?: string;
  value?: unknown;
  previewValue?: unknown;
  generateValue?: boolean;
  sync?: boolean;
  fromGroup?: string;
  fromService?: { type: string; name: string; property?: string; envVarKey?: string };
  fromDatabase?: unknown;
}
interface RenderService extends Json {
  type: string;
  name: string;
  envVars?: EnvVarDef[];
}
interface EnvGroup {
  name: string;
  envVars: EnvVarDef[];
}

const services = (render.services ?? []) as RenderService[];
const groups = (render.envVarGroups ?? []) as EnvGroup[];

function renderService(type: string): RenderService {
  const found = services.filter((s) => s.type === type);
  expect(found).toHaveLength(1);
  return found[0] as RenderService;
}

/** Where each env var of a service comes from: its own envVars, or a group (later entries win). */
function resolveEnv(service: RenderService): Map<string, { def: EnvVarDef; origin: string }> {
  const out = new Map<string, { def: EnvVarDef; origin: string }>();
  for (const entry of service.envVars ?? []) {
    if (entry.fromGroup !== undefined) {
      const group = groups.find((g) => g.name === entry.fromGroup);
      if (!group) throw new Error(`${service.name}: fromGroup ${entry.fromGroup} is not defined in envVarGroups`);
      for (const def of group.envVars) out.set(def.key as string, { def, origin: `group:${group.name}` });
    } else {
      out.set(entry.key as string, { def: entry, origin: `service:${service.name}` });
    }
  }
  return out;
}

function allRenderEnvDefs(): Array<{ def: EnvVarDef; where: string }> {
  return [
    ...groups.flatMap((g) => g.envVars.map((def) => ({ def, where: `envVarGroups/${g.name}` }))),
    ...services.flatMap((s) => (s.envVars ?? []).map((def) => ({ def, where: `services/${s.name}` }))),
  ];
}

// ---------- docker-compose.yml helpers ----------

interface ComposeService extends Json {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test?: string | string[] };
  profiles?: string[];
}
const composeServices = (compose.services ?? {}) as Record<string, ComposeService>;

function composeService(name: string): ComposeService {
  const svc = composeServices[name];
  if (!svc) throw new Error(`docker-compose.yml: no service ${name}`);
  return svc;
}

function composeEnv(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((kv) => [kv.split('=')[0] as string, kv.slice(kv.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function dependsOn(svc: ComposeService): Record<string, { condition: string; required?: boolean }> {
  const d = svc.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, { condition: 'service_started' }]));
  return d;
}

const commandText = (c: string | string[] | undefined): string => (Array.isArray(c) ? c.join(' ') : (c ?? ''));

// =====================================================================================

describe('schema validation', () => {
  itWithRenderSchema('render.yaml is valid against the Render Blueprint schema', () => {
    const ok = validateRender(render);
    expect(describeErrors(validateRender.errors)).toBe('');
    expect(ok).toBe(true);
  });

  it('docker-compose.yml is valid against the Compose Specification schema', () => {
    const ok = validateCompose(compose);
    expect(describeErrors(validateCompose.errors)).toBe('');
    expect(ok).toBe(true);
  });

  // Negative controls: prove the validators really reject things, so a green run means something.
  itWithRenderSchema('the Render validator rejects a service with an unknown type', () => {
    const broken = clone(render);
    (broken.services as RenderService[])[0]!.type = 'webservice';
    expect(validateRender(broken)).toBe(false);
  });

  itWithRenderSchema('the Render validator rejects a misspelt healthCheckPath', () => {
    const broken = clone(render);
    const web = (broken.services as RenderService[]).find((s) => s.type === 'web')!;
    web.healthcheckPath = web.healthCheckPath;
    delete web.healthCheckPath;
    expect(validateRender(broken)).toBe(false);
  });

  itWithRenderSchema('the Render validator rejects a Key Value without ipAllowList and an unknown top-level key', () => {
    const noAllowList = clone(render);
    delete (noAllowList.services as RenderService[]).find((s) => s.type === 'keyvalue')!.ipAllowList;
    expect(validateRender(noAllowList)).toBe(false);

    const extraKey = clone(render);
    extraKey.service = [];
    expect(validateRender(extraKey)).toBe(false);
  });

  it('the Compose validator rejects a bad depends_on condition and an unknown service key', () => {
    const badCondition = clone(compose);
    (badCondition.services as Record<string, ComposeService>).api!.depends_on = { postgres: { condition: 'healthy' } };
    expect(validateCompose(badCondition)).toBe(false);

    const unknownKey = clone(compose);
    (unknownKey.services as Record<string, ComposeService>).redis!.helthcheck = {};
    expect(validateCompose(unknownKey)).toBe(false);
  });
});

describe('render.yaml', () => {
  it('runs the API as a web service with /readyz as its health path', () => {
    const web = renderService('web');
    expect(web.runtime).toBe('node');
    expect(web.startCommand).toBe('node dist/api/main.js');
    // /readyz fails only while starting/shutting down; a DB check here would turn a DB outage
    // into a restart storm (Render restarts instances whose health path fails).
    expect(web.healthCheckPath).toBe('/readyz');
  });

  it('runs the migrations before each deploy of the API', () => {
    expect(renderService('web').preDeployCommand).toBe('node dist/shared/db/migrate.js latest');
  });

  it('runs the worker as a background worker on every queue', () => {
    const worker = renderService('worker');
    expect(worker.runtime).toBe('node');
    expect(worker.startCommand).toBe('node --max-old-space-size=192 dist/workers/main.js');
    expect(worker.healthCheckPath).toBeUndefined(); // Render has no health checks for workers
    expect(resolveEnv(worker).get('WORKER_QUEUES')?.def.value).toBe('all');
  });

  it('builds with the TypeScript compiler available even though NODE_ENV=production', () => {
    for (const svc of [renderService('web'), renderService('worker')]) {
      const build = String(svc.buildCommand);
      expect(build).toMatch(/\bnpm ci\b/);
      expect(build).toMatch(/\bnpm run build\b/);
      // With NODE_ENV=production in the build environment, plain `npm ci` skips devDependencies
      // (typescript) and the build fails.
      if (resolveEnv(svc).get('NODE_ENV')?.def.value === 'production') expect(build).toMatch(/npm ci[^&]*--include=dev/);
    }
  });

  it('gives the API and the worker the same ENCRYPTION_KEY (one shared group entry)', () => {
    const web = resolveEnv(renderService('web')).get('ENCRYPTION_KEY');
    const worker = resolveEnv(renderService('worker')).get('ENCRYPTION_KEY');
    expect(web?.origin).toMatch(/^group:/);
    expect(worker?.origin).toBe(web?.origin);
    expect(worker?.def).toBe(web?.def); // the very same YAML node
    const def = web!.def;
    expect(def.value).toBeUndefined();
    expect(def.generateValue === true || def.sync === false).toBe(true);
  });

  it('gives the API and the worker the same database, queue prefix and environment', () => {
    const web = resolveEnv(renderService('web'));
    const worker = resolveEnv(renderService('worker'));
    for (const key of ['DATABASE_URL', 'DATABASE_CA_CERT', 'QUEUE_PREFIX', 'NODE_ENV']) {
      expect({ key, def: worker.get(key)?.def }).toEqual({ key, def: web.get(key)?.def });
      expect(web.get(key)).toBeDefined();
    }
    expect(web.get('NODE_ENV')?.def.value).toBe('production');
    expect(web.get('QUEUE_PREFIX')?.def.value).toBe('evara');
  });

  it('never holds a secret value: secrets are sync:false (or generated)', () => {
    for (const { def, where } of allRenderEnvDefs()) {
      if (!def.key || !SECRET_KEYS.includes(def.key)) continue;
      expect({ where, key: def.key, value: def.value, previewValue: def.previewValue }).toEqual({
        where,
        key: def.key,
        value: undefined,
        previewValue: undefined,
      });
      expect(def.sync === false || def.generateValue === true).toBe(true);
    }
    // Supabase is set by hand: no Render Postgres, no fromDatabase.
    expect(render.databases).toBeUndefined();
    const dbUrl = resolveEnv(renderService('web')).get('DATABASE_URL')?.def;
    expect(dbUrl?.sync).toBe(false);
    expect(resolveEnv(renderService('web')).get('ADMIN_API_KEY')?.def.sync).toBe(false);
  });

  it('wires REDIS_URL to a noeviction Key Value through its connection string', () => {
    const kv = renderService('keyvalue');
    expect(kv.maxmemoryPolicy).toBe('noeviction');
    expect(Array.isArray(kv.ipAllowList)).toBe(true);
    for (const svc of [renderService('web'), renderService('worker')]) {
      const redis = resolveEnv(svc).get('REDIS_URL')?.def;
      expect(redis?.fromService).toEqual({ type: 'keyvalue', name: kv.name, property: 'connectionString' });
    }
  });

  it('has unique names, resolvable references and one region', () => {
    const names = services.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const groupNames = groups.map((g) => g.name);
    expect(new Set(groupNames).size).toBe(groupNames.length);
    for (const svc of services) {
      resolveEnv(svc); // throws on an unknown group
      for (const e of svc.envVars ?? []) {
        if (e.fromService) expect(services.some((s) => s.name === e.fromService!.name && s.type === e.fromService!.type)).toBe(true);
      }
    }
    // The Key Value internal URL only works inside one region.
    expect(new Set(services.map((s) => s.region ?? 'oregon')).size).toBe(1);
  });

  it('uses only env var names from src/shared/config.ts (plus Render build settings)', () => {
    const allowed = new Set([...CONFIG_KEYS, 'NODE_VERSION']);
    const unknown = allRenderEnvDefs()
      .filter(({ def }) => def.key !== undefined && !allowed.has(def.key))
      .map(({ def, where }) => `${where}: ${def.key}`);
    expect(unknown).toEqual([]);
  });

  it('lets graceful shutdown finish inside Render’s shutdown window', () => {
    for (const svc of [renderService('web'), renderService('worker')]) {
      const windowMs = ((svc.maxShutdownDelaySeconds as number | undefined) ?? 30) * 1000;
      const timeout = Number(resolveEnv(svc).get('SHUTDOWN_TIMEOUT_MS')?.def.value ?? 25_000);
      expect(timeout).toBeLessThan(windowMs);
    }
  });
});

describe('docker-compose.yml', () => {
  it('has postgres, redis, migrate, api, worker and simulator', () => {
    expect(Object.keys(composeServices).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'simulator', 'worker']);
  });

  it('checks Postgres readiness over TCP with pg_isready', () => {
    const pg = composeService('postgres');
    expect(pg.image).toBe('postgres:15');
    expect(commandText(pg.healthcheck?.test)).toMatch(/pg_isready -h 127\.0\.0\.1 -U postgres/);
  });

  it('runs Redis with noeviction and a healthcheck that looks for PONG', () => {
    const redis = composeService('redis');
    expect(redis.image).toBe('redis:7');
    expect(commandText(redis.command)).toMatch(/--maxmemory-policy\s+noeviction/);
    const test = redis.healthcheck?.test;
    expect(Array.isArray(test) ? test[0] : '').toBe('CMD-SHELL'); // a pipe needs a shell
    expect(commandText(test)).toMatch(/redis-cli ping/);
    expect(commandText(test)).toMatch(/PONG/);
  });

  it('starts api and worker only after healthy stores and completed migrations', () => {
    for (const name of ['api', 'worker']) {
      const deps = dependsOn(composeService(name));
      expect({ name, postgres: deps.postgres?.condition, redis: deps.redis?.condition, migrate: deps.migrate?.condition }).toEqual({
        name,
        postgres: 'service_healthy',
        redis: 'service_healthy',
        migrate: 'service_completed_successfully',
      });
    }
    expect(dependsOn(composeService('migrate')).postgres?.condition).toBe('service_healthy');
    expect(commandText(composeService('migrate').command)).toBe('node dist/shared/db/migrate.js latest');
  });

  it('every service_healthy dependency has a healthcheck, and every dependency exists', () => {
    for (const [name, svc] of Object.entries(composeServices)) {
      for (const [dep, { condition }] of Object.entries(dependsOn(svc))) {
        expect({ name, dep, exists: dep in composeServices }).toEqual({ name, dep, exists: true });
        if (condition === 'service_healthy') expect(composeService(dep).healthcheck?.test).toBeDefined();
      }
    }
  });

  it('has no dependency cycle and no required dependency hidden behind another profile', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (n: string): void => {
      if (done.has(n)) return;
      if (visiting.has(n)) throw new Error(`depends_on cycle through ${n}`);
      visiting.add(n);
      for (const d of Object.keys(dependsOn(composeService(n)))) visit(d);
      visiting.delete(n);
      done.add(n);
    };
    Object.keys(composeServices).forEach(visit);

    for (const [name, svc] of Object.entries(composeServices)) {
      for (const [dep, spec] of Object.entries(dependsOn(svc))) {
        if (spec.required === false) continue;
        const depProfiles = composeService(dep).profiles;
        if (!depProfiles) continue; // always on
        // Every profile that starts `name` must also start `dep`.
        for (const p of svc.profiles ?? ['(default)']) expect({ name, dep, p, ok: depProfiles.includes(p) }).toEqual({ name, dep, p, ok: true });
      }
    }
  });

  it('keeps the stores in the default profile and the app under the `app` profile', () => {
    expect(composeService('postgres').profiles).toBeUndefined();
    expect(composeService('redis').profiles).toBeUndefined();
    for (const name of ['migrate', 'api', 'worker', 'simulator']) expect(composeService(name).profiles).toContain('app');
    expect(composeService('simulator').profiles).toContain('sim');
  });

  it('builds the app services from the Dockerfile and runs the compiled entry points', () => {
    const expected: Record<string, string> = {
      migrate: 'node dist/shared/db/migrate.js latest',
      api: 'node dist/api/main.js',
      worker: 'node --max-old-space-size=192 dist/workers/main.js',
      simulator: 'node dist/simulator/main.js',
    };
    for (const [name, cmd] of Object.entries(expected)) {
      const svc = composeService(name);
      expect(svc.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
      expect(commandText(svc.command)).toBe(cmd);
    }
  });

  it('checks the API on /readyz with node (the image has no curl)', () => {
    const test = composeService('api').healthcheck?.test;
    expect(Array.isArray(test)).toBe(true);
    expect((test as string[])[0]).toBe('CMD');
    expect((test as string[])[1]).toBe('node');
    expect(commandText(test)).toMatch(/http:\/\/127\.0\.0\.1:3000\/readyz/);
    expect(composeEnv(composeService('api')).PORT).toBe('3000');
  });

  it('points api and worker at the compose stores and the simulator', () => {
    const simPort = composeEnv(composeService('simulator')).SIMULATOR_PORT ?? '3100';
    for (const name of ['api', 'worker', 'migrate']) {
      const env = composeEnv(composeService(name));
      expect(new URL(env.DATABASE_URL ?? '').hostname).toBe('postgres');
      expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
      expect(env.THINGSPEAK_BASE_URL).toBe(`http://simulator:${simPort}`);
    }
  });

  it('holds no secret: no keys, and database URLs without passwords', () => {
    for (const [name, svc] of Object.entries(composeServices)) {
      const env = composeEnv(svc);
      for (const key of ['ADMIN_API_KEY', 'ENCRYPTION_KEY', 'DATABASE_CA_CERT']) expect({ name, key, value: env[key] }).toEqual({ name, key, value: undefined });
      if (env.DATABASE_URL) expect(new URL(env.DATABASE_URL).password).toBe('');
    }
  });

  it('uses only env var names from src/shared/config.ts in app services (plus SIMULATOR_PORT)', () => {
    const allowed = new Set([...CONFIG_KEYS, 'SIMULATOR_PORT']);
    for (const name of ['migrate', 'api', 'worker', 'simulator']) {
      const unknown = Object.keys(composeEnv(composeService(name))).filter((k) => !allowed.has(k));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });
});

describe('no secret material in any deploy file', () => {
  it.each(['render.yaml', 'docker-compose.yml', 'Dockerfile', '.env.example'])('%s', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/-----BEGIN [A-Z ]*(CERTIFICATE|PRIVATE KEY)-----/);
    // A 32-byte key as base64 (44 chars) or hex (64 chars).
    expect(text).not.toMatch(/(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=])/);
    expect(text).not.toMatch(/(^|[^0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])/);
    // No password in any URL.
    expect(text).not.toMatch(/[a-z]+:\/\/[^\s/:@]+:[^\s/@]+@/i);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({ image: m[1] as string, name: m[2] }));
  const finalStageText = dockerfile.slice(dockerfile.search(/^FROM[^\n]*AS runtime\b/im));

  it('is multi-stage on Node 20 with only known stages referenced', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/node:20-(bookworm-slim|alpine)/);
    const names = new Set(stages.map((s) => s.name).filter(Boolean));
    for (const m of dockerfile.matchAll(/--from=(\S+)/g)) expect(names.has(m[1])).toBe(true);
    expect(stages[stages.length - 1]!.name).toBe('runtime');
  });

  it('compiles with npm ci + npm run build and ships production dependencies and dist only', () => {
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(finalStageText).not.toMatch(/COPY\s+(--\S+\s+)*src\b/);
    expect(finalStageText).toMatch(/COPY --from=build \/app\/dist/);
  });

  it('runs the API as the non-root node user with NODE_ENV=production', () => {
    expect(finalStageText).toMatch(/^ENV NODE_ENV=production$/m);
    expect(finalStageText).toMatch(/^USER node$/m);
    expect(finalStageText).toMatch(/^CMD \["node", "dist\/api\/main\.js"\]$/m);
  });

  it('.dockerignore keeps local and secret files out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', 'dist', '.git', '.env', 'test', 'coverage']) expect(ignored).toContain(entry);
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) expect(ignored).not.toContain(needed);
  });
});

describe('.env.example', () => {
  const text = read('.env.example');
  const documented = new Set([...text.matchAll(/^#?\s?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string));

  it('lists every variable of src/shared/config.ts and the test URLs', () => {
    const missing = [...CONFIG_KEYS, 'TEST_DATABASE_URL', 'TEST_REDIS_URL'].filter((k) => !documented.has(k));
    expect(missing).toEqual([]);
  });

  it('repeats the one-line doc comment of each variable from src/shared/config.ts', () => {
    const src = read('src/shared/config.ts');
    const docs = [...src.matchAll(/^\s*\/\*\* (.+?) \*\/\n\s*([A-Z][A-Z0-9_]*):/gm)].map((m) => ({ key: m[2] as string, doc: m[1] as string }));
    expect(docs.length).toBeGreaterThanOrEqual(CONFIG_KEYS.length - 2);
    const missing = docs.filter(({ doc }) => !text.includes(`# ${doc}\n`)).map(({ key }) => key);
    expect(missing).toEqual([]);
  });

  it('lists nothing unknown', () => {
    const allowed = new Set([...CONFIG_KEYS, 'TEST_DATABASE_URL', 'TEST_REDIS_URL', 'SIMULATOR_PORT']);
    expect([...documented].filter((k) => !allowed.has(k))).toEqual([]);
  });

  it('gives the test URLs their defaults', () => {
    expect(text).toMatch(/^# TEST_DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:5432\/test$/m);
    expect(text).toMatch(/^# TEST_REDIS_URL=redis:\/\/127\.0\.0\.1:6379$/m);
  });
});
