import { closestRoutes } from '../../../src/api/introspection/route-similarity';

const KNOWN = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/api/v1/nodes' },
  { method: 'POST', path: '/api/v1/nodes' },
  { method: 'GET', path: '/api/v1/nodes/:id' },
  { method: 'GET', path: '/api/v1/alerts/summary' },
  { method: 'GET', path: '/api/v1/alerts/:id' },
  { method: 'POST', path: '/api/v1/alerts/:id/acknowledge' },
  { method: 'POST', path: '/api/v1/alerts/:id/resolve' },
  { method: 'DELETE', path: '/api/v1/alert-rules/:id' },
];

describe('closestRoutes', () => {
  test('given a singular collection name, when ranked, then the plural route with the same method comes first', () => {
    expect(closestRoutes('GET', '/api/v1/node', KNOWN)).toEqual(['GET /api/v1/nodes', 'POST /api/v1/nodes', 'GET /api/v1/nodes/:id']);
  });

  test('given an abbreviated action on a real id, when ranked, then the action it abbreviates comes first (a :param matches any segment)', () => {
    expect(closestRoutes('POST', '/api/v1/alerts/6b0f/ack', KNOWN)[0]).toBe('POST /api/v1/alerts/:id/acknowledge');
  });

  test('given an existing path with the wrong method, when ranked, then that path comes before other paths', () => {
    expect(closestRoutes('DELETE', '/api/v1/alerts/summary', KNOWN)[0]).toBe('GET /api/v1/alerts/summary');
  });

  test('given HEAD, when ranked, then it is treated as GET', () => {
    expect(closestRoutes('HEAD', '/helth', KNOWN)[0]).toBe('GET /health');
  });

  test('given a limit, when ranked, then at most that many come back, and fewer when fewer routes exist', () => {
    expect(closestRoutes('GET', '/x', KNOWN, 2)).toHaveLength(2);
    expect(closestRoutes('GET', '/x', KNOWN.slice(0, 1))).toEqual(['GET /health']);
  });
});
