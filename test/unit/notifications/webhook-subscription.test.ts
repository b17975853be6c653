import { generateWebhookSecret, webhookSubscriptionSchemas, webhookUrlProblem } from '../../../src/shared/notifications/webhook-subscription';
import { deliveryBody } from '../../../src/shared/notifications/notifications.repository';
import { createAddressPolicy } from '../../../src/shared/net/address-policy';
import { parseCidrList } from '../../../src/shared/net/cidr-list';

describe('webhook subscription rules', () => {
  test.each([
    ['https://hooks.example.com/evara?team=ops', false, undefined],
    ['http://127.0.0.1:8080/hook', false, 'points to a loopback address (127.0.0.1); webhooks may only reach public addresses'],
    ['https://169.254.169.254/latest/meta-data/', false, 'points to a link-local address (cloud metadata lives there) (169.254.169.254); webhooks may only reach public addresses'],
    ['https://localhost/hook', false, 'points to localhost (a loopback address); webhooks may only reach public addresses'],
    ['http://hooks.example.com/evara', true, 'must use https in production'],
    ['https://hooks.example.com/evara', true, undefined],
    ['ftp://hooks.example.com/evara', false, 'must use http or https'],
    ['javascript:alert(1)', false, 'must use http or https'],
    ['hooks.example.com/evara', false, 'must be an absolute http(s) URL'],
    ['https://user:pass@hooks.example.com/', false, 'must not contain credentials: receivers authenticate deliveries with the signature'],
    ['https://hooks.example.com/#frag', false, 'must not contain a #fragment'],
  ])('when the URL is %s (https required: %s), then the problem is %s', (url, requireHttps, problem) => {
    expect(webhookUrlProblem(url, { requireHttps })).toBe(problem);
  });

  test('when the allow-list names a private range, then a URL in it is accepted and other private ones are not', () => {
    const addressPolicy = createAddressPolicy({ allowedCidrs: parseCidrList('10.20.0.0/16').cidrs });
    expect(webhookUrlProblem('https://10.20.0.7:8443/hook', { requireHttps: true, addressPolicy })).toBeUndefined();
    expect(webhookUrlProblem('https://10.30.0.7/hook', { requireHttps: true, addressPolicy })).toBe('points to a private (RFC 1918) address (10.30.0.7); webhooks may only reach public addresses');
  });

  test('when a create body is parsed, then events are deduplicated and active defaults to true', () => {
    const { create } = webhookSubscriptionSchemas({ requireHttps: false });
    expect(create.parse({ url: ' https://a.example/h ', events: ['alert.opened', 'alert.opened', 'system.degraded'] })).toEqual({
      url: 'https://a.example/h',
      events: ['alert.opened', 'system.degraded'],
      active: true,
    });
  });

  test('when a secret has spaces or is too short, then it is refused without echoing it', () => {
    const { create } = webhookSubscriptionSchemas({ requireHttps: false });
    for (const secret of ['short', 'has spaces in it 0123456789']) {
      const result = create.safeParse({ url: 'https://a.example/h', events: ['alert.opened'], secret });
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues.map((i) => i.message))).not.toContain(secret);
    }
  });

  test('when secrets are generated, then they are long, URL-safe and different each time', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });

  test('when a delivery body is built, then it is the id plus the stored payload, byte for byte the same each time', () => {
    const task = { id: 'n-1', payload: { event: 'alert.opened', occurredAt: '2026-01-01T00:00:00.000Z', data: { value: 12.5, title: 'Tank low' } } };
    const body = deliveryBody(task);
    expect(body).toBe('{"id":"n-1","event":"alert.opened","occurredAt":"2026-01-01T00:00:00.000Z","data":{"value":12.5,"title":"Tank low"}}');
    expect(deliveryBody(structuredClone(task))).toBe(body);
  });
});
