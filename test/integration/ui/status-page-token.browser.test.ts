import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { createTestCore, type TestCore } from '../../helpers/test-core';
import { buildNodeInput } from '../../helpers/factories';
import { FakeSupabase, type FakeSigningKey } from '../../helpers/fake-supabase';
import { startLiveServer, type LiveServer } from '../ws/live-test-client';
import { launchChromium } from './headless-chromium';

const SUPABASE_PORT = 47414;

/** The status page signed in with a Supabase access token instead of an API key: same page, same tab-only storage. */
describe('status page sign-in with an access token (headless Chromium)', () => {
  let browser: Browser;
  let supabase: FakeSupabase;
  let signingKey: FakeSigningKey;
  let core: TestCore;
  let server: LiveServer;
  let userId: string;
  const label = `Token tank ${randomUUID().slice(0, 6)}`;

  beforeAll(async () => {
    browser = await launchChromium();
    supabase = await FakeSupabase.start(SUPABASE_PORT);
    signingKey = await supabase.addKey('ES256');
    core = createTestCore({ SUPABASE_URL: supabase.url }, 'api');
    server = await startLiveServer(core);
    const community = await core.repos.communities.create({ slug: `token-${randomUUID().slice(0, 8)}`, name: 'Token', distributorId: null });
    if (community === 'slug_taken') throw new Error('slug collision');
    const node = await core.repos.nodes.create(buildNodeInput({ label }), community.id);
    if (node === 'node_key_taken') throw new Error('node key collision');
    const hidden = await core.repos.nodes.create(buildNodeInput({ label: 'Not for this user' }), (await core.repos.communities.create({ slug: `other-${randomUUID().slice(0, 8)}`, name: 'Other', distributorId: null }) as { id: string }).id);
    if (hidden === 'node_key_taken') throw new Error('node key collision');
    userId = randomUUID();
    await core.repos.users.create({ id: userId, email: 'viewer@example.test', label: null, role: 'customer', distributorId: null, communityId: community.id });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await core?.close();
    await supabase?.stop();
  });

  async function signIn(token: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.httpUrl}/`);
    await page.fill('#api-key', token);
    await page.click('#key-form button[type=submit]');
    return page;
  }

  test('a provisioned user\'s token shows its nodes (and no others), goes live, and is kept in the tab\'s sessionStorage only', async () => {
    const token = await supabase.mint(userId, signingKey);
    const page = await signIn(token);
    await page.locator('#nodes-body tr', { hasText: label }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#nodes-body tr').count()).toBe(1);
    await page.locator('#live[data-state="on"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate<string | null>('sessionStorage.getItem("evara.apiKey")')).toBe(token);
    expect(await page.evaluate<number>('localStorage.length')).toBe(0);
    expect((await page.context().cookies()).length).toBe(0);
    await page.context().close();
  });

  test.each<[string, () => Promise<string>, RegExp]>([
    ['an expired token', () => supabase.mint(userId, signingKey, { claims: { exp: Math.floor(Date.now() / 1000) - 600 } }), /^This access token was refused: The access token has expired/],
    ['the token of a user nobody provisioned', () => supabase.mint(randomUUID(), signingKey), /^This access token was refused: You are signed in, but this API has no user for you yet/],
  ])('%s is refused with the API\'s reason and not kept', async (_what, tokenOf, message) => {
    const page = await signIn(await tokenOf());
    await page.waitForSelector('#key-error:not([hidden])');
    expect(((await page.textContent('#key-error')) ?? '').trim()).toMatch(message);
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.context().close();
  });
});
