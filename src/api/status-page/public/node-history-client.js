/*
 * Every API call of the node view, in one place: the node, its series, its daily stats and its
 * alerts, each turned into plain arrays for the charts. The JSON shapes are those of
 * GET /api/v1/nodes/:id/series and /stats (docs: the OpenAPI document at /api/docs); if they
 * change, this file is the one to change.
 */
/* global window, URLSearchParams */
(function () {
  'use strict';

  const api = window.EvaraApi.api;

  /** What the level (or flow, or depth) chart draws for each analytics type. */
  const METRICS = {
    EvaraTank: { metric: 'level_pct', name: 'Level', unit: '%' },
    EvaraFlow: { metric: 'flow_rate', name: 'Flow', unit: '' },
    EvaraDeep: { metric: 'depth_m', name: 'Depth', unit: 'm' },
  };

  const HOUR_S = 3600;
  const DAY_S = 86400;

  /**
   * The three time ranges: the series bucket each asks for, and how many UTC days of stats cover
   * it (the stats' first day starts at midnight, so one more day than the range).
   */
  const RANGES = {
    '24h': { label: '24 h', seconds: DAY_S, bucket: 'raw', statsDays: 2 },
    '7d': { label: '7 d', seconds: 7 * DAY_S, bucket: '1h', statsDays: 8 },
    '30d': { label: '30 d', seconds: 30 * DAY_S, bucket: '1d', statsDays: 31 },
  };

  const seconds = (iso) => Math.round(new Date(iso).getTime() / 1000);
  const enc = encodeURIComponent;

  function node(id) {
    return api('/api/v1/nodes/' + enc(id)).then(function (body) {
      const n = body.data;
      return { id: n.id, label: n.label, status: n.status, analyticsType: n.analyticsType, expectedIntervalS: n.expectedIntervalS, metric: METRICS[n.analyticsType] || null };
    });
  }

  /**
   * The metric over [from, to] (seconds): one point per bucket (avg, with min and max), oldest
   * first, as the API answers it (absent buckets stay absent; the chart decides about gaps).
   */
  function series(id, metric, bucket, from, to) {
    const q = new URLSearchParams({ metric: metric, bucket: bucket, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString() });
    return api('/api/v1/nodes/' + enc(id) + '/series?' + q.toString()).then(function (body) {
      const points = Array.isArray(body.data) ? body.data : [];
      return {
        t: points.map((p) => seconds(p.bucketStart)),
        avg: points.map((p) => p.avg),
        min: points.map((p) => p.min),
        max: points.map((p) => p.max),
        truncated: Boolean(body.series && body.series.truncated),
        maxPoints: body.series ? body.series.maxPoints : null,
      };
    });
  }

  /** Per UTC day, oldest first: t is the day's start (seconds); litres and completeness (0..1). */
  function stats(id, days) {
    return api('/api/v1/nodes/' + enc(id) + '/stats?days=' + enc(String(days))).then(function (body) {
      const d = body.data;
      const list = Array.isArray(d.days) ? d.days : [];
      return {
        kind: d.kind,
        t: list.map((x) => seconds(x.day + 'T00:00:00Z')),
        drawnL: list.map((x) => x.drawnL),
        refilledL: list.map((x) => x.refilledL),
        flowL: list.map((x) => x.flowL),
        completeness: list.map((x) => x.completeness),
        readings: list.map((x) => x.readings),
        expected: list.map((x) => x.expected),
        daysToEmpty: d.daysToEmpty,
        daysToEmptyBasis: d.daysToEmptyBasis || null,
      };
    });
  }

  /**
   * The node's alerts that overlap [from, now]: those triggered since `from`, and those still open
   * or acknowledged, however long ago they began (the list filters by trigger time only). Each as
   * { id, severity, status, title, start, end } in seconds, end null while unresolved.
   */
  function alerts(id, from) {
    const since = new URLSearchParams({ nodeId: id, from: new Date(from * 1000).toISOString(), limit: '200' });
    const open = new URLSearchParams({ nodeId: id, status: 'open,acknowledged', limit: '200' });
    return Promise.all([api('/api/v1/alerts?' + since.toString()), api('/api/v1/alerts?' + open.toString())]).then(function (answers) {
      const byId = new Map();
      answers.forEach(function (body) {
        body.data.forEach(function (a) {
          byId.set(a.id, { id: a.id, severity: a.severity, status: a.status, title: a.title, start: seconds(a.triggeredAt), end: a.resolvedAt ? seconds(a.resolvedAt) : null });
        });
      });
      return Array.from(byId.values()).sort((a, b) => a.start - b.start);
    });
  }

  window.EvaraNodeHistory = Object.freeze({ METRICS: METRICS, RANGES: RANGES, HOUR_S: HOUR_S, DAY_S: DAY_S, node: node, series: series, stats: stats, alerts: alerts });
})();
