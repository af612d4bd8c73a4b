// hermod's console: reads /api/ every 2 s, starts each chart from the broker's last hour
// (/api/history, a sample every 10 s), keeps adding to it while open, and
// performs operations with the X-Requested-By header the API requires of changing requests.
// Everything from the broker is put into the page as text (textContent), never as markup.
'use strict';
const REFRESH_MS = 2000, HISTORY = 2160;   // an hour: 360 broker samples + 1800 of the page
const history = new Map();                 // "kind:name" -> [{t, pending, enq, deq}]
const asked = new Set();                   // destinations whose server history was fetched
const HISTORY_FETCH_MAX = 50;              // rows whose past is fetched when the page opens
let browsing = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function status(text, error) {
  const s = document.getElementById('status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

async function api(method, path, params, body) {
  const q = new URLSearchParams(params || {}).toString();
  const opts = { method, headers: {} };
  if (method !== 'GET') {
    opts.headers['X-Requested-By'] = 'hermod-console';
    opts.headers['Content-Type'] = 'text/plain; charset=utf-8';
    opts.body = body || '';
  }
  const r = await fetch(path + (q ? '?' + q : ''), opts);
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
  return j;
}

function button(text, fn) {
  const b = el('button', text, 'link');
  b.type = 'button';
  b.addEventListener('click', async () => {
    try { await fn(); await refresh(); } catch (e) { status(e.message, true); }
  });
  return b;
}

function sparkline(points) {
  const c = document.createElement('canvas');
  c.width = 120; c.height = 24;
  const g = c.getContext('2d');
  const max = Math.max(1, ...points.map(p => p.pending));
  g.strokeStyle = '#2457c5';
  g.beginPath();
  points.forEach((p, i) => {
    const x = points.length > 1 ? i * (c.width - 1) / (points.length - 1) : 0;
    const y = c.height - 1 - p.pending * (c.height - 2) / max;
    if (i) g.lineTo(x, y); else g.moveTo(x, y);
  });
  g.stroke();
  return c;
}

function rate(h, key) {
  if (h.length < 2) return 0;
  const a = h[h.length - 2], b = h[h.length - 1];
  return ((b[key] - a[key]) * 1000 / Math.max(1, b.t - a.t)).toFixed(1);
}

// The broker's samples of the last hour, before what this page has seen itself.
async function pastOf(d) {
  const key = d.kind + ':' + d.name;
  asked.add(key);
  try {
    const p = await api('GET', '/api/history', d.kind === 'queue' ? { queue: d.name } : { topic: d.name });
    const past = p.samples.map((v, i) => ({ t: p.first + i * p.stepSeconds * 1000, pending: v[0], enq: v[1], deq: v[2] }));
    const mine = history.get(key) || [];
    const since = past.length ? past[past.length - 1].t : 0;
    history.set(key, past.concat(mine.filter(x => x.t > since)).slice(-HISTORY));
  } catch (e) {
    // not sampled yet: the chart starts with this page
  }
}

function renderDests(dests) {
  for (const d of dests.slice(0, HISTORY_FETCH_MAX))
    if (!asked.has(d.kind + ':' + d.name)) pastOf(d);
  const tbody = document.querySelector('#dests tbody');
  tbody.replaceChildren();
  const now = Date.now();
  for (const d of dests) {
    const key = d.kind + ':' + d.name;
    const h = history.get(key) || [];
    h.push({ t: now, pending: d.pending, enq: d.enqueued, deq: d.dequeued });
    if (h.length > HISTORY) h.shift();
    history.set(key, h);
    const tr = el('tr', null, d.paused ? 'paused' : '');
    tr.dataset.name = d.name;
    tr.append(el('td', d.kind), el('td', d.name, 'name'));
    for (const v of [d.pending, d.inflight, d.consumers, d.producers, d.enqueued, d.dequeued,
                     rate(h, 'enq'), rate(h, 'deq'), d.memoryPercent])
      tr.append(el('td', v, 'n'));
    const chart = el('td');
    chart.append(sparkline(h));
    tr.append(chart);
    const ops = el('td');
    const p = d.kind === 'queue' ? { queue: d.name } : { topic: d.name };
    if (d.kind === 'queue') {
      ops.append(button('Browse', async () => { browsing = d.name; await browse(); }));
      ops.append(button('Purge', () => confirm('Purge every message of ' + d.name + '?') &&
                        api('POST', '/api/purge', p)));
      ops.append(d.paused ? button('Resume', () => api('POST', '/api/resume', p))
                          : button('Pause', () => api('POST', '/api/pause', p)));
    }
    ops.append(button('Delete', () => confirm('Delete ' + d.name + '?') &&
                      api('DELETE', '/api/destinations', p)));
    tr.append(ops);
    tbody.append(tr);
  }
}

function renderConns(conns) {
  const tbody = document.querySelector('#conns tbody');
  tbody.replaceChildren();
  for (const c of conns) {
    const tr = el('tr');
    tr.append(el('td', c.connectionId), el('td', c.clientId), el('td', c.user), el('td', c.remoteAddress),
              el('td', c.consumers, 'n'), el('td', c.producers, 'n'));
    tbody.append(tr);
  }
}

function bodyText(m) {
  if (m.body === null) return '';
  return typeof m.body === 'string' ? m.body : JSON.stringify(m.body);
}

async function browse() {
  const sec = document.getElementById('browser');
  sec.hidden = false;
  document.getElementById('browse-name').textContent = browsing;
  const selector = document.getElementById('browse-selector').value;
  const page = await api('GET', '/api/browse', { queue: browsing, selector, limit: 200 });
  document.getElementById('browse-total').textContent = page.total + ' matching message(s)' +
      (page.total > page.messages.length ? ', first ' + page.messages.length + ' shown' : '');
  const tbody = document.querySelector('#msgs tbody');
  tbody.replaceChildren();
  for (const m of page.messages) {
    const tr = el('tr');
    tr.append(el('td', m.id), el('td', new Date(m.timestamp).toISOString()), el('td', m.priority, 'n'),
              el('td', m.persistent), el('td', m.redelivered), el('td', JSON.stringify(m.properties)),
              el('td', bodyText(m), 'body'));
    const ops = el('td');
    ops.append(button('Delete', () => api('DELETE', '/api/message', { queue: browsing, id: m.id })));
    tr.append(ops);
    tbody.append(tr);
  }
}

async function refresh() {
  try {
    const [b, dests, conns] = await Promise.all([api('GET', '/api/broker'), api('GET', '/api/destinations'),
                                                 api('GET', '/api/connections')]);
    document.getElementById('broker').textContent = b.name + ' · ' + b.connections + ' connection(s) · up ' +
        Math.round(b.uptimeMs / 1000) + ' s';
    renderDests(dests);
    renderConns(conns);
    if (browsing) await browse();
    status('updated ' + new Date().toLocaleTimeString());
  } catch (e) {
    status(e.message, true);
  }
}

function guarded(fn) {
  return async (ev) => {
    if (ev) ev.preventDefault();
    try { await fn(); await refresh(); } catch (e) { status(e.message, true); }
  };
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('create-form').addEventListener('submit', guarded(async () => {
    const kind = document.getElementById('create-kind').value;
    await api('POST', '/api/destinations', { [kind]: document.getElementById('create-name').value });
  }));
  document.getElementById('browse-form').addEventListener('submit', guarded(browse));
  document.getElementById('send-button').addEventListener('click', guarded(() =>
      api('POST', '/api/send', { queue: browsing }, document.getElementById('send-text').value)));
  document.getElementById('move-button').addEventListener('click', guarded(() =>
      api('POST', '/api/move', { from: browsing, to: document.getElementById('move-to').value,
                                 selector: document.getElementById('browse-selector').value })));
  document.getElementById('purge-button').addEventListener('click', guarded(() =>
      api('POST', '/api/purge', { queue: browsing,
                                  selector: document.getElementById('browse-selector').value })));
  refresh();
  setInterval(refresh, REFRESH_MS);
});
