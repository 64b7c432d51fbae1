// featherlb dashboard: polls GET api/v1/routes every second and turns the totals into rates here,
// as Prometheus' rate() would: the server keeps no per-viewer state and needs no thread per viewer.
// The charts draw GET api/v1/history (the last 5 minutes, one sample a second, kept by featherlb)
// with uPlot, served from its WebJar beside this file.
// The DOM is built once per route and endpoint and then only updated, so a button stays the same
// element under the pointer while the numbers change.
'use strict';

const POLL_MS = 1000;
const COLORS = ['#2563eb', '#0d9488', '#d97706', '#9333ea', '#db2777', '#65a30d', '#0891b2', '#dc2626'];
const TOKEN_KEY = 'featherlb-admin-token';
const HISTORY_MS = 2000;
const CHARTS = [
  {key: 'connections', title: 'connections/s'},
  {key: 'failures', title: 'failed connects/s'},
  {key: 'connect_p99_ms', title: 'connect time p99 (ms)'},
];

const views = new Map(); // route name -> {element, endpoints: Map(address -> row view)}
let previous = null; // the last answer, for rates

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function formatCount(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return String(n);
}

function formatRate(n) {
  if (n === null) return '–';
  if (n === 0) return '0';
  return n < 10 ? n.toFixed(1) : formatCount(Math.round(n));
}

function formatBytes(perSecond) {
  if (perSecond === null) return '–';
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let value = perSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return (value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)) + ' ' + units[unit];
}

function metricCell(unitText) {
  const cell = el('div', 'metric');
  const line = el('div', 'num');
  const value = el('span', 'value', '–');
  line.append(value, el('span', 'unit', unitText));
  const bar = el('div', 'bar');
  const fill = el('span');
  bar.append(fill);
  cell.append(line, bar);
  return {cell, value, fill};
}

function createRoute(route) {
  const element = el('section', 'route');
  element.dataset.route = route.name;
  const head = el('div', 'route-head');
  const title = el('h2', null, route.name);
  const meta = el('span', 'route-meta');
  const totals = el('div', 'route-totals');
  const active = el('b');
  const connRate = el('b');
  const bytesRate = el('b');
  for (const [label, value] of [['active', active], ['conn/s', connRate], ['traffic', bytesRate]]) {
    const span = el('span');
    span.append(value, ' ' + label);
    totals.append(span);
  }
  head.append(title, meta, totals);
  const share = el('div', 'share');
  share.title = 'share of the route\'s traffic (bytes/s) by endpoint';
  const shareLabel = el('div', 'share-label', 'traffic share by endpoint');
  const header = el('div', 'grid head');
  for (const label of ['endpoint', 'state', 'weight', 'active', 'connections/s', 'traffic', '']) header.append(el('div', null, label));
  const rows = el('div', 'rows');
  const charts = el('div', 'charts');
  const chartViews = CHARTS.map(c => {
    const box = el('figure', 'chart');
    box.dataset.chart = c.key;
    box.append(el('figcaption', null, c.title + ' · last 5 min'));
    const plot = el('div', 'plot');
    box.append(plot);
    charts.append(box);
    return {spec: c, box, plot, uplot: null, addresses: ''};
  });
  element.append(head, share, shareLabel, header, rows, charts);
  document.getElementById('routes').append(element);
  return {element, meta, active, connRate, bytesRate, share, rows, charts: chartViews, endpoints: new Map()};
}

function createEndpoint(routeView, routeName, endpoint, index) {
  const color = COLORS[index % COLORS.length];
  const row = el('div', 'grid endpoint');
  row.dataset.endpoint = endpoint.address;
  const address = el('div', 'address');
  const swatch = el('span', 'swatch');
  swatch.style.background = color;
  address.append(swatch, el('span', null, endpoint.address));
  if (endpoint.backup) address.append(el('span', 'backup', 'backup'));
  // where it came from: a discover item (dns:NAME, srv:NAME); listed ones (config) need no tag
  if (endpoint.source && endpoint.source !== 'config') {
    const source = el('span', 'backup source', endpoint.source);
    source.title = 'found in DNS by the discover item ' + endpoint.source;
    address.append(source);
  }
  const pill = el('span', 'pill');
  const state = el('div');
  state.append(pill);
  const weight = el('div', 'num weight');
  const active = metricCell('open');
  const conns = metricCell('/s');
  conns.cell.classList.add('conn-rate');
  const traffic = metricCell('');
  traffic.cell.classList.add('byte-rate');
  const button = el('button');
  button.type = 'button';
  button.addEventListener('click', () => act(routeName, endpoint.address, button.dataset.action, button));
  const action = el('div');
  action.append(button);
  for (const fill of [active.fill, conns.fill, traffic.fill]) fill.style.background = color;
  const detail = el('div', 'detail');
  detail.hidden = true;
  row.append(address, state, weight, active.cell, conns.cell, traffic.cell, action, detail);
  routeView.rows.append(row);
  const segment = el('span');
  segment.style.background = color;
  segment.title = endpoint.address;
  routeView.share.append(segment);
  return {row, pill, weight, active, conns, traffic, button, segment, detail, color};
}

/** Per second, from the difference to the previous answer; null until there is one. */
function rate(now, before, seconds) {
  if (before === undefined || seconds <= 0) return null;
  return Math.max(0, (now - before) / seconds);
}

function render(data) {
  const seconds = previous ? (data.time_ms - previous.time_ms) / 1000 : 0;
  const before = new Map();
  if (previous) {
    for (const r of previous.routes) for (const e of r.endpoints) before.set(r.name + ' ' + e.address, e);
  }
  const seen = new Set();
  for (const route of data.routes) {
    seen.add(route.name);
    let view = views.get(route.name);
    if (!view) {
      view = createRoute(route);
      views.set(route.name, view);
    }
    view.meta.textContent = `listens on ${route.protocol === 'udp' ? 'udp ' : ''}${route.listen} · ${route.strategy}`;
    const rates = route.endpoints.map(e => {
      const old = before.get(route.name + ' ' + e.address);
      return {
        conns: rate(e.connections, old && old.connections, seconds),
        bytes: rate(e.bytes_up + e.bytes_down, old && old.bytes_up + old.bytes_down, seconds),
      };
    });
    const sum = key => rates.reduce((total, r) => total + (r[key] || 0), 0);
    const totalConns = sum('conns');
    const totalBytes = sum('bytes');
    const maxActive = Math.max(1, ...route.endpoints.map(e => e.active));
    view.active.textContent = formatCount(route.active);
    view.connRate.textContent = previous ? formatRate(totalConns) : '–';
    view.bytesRate.textContent = previous ? formatBytes(totalBytes) : '–';
    route.endpoints.forEach((endpoint, i) => {
      let row = view.endpoints.get(endpoint.address);
      if (!row) {
        row = createEndpoint(view, route.name, endpoint, i);
        view.endpoints.set(endpoint.address, row);
      }
      updateEndpoint(row, endpoint, rates[i], totalConns, totalBytes, maxActive);
    });
  }
  for (const [name, view] of views) {
    if (!seen.has(name)) {
      view.element.remove();
      views.delete(name);
    }
  }
  previous = data;
}

function updateEndpoint(row, endpoint, rates, totalConns, totalBytes, maxActive) {
  row.row.dataset.state = endpoint.state;
  row.pill.dataset.state = endpoint.state;
  row.pill.textContent = endpoint.state;
  const check = endpoint.last_check;
  const checkText = check ? `last check ${Math.max(0, Math.round((Date.now() - check.at) / 1000))} s ago: ${check.result}` : '';
  row.pill.title = [endpoint.reason ? 'down: ' + endpoint.reason : '', checkText].filter(Boolean).join('\n');
  // said in the row only when something is wrong: why it is down, or a last check that failed
  const wrong = endpoint.reason || (check && check.result !== 'passed');
  row.detail.hidden = !wrong;
  row.detail.textContent = wrong ? [endpoint.reason ? 'down: ' + endpoint.reason : '', checkText].filter(Boolean).join(' · ') : '';
  row.weight.textContent = endpoint.weight;
  row.active.value.textContent = formatCount(endpoint.active);
  row.active.fill.style.width = (100 * endpoint.active / maxActive) + '%';
  row.conns.value.textContent = formatRate(rates.conns);
  row.conns.cell.dataset.value = rates.conns === null ? '' : rates.conns;
  row.conns.fill.style.width = (totalConns > 0 ? 100 * rates.conns / totalConns : 0) + '%';
  row.traffic.value.textContent = formatBytes(rates.bytes);
  row.traffic.cell.dataset.value = rates.bytes === null ? '' : rates.bytes;
  const share = totalBytes > 0 ? 100 * rates.bytes / totalBytes : 0;
  row.traffic.fill.style.width = share + '%';
  row.segment.style.width = share + '%';
  row.segment.title = `${endpoint.address}: ${Math.round(share)}% of the traffic`;
  const draining = endpoint.draining;
  row.button.dataset.action = draining ? 'enable' : 'drain';
  row.button.className = draining ? 'enable' : 'drain';
  row.button.textContent = draining ? 'Enable' : 'Drain';
  row.button.title = draining ? 'take new connections again' : 'take no new connections; open ones finish';
}

function setStatus(live, text) {
  const status = document.getElementById('status');
  status.dataset.live = live;
  status.textContent = text;
}

let messageTimer = null;

/** Shows a line above the routes; news fades after a while, errors stay until the next message. */
function showMessage(text, kind) {
  const message = document.getElementById('message');
  message.hidden = !text;
  message.textContent = text || '';
  message.dataset.kind = kind || 'info';
  clearTimeout(messageTimer);
  if (text && kind !== 'error') messageTimer = setTimeout(() => showMessage(''), 8000);
}

async function act(route, address, action, button) {
  const url = `api/v1/routes/${encodeURIComponent(route)}/endpoints/${encodeURIComponent(address)}/${action}`;
  const headers = {};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  button.disabled = true;
  try {
    const response = await fetch(url, {method: 'POST', headers});
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      document.getElementById('token-form').hidden = false;
      showMessage(`${body.error || response.statusText}. Enter the admin token above, then click ${action} again.`, 'error');
      return;
    }
    if (!response.ok) {
      showMessage(`${action} ${address}: ${body.error || response.statusText}`, 'error');
      return;
    }
    showMessage(action === 'drain' ? `${address} drained: it takes no new connections; open ones finish.` : `${address} enabled.`);
    const view = views.get(route);
    const row = view && view.endpoints.get(address);
    if (row) {
      row.row.dataset.state = body.state;
      row.pill.dataset.state = body.state;
      row.pill.textContent = body.state;
      row.button.dataset.action = body.draining ? 'enable' : 'drain';
      row.button.className = row.button.dataset.action;
      row.button.textContent = body.draining ? 'Enable' : 'Drain';
    }
  } catch (e) {
    showMessage(`${action} ${address}: ${e.message}`, 'error');
  } finally {
    button.disabled = false;
  }
}

async function poll() {
  try {
    const response = await fetch('api/v1/routes', {cache: 'no-store'});
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    render(await response.json());
    setStatus(true, 'live · ' + new Date().toLocaleTimeString());
  } catch (e) {
    setStatus(false, 'cannot reach featherlb: ' + e.message);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

/**
 * The x axis and one series per endpoint, aligned at their ends: an endpoint that appeared later
 * (a reload added it) has fewer samples, and its first seconds are gaps.
 */
function chartData(endpoints, key) {
  const longest = endpoints.reduce((a, e) => (e.time_ms.length > a.time_ms.length ? e : a), endpoints[0]);
  const xs = longest.time_ms.map(t => t / 1000);
  const series = endpoints.map(e => {
    const values = e[key];
    const pad = xs.length - values.length;
    return xs.map((_, i) => (i < pad ? null : values[i - pad]));
  });
  return [xs, ...series];
}

function drawCharts(view, route) {
  if (!window.uPlot || route.endpoints.length === 0) return;
  const addresses = route.endpoints.map(e => e.address).join(' ');
  for (const chart of view.charts) {
    const data = chartData(route.endpoints, chart.spec.key);
    if (chart.uplot && chart.addresses !== addresses) { // a reload changed the endpoints: new series
      chart.uplot.destroy();
      chart.uplot = null;
    }
    if (!chart.uplot) {
      const series = [{}].concat(route.endpoints.map((e, i) => {
        const row = view.endpoints.get(e.address);
        return {label: e.address, stroke: row ? row.color : COLORS[i % COLORS.length], width: 1.5, points: {show: false}};
      }));
      chart.uplot = new uPlot({
        width: Math.max(200, chart.plot.clientWidth || 300),
        height: 110,
        series,
        legend: {show: false},
        cursor: {drag: {x: false, y: false}},
        scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(1, max)]}},
        axes: [{size: 28, font: '11px system-ui, sans-serif'}, {size: 44, font: '11px system-ui, sans-serif'}],
      }, data, chart.plot);
      chart.addresses = addresses;
    } else {
      chart.uplot.setData(data);
    }
    chart.box.dataset.points = data[0].length;
  }
}

async function pollHistory() {
  try {
    const response = await fetch('api/v1/history', {cache: 'no-store'});
    if (response.ok) {
      const history = await response.json();
      for (const route of history.routes) {
        const view = views.get(route.name);
        if (view) drawCharts(view, route);
      }
    }
  } catch (e) {
    // the routes' poll says when featherlb cannot be reached
  } finally {
    setTimeout(pollHistory, HISTORY_MS);
  }
}

window.addEventListener('resize', () => {
  for (const view of views.values()) {
    for (const chart of view.charts) {
      if (chart.uplot) chart.uplot.setSize({width: Math.max(200, chart.plot.clientWidth || 300), height: 110});
    }
  }
});

document.getElementById('token-form').addEventListener('submit', event => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value.trim());
  document.getElementById('token-form').hidden = true;
  showMessage('Token set for this tab.');
});

poll();
setTimeout(pollHistory, 300); // after the first routes' answer has built the views
