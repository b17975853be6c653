import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { createApp } from '../../../src/api/app';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { FakeSupabase } from '../../helpers/fake-supabase';
import { distributorCommunity } from '../api/tenant-fixtures';
import { launchChromium } from './headless-chromium';

const API_PORT = 47410;
const ALLOWED_PAGE_PORT = 47411;
const OTHER_PAGE_PORT = 47412;
const SUPABASE_PORT = 47413;

/** A page server: one empty HTML page, so the page's origin is http://localhost:<port>. */
async function pageServer(port: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>dashboard</title>'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const closeServer = (server?: http.Server) => (server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve());

type FetchOutcome = { ok: true; status: number; requestId: string | null; nodeIds: string[] } | { ok: false; error: string };

/**
 * A real headless Chromium on another origin calls the API with a Supabase access token: the
 * preflight (Authorization is not a simple header) passes for an allowed origin and the page reads
 * the nodes; a page on an origin not listed in CORS_ORIGINS cannot read anything.
 */
describe('CORS in headless Chromium', () => {
  let browser: Browser;
  let core: TestCore;
  let supabase: FakeSupabase;
  let api: http.Server;
  let allowedPage: http.Server;
  let otherPage: http.Server;
  const methodsSeen: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    supabase = await FakeSupabase.start(SUPABASE_PORT);
    core = createTestCore({ SUPABASE_URL: supabase.url, CORS_ORIGINS: `http://localhost:${ALLOWED_PAGE_PORT}` }, 'api');
    const app = createApp(core);
    api = http.createServer((req, res) => {
      methodsSeen.push(req.method ?? '');
      app(req, res);
    });
    await new Promise<void>((resolve) => api.listen(API_PORT, '127.0.0.1', resolve));
    allowedPage = await pageServer(ALLOWED_PAGE_PORT);
    otherPage = await pageServer(OTHER_PAGE_PORT);
  });

  afterAll(async () => {
    await browser?.close();
    await closeServer(api);
    await closeServer(allowedPage);
    await closeServer(otherPage);
    await supabase?.stop();
    await core?.close();
  });

  async function fetchFrom(pagePort: number, token: string): Promise<FetchOutcome> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://localhost:${pagePort}/`);
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, 'X-Request-Id': 'from-the-browser' } });
            const body = (await res.json()) as { data?: Array<{ id: string }> };
            return { ok: true as const, status: res.status, requestId: res.headers.get('X-Request-Id'), nodeIds: (body.data ?? []).map((n) => n.id) };
          } catch (err) {
            return { ok: false as const, error: String(err) };
          }
        },
        { url: `http://127.0.0.1:${API_PORT}/api/v1/nodes`, token },
      );
    } finally {
      await page.close();
    }
  }

  test('a page on an allowed origin reads /api/v1/nodes with a token (after a preflight); a page on another origin cannot', async () => {
    const tenant = await distributorCommunity(core);
    const sub = randomUUID();
    await core.repos.users.create({ id: sub, email: null, label: null, role: 'customer', distributorId: null, communityId: tenant.communityId });
    const token = await supabase.mint(sub, await supabase.addKey('ES256'));

    const allowed = await fetchFrom(ALLOWED_PAGE_PORT, token);
    expect(allowed).toEqual({ ok: true, status: 200, requestId: 'from-the-browser', nodeIds: [tenant.nodeId] });
    expect(methodsSeen).toContain('OPTIONS');

    const gets = methodsSeen.filter((m) => m === 'GET').length;
    const other = await fetchFrom(OTHER_PAGE_PORT, token);
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.error).toMatch(/Failed to fetch/);
    // The browser stopped at the preflight: the GET with the token never reached the API.
    expect(methodsSeen.filter((m) => m === 'GET').length).toBe(gets);
  });
});
