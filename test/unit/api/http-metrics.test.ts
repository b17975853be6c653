import express, { Router } from 'express';
import request from 'supertest';
import { Registry } from 'prom-client';
import { httpMetrics } from '../../../src/api/metrics/http-metrics';
import { routeLabel, UNMATCHED_ROUTE } from '../../../src/api/metrics/route-label';
import { NotFoundError } from '../../../src/shared/errors';
import { samplesOf } from '../../helpers/prometheus-text';

describe('routeLabel', () => {
  test.each([
    ['/api/v1', '/nodes/:id', '/api/v1/nodes/:id'],
    ['', '/health', '/health'],
    ['/admin/queues', '/', '/admin/queues'],
    ['', '/', '/'],
  ])('when mounted at "%s" with route "%s", then the label is "%s"', (baseUrl, path, expected) => {
    expect(routeLabel(baseUrl, path)).toBe(expected);
  });

  test('when the route path is not a string, then the label is unmatched', () => {
    expect(routeLabel('/api/v1', /nodes/)).toBe(UNMATCHED_ROUTE);
  });
});

describe('httpMetrics', () => {
  const ID = '7b0a3c59-2d7e-4c1e-9a55-0c3f4f1e2b11';

  function app(registry: Registry) {
    const a = express();
    a.use(httpMetrics(registry));
    const v1 = Router();
    v1.get('/nodes/:id', (req, res) => {
      if (req.params.id !== ID) throw new NotFoundError('no such node');
      res.json({ id: req.params.id });
    });
    a.use('/api/v1', v1);
    a.use((_req, _res) => {
      throw new NotFoundError('no route');
    });
    a.use((err: NotFoundError, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.httpStatus).json({ code: err.code });
    });
    return a;
  }

  test('given requests to a parameterised route, when scraped, then they are labelled with the pattern and never the raw id', async () => {
    const registry = new Registry();
    const a = app(registry);

    await request(a).get(`/api/v1/nodes/${ID}`).expect(200);
    await request(a).get(`/api/v1/nodes/${ID}`).expect(200);

    const text = await registry.metrics();
    expect(samplesOf(text, 'http_requests_total', { method: 'GET', route: '/api/v1/nodes/:id', status: '200' })[0]?.value).toBe(2);
    expect(samplesOf(text, 'http_request_duration_seconds_count', { route: '/api/v1/nodes/:id', status: '200' })[0]?.value).toBe(2);
    expect(text).not.toContain(ID);
  });

  test('given a handler that throws after matching, when scraped, then the error keeps the full pattern including the mount path', async () => {
    const registry = new Registry();

    await request(app(registry)).get('/api/v1/nodes/00000000-0000-4000-8000-000000000000').expect(404);

    const text = await registry.metrics();
    expect(samplesOf(text, 'http_requests_total', { route: '/api/v1/nodes/:id', status: '404' })[0]?.value).toBe(1);
    expect(text).not.toContain('00000000-0000-4000-8000-000000000000');
  });

  test('given unknown paths, when scraped, then they share the one unmatched label', async () => {
    const registry = new Registry();
    const a = app(registry);

    await request(a).get('/no/such/path/1').expect(404);
    await request(a).post('/another/unknown').expect(404);

    const text = await registry.metrics();
    expect(samplesOf(text, 'http_requests_total', { route: UNMATCHED_ROUTE, status: '404' }).reduce((n, s) => n + s.value, 0)).toBe(2);
    expect(text).not.toContain('/no/such/path');
  });
});

describe('routeLabel for a route registered on several paths', () => {
  test('when a route has an array of paths, then the label joins the patterns instead of calling it unmatched', () => {
    expect(routeLabel('', ['/', '/status'])).toBe('/|/status');
  });
});
