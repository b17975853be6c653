/*
 * The node view's charts, drawn with uPlot (served from this API: /status/assets/vendor/). Two
 * kinds: a line over time (level, flow or depth, with alerts as bands behind it) and bars per
 * day (consumption, completeness). All of a view's charts share one time range and one y-axis
 * width, so their time axes line up, and one cursor (hovering one shows the time on all).
 *
 * uPlot styles its elements through the CSSOM (element.style), which the page's CSP (style-src
 * 'self') allows; it needs no inline script or style attribute.
 *
 * After every draw a chart's element carries what it drew, for people with devtools and for the
 * browser test: data-points (values drawn in its first series), data-alerts (alert bands drawn)
 * and data-state="drawn".
 */
/* global window, ResizeObserver, uPlot */
(function () {
  'use strict';

  const Y_AXIS_PX = 56; // the same on every chart, so that the plots (and their time axes) align
  const SYNC_KEY = 'evara-node-view';
  const ALERT_FILL = { critical: 'rgba(163, 32, 32, 0.16)', warning: 'rgba(210, 154, 26, 0.2)', info: 'rgba(74, 120, 181, 0.16)' };
  const ALERT_EDGE = { critical: '#a32020', warning: '#d29a1a', info: '#4a78b5' };

  function fmt(n, digits) {
    return n === null || n === undefined ? '–' : Number(n).toLocaleString(undefined, { maximumFractionDigits: digits });
  }

  /** Non-null values of one series: what a line or a set of bars actually shows. */
  function drawnCount(u, seriesIdx) {
    const values = u.data[seriesIdx] || [];
    let n = 0;
    for (let i = 0; i < values.length; i += 1) if (values[i] !== null && values[i] !== undefined) n += 1;
    return n;
  }

  /**
   * Alerts as bands from trigger to resolution (or the range's end while unresolved), with a line
   * where each began; drawn first, so the series lie on top. Returns how many were in view.
   */
  function drawAlertBands(u, alerts) {
    const ctx = u.ctx;
    const top = u.bbox.top;
    const height = u.bbox.height;
    const left = u.bbox.left;
    const right = left + u.bbox.width;
    const xMin = u.scales.x.min;
    const xMax = u.scales.x.max;
    let shown = 0;
    ctx.save();
    alerts.forEach(function (a) {
      const end = a.end === null ? xMax : a.end;
      if (end < xMin || a.start > xMax) return;
      shown += 1;
      const x0 = Math.max(left, u.valToPos(Math.max(a.start, xMin), 'x', true));
      // At least a few pixels wide: an alert resolved within minutes still shows on a 30-day axis.
      const x1 = Math.min(right, Math.max(x0 + 3 * window.devicePixelRatio, u.valToPos(Math.min(end, xMax), 'x', true)));
      ctx.fillStyle = ALERT_FILL[a.severity] || ALERT_FILL.info;
      ctx.fillRect(x0, top, x1 - x0, height);
      if (a.start >= xMin) {
        ctx.fillStyle = ALERT_EDGE[a.severity] || ALERT_EDGE.info;
        ctx.fillRect(x0, top, Math.max(1, window.devicePixelRatio), height);
      }
    });
    ctx.restore();
    return shown;
  }

  /**
   * A uPlot chart in `container`, as wide as the container (it follows the container's width:
   * a phone turned sideways, a window resized) and `height` CSS pixels high.
   * spec: { height, series: [uPlot series after x], y: uPlot y scale, yLabel, alerts: () => list|null }
   */
  function createChart(container, spec) {
    let xRange = [0, 1];
    const opts = {
      width: Math.max(120, container.clientWidth),
      height: spec.height,
      cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false } },
      legend: { show: true, live: true },
      scales: {
        x: {
          time: true,
          range: function () {
            return xRange;
          },
        },
        y: spec.y || {},
      },
      series: [{ label: 'Time' }].concat(spec.series),
      axes: [{ space: 60 }, { size: Y_AXIS_PX, label: spec.yLabel, labelSize: 18, space: 24 }],
      hooks: {
        drawClear: [
          function (u) {
            const alerts = spec.alerts ? spec.alerts() : null;
            container.setAttribute('data-alerts', String(alerts ? drawAlertBands(u, alerts) : 0));
          },
        ],
        draw: [
          function (u) {
            container.setAttribute('data-points', String(drawnCount(u, 1)));
            container.setAttribute('data-state', 'drawn');
          },
        ],
      },
    };
    const empty = [[]].concat(spec.series.map(() => []));
    const u = new uPlot(opts, empty, container);

    // Follows the container's width; the height stays (a chart squeezed flat says nothing).
    const observer = new ResizeObserver(function () {
      const width = Math.max(120, container.clientWidth);
      if (width !== u.width) u.setSize({ width: width, height: spec.height });
    });
    observer.observe(container);

    return {
      /** New data over [from, to] (seconds): the x axis is the range, whatever the data covers. */
      setData: function (data, from, to) {
        xRange = [from, to];
        u.setData(data);
      },
      redraw: function () {
        u.redraw(false);
      },
      destroy: function () {
        observer.disconnect();
        u.destroy();
        container.replaceChildren();
        ['data-points', 'data-alerts', 'data-state'].forEach((a) => container.removeAttribute(a));
      },
      uplot: u,
    };
  }

  function lineChart(container, opts) {
    const line = { label: opts.label, stroke: '#1f6fb2', width: 2, fill: 'rgba(31, 111, 178, 0.08)', points: { size: 5 }, value: (u, v) => fmt(v, 2) + (opts.unit ? ' ' + opts.unit : '') };
    const range = { label: 'min', stroke: 'rgba(31, 111, 178, 0.45)', width: 1, dash: [4, 4], points: { show: false }, value: (u, v) => fmt(v, 2) };
    return createChart(container, {
      height: opts.height || 240,
      yLabel: opts.label + (opts.unit ? ' (' + opts.unit + ')' : ''),
      y: opts.percent ? { range: (u, min, max) => [Math.min(0, min === null ? 0 : min), Math.max(100, max === null ? 100 : max)] } : { auto: true },
      // Buckets have a min and a max (dashed); a raw reading is one value: the line alone.
      series: opts.withRange ? [line, range, Object.assign({}, range, { label: 'max' })] : [line],
      alerts: opts.alerts,
    });
  }

  /** Bars per day; series: [{ label, color }] side by side within the day. */
  function dayBars(container, opts) {
    const n = opts.series.length;
    const series = opts.series.map(function (s, i) {
      // One bar centred on its day, or two side by side (left of the centre, then right).
      const align = n === 1 ? 0 : i === 0 ? -1 : 1;
      return {
        label: s.label,
        stroke: s.color,
        fill: s.color,
        width: 1,
        points: { show: false },
        paths: uPlot.paths.bars({ size: [n === 1 ? 0.6 : 0.35, 60], align: align }),
        value: (u, v) => fmt(v, 1) + (opts.unit ? ' ' + opts.unit : ''),
      };
    });
    return createChart(container, {
      height: opts.height || 160,
      yLabel: opts.yLabel,
      y: opts.percent ? { range: [0, 100] } : { range: (u, min, max) => [0, Math.max(1, max === null ? 1 : max) * 1.1] },
      series: series,
    });
  }

  window.EvaraCharts = Object.freeze({ lineChart: lineChart, dayBars: dayBars });
})();
