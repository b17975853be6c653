import { strictRouteOf } from '../../../src/api/rate-limit/strict-routes';

describe('strictRouteOf', () => {
  test.each([
    ['POST', '/webhooks/0b7c1f0e-2f7a-4b55-9d1e-3c1f6f0f6a11/test', 'webhook-tests'],
    ['POST', '/Webhooks/abc/Test/', 'webhook-tests'],
    ['POST', '/ws/tickets', 'ws-tickets'],
    ['POST', '/WS/tickets/', 'ws-tickets'],
    ['POST', '/api-keys', 'key-creation'],
  ])('when %s %s is asked (as Express would route it), then it is the %s route', (method, path, name) => {
    expect(strictRouteOf(method, path)?.name).toBe(name);
  });

  test.each([
    ['GET', '/ws/tickets'],
    ['GET', '/api-keys'],
    ['DELETE', '/api-keys/123'],
    ['POST', '/webhooks'],
    ['POST', '/webhooks/abc/test/extra'],
    ['GET', '/webhooks/abc/deliveries'],
  ])('when %s %s is asked, then only the general per-key limit applies', (method, path) => {
    expect(strictRouteOf(method, path)).toBeUndefined();
  });
});
