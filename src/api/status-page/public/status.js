/*
 * Evara status page. Plain browser JavaScript, no build step; served with a Content-Security-Policy
 * that allows only this file, so nothing here may use eval or inline handlers. Every value from
 * the API goes into the page through textContent (node labels are user input).
 *
 * The API key is asked for once and kept in sessionStorage only: it lives as long as the tab,
 * never in localStorage, a cookie or a URL. The live socket is opened with a single-use ticket.
 */
/* global document, window, sessionStorage, fetch, WebSocket, location, setTimeout, clearTimeout, setInterval */
(function () {
  'use strict';

  const KEY_STORAGE = 'evara.apiKey';
  const HEALTH_EVERY_MS = 4000; // how fast "Degraded" shows up: /health caches its report for 2 s
  const DATA_EVERY_MS = 30000; // a safety net: the live socket normally says when to refresh
  const LIVE_RETRY_MAX_MS = 30000;

  const $ = (id) => document.getElementById(id);

  const state = {
    nodes: [],
    nodesTotal: 0,
    nodeStatusCells: new Map(), // node id -> the status badge to update in place
    labels: new Map(), // node id -> label, for the alert list
    alerts: [],
    problems: {}, // 'nodes' | 'alerts' -> message, while that list cannot be refreshed
    loadedAt: {},
    socket: null,
    liveRetryMs: 1000,
    liveTimer: null,
    healthStatus: null,
    debounce: new Map(),
  };

  // ---- small helpers ----------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(n, digits) {
    return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 1 : digits });
  }

  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 10) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function clock(date) {
    return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  /** Runs fn at most once per 400 ms burst (a poll of many nodes sends many events). */
  function soon(fn) {
    if (state.debounce.has(fn)) return;
    state.debounce.set(
      fn,
      setTimeout(function () {
        state.debounce.delete(fn);
        fn();
      }, 400),
    );
  }

  function apiKey() {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function api(path, options) {
    const key = apiKey();
    if (!key) return Promise.reject(new ApiError(401, 'UNAUTHORIZED', 'Not signed in'));
    const init = { method: (options && options.method) || 'GET', headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' }, cache: 'no-store' };
    return fetch(path, init).then(
      function (res) {
        return res.json().then(
          function (body) {
            if (!res.ok) throw new ApiError(res.status, body && body.code, (body && body.message) || res.statusText);
            return body;
          },
          function () {
            throw new ApiError(res.status, 'BAD_RESPONSE', 'The API answered HTTP ' + res.status + ' without a JSON body');
          },
        );
      },
      function () {
        throw new ApiError(0, 'NETWORK', 'The API could not be reached');
      },
    );
  }

  // ---- system health (public: shown before signing in too) -------------------------------

  const HEALTH_LABELS = { ok: 'OK', degraded: 'Degraded', down: 'Down', unreachable: 'Unreachable' };

  function setFact(id, text, bad) {
    const dd = $(id);
    dd.textContent = text;
    dd.setAttribute('data-bad', bad ? 'true' : 'false');
  }

  function setQueueFact(id, q) {
    if (!q || q.error) {
      setFact(id, (q && q.error) || 'unknown', true);
    } else {
      setFact(id, (q.paused ? 'paused' : 'running') + ' · waiting ' + q.waiting + ' · active ' + q.active + ' · delayed ' + q.delayed + ' · failed ' + q.failed, q.paused);
    }
  }

  function renderHealth(report) {
    const badge = $('health-status');
    const status = report && report.services ? report.status : 'unreachable';
    badge.setAttribute('data-status', status);
    badge.textContent = HEALTH_LABELS[status] || status;
    $('health-checked').textContent = clock(new Date());
    if (status === 'unreachable') {
      $('health-reasons').textContent = 'The API did not answer /health.';
      return status;
    }
    const s = report.services;
    const reasons = [];
    if (s.database.status !== 'up') reasons.push('database ' + s.database.status);
    if (s.redis.status !== 'up') reasons.push('Redis ' + s.redis.status);
    if (s.circuit.state !== 'closed') reasons.push('circuit breaker ' + s.circuit.state.replace('_', '-'));
    if (s.thingspeak.status === 'stale') reasons.push('ThingSpeak data stale');
    if (s.queues.poll && s.queues.poll.paused) reasons.push('polling paused');
    $('health-reasons').textContent = reasons.length ? reasons.join(', ') : 'every dependency answers';

    setFact('health-database', s.database.status + (s.database.latencyMs !== undefined && s.database.status === 'up' ? ' (' + s.database.latencyMs + ' ms)' : ''), s.database.status !== 'up');
    setFact('health-redis', s.redis.status, s.redis.status !== 'up');
    setFact('health-thingspeak', s.thingspeak.status + (s.thingspeak.lastSuccessAt ? ', last data ' + ago(s.thingspeak.lastSuccessAt) : ''), s.thingspeak.status === 'stale');
    let circuit = s.circuit.state.replace('_', '-');
    if (s.circuit.state !== 'closed' && s.circuit.openedAt) circuit += ' since ' + clock(new Date(s.circuit.openedAt));
    if (s.circuit.failures) circuit += ' (' + s.circuit.failures + ' failures)';
    setFact('health-circuit', circuit, s.circuit.state !== 'closed');
    setQueueFact('health-queue', s.queues.poll);
    setQueueFact('health-queue-alerts', s.queues.alerts);
    setQueueFact('health-queue-notifications', s.queues.notifications);
    setQueueFact('health-queue-maintenance', s.queues.maintenance);
    return status;
  }

  function refreshHealth() {
    return fetch('/health', { cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (res) {
        return res.json();
      })
      .then(renderHealth, function () {
        return renderHealth(undefined);
      })
      .then(function (status) {
        const previous = state.healthStatus;
        state.healthStatus = status;
        // On a change either way, refresh the lists at once: they either fail now (and say so)
        // or come back.
        if (previous && previous !== status && apiKey()) refreshData();
      });
  }

  // ---- problems: a list that cannot be refreshed says so, instead of going empty ------------

  function reasonOf(err) {
    if (err.status === 0) return 'the API could not be reached';
    return (err.message || 'error').replace(/[.;]\s*$/, '') + ' (HTTP ' + err.status + ')';
  }

  /** One sentence per reason: "Node list and alerts cannot be refreshed: <why>. Showing ... Retrying." */
  function renderProblems() {
    const byReason = new Map();
    ['nodes', 'alerts'].forEach(function (what) {
      const why = state.problems[what];
      if (why) byReason.set(why, (byReason.get(why) || []).concat(what));
    });
    const sentences = [];
    byReason.forEach(function (whats, why) {
      const names = whats.map((w) => (w === 'nodes' ? 'node list' : 'alerts')).join(' and ');
      const loaded = whats.map((w) => state.loadedAt[w]).filter(Boolean);
      const since = loaded.length ? ' Showing what was loaded at ' + clock(loaded[0]) + '.' : '';
      sentences.push(names.charAt(0).toUpperCase() + names.slice(1) + ' cannot be refreshed: ' + why + '.' + since + ' Retrying.');
    });
    const notice = $('notice');
    notice.textContent = sentences.join(' ');
    notice.hidden = sentences.length === 0 || !apiKey();
    const stale = Boolean(state.problems.nodes);
    Array.prototype.forEach.call($('nodes-body').rows, function (row) {
      row.classList.toggle('stale', stale);
    });
  }

  function failed(what, err) {
    if (err.status === 401) return signOut('The API key was refused (revoked or unknown): sign in again.');
    state.problems[what] = reasonOf(err);
    renderProblems();
  }

  function succeeded(what) {
    state.loadedAt[what] = new Date();
    state.problems[what] = null;
    renderProblems();
  }

  // ---- nodes --------------------------------------------------------------------------------

  function levelCell(td, node) {
    const st = node.state || {};
    if (typeof st.levelPct === 'number') {
      const meter = el('meter');
      meter.min = 0;
      meter.max = 100;
      meter.low = 20;
      meter.high = 90;
      meter.optimum = 60;
      meter.value = st.levelPct;
      const level = el('span', 'level');
      level.append(meter, fmt(st.levelPct) + ' %');
      td.appendChild(level);
    } else if (typeof st.flowRate === 'number') {
      td.textContent = 'flow ' + fmt(st.flowRate, 2);
    } else if (typeof st.depthM === 'number') {
      td.textContent = 'depth ' + fmt(st.depthM, 2) + ' m';
    } else {
      td.appendChild(el('span', 'muted', st.note || '–'));
    }
  }

  function statusBadge(status) {
    const span = el('span', 'status', status);
    span.setAttribute('data-status', status);
    return span;
  }

  function cell(label) {
    const td = el('td');
    td.setAttribute('data-label', label);
    return td;
  }

  function renderNodes() {
    const body = $('nodes-body');
    body.replaceChildren();
    state.nodeStatusCells.clear();
    state.nodes.forEach(function (node) {
      const tr = el('tr');
      tr.setAttribute('data-node-id', node.id);
      const name = cell('Node');
      name.appendChild(el('span', 'label', node.label));
      const status = cell('Status');
      const badge = statusBadge(node.status);
      status.appendChild(badge);
      state.nodeStatusCells.set(node.id, badge);
      const level = cell('Level');
      levelCell(level, node);
      const seen = cell('Last seen');
      seen.textContent = ago(node.lastSeenAt);
      if (node.lastSeenAt) seen.title = new Date(node.lastSeenAt).toLocaleString();
      tr.append(name, status, level, seen);
      body.appendChild(tr);
    });
    $('nodes-count').textContent = state.nodesTotal > state.nodes.length ? '(' + state.nodes.length + ' of ' + state.nodesTotal + ')' : '(' + state.nodes.length + ')';
    $('nodes-empty').hidden = state.nodes.length > 0 || Boolean(state.problems.nodes) || !state.loadedAt.nodes;
    renderProblems();
  }

  function refreshNodes() {
    return api('/api/v1/nodes?limit=200').then(
      function (body) {
        state.nodes = body.data;
        state.nodesTotal = body.page ? body.page.total : body.data.length;
        state.labels = new Map(
          body.data.map(function (n) {
            return [n.id, n.label];
          }),
        );
        succeeded('nodes');
        renderNodes();
        renderAlerts();
      },
      function (err) {
        failed('nodes', err);
      },
    );
  }

  /** A STATUS_UPDATE: changes the badge in place; an unknown node means the list is out of date. */
  function applyStatus(data) {
    if (!data || typeof data.node_id !== 'string' || typeof data.status !== 'string') return;
    const node = state.nodes.find(function (n) {
      return n.id === data.node_id;
    });
    const badge = state.nodeStatusCells.get(data.node_id);
    if (!node || !badge) return soon(refreshNodes);
    node.status = data.status;
    badge.textContent = data.status;
    badge.setAttribute('data-status', data.status);
  }

  // ---- alerts -------------------------------------------------------------------------------

  function renderAlerts() {
    const list = $('alerts-list');
    list.replaceChildren();
    state.alerts.forEach(function (a) {
      const li = el('li');
      li.setAttribute('data-severity', a.severity);
      li.setAttribute('data-alert-id', a.id);
      li.appendChild(el('div', 'title', a.title));
      li.appendChild(el('div', 'message', a.message));
      const node = state.labels.get(a.nodeId) || 'node ' + String(a.nodeId).slice(0, 8);
      const meta = a.severity + ' · ' + node + ' · ' + (a.status === 'acknowledged' ? 'acknowledged · ' : '') + 'since ' + ago(a.triggeredAt);
      li.appendChild(el('div', 'meta', meta));
      list.appendChild(li);
    });
    $('alerts-empty').hidden = state.alerts.length > 0 || !state.loadedAt.alerts;
  }

  function refreshAlerts() {
    return Promise.all([api('/api/v1/alerts?status=open,acknowledged&limit=50'), api('/api/v1/alerts/summary')]).then(
      function (results) {
        state.alerts = results[0].data;
        const summary = results[1].data;
        $('alerts-count').textContent = '(' + summary.unresolved + ')';
        $('alerts-summary').textContent =
          'critical ' + summary.bySeverity.critical + ' · warning ' + summary.bySeverity.warning + ' · info ' + summary.bySeverity.info + ' · acknowledged ' + summary.byStatus.acknowledged;
        succeeded('alerts');
        renderAlerts();
      },
      function (err) {
        failed('alerts', err);
      },
    );
  }

  function refreshData() {
    refreshNodes();
    refreshAlerts();
  }

  // ---- live socket --------------------------------------------------------------------------

  function setLive(mode, text) {
    const badge = $('live');
    badge.setAttribute('data-state', mode);
    badge.textContent = text;
  }

  function onLiveMessage(raw) {
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      return; // not JSON: not ours
    }
    const data = msg.data || {};
    switch (msg.event) {
      case 'STATUS_UPDATE':
        applyStatus(data);
        break;
      case 'BATCH_STATUS_UPDATE':
        (data.updates || []).forEach(function (u) {
          applyStatus(u.data);
        });
        break;
      case 'TELEMETRY_UPDATE':
      case 'NODE_PROVISIONED':
        soon(refreshNodes);
        break;
      case 'ALERT_OPENED':
      case 'ALERT_RESOLVED':
        soon(refreshAlerts);
        break;
      case 'SYSTEM_DEGRADED':
      case 'SYSTEM_RECOVERED':
        refreshHealth();
        break;
    }
  }

  function scheduleLive() {
    if (!apiKey()) return setLive('off', 'Live: off');
    setLive('retrying', 'Live: reconnecting');
    clearTimeout(state.liveTimer);
    state.liveTimer = setTimeout(connectLive, state.liveRetryMs);
    state.liveRetryMs = Math.min(state.liveRetryMs * 2, LIVE_RETRY_MAX_MS);
  }

  function connectLive() {
    if (!apiKey() || state.socket) return;
    api('/api/v1/ws/tickets', { method: 'POST' }).then(
      function (body) {
        if (!apiKey()) return;
        const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + body.data.url);
        state.socket = ws;
        ws.onopen = function () {
          state.liveRetryMs = 1000;
          setLive('on', 'Live');
          // Anything that happened while the socket was down is in the lists, not in events.
          refreshData();
        };
        ws.onmessage = function (m) {
          onLiveMessage(m.data);
        };
        ws.onclose = function () {
          if (state.socket === ws) state.socket = null;
          scheduleLive();
        };
      },
      function (err) {
        if (err.status === 401) return signOut('The API key was refused (revoked or unknown): sign in again.');
        scheduleLive();
      },
    );
  }

  // ---- signing in and out -------------------------------------------------------------------

  function showSignedIn(signedIn) {
    $('sign-in').hidden = signedIn;
    $('sign-out').hidden = !signedIn;
    $('alerts').hidden = !signedIn;
    $('nodes').hidden = !signedIn;
  }

  function start() {
    showSignedIn(true);
    refreshData();
    connectLive();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    const ws = state.socket;
    state.socket = null;
    clearTimeout(state.liveTimer);
    if (ws) ws.close();
    setLive('off', 'Live: off');
    state.nodes = [];
    state.alerts = [];
    state.problems = {};
    state.loadedAt = {};
    renderNodes();
    renderAlerts();
    showSignedIn(false);
    const error = $('key-error');
    error.textContent = message || '';
    error.hidden = !message;
  }

  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    const input = $('api-key');
    const key = input.value.trim();
    if (!key) return;
    // Checked before it is kept: a wrong key is refused here, not after the page fills with errors.
    fetch('/api/v1/alerts/summary', { headers: { Authorization: 'Bearer ' + key }, cache: 'no-store' })
      .then(
        function (res) {
          return res.status;
        },
        function () {
          return 0;
        },
      )
      .then(function (status) {
        if (status === 401 || status === 403) {
          $('key-error').textContent = 'This API key was refused.';
          $('key-error').hidden = false;
          return;
        }
        // 503 (database down) cannot tell: keep the key; the lists say what is wrong.
        sessionStorage.setItem(KEY_STORAGE, key);
        input.value = '';
        $('key-error').hidden = true;
        start();
      });
  });

  $('sign-out').addEventListener('click', function () {
    signOut();
  });

  // ---- start --------------------------------------------------------------------------------

  refreshHealth();
  setInterval(refreshHealth, HEALTH_EVERY_MS);
  setInterval(function () {
    if (!apiKey()) return;
    refreshData();
  }, DATA_EVERY_MS);
  // Keeps "5 min ago" honest between refreshes.
  setInterval(function () {
    if (apiKey()) {
      renderNodes();
      renderAlerts();
    }
  }, 30000);
  if (apiKey()) start();
  else showSignedIn(false);
  window.addEventListener('pagehide', function () {
    if (state.socket) state.socket.close();
  });
})();
