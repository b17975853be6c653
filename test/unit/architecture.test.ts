import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The import graph rules live in .dependency-cruiser.cjs (also run by `npm run lint`). This test runs
 * dependency-cruiser over src with that config and expects no violations, and runs the same config
 * over test/fixtures/import-graph (one deliberately wrong import per rule) to prove every rule bites.
 *
 * dependency-cruiser's API is ESM-only and jest (CommonJS, no --experimental-vm-modules) cannot load
 * it, so the CLI runs in a child process and its JSON report is parsed.
 */
const ROOT = path.join(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'import-graph');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const CLI = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** The parts of dependency-cruiser's JSON report (cruise-result schema) used here. */
interface CruiseResult {
  modules: Array<{ source: string; dependencies: Array<{ module: string; resolved: string; dependencyTypes: string[] }> }>;
  summary: {
    violations: Array<{ type: string; from: string; to: string; rule: { name: string; severity: string }; cycle?: Array<{ name: string }> }>;
    totalCruised: number;
  };
}

async function cruise(cwd: string): Promise<CruiseResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'src', '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as CruiseResult;
}

/** `node_modules/knex/knex.js` (or `../../../node_modules/knex/...` from the fixture) -> `npm:knex`; unresolved names stay bare. */
function label(target: string): string {
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(target);
  return pkg ? `npm:${pkg[1]}` : target;
}

function describeViolations(result: CruiseResult): string[] {
  return result.summary.violations
    .map((v) => {
      const route = v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${label(v.to)}`;
      return `${v.rule.name}: ${route}`;
    })
    .sort();
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

describe('architecture', () => {
  const files = tsFiles(SRC);
  let src: CruiseResult;
  let fixture: CruiseResult;

  beforeAll(async () => {
    [src, fixture] = await Promise.all([cruise(ROOT), cruise(FIXTURE)]);
  });

  test('when src is cruised, then no import breaks a rule of .dependency-cruiser.cjs', () => {
    // Run `npm run --silent lint:imports` for the same list with each rule's reason.
    expect(describeViolations(src)).toEqual([]);
  });

  test('when src is cruised, then every source file is in the graph', () => {
    const cruised = new Set(src.modules.map((m) => m.source));
    expect(files.map((f) => path.relative(ROOT, f).split(path.sep).join('/')).filter((f) => !cruised.has(f))).toEqual([]);
  });

  test('when a fixture tree has one wrong import per rule, then the same config reports exactly those', () => {
    expect(describeViolations(fixture)).toEqual(
      [
        'api-not-to-workers: src/api/app.ts → src/workers/job.ts',
        'api-not-to-workers: src/api/job-view.ts → src/workers/job.ts',
        'workers-not-to-api: src/workers/uses-api.ts → src/api/label.ts',
        'shared-not-to-apps: src/shared/leak.ts → src/api/label.ts',
        'shared-not-to-apps: src/shared/leak.ts → src/tools/doctor.ts',
        'simulator-and-tools-not-to-processes: src/simulator/uses-workers.ts → src/workers/job.ts',
        'simulator-and-tools-not-to-processes: src/tools/uses-api.ts → src/api/label.ts',
        'processes-not-to-dev-tools: src/api/uses-simulator.ts → src/simulator/sim.ts',
        'simulator-and-tools-apart: src/tools/doctor.ts → src/simulator/sim.ts',
        'no-circular: src/shared/cycle-a.ts → src/shared/cycle-b.ts → src/shared/cycle-a.ts',
        'knex-only-in-repositories-and-db: src/api/orders.routes.ts → npm:knex',
        'knex-only-in-repositories-and-db: src/shared/things/thing-service.ts → npm:knex',
        'bullmq-only-in-queues-and-workers: src/api/queue-peek.ts → npm:bullmq',
        'migrations-only-from-migrate: src/shared/status.ts → src/shared/db/migrations/001_init.ts',
      ].sort(),
    );
  });

  test('when shared code is written, then it never imports express', () => {
    const offenders = src.modules
      .filter((m) => m.source.startsWith('src/shared/'))
      .filter((m) => m.dependencies.some((d) => d.module === 'express' || label(d.resolved) === 'npm:express'))
      .map((m) => m.source);
    expect(offenders).toEqual([]);
  });

  test('when src reads the environment, then it is only in config.ts (and the simulator CLI)', () => {
    const readers = files.filter((f) => /process\.env\b/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    // api/tracing.ts and workers/tracing.ts are the first lines of their main.ts, split out because
    // tracing must start before any other import is evaluated; they hand process.env to the SDK.
    const entryPoints = ['simulator/main.ts', 'shared/db/migrate.ts', 'api/main.ts', 'workers/main.ts', 'tools/doctor/main.ts', 'api/tracing.ts', 'workers/tracing.ts'];
    expect(readers.filter((f) => !['shared/config.ts', ...entryPoints].includes(f))).toEqual([]);
  });

  test('when src logs, then it uses pino, never console', () => {
    expect(files.filter((f) => /\bconsole\.(log|error|warn|info)\(/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
