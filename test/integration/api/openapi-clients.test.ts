import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';

const run = promisify(execFile);
const BIN = path.join(__dirname, '../../../node_modules/.bin');
// Local binaries only: these tools must work offline. No telemetry, no update checks.
const TOOL_ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_UPDATE_NOTIFIER: '1', CI: 'true' };

/** Why a tool cannot run here, or undefined when it can. */
function missing(tool: string): string | undefined {
  return existsSync(path.join(BIN, tool)) ? undefined : `${tool} is not installed in node_modules/.bin (npm install)`;
}

/**
 * /openapi.json as real clients read it: Redocly's recommended ruleset (no errors) and
 * openapi-typescript's type generation with default settings.
 */
describe('OpenAPI document with real clients', () => {
  let core: TestCore;
  let admin: ApiClient;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    core = createTestCore({}, 'api');
    admin = apiClient(core, await issueKey(core, { role: 'superadmin' }, 'OpenAPI clients'));
    const doc = (await request(admin.app).get('/openapi.json').expect(200)).body;
    dir = await mkdtemp(path.join(os.tmpdir(), 'evara-openapi-'));
    file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(doc, null, 2));
  });

  afterAll(async () => {
    await core.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('given the document, then it names its server and describes every tag', async () => {
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(doc.tags.length).toBeGreaterThan(5);
    expect(doc.tags.filter((t: { description?: string }) => !t.description).map((t: { name: string }) => t.name)).toEqual([]);
    // Every tag has its own description, not the generic fallback.
    expect(doc.tags.filter((t: { description: string }) => t.description.startsWith('Operations under')).map((t: { name: string }) => t.name)).toEqual([]);
  });

  test('given the document, when linted by Redocly with the recommended rules, then there are no errors', async () => {
    const reason = missing('redocly');
    if (reason) {
      console.warn(`SKIPPED Redocly lint: ${reason}`);
      return;
    }
    const result = await run(path.join(BIN, 'redocly'), ['lint', '--extends=recommended', '--format=json', file], { env: TOOL_ENV, maxBuffer: 32 * 1024 * 1024, timeout: 60_000 }).catch(
      (error: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '', code: error.code }),
    );
    const report = JSON.parse(result.stdout) as { problems: Array<{ ruleId: string; severity: string; message: string; location?: Array<{ pointer?: string }> }> };
    const show = (p: (typeof report.problems)[number]) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer ?? '?'}`;
    const warnings = report.problems.filter((p) => p.severity === 'warn');
    if (warnings.length > 0) console.warn(`Redocly warnings (${warnings.length}):\n${warnings.map(show).join('\n')}`);
    expect(report.problems.filter((p) => p.severity === 'error').map(show)).toEqual([]);
  }, 90_000);

  test('given the document, when openapi-typescript generates types with default settings, then it succeeds with a non-empty .d.ts', async () => {
    const reason = missing('openapi-typescript');
    if (reason) {
      console.warn(`SKIPPED openapi-typescript: ${reason}`);
      return;
    }
    const out = path.join(dir, 'evara-api.d.ts');
    await run(path.join(BIN, 'openapi-typescript'), [file, '-o', out], { env: TOOL_ENV, timeout: 60_000 });
    const types = await readFile(out, 'utf8');
    expect(types).toContain('export interface paths');
    expect(types).toContain('"/api/v1/nodes/{id}"');
  }, 90_000);
});
