// SPDX-License-Identifier: Apache-2.0
// station serve's operator panel: the state of every fixture from
// GET /api/v1/fixtures, kept live by the event stream; each (re)connect of
// the stream re-reads the state, so a reloaded page loses nothing.  A scan
// field per tile: a keyboard-wedge scanner types the serial and Enter starts
// the unit.  Text from the station is only ever set as textContent.
'use strict';
(function () {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const WORDS = { idle: 'IDLE', starting: 'STARTING', running: 'RUNNING', pass: 'PASS',
                  fail: 'FAIL', error: 'ERROR', aborted: 'ABORTED', fault: 'FAULT' };
  const VERDICT = { PASS: 'pass', FAIL: 'fail', ERROR: 'error', ABORTED: 'aborted' };
  const tiles = new Map();
  let info = null;

  function api(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({ 'Content-Type': 'application/json' },
      token ? { Authorization: 'Bearer ' + token } : {});
    return fetch('/api/v1' + path, opts);
  }

  function $(t, cls) { return t.el.querySelector('.' + cls); }

  function render(t) {
    const f = t.f;
    const running = f.state === 'running' || f.state === 'starting';
    t.el.className = 'tile s-' + f.state;
    t.el.dataset.state = f.state;
    $(t, 'state').textContent = WORDS[f.state] || f.state;
    $(t, 'serial').textContent = f.serial || '';
    $(t, 'step').textContent = f.step ? (running ? 'step: ' : 'last step: ') + f.step : '';
    const pct = f.total ? Math.floor(f.done * 100 / f.total) : 0;
    $(t, 'fill').style.width = (running && f.total ? pct : 0) + '%';
    if (running && f.total)
      $(t, 'step').textContent += ' (' + pct + ' %)';
    $(t, 'reason').textContent = f.reason ? (f.failed_step ? f.failed_step + ': ' : '') + f.reason : '';
    $(t, 'lamp.pass').classList.toggle('on', !!(f.lamp && f.lamp.pass));
    $(t, 'lamp.fail').classList.toggle('on', !!(f.lamp && f.lamp.fail));
    $(t, 'stop').disabled = !running;
    $(t, 'start').disabled = running || f.state === 'fault';
    $(t, 'retest').disabled = running || !f.serial || f.state === 'fault';
    const last = $(t, 'last');
    last.textContent = '';
    for (const u of f.last || []) {
      const li = document.createElement('li');
      li.textContent = (u.serial || '?') + '  ' + (u.verdict || '').toUpperCase();
      last.appendChild(li);
    }
    tick(t);
  }

  function tick(t) {
    const f = t.f;
    let s = f.elapsed_s || 0;
    if (f.state === 'running' && t.t0)
      s = (Date.now() - t.t0) / 1000;
    $(t, 'elapsed').textContent = f.run_id || f.state === 'running' ? s.toFixed(1) + ' s' : '';
  }

  async function start(t, serial) {
    const msg = $(t, 'msg');
    msg.textContent = '';
    const body = { serial: serial, operator: document.getElementById('operator').value };
    if (!body.operator) delete body.operator;
    try {
      const r = await api('/fixtures/' + encodeURIComponent(t.f.name) + '/start',
                          { method: 'POST', body: JSON.stringify(body) });
      if (!r.ok) {
        msg.textContent = (await r.json()).error.message;
        return;
      }
      $(t, 'serial-in').value = '';
    } catch (e) {
      msg.textContent = 'the station does not answer: ' + e;
    }
  }

  async function stop(t) {
    const r = await api('/fixtures/' + encodeURIComponent(t.f.name) + '/stop', { method: 'POST' });
    $(t, 'msg').textContent = r.ok ? '' : (await r.json()).error.message;
  }

  function build(f) {
    const el = document.getElementById('tile').content.firstElementChild.cloneNode(true);
    const t = { el: el, f: f, t0: 0 };
    el.id = 'tile-' + f.name;
    $(t, 'name').textContent = f.name;
    $(t, 'serial-in').placeholder = info.serial_pattern ? 'scan: ' + info.serial_pattern : 'scan';
    $(t, 'scan').addEventListener('submit', function (ev) {
      ev.preventDefault();
      start(t, $(t, 'serial-in').value.trim());
    });
    $(t, 'stop').addEventListener('click', function () { stop(t); });
    $(t, 'retest').addEventListener('click', function () { start(t, t.f.serial); });
    document.getElementById('tiles').appendChild(el);
    tiles.set(f.name, t);
    return t;
  }

  function take(f) {
    const t = tiles.get(f.name) || build(f);
    t.f = f;
    t.t0 = f.state === 'running' ? Date.now() - f.elapsed_s * 1000 : 0;
    render(t);
  }

  async function load() {
    const r = await api('/fixtures');
    if (!r.ok) {
      document.getElementById('link').textContent = 'the station refused: ' + r.status;
      return;
    }
    info = await r.json();
    document.getElementById('station').textContent = info.station;
    document.getElementById('sequence').textContent = info.sequence + ' ' + info.sequence_version;
    const first = tiles.size === 0;
    for (const f of info.fixtures) take(f);
    if (first && tiles.size)
      tiles.values().next().value.el.querySelector('.serial-in').focus();
  }

  async function refresh(name) {
    const r = await api('/fixtures/' + encodeURIComponent(name));
    if (r.ok) take(await r.json());
  }

  function onEvent(ev) {
    const t = tiles.get(ev.fixture);
    if (!t) return;
    const f = t.f;
    switch (ev.event) {
    case 'run_start':
      Object.assign(f, { state: 'running', serial: ev.serial, run_id: ev.run_id, step: null,
                         failed_step: null, reason: null, done: 0, total: 0,
                         lamp: { pass: false, fail: false } });
      t.t0 = Date.now();
      break;
    case 'step_start':
      Object.assign(f, { step: ev.step, done: 0, total: 0 });
      break;
    case 'progress':
      Object.assign(f, { done: ev.done, total: ev.total });
      break;
    case 'run_end':
      Object.assign(f, { state: VERDICT[ev.verdict] || 'error', serial: ev.serial,
                         failed_step: ev.failed_step || null, reason: ev.reason || null,
                         elapsed_s: ev.seconds });
      refresh(ev.fixture);	// the last units and the lamps, as the station has them
      break;
    case 'fixture_fault':
      Object.assign(f, { state: 'fault', reason: ev.reason });
      break;
    default:
      return;
    }
    render(t);
  }

  function connect() {
    const link = document.getElementById('link');
    const es = new EventSource('/api/v1/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
    es.onopen = function () {
      link.textContent = 'live';
      link.className = 'link up';
      load();	// whatever happened while we were away
    };
    es.onmessage = function (m) { onEvent(JSON.parse(m.data)); };
    es.onerror = function () {
      link.textContent = 'reconnecting';
      link.className = 'link down';
    };
  }

  setInterval(function () { tiles.forEach(tick); }, 500);
  load().then(connect);
})();
