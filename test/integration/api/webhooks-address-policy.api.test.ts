import { createTestCore, type TestCore } from '../../helpers/test-core';
import { apiClient, issueKey, type ApiClient } from '../../helpers/http';
import { uniqueCommunity } from '../notifications/notification-fixtures';

const LOOPBACK = 'a loopback address';
const PRIVATE = 'a private (RFC 1918) address';
const LINK_LOCAL = 'a link-local address';
const UNSPECIFIED = 'an unspecified address';
const RESERVED = 'a reserved or special-purpose address';

/**
 * POST /api/v1/webhooks with the URLs of the SSRF report (issue 12) and their relatives: every
 * one names an address inside, in some spelling, and is refused with the reason. The core runs
 * with the production default, WEBHOOK_ALLOWED_PRIVATE_CIDRS empty (tests otherwise allow loopback).
 */
describe('webhooks API: URLs that point inside', () => {
  let core: TestCore;
  let api: ApiClient;

  beforeAll(async () => {
    core = createTestCore({ WEBHOOK_ALLOWED_PRIVATE_CIDRS: '' }, 'api');
    const community = await uniqueCommunity(core);
    api = apiClient(core, await issueKey(core, { role: 'customer', communityId: community.id }));
  });

  afterAll(async () => {
    await core.close();
  });

  test.each([
    ['https://127.0.0.1:9/', LOOPBACK, '127.0.0.1'],
    ['http://127.0.0.1:3799/hook', LOOPBACK, '127.0.0.1'],
    ['https://localhost/', 'localhost', 'a loopback address'],
    ['https://LOCALHOST.:8443/', 'localhost', 'a loopback address'],
    ['https://admin.localhost/', 'localhost', 'a loopback address'],
    ['https://169.254.169.254/latest/meta-data/', LINK_LOCAL, '169.254.169.254'],
    ['https://10.0.0.5/', PRIVATE, '10.0.0.5'],
    ['https://172.16.0.1/', PRIVATE, '172.16.0.1'],
    ['https://192.168.1.1/', PRIVATE, '192.168.1.1'],
    ['https://100.64.0.1/', 'a carrier-grade NAT (100.64.0.0/10) address', '100.64.0.1'],
    ['https://[::1]/', LOOPBACK, '::1'],
    ['https://[::]/', UNSPECIFIED, '::'],
    ['https://0.0.0.0/', UNSPECIFIED, '0.0.0.0'],
    ['https://0/', UNSPECIFIED, '0.0.0.0'],
    ['https://0x7f000001/', LOOPBACK, '127.0.0.1'],
    ['https://2130706433/', LOOPBACK, '127.0.0.1'],
    ['https://017700000001/', LOOPBACK, '127.0.0.1'],
    ['https://127.1/', LOOPBACK, '127.0.0.1'],
    ['https://0177.0.0.1/', LOOPBACK, '127.0.0.1'],
    ['https://[fe80::1]/', LINK_LOCAL, 'fe80::1'],
    ['https://[fd00::1]/', 'a unique local IPv6 (fc00::/7) address', 'fd00::1'],
    ['https://224.0.0.1/', 'a multicast address', '224.0.0.1'],
    ['https://[ff02::1]/', 'a multicast address', 'ff02::1'],
    ['https://255.255.255.255/', 'the broadcast address', '255.255.255.255'],
    ['https://240.0.0.1/', RESERVED, '240.0.0.1'],
    ['https://[::ffff:127.0.0.1]/', LOOPBACK, '::ffff:7f00:1, IPv4-mapped 127.0.0.1'],
    ['https://[::ffff:169.254.169.254]/', LINK_LOCAL, 'IPv4-mapped 169.254.169.254'],
    ['https://[::127.0.0.1]/', LOOPBACK, 'IPv4-compatible 127.0.0.1'],
    ['https://[64:ff9b::10.0.0.5]/', PRIVATE, 'NAT64 10.0.0.5'],
    ['https://[2002:7f00:1::]/', LOOPBACK, '6to4 127.0.0.1'],
  ])('when the url is %s, then 400 says it points to %s (%s)', async (url, what, address) => {
    const res = await api.post('/api/v1/webhooks', { url, events: ['alert.opened'] }).expect(400);

    expect(res.body).toMatchObject({ status: 'error', code: 'VALIDATION_FAILED' });
    expect(res.body.message).toMatch(/^Invalid body: body\.url: points to /);
    expect(res.body.message).toContain(what);
    expect(res.body.message).toContain(address);
    expect(res.body.message).toMatch(/; webhooks may only reach public addresses$/);
  });

  test('when the URL of the report is posted, then the message reads as a reason', async () => {
    const res = await api.post('/api/v1/webhooks', { url: 'https://127.0.0.1:9/', events: ['alert.opened'] }).expect(400);
    expect(res.body.message).toBe('Invalid body: body.url: points to a loopback address (127.0.0.1); webhooks may only reach public addresses');
  });

  test.each([
    'https://hooks.example.com/evara',
    // Host names are not resolved at creation: this one never will, and is still accepted.
    'https://receiver.does-not-resolve.invalid/hook',
    'https://8.8.8.8/hook',
    'https://[2606:4700:4700::1111]/hook',
    'https://[::ffff:8.8.8.8]/hook',
  ])('when the url is public (%s), then it is accepted without any DNS lookup', async (url) => {
    const res = await api.post('/api/v1/webhooks', { url, events: ['alert.opened'], active: false }).expect(201);
    await api.del(`/api/v1/webhooks/${res.body.data.id}`).expect(204);
  });

  test('when a PATCH moves a subscription inside, then 400 and the URL is unchanged', async () => {
    const { body } = await api.post('/api/v1/webhooks', { url: 'https://hooks.example.com/a', events: ['alert.opened'], active: false }).expect(201);
    const res = await api.patch(`/api/v1/webhooks/${body.data.id}`, { url: 'https://[::ffff:a9fe:a9fe]/latest/meta-data/' }).expect(400);
    expect(res.body.message).toContain('points to a link-local address');
    expect((await api.get(`/api/v1/webhooks/${body.data.id}`).expect(200)).body.data.url).toBe('https://hooks.example.com/a');
  });

  describe('with an on-premise range allowed', () => {
    let onPrem: TestCore;
    let onPremApi: ApiClient;

    beforeAll(async () => {
      onPrem = createTestCore({ WEBHOOK_ALLOWED_PRIVATE_CIDRS: '10.20.0.0/16' }, 'api');
      const community = await uniqueCommunity(onPrem);
      onPremApi = apiClient(onPrem, await issueKey(onPrem, { role: 'customer', communityId: community.id }));
    });

    afterAll(async () => {
      await onPrem.close();
    });

    test('when the URL is inside the allowed range, then it is accepted; other private addresses are still refused', async () => {
      const ok = await onPremApi.post('/api/v1/webhooks', { url: 'https://10.20.0.7:8443/hook', events: ['alert.opened'], active: false }).expect(201);
      await onPremApi.del(`/api/v1/webhooks/${ok.body.data.id}`).expect(204);
      const refused = await onPremApi.post('/api/v1/webhooks', { url: 'https://10.30.0.7/hook', events: ['alert.opened'] }).expect(400);
      expect(refused.body.message).toContain('points to a private (RFC 1918) address (10.30.0.7)');
      await onPremApi.post('/api/v1/webhooks', { url: 'https://localhost/hook', events: ['alert.opened'] }).expect(400);
    });
  });
});
