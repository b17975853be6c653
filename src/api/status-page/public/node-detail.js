/*
 * The node view of the status page: one node's level (flow, depth) over 24 h, 7 d or 30 d, its
 * consumption and completeness per day, and its alerts, on one time axis. Opened by the URL hash
 * (#node=<id>&range=7d), so a view can be linked and reloaded; status.js links each node row to
 * it and tells it when the page signs in or out and when the node's data changes.
 *
 * Calls: node-history-client.js. Charts: node-charts.js (uPlot). Text from the API goes in
 * through textContent only.
 */
/* global document, window, location, URLSearchParams */
(function () {
  'use strict';

  const client = window.EvaraNodeHistory;
  const charts = window.EvaraCharts;
  const RANGES = client.RANGES;
  const DEFAULT_RANGE = '24h';
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  const $ = (id) => document.getElementById(id);

  const view = {
    nodeId: null,
    range: DEFAULT_RANGE,
    node: null, // the node answer, for the label and the metric
    load: 0, // sequence number of the newest load: older answers are dropped
    alerts: null, // alerts over the range, once loaded (the level chart draws them)
    charts: {}, // 'level' | 'consumption' | 'completeness' -> chart
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function reasonOf(err) {
    if (err.status === 0) return 'the API could not be reached';
    return (err.message || 'error').replace(/[.;]\s*$/, '') + ' (HTTP ' + err.status + ')';
  }

  /** #node=<id>&range=<24h|7d|30d>, or null when the hash names no node. */
  function fromHash() {
    const q = new URLSearchParams(location.hash.replace(/^#/, ''));
    const id = q.get('node');
    if (!id || !UUID.test(id)) return null;
    const range = q.get('range');
    return { id: id.toLowerCase(), range: Object.prototype.hasOwnProperty.call(RANGES, range) ? range : DEFAULT_RANGE };
  }

  function hashOf(id, range) {
    return '#node=' + id + (range === DEFAULT_RANGE ? '' : '&range=' + range);
  }

  // ---- charts -------------------------------------------------------------------------------

  function chartBlock(key) {
    return { box: $('chart-' + key), note: $('chart-' + key + '-note') };
  }

  function setNote(key, text, isError) {
    const note = chartBlock(key).note;
    note.textContent = text || '';
    note.hidden = !text;
    note.classList.toggle('error', Boolean(isError));
  }

  function destroyCharts() {
    Object.keys(view.charts).forEach(function (k) {
      view.charts[k].destroy();
    });
    view.charts = {};
  }

  /** Charts for this node's kind (tank, flow meter, other) and range (raw or buckets): the series differ. */
  function makeCharts(node, kind, bucket) {
    destroyCharts();
    const m = node.metric || { name: 'Value', unit: '' };
    $('chart-level-title').textContent = m.name + (m.unit ? ' (' + m.unit + ')' : '');
    view.charts.level = charts.lineChart(chartBlock('level').box, {
      label: m.name,
      unit: m.unit,
      percent: m.metric === 'level_pct',
      withRange: bucket !== 'raw',
      alerts: function () {
        return view.alerts;
      },
    });
    const consumption = chartBlock('consumption').box;
    if (kind === 'tank') {
      $('chart-consumption-title').textContent = 'Consumption per day (litres)';
      view.charts.consumption = charts.dayBars(consumption, { yLabel: 'litres', unit: 'L', series: [{ label: 'Drawn', color: '#c0612b' }, { label: 'Refilled', color: '#2e8b57' }] });
    } else if (kind === 'flow') {
      $('chart-consumption-title').textContent = 'Flow per day (litres)';
      view.charts.consumption = charts.dayBars(consumption, { yLabel: 'litres', unit: 'L', series: [{ label: 'Litres', color: '#1f6fb2' }] });
    }
    $('chart-consumption-block').hidden = !view.charts.consumption;
    view.charts.completeness = charts.dayBars(chartBlock('completeness').box, { yLabel: '%', unit: '%', percent: true, series: [{ label: 'Complete', color: '#5d6b7a' }] });
  }

  /**
   * Breaks the line where readings stop for a while (a null between two points), rather than
   * drawing a straight line across an outage: a gap is longer than 3 expected steps (the bucket,
   * or for raw readings the node's interval or the usual spacing, whichever is longer).
   */
  function withGaps(s, step) {
    const spacing = s.t.slice(1).map((t, i) => t - s.t[i]).sort((a, b) => a - b);
    const usual = spacing.length ? spacing[Math.floor(spacing.length / 2)] : 0;
    const maxGap = 3 * Math.max(step, usual);
    const out = [[], [], [], []];
    s.t.forEach(function (t, i) {
      if (i > 0 && t - s.t[i - 1] > maxGap) {
        out[0].push(s.t[i - 1] + 1);
        out[1].push(null);
        out[2].push(null);
        out[3].push(null);
      }
      out[0].push(t);
      out[1].push(s.avg[i]);
      out[2].push(s.min[i]);
      out[3].push(s.max[i]);
    });
    return out;
  }

  /**
   * Day bars sit in the middle of the part of their day inside the range (the range starts and
   * ends mid-day), so each lies within the time axis. Days wholly outside are left out.
   */
  function dayPositions(stats, from, to) {
    const keep = [];
    stats.t.forEach(function (start, i) {
      const a = Math.max(start, from);
      const b = Math.min(start + client.DAY_S, to);
      if (b > a) keep.push({ i: i, x: (a + b) / 2 });
    });
    return keep;
  }

  function renderSeries(s, from, to) {
    const range = RANGES[view.range];
    const step = range.bucket === '1d' ? client.DAY_S : range.bucket === '1h' ? client.HOUR_S : view.node.expectedIntervalS || 60;
    const data = withGaps(s, step);
    // Raw readings have no min/max of their own: the chart has only the line.
    view.charts.level.setData(range.bucket === 'raw' ? data.slice(0, 2) : data, from, to);
    const n = s.t.length;
    let note = n === 0 ? 'No readings in this range.' : n.toLocaleString() + (range.bucket === 'raw' ? ' readings' : ' ' + (range.bucket === '1h' ? 'hourly' : 'daily') + ' averages (dashed: min and max)');
    if (s.truncated) note += ' — only the first ' + Number(s.maxPoints).toLocaleString() + ' are drawn';
    setNote('level', note);
  }

  function renderStats(st, from, to) {
    const days = dayPositions(st, from, to);
    const x = days.map((d) => d.x);
    const pick = (arr) => days.map((d) => arr[d.i]);
    if (view.charts.consumption) {
      const data = st.kind === 'tank' ? [x, pick(st.drawnL), pick(st.refilledL)] : [x, pick(st.flowL)];
      view.charts.consumption.setData(data, from, to);
      const any = data.slice(1).some((col) => col.some((v) => v !== null));
      let note = any ? '' : 'No consumption figures for these days.';
      if (st.kind === 'tank') {
        const basis = st.daysToEmptyBasis;
        note += (note ? ' ' : '') + (st.daysToEmpty === null ? 'Days to empty: –' + (basis && basis.reason ? ' (' + basis.reason + ')' : '') : 'Days to empty: ' + Number(st.daysToEmpty).toLocaleString(undefined, { maximumFractionDigits: 1 }));
      }
      setNote('consumption', note);
    }
    view.charts.completeness.setData([x, pick(st.completeness).map((c) => (c === null || c === undefined ? null : Math.round(c * 1000) / 10))], from, to);
    const readings = pick(st.readings).reduce((a, b) => a + b, 0);
    const expected = pick(st.expected).reduce((a, b) => a + b, 0);
    setNote('completeness', readings.toLocaleString() + ' of ' + expected.toLocaleString() + ' expected readings stored on these days');
  }

  function renderAlerts(alerts, from) {
    const list = $('node-detail-alerts');
    list.replaceChildren();
    const inRange = alerts.filter((a) => a.end === null || a.end >= from);
    inRange.forEach(function (a) {
      const li = el('li');
      li.setAttribute('data-severity', a.severity);
      li.setAttribute('data-alert-id', a.id);
      li.appendChild(el('div', 'title', a.title));
      const when = new Date(a.start * 1000).toLocaleString() + ' – ' + (a.end === null ? 'now (' + a.status + ')' : new Date(a.end * 1000).toLocaleString());
      li.appendChild(el('div', 'meta', a.severity + ' · ' + when));
      list.appendChild(li);
    });
    const empty = $('node-detail-alerts-empty');
    empty.textContent = 'No alerts in this range.';
    empty.classList.remove('error');
    empty.hidden = inRange.length > 0;
    if (view.charts.level) view.charts.level.redraw();
  }

  // ---- loading ------------------------------------------------------------------------------

  function setState(state) {
    $('node-detail').setAttribute('data-state', state);
  }

  function renderRangeButtons() {
    Array.prototype.forEach.call(document.querySelectorAll('#node-detail-ranges [data-range]'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-range') === view.range));
    });
  }

  /**
   * Loads everything for the node and range. Each part fills its chart when it answers, or says
   * in its place why it cannot; a newer load (another range, another node) drops older answers.
   */
  function load() {
    const seq = ++view.load;
    const id = view.nodeId;
    const range = RANGES[view.range];
    const to = Math.floor(Date.now() / 1000);
    const from = to - range.seconds;
    const current = () => seq === view.load;
    setState('loading');
    $('node-detail-error').hidden = true;
    renderRangeButtons();

    const nodeReady = view.node && view.node.id === id ? Promise.resolve(view.node) : client.node(id);
    return nodeReady.then(
      function (node) {
        if (!current()) return;
        view.node = node;
        $('node-detail-label').textContent = node.label;
        const status = $('node-detail-status');
        status.textContent = node.status;
        status.setAttribute('data-status', node.status);
        const kind = node.analyticsType === 'EvaraTank' ? 'tank' : node.analyticsType === 'EvaraFlow' ? 'flow' : 'other';
        makeCharts(node, kind, range.bucket);
        view.alerts = null;
        const parts = [
          node.metric
            ? client.series(id, node.metric.metric, range.bucket, from, to).then(
                (s) => current() && renderSeries(s, from, to),
                (err) => current() && setNote('level', 'The ' + node.metric.name.toLowerCase() + ' history cannot be shown: ' + reasonOf(err) + '.', true),
              )
            : Promise.resolve(setNote('level', 'This kind of node (' + node.analyticsType + ') has no level, flow or depth to draw.')),
          client.stats(id, range.statsDays).then(
            (st) => current() && renderStats(st, from, to),
            (err) => {
              if (!current()) return;
              setNote('consumption', 'Consumption cannot be shown: ' + reasonOf(err) + '.', true);
              setNote('completeness', 'Completeness cannot be shown: ' + reasonOf(err) + '.', true);
            },
          ),
          client.alerts(id, from).then(
            (alerts) => {
              if (!current()) return;
              view.alerts = alerts;
              renderAlerts(alerts, from);
            },
            (err) => {
              if (!current()) return;
              $('node-detail-alerts').replaceChildren();
              const empty = $('node-detail-alerts-empty');
              empty.textContent = 'Alerts cannot be shown: ' + reasonOf(err) + '.';
              empty.classList.add('error');
              empty.hidden = false;
            },
          ),
        ];
        return Promise.all(parts).then(() => current() && setState('ready'));
      },
      function (err) {
        if (!current()) return;
        destroyCharts();
        view.node = null;
        $('node-detail-label').textContent = '';
        $('node-detail-error').textContent = err.status === 404 ? 'No such node (or not one this key may see).' : 'The node cannot be loaded: ' + reasonOf(err) + '.';
        $('node-detail-error').hidden = false;
        setState('error');
      },
    );
  }

  /** Shows the view for this node and range (loading it), unless it already shows exactly that. */
  function open(id, range) {
    const section = $('node-detail');
    const wasHidden = section.hidden;
    if (!wasHidden && view.nodeId === id && view.range === range) return;
    if (view.nodeId !== id) {
      destroyCharts();
      view.node = null;
      $('node-detail-label').textContent = '';
      $('node-detail-status').textContent = '';
      $('node-detail-alerts').replaceChildren();
    }
    view.nodeId = id;
    view.range = range;
    section.hidden = false; // before the charts are made: they take the width they are given
    load();
    if (wasHidden) section.scrollIntoView({ block: 'start' });
  }

  function close() {
    view.load += 1;
    view.nodeId = null;
    view.node = null;
    view.alerts = null;
    destroyCharts();
    $('node-detail').hidden = true;
    setState('idle');
  }

  /** Opens, moves or closes the view as the hash says; only when signed in (status.js asks). */
  function sync() {
    const wanted = window.EvaraApi.apiKey() ? fromHash() : null;
    if (wanted) open(wanted.id, wanted.range);
    else close();
  }

  $('node-detail-ranges').addEventListener('click', function (event) {
    const button = event.target.closest('[data-range]');
    if (!button || !view.nodeId) return;
    location.hash = hashOf(view.nodeId, button.getAttribute('data-range'));
  });
  $('node-detail-close').addEventListener('click', function () {
    location.hash = '';
  });
  window.addEventListener('hashchange', sync);

  window.EvaraNodeDetail = Object.freeze({
    sync: sync,
    close: close,
    hashOf: hashOf,
    /** Whether the view shows this node (a live event about it asks for a reload). */
    showing: function (id) {
      return view.nodeId !== null && view.nodeId === id && !$('node-detail').hidden;
    },
    /** Reloads what it shows (new readings or alerts arrived). */
    reload: function () {
      if (view.nodeId) load();
    },
  });
})();
