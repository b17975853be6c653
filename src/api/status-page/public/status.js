/*
 * Evara status page. Plain browser JavaScript, no build step; served with a Content-Security-Policy
 * that allows only this file, so nothing here may use eval or inline handlers. Every value from
 * the API goes into the page through textContent (node labels are user input).
 *
 * The API key, or a Supabase access token (a signed-in user's JWT), is asked for once and kept in
 * sessionStorage only: it lives as long as the tab, never in localStorage, a cookie or a URL. Both
 * are sent the same way (Authorization: Bearer). The live socket is opened with a single-use ticket.
 *
 * Nodes are paged on the server (a fleet has thousands): one page of 50 at a time, by the keyset
 * cursors of GET /api/v1/nodes, with search and filters, and the counts by status from one
 * /nodes/summary query. Live events change what they can in place; what needs the API (new levels
 * after telemetry, counts) is refetched coalesced, never once per event.
 */
/* global document, window, sessionStorage, fetch, WebSocket, location, setTimeout, clearTimeout, setInterval, URLSearchParams */
(function () {
  'use strict';

  const KEY_STORAGE = window.EvaraApi.KEY_STORAGE;
  const HEALTH_EVERY_MS = 4000; // how fast "Degraded" shows up: /health caches its report for 2 s
  const DATA_EVERY_MS = 30000; // a safety net: the live socket normally says when to refresh
  const LIVE_RETRY_MAX_MS = 30000;
  const PAGE_SIZE = 50;
  const SEARCH_DEBOUNCE_MS = 250;
  // Live refetches: a burst (a poll round sends an event per node) is gathered for LIVE_GATHER_MS,
  // and one list is never refetched more often than every LIVE_COALESCE_MS, however many events.
  const LIVE_GATHER_MS = 300;
  const LIVE_COALESCE_MS = 2000;

  const $ = (id) => document.getElementById(id);

  const NO_FILTER = Object.freeze({ search: '', status: '', category: '' });

  const state = {
    nodes: [], // the visible page
    filter: NO_FILTER,
    // The cursor of every page visited under this filter, the visible one last (null: the first
    // page): Next pushes page.nextCursor, Previous pops. Keyset cursors cannot go backwards alone.
    cursors: [null],
    nextCursor: null,
    // The cursors of the page asked for last. A refetch loads that page, so that one starting
    // while a page turn is on its way does not undo the turn.
    wantedCursors: [null],
    nodesTotal: null, // nodes matching the filter, counted on its first page; null: not known yet
    totalStale: false, // the count may have changed (a node added, a status changed under a status filter)
    nodesRequest: 0, // sequence number of the newest list request: older answers are dropped
    nodesLoading: 0,
    summary: null,
    nodeStatusCells: new Map(), // node id -> the status badge to update in place
    labels: new Map(), // node id -> label, for the alert list (every node seen on a page)
    alerts: [],
    problems: {}, // 'nodes' | 'counts' | 'alerts' -> message, while that cannot be refreshed
    loadedAt: {},
    socket: null,
    liveRetryMs: 1000,
    liveTimer: null,
    healthStatus: null,
    searchTimer: null,
    liveMessages: 0,
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

  /**
   * Wraps a refetch for live events: calling it asks for one run. The first ask after a quiet
   * spell runs fn LIVE_GATHER_MS later, so the rest of the burst joins it; asks while a run is
   * waiting join that run; and a run never follows the previous one by less than LIVE_COALESCE_MS.
   * So 1,000 events in a second cost one or two requests, not 1,000.
   */
  function coalesced(fn, onChange) {
    let timer = null;
    let lastRun = -Infinity;
    const changed = onChange || function () {};
    function ask() {
      if (timer !== null) return;
      timer = setTimeout(function () {
        timer = null;
        lastRun = Date.now();
        fn();
        changed();
      }, Math.max(LIVE_GATHER_MS, lastRun + LIVE_COALESCE_MS - Date.now()));
      changed();
    }
    ask.pending = function () {
      return timer !== null;
    };
    ask.cancel = function () {
      clearTimeout(timer);
      timer = null;
      changed();
    };
    return ask;
  }

  // The key or token and the API calls: api-client.js, shared with the node view.
  const apiKey = window.EvaraApi.apiKey;
  const api = window.EvaraApi.api;

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
    if (s.thingspeak.status === 'outage') reasons.push('ThingSpeak outage');
    if (s.queues.poll && s.queues.poll.paused) reasons.push('polling paused');
    // The API's own words for what only it can judge (the failed-poll threshold is its setting).
    (Array.isArray(report.reasons) ? report.reasons : []).forEach(function (r) {
      if (typeof r === 'string' && r.indexOf('poll queue:') === 0) reasons.push(r);
    });
    $('health-reasons').textContent = reasons.length ? reasons.join(', ') : 'every dependency answers';

    setFact('health-database', s.database.status + (s.database.latencyMs !== undefined && s.database.status === 'up' ? ' (' + s.database.latencyMs + ' ms)' : ''), s.database.status !== 'up');
    setFact('health-redis', s.redis.status, s.redis.status !== 'up');
    setFact('health-thingspeak', s.thingspeak.status + (s.thingspeak.lastSuccessAt ? ', last data ' + ago(s.thingspeak.lastSuccessAt) : ''), s.thingspeak.status === 'stale' || s.thingspeak.status === 'outage');
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

  const PROBLEM_NAMES = { nodes: 'node list', counts: 'node counts', alerts: 'alerts' };

  /** One sentence per reason: "Node list, node counts and alerts cannot be refreshed: <why>. Showing ... Retrying." */
  function renderProblems() {
    const byReason = new Map();
    ['nodes', 'counts', 'alerts'].forEach(function (what) {
      const why = state.problems[what];
      if (why) byReason.set(why, (byReason.get(why) || []).concat(what));
    });
    const sentences = [];
    byReason.forEach(function (whats, why) {
      const words = whats.map((w) => PROBLEM_NAMES[w]);
      const names = words.length > 1 ? words.slice(0, -1).join(', ') + ' and ' + words[words.length - 1] : words[0];
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
    $('nodes-counts').classList.toggle('stale', Boolean(state.problems.counts));
  }

  // A token expires (401 TOKEN_EXPIRED), a user can be disabled or deleted (403 USER_*): sign in again.
  const SIGNED_OUT_CODES = ['USER_DISABLED', 'USER_NOT_PROVISIONED'];
  function refusedCredential(err) {
    return err.status === 401 || (err.status === 403 && SIGNED_OUT_CODES.indexOf(err.code) >= 0);
  }
  const REFUSED = 'The API key or access token was refused (revoked, expired, unknown or disabled): sign in again.';

  function failed(what, err) {
    if (refusedCredential(err)) return signOut(REFUSED);
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

  // Poll errors that mean the channel cannot be read at all (not a passing outage): the node
  // shows why it has no data instead of "provisioning" / "never". A successful poll clears the code.
  const UNREADABLE_LABELS = { THINGSPEAK_NOT_FOUND: 'channel unreadable (404)', THINGSPEAK_ACCESS_DENIED: 'channel unreadable (access denied)' };

  /** The first active channel whose latest poll found it unreadable: { label, detail }, or null. */
  function channelProblem(node) {
    const channels = Array.isArray(node.channels) ? node.channels : [];
    for (let i = 0; i < channels.length; i += 1) {
      const c = channels[i];
      const code = c && c.active !== false && c.sync ? c.sync.lastErrorCode : null;
      if (code && Object.prototype.hasOwnProperty.call(UNREADABLE_LABELS, code)) {
        return { label: UNREADABLE_LABELS[code], detail: 'channel ' + c.channelId + ': ' + (c.sync.lastError || code) };
      }
    }
    return null;
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

  /** data-refresh on the card: 'loading' (a list request is out), 'pending' (a live refetch waits) or 'idle'. */
  function markNodesRefresh() {
    const loading = state.nodesLoading > 0;
    $('nodes').setAttribute('data-refresh', loading ? 'loading' : refetchPage.pending() ? 'pending' : 'idle');
    $('nodes-table').setAttribute('aria-busy', String(loading));
  }

  function renderRange() {
    const first = (state.cursors.length - 1) * PAGE_SIZE + 1;
    const shown = state.nodes.length;
    let text = '';
    if (shown > 0) {
      text = 'Nodes ' + fmt(first, 0) + '–' + fmt(first + shown - 1, 0);
      if (state.nodesTotal !== null) text += ' of ' + fmt(state.nodesTotal, 0);
    }
    $('nodes-range').textContent = text;
    $('nodes-prev').disabled = state.cursors.length <= 1;
    $('nodes-next').disabled = !state.nextCursor;
  }

  function renderNodes() {
    const body = $('nodes-body');
    body.replaceChildren();
    state.nodeStatusCells.clear();
    state.nodes.forEach(function (node) {
      const tr = el('tr');
      tr.setAttribute('data-node-id', node.id);
      const name = cell('Node');
      // The node view (node-detail.js) is at #node=<id>: a link, so it can be opened in a new tab or shared.
      const link = el('a', 'label', node.label);
      link.href = window.EvaraNodeDetail.hashOf(node.id, '24h');
      name.appendChild(link);
      const status = cell('Status');
      const badge = statusBadge(node.status);
      const problem = channelProblem(node);
      // A node never read ("provisioning") shows only why; any other status keeps its badge too.
      if (!problem || node.status !== 'provisioning') status.appendChild(badge);
      if (problem) {
        const note = el('span', 'status', problem.label);
        note.setAttribute('data-status', 'unreadable');
        note.title = problem.detail;
        status.appendChild(note);
      }
      state.nodeStatusCells.set(node.id, badge);
      const level = cell('Level');
      levelCell(level, node);
      const seen = cell('Last seen');
      seen.textContent = !node.lastSeenAt && problem ? 'never (channel unreadable)' : ago(node.lastSeenAt);
      if (node.lastSeenAt) seen.title = new Date(node.lastSeenAt).toLocaleString();
      tr.append(name, status, level, seen);
      body.appendChild(tr);
    });
    renderRange();
    const f = state.filter;
    $('nodes-empty').textContent = f.search || f.status || f.category ? 'No nodes match the search and filters.' : 'No nodes.';
    $('nodes-empty').hidden = state.nodes.length > 0 || Boolean(state.problems.nodes) || !state.loadedAt.nodes;
    renderProblems();
  }

  /** The status buttons: counts from /nodes/summary, and which one is the status filter. */
  function renderCounts() {
    const s = state.summary;
    Array.prototype.forEach.call($('nodes-counts').querySelectorAll('.chip'), function (chip) {
      const status = chip.getAttribute('data-filter-status');
      chip.querySelector('.n').textContent = s ? fmt(status ? s.byStatus[status] || 0 : s.total, 0) : '–';
      chip.setAttribute('aria-pressed', String(status === state.filter.status));
    });
  }

  function nodesPath(cursor, withCount) {
    // count=none wherever the total is already known: counting scans every matching node.
    const q = new URLSearchParams({ limit: String(PAGE_SIZE), count: withCount ? 'exact' : 'none' });
    if (state.filter.search) q.set('search', state.filter.search);
    if (state.filter.status) q.set('status', state.filter.status);
    if (state.filter.category) q.set('category', state.filter.category);
    if (cursor) q.set('cursor', cursor);
    return '/api/v1/nodes?' + q.toString();
  }

  /**
   * Loads the page named by the last of `cursors` and, once it answers, makes that the visible
   * page. Only the newest request counts: a page turn or a filter change supersedes a refetch
   * still on its way, a refetch reloads the page a turn asked for (wantedCursors), and two quick
   * clicks on Next turn one page, not two (both ask for the page after the visible one).
   */
  function loadNodes(cursors, withCount) {
    const request = ++state.nodesRequest;
    state.wantedCursors = cursors;
    state.nodesLoading += 1;
    markNodesRefresh();
    return api(nodesPath(cursors[cursors.length - 1], withCount))
      .then(
        function (body) {
          if (request !== state.nodesRequest) return;
          state.cursors = cursors;
          state.nodes = body.data;
          state.nextCursor = body.page.nextCursor;
          if (typeof body.page.total === 'number') {
            state.nodesTotal = body.page.total;
            state.totalStale = false;
          }
          body.data.forEach(function (n) {
            state.labels.set(n.id, n.label);
          });
          succeeded('nodes');
          renderNodes();
          renderAlerts();
        },
        function (err) {
          if (request === state.nodesRequest) failed('nodes', err);
        },
      )
      .finally(function () {
        state.nodesLoading -= 1;
        markNodesRefresh();
      });
  }

  /** The visible page again (live changes, a retry); counted only when the total may have moved. */
  function refreshNodes(withCount) {
    return loadNodes(state.wantedCursors, withCount || state.nodesTotal === null);
  }

  function refreshSummary() {
    return api('/api/v1/nodes/summary').then(
      function (body) {
        state.summary = body.data;
        succeeded('counts');
        renderCounts();
      },
      function (err) {
        failed('counts', err);
      },
    );
  }

  function filterFromInputs() {
    return { search: $('nodes-search').value.trim(), status: $('nodes-status').value, category: $('nodes-category').value };
  }

  /** Reads the search and filters; a change starts again on the first page, counted. */
  function applyFilter() {
    clearTimeout(state.searchTimer);
    const f = filterFromInputs();
    const now = state.filter;
    if (f.search === now.search && f.status === now.status && f.category === now.category) return;
    state.filter = f;
    // The old filter's pages and total mean nothing under the new one: Previous / Next wait for
    // its first page, and a retry after an error counts it.
    state.cursors = [null];
    state.nextCursor = null;
    state.nodesTotal = null;
    renderRange();
    renderCounts();
    loadNodes([null], true);
  }

  /** A STATUS_UPDATE: a visible node's badge changes in place; the counts are refetched, coalesced. */
  function applyStatus(data) {
    if (!data || typeof data.node_id !== 'string' || typeof data.status !== 'string') return;
    refetchSummary();
    // Under a status filter the number of matching nodes moved: count again at the next refetch.
    if (state.filter.status) state.totalStale = true;
    const badge = state.nodeStatusCells.get(data.node_id);
    if (!badge) return; // not on this page: nothing shown changes but the counts
    const node = state.nodes.find(function (n) {
      return n.id === data.node_id;
    });
    if (node) node.status = data.status;
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
      const node = state.labels.get(a.nodeId) || a.nodeLabel || 'node ' + String(a.nodeId).slice(0, 8);
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

  /** Everything at once: on sign-in, when health changes, and as the periodic safety net. */
  function refreshData() {
    refreshNodes(true);
    refreshSummary();
    refreshAlerts();
  }

  // What live events ask for: each runs once per burst, at most every LIVE_COALESCE_MS.
  const refetchPage = coalesced(function () {
    refreshNodes(state.totalStale);
  }, markNodesRefresh);
  const refetchSummary = coalesced(refreshSummary);
  const refetchAlerts = coalesced(refreshAlerts);
  const refetchDetail = coalesced(function () {
    window.EvaraNodeDetail.reload();
  });

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
    // How many live messages this page has handled: shows (in devtools, to a test) that a burst arrived.
    state.liveMessages += 1;
    document.body.setAttribute('data-live-messages', String(state.liveMessages));
    const data = msg.data || {};
    switch (msg.event) {
      case 'STATUS_UPDATE':
        applyStatus(data);
        break;
      case 'BATCH_STATUS_UPDATE':
        (data.updates || []).forEach(function (u) {
          applyStatus(u && u.data);
        });
        break;
      case 'TELEMETRY_UPDATE':
        // It carries no values: a visible node's new level needs its page again; other nodes
        // change nothing shown (their status changes come as STATUS_UPDATE).
        if (state.nodeStatusCells.has(data.node_id)) refetchPage();
        if (window.EvaraNodeDetail.showing(data.node_id)) refetchDetail();
        break;
      case 'NODE_PROVISIONED':
        state.totalStale = true;
        refetchSummary();
        // Only the first page is refetched for it: a later page stays still while it is read,
        // and the new node shows when the pages are turned.
        if (state.cursors.length === 1) refetchPage();
        break;
      case 'ALERT_OPENED':
      case 'ALERT_ACKNOWLEDGED':
      case 'ALERT_RESOLVED':
        refetchAlerts();
        if (window.EvaraNodeDetail.showing(data.node_id)) refetchDetail();
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
          state.totalStale = true;
          refetchPage();
          refetchSummary();
          refetchAlerts();
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
        if (refusedCredential(err)) return signOut(REFUSED);
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
    window.EvaraNodeDetail.sync(); // a link to a node view, opened before signing in
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    const ws = state.socket;
    state.socket = null;
    clearTimeout(state.liveTimer);
    if (ws) ws.close();
    setLive('off', 'Live: off');
    // Answers and refetches still on their way belong to the key that is gone.
    state.nodesRequest += 1;
    refetchPage.cancel();
    refetchSummary.cancel();
    refetchAlerts.cancel();
    refetchDetail.cancel();
    window.EvaraNodeDetail.close();
    clearTimeout(state.searchTimer);
    $('nodes-filters').reset();
    state.filter = NO_FILTER;
    state.nodes = [];
    state.cursors = [null];
    state.wantedCursors = [null];
    state.nextCursor = null;
    state.nodesTotal = null;
    state.summary = null;
    state.labels = new Map();
    state.alerts = [];
    state.problems = {};
    state.loadedAt = {};
    renderNodes();
    renderCounts();
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
    // Checked before it is kept: a wrong key or token is refused here, not after the page fills with errors.
    // An access token is a JWT (three dot-separated parts); API keys have no dots.
    const isToken = key.split('.').length === 3;
    fetch('/api/v1/me', { headers: { Authorization: 'Bearer ' + key }, cache: 'no-store' })
      .then(
        function (res) {
          if (res.status !== 401 && res.status !== 403) return { status: res.status };
          return res.json().then(
            function (body) {
              return { status: res.status, message: body && body.message };
            },
            function () {
              return { status: res.status };
            },
          );
        },
        function () {
          return { status: 0 };
        },
      )
      .then(function (answer) {
        if (answer.status === 401 || answer.status === 403) {
          // For a token the API's reason helps (expired, not provisioned yet); written as text, never markup.
          $('key-error').textContent = isToken ? 'This access token was refused: ' + (answer.message || 'unknown reason') : 'This API key was refused.';
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

  // ---- search, filters and pages ------------------------------------------------------------

  $('nodes-search').addEventListener('input', function () {
    clearTimeout(state.searchTimer);
    state.searchTimer = setTimeout(applyFilter, SEARCH_DEBOUNCE_MS);
  });
  $('nodes-status').addEventListener('change', applyFilter);
  $('nodes-category').addEventListener('change', applyFilter);
  $('nodes-filters').addEventListener('submit', function (event) {
    event.preventDefault(); // Enter in the search box: search now
    applyFilter();
  });
  $('nodes-counts').addEventListener('click', function (event) {
    const chip = event.target.closest('.chip');
    if (!chip) return;
    $('nodes-status').value = chip.getAttribute('data-filter-status');
    applyFilter();
  });
  // A click anywhere on a node's row opens its view, as its label's link does.
  $('nodes-body').addEventListener('click', function (event) {
    if (event.target.closest('a')) return; // the link itself navigates
    const row = event.target.closest('tr[data-node-id]');
    if (row) location.hash = window.EvaraNodeDetail.hashOf(row.getAttribute('data-node-id'), '24h');
  });
  $('nodes-next').addEventListener('click', function () {
    if (state.nextCursor) loadNodes(state.cursors.concat(state.nextCursor), false);
  });
  $('nodes-prev').addEventListener('click', function () {
    if (state.cursors.length > 1) loadNodes(state.cursors.slice(0, -1), false);
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
