import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { STATUS_PAGE_CSP } from '../../../src/api/status-page/status-page.routes';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { createTcpProxy } from '../../helpers/tcp-proxy';
import { itDatabaseUrl } from '../../setup/test-env';
import { startLiveServer, type LiveServer } from '../ws/live-test-client';
import { launchChromium } from './headless-chromium';
import { insertOpenAlert, seedStatusPage, type StatusPageSeed } from './status-page-seed';

// Where the screenshot goes: docs/status-page.png when asked for (README shows it), else a temp dir
// so a test run leaves the work tree clean.
const SCREENSHOT = process.env.STATUS_PAGE_SCREENSHOT ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'status-page-')), 'status-page.png');

/**
 * The status page in a real headless Chromium against a running API (HTTP + live socket, on a
 * database reached through a proxy the test can cut): what it shows, live updates, the key kept
 * for the tab only, a phone-sized screen, and the turn to "Degraded" when the database goes.
 */
describe('status page in headless Chromium', () => {
  const proxy = createTcpProxy({ host: '127.0.0.1', port: Number(new URL(itDatabaseUrl()).port || 5432) });
  let direct: TestCore; // the real database: seeds and plays the workers
  let api: TestCore; // the API's core, on the proxied database
  let server: LiveServer;
  let browser: Browser;
  let seed: StatusPageSeed;
  const pageProblems: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    await proxy.start();
    const viaProxy = new URL(itDatabaseUrl());
    viaProxy.port = String(proxy.port);
    direct = createTestCore({}, 'api');
    api = createTestCore({ QUEUE_PREFIX: direct.prefix, DATABASE_URL: viaProxy.toString(), WS_BATCH_MS: '100' }, 'api');
    server = await startLiveServer(api);
    seed = await seedStatusPage(direct);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await api?.close();
    await direct?.close();
    await proxy.cut();
  });

  /** A page that records script errors and CSP violations (either means the page is broken). */
  async function openPage(viewport: { width: number; height: number }, mobile = false): Promise<Page> {
    const context = await browser.newContext({ viewport, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: mobile ? 2 : 1 });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) pageProblems.push(`console: ${msg.text()}`);
    });
    return page;
  }

  async function signIn(page: Page): Promise<void> {
    await page.fill('#api-key', seed.key);
    await page.click('#key-form button[type=submit]');
    await page.locator('#nodes-body tr').nth(seed.nodes.length - 1).waitFor({ timeout: 10_000 });
    expect(await page.locator('#nodes-body tr').count()).toBe(seed.nodes.length);
  }

  // Page state is read through locators (the project compiles without the DOM library).
  const healthShows = (page: Page, status: string, timeout: number) => page.locator('#health-status', { hasText: new RegExp(`^${status}$`) }).waitFor({ timeout });
  const rowOf = (page: Page, label: string) => page.locator('#nodes-body tr', { hasText: label });
  const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();

  test('when an operator signs in, then the page shows health, nodes with status, level and last seen, and open alerts; live events update it; the key stays in the tab only', async () => {
    const page = await openPage({ width: 1200, height: 900 });
    const response = await page.goto(`${server.httpUrl}/`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toBe(STATUS_PAGE_CSP);
    await healthShows(page, 'OK', 10_000);
    expect(await text(page, '#health-circuit')).toBe('closed');
    expect(await text(page, '#health-queue')).toMatch(/^running · waiting \d+ · active \d+ · delayed \d+ · failed \d+$/);
    for (const queue of ['alerts', 'notifications', 'maintenance']) {
      expect(await text(page, `#health-queue-${queue}`)).toMatch(/^running · waiting \d+ · active \d+ · delayed \d+ · failed \d+$/);
    }
    expect(await page.isVisible('#nodes')).toBe(false); // nothing but health before a key is given

    await signIn(page);
    for (const node of seed.nodes.filter((n) => !n.channelErrorCode)) {
      const row = rowOf(page, node.label);
      expect(await row.locator('td[data-label=Status]').textContent()).toBe(node.status);
      expect(await row.locator('td[data-label=Level]').textContent()).toBe(`${node.levelPct} %`);
    }
    // A node whose channel answers 404 says so, instead of "provisioning" and "never".
    const unreadable = rowOf(page, 'Yamuna sump');
    expect(await unreadable.locator('td[data-label=Status]').textContent()).toBe('channel unreadable (404)');
    expect(await unreadable.locator('td[data-label=Status] .status').getAttribute('title')).toMatch(/^channel \d+: ThingSpeak channel not found$/);
    expect(await unreadable.locator('td[data-label=Level]').textContent()).toBe('–');
    expect(await unreadable.locator('td[data-label="Last seen"]').textContent()).toBe('never (channel unreadable)');
    expect(await rowOf(page, 'Bakul OHT').locator('td[data-label="Last seen"]').textContent()).toBe('1 min ago');
    expect(await rowOf(page, 'Vindhya OHT').locator('td[data-label="Last seen"]').textContent()).toBe('3 h ago');
    // One page holds them all; the counts by status come from /nodes/summary.
    expect(await text(page, '#nodes-range')).toBe('Nodes 1–4 of 4');
    expect(await page.isDisabled('#nodes-prev')).toBe(true);
    expect(await page.isDisabled('#nodes-next')).toBe(true);
    await page.locator('#nodes-counts .chip[data-filter-status=""]', { hasText: /^All 4$/ }).waitFor({ timeout: 10_000 });
    for (const [status, n] of [['Online', 1], ['Alert', 1], ['Offline', 1], ['Maintenance', 0], ['provisioning', 1]] as const) {
      expect(await text(page, `#nodes-counts .chip[data-filter-status="${status}"] .n`)).toBe(String(n));
    }
    await page.waitForSelector(`#alerts-list li[data-alert-id="${seed.alert.id}"]`);
    expect(await text(page, `#alerts-list li[data-alert-id="${seed.alert.id}"] .meta`)).toMatch(/^critical · Parijat sump · since 5 min ago$/);
    expect(await text(page, '#alerts-count')).toBe('(1)');

    // Live: a status change, a new alert and new telemetry arrive without a reload.
    await page.locator('#live[data-state="on"]').waitFor({ timeout: 10_000 });
    // The socket's opening refetch (for events missed before it opened) is over first: the status
    // below is only announced, not written, so a later refetch would show the database's again.
    await page.locator('#nodes[data-refresh="idle"]').waitFor({ timeout: 10_000 });
    const audience = { kind: 'community' as const, communityId: seed.communityId, distributorId: null };
    await direct.events.publish('STATUS_UPDATE', audience, { node_id: seed.nodes[2]!.id, status: 'Maintenance' });
    await page.locator(`#nodes-body tr[data-node-id="${seed.nodes[2]!.id}"] .status`, { hasText: /^Maintenance$/ }).waitFor({ timeout: 10_000 });
    const second = await insertOpenAlert(direct, { nodeId: seed.nodes[0]!.id, communityId: seed.communityId, title: 'Bakul OHT nearly full', message: 'level_pct 96.5 > 95', severity: 'warning' });
    await direct.events.publish('ALERT_OPENED', audience, { alert_id: second.id, node_id: seed.nodes[0]!.id, severity: 'warning', title: second.title });
    await page.waitForSelector(`#alerts-list li[data-alert-id="${second.id}"]`, { timeout: 10_000 });
    expect(await text(page, '#alerts-count')).toBe('(2)');

    await page.setViewportSize({ width: 1100, height: 560 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // A label is text, never markup, even when it looks like HTML.
    await direct.db('nodes').where({ id: seed.nodes[0]!.id }).update({ label: '<img src=x id=injected> Bakul OHT' });
    await direct.events.publish('TELEMETRY_UPDATE', audience, { node_id: seed.nodes[0]!.id, readings_count: 1 });
    await page.locator('#nodes-body .label', { hasText: '<img src=x id=injected> Bakul OHT' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#injected').count()).toBe(0);

    // The key survives a reload of the tab, only in sessionStorage: not in localStorage, a cookie or the URL.
    await page.reload();
    await page.locator('#nodes-body tr').nth(seed.nodes.length - 1).waitFor({ timeout: 10_000 });
    expect(await page.isVisible('#sign-in')).toBe(false);
    const storage = await page.evaluate<{ session: string | null; local: number; cookie: string }>("({ session: sessionStorage.getItem('evara.apiKey'), local: localStorage.length, cookie: document.cookie })");
    expect(storage).toEqual({ session: seed.key, local: 0, cookie: '' });
    expect(await page.context().cookies()).toEqual([]);
    expect(page.url()).not.toContain(seed.key);

    // Signing out forgets it.
    await page.click('#sign-out');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    expect(await page.isVisible('#sign-in')).toBe(true);
    await page.context().close();
    expect(pageProblems).toEqual([]);
  });

  test('when a wrong key is given, then it is refused and not kept', async () => {
    const page = await openPage({ width: 1200, height: 900 });
    await page.goto(`${server.httpUrl}/status`);
    await page.fill('#api-key', 'evk_not_a_real_key_0123456789abcdef');
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#key-error:not([hidden])');
    expect(await text(page, '#key-error')).toBe('This API key was refused.');
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.context().close();
  });

  test('when the page is opened on a phone, then nothing overflows sideways and each node is a card', async () => {
    const page = await openPage({ width: 390, height: 844 }, true);
    await page.goto(`${server.httpUrl}/`);
    await signIn(page);
    const layout = await page.evaluate<{ scrollWidth: number; innerWidth: number; headerShown: boolean; rowDisplay: string }>(`({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
      headerShown: getComputedStyle(document.querySelector('table.nodes thead')).display !== 'none',
      rowDisplay: getComputedStyle(document.querySelector('#nodes-body tr')).display,
    })`);
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    expect(layout).toMatchObject({ headerShown: false, rowDisplay: 'block' });
    await page.context().close();
    expect(pageProblems).toEqual([]);
  });

  test('when the database goes away, then the page turns Degraded and says the lists cannot be refreshed, keeping what it showed', async () => {
    const page = await openPage({ width: 1200, height: 900 });
    await page.goto(`${server.httpUrl}/`);
    await signIn(page);
    await healthShows(page, 'OK', 10_000);

    await proxy.cut();
    // Bounded by the page's own /health polling (every 4 s, reports cached 2 s).
    await healthShows(page, 'Degraded', 20_000);
    expect(await text(page, '#health-database')).toBe('down');
    expect(await text(page, '#health-reasons')).toContain('database down');
    // The lists and the counts fail with the API's 503; the page says so once, and keeps the rows it had.
    await page.locator('#notice', { hasText: /^Node list, node counts and alerts cannot be refreshed: / }).waitFor({ timeout: 10_000 });
    expect(await text(page, '#notice')).toMatch(/^Node list, node counts and alerts cannot be refreshed: The database is unavailable right now; try again shortly \(HTTP 503\)\. Showing what was loaded at .+\. Retrying\.$/);
    expect(await page.isVisible('#notice')).toBe(true);
    expect(await page.locator('#nodes-body tr').count()).toBe(seed.nodes.length);

    await proxy.start();
    await healthShows(page, 'OK', 20_000);
    await page.waitForSelector('#notice', { state: 'hidden', timeout: 10_000 });
    await page.context().close();
    expect(pageProblems).toEqual([]);
    expect(api.logs.text()).not.toContain(seed.key);
  });
});
