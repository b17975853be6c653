import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Browser } from 'playwright-core';
import { createApp } from '../../../src/api/app';
import { walkRoutes } from '../../../src/api/introspection/route-table';
import { toOpenApiPath } from '../../../src/api/openapi/openapi-document';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { launchChromium } from './headless-chromium';

type Attributed = { getAttribute(name: string): string | null };

/** /docs in a real headless Chromium: Swagger UI loads the generated document and lists every mounted route. */
describe('API documentation page in headless Chromium', () => {
  let core: TestCore;
  let app: Express;
  let server: http.Server;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    core = createTestCore({}, 'api');
    app = createApp(core);
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    // No server when set-up failed early (no browser): nothing to wait for.
    if (server) await new Promise((resolve) => server.close(resolve));
    await core?.close();
  });

  test('given the running API, when /docs is opened, then Swagger UI renders one operation per mounted route, with method and path', async () => {
    const table = walkRoutes(app);
    const expected = [
      ...table.routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`),
      ...table.mounts.flatMap((m) => (m.doc?.methods ?? ['get']).map((method) => `${method.toUpperCase()} ${toOpenApiPath(m.path)}`)),
    ].sort();
    const problems: string[] = [];
    const page = await browser.newPage();
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('requestfailed', (req) => problems.push(`${req.url()}: ${req.failure()?.errorText}`));

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    const operations = page.locator('.opblock');
    await operations.first().waitFor({ timeout: 30_000 });
    await page.waitForFunction((count) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.opblock').length >= count, expected.length, { timeout: 30_000 });

    const methods = await page.locator('.opblock .opblock-summary-method').allInnerTexts();
    const paths = await page.locator('.opblock .opblock-summary-path').evaluateAll((els: Attributed[]) => els.map((e) => e.getAttribute('data-path')));
    const rendered = methods.map((m, i) => `${m.trim().toUpperCase()} ${paths[i]}`).sort();
    expect(rendered).toEqual(expected);
    expect(expected.length).toBeGreaterThan(40);
    expect(await page.title()).toContain('Evara API');
    expect(await page.locator('.info .title').innerText()).toContain('Evara API');
    // Swagger UI shows a parser error box when the document is broken.
    expect(await page.locator('.errors-wrapper').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
