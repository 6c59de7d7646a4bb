// The console page: login, the views, and one live stream from the hub.
import * as api from './api.js';
import { approvalsView } from './approvals.js';
import { $, h, replace } from './dom.js';
import { decisionRow, renderDetail, renderEvaluation, renderHistory, renderOverview, renderPins, renderReplay } from './views.js';

/** Rows shown in the Decisions table at most (the hub keeps console.maxDecisions). */
const MAX_ROWS = 200;

const state = { view: 'overview', filter: {}, user: null, abort: null, retry: 1000, heartbeatMs: 15000, watchdog: null };

function link(text, cls) {
  const el = $('link');
  el.textContent = text;
  el.className = `link ${cls}`;
}

function showError(id, err) {
  $(id).textContent = err ? (err instanceof api.ApiError ? `${err.status} ${err.code}: ${err.message}` : String(err.message ?? err)) : '';
}

// --- login -------------------------------------------------------------------

function showLogin(message) {
  stopStream();
  $('login').hidden = false;
  $('tabs').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  link('', '');
  $('login-error').textContent = message ?? '';
}

async function enter() {
  try {
    const s = await api.session();
    state.user = s;
    $('login').hidden = true;
    $('tabs').hidden = false;
    $('logout').hidden = false;
    $('who').textContent = `${s.username ?? s.user} (${s.roles.join(', ') || 'no roles'})`;
    show(state.view);
    startStream();
  } catch (err) {
    api.token.clear();
    showLogin(err instanceof api.ApiError && (err.status === 401 || err.status === 403) ? `Not allowed: ${err.status} ${err.code}: ${err.message}` : `The hub cannot be reached: ${err.message ?? err}`);
  }
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api.login($('login-user').value, $('login-password').value);
    $('login-password').value = '';
    await enter();
  } catch (err) {
    showError('login-error', err);
  }
});

$('token-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  api.token.set($('login-token').value.trim());
  $('login-token').value = '';
  await enter();
});

$('logout').addEventListener('click', async () => {
  await api.logout();
  showLogin('Logged out.');
});

// --- views -------------------------------------------------------------------

for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => show(b.dataset.view));

function show(view) {
  state.view = view;
  for (const b of document.querySelectorAll('#tabs button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== `view-${view}`;
  load(view).catch((err) => handle(err));
}

/** Reloads what a view shows (on opening it, and after the stream reconnects). */
async function load(view) {
  if (view === 'overview') renderOverview($('overview'), await api.get('/console/api/overview'));
  else if (view === 'decisions') await loadDecisions();
  else if (view === 'explorer' || view === 'history') await loadCandidates();
  if (view === 'history') await loadHistory();
  if (view === 'pins') await loadPins();
  if (view === 'approvals') await approvals.load();
}

function handle(err) {
  if (err instanceof api.ApiError && (err.status === 401 || (err.status === 403 && err.code !== 'ERR_CONSOLE_CSRF'))) {
    api.token.clear();
    showLogin(`Session ended: ${err.status} ${err.code}: ${err.message}`);
    return;
  }
  link(`Error: ${err.message ?? err}`, 'down');
}

// Decisions

function matches(d, f) {
  const has = (v, w) => !w || (v !== null && v !== undefined && String(v).toLowerCase().includes(w.toLowerCase()));
  if (f.outcome === 'allow' && !d.allow) return false;
  if (f.outcome === 'deny' && d.allow) return false;
  return has(d.user, f.user) && has(d.server, f.server) && has(d.name, f.tool) && (!f.rule || d.rules.some((r) => has(r, f.rule)));
}

async function loadDecisions() {
  const q = new URLSearchParams(Object.entries(state.filter).filter(([, v]) => v));
  q.set('limit', String(MAX_ROWS));
  const out = await api.get(`/console/api/decisions?${q}`);
  replace($('decision-rows'), out.decisions.map((d) => decisionRow(d, openDecision)));
}

$('filter').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  state.filter = { user: f.get('user'), server: f.get('server'), tool: f.get('tool'), rule: f.get('rule'), outcome: f.get('outcome') };
  loadDecisions().catch(handle);
});

function addDecision(d) {
  if (!matches(d, state.filter)) return;
  const rows = $('decision-rows');
  rows.prepend(decisionRow(d, openDecision));
  while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
}

function updateShadow(d) {
  const old = document.querySelector(`#decision-rows tr[data-id="${CSS.escape(d.id)}"]`);
  if (old) old.replaceWith(decisionRow(d, openDecision));
}

async function openDecision(id) {
  for (const r of document.querySelectorAll('#decision-rows tr.selected')) r.classList.remove('selected');
  document.querySelector(`#decision-rows tr[data-id="${CSS.escape(id)}"]`)?.classList.add('selected');
  try {
    renderDetail($('decision-detail'), await api.get(`/console/api/decisions/${encodeURIComponent(id)}`), toExplorer);
  } catch (err) {
    replace($('decision-detail'), h('p', { class: 'error' }, `${err.status ?? ''} ${err.code ?? ''}: ${err.message}`));
    $('decision-detail').hidden = false;
  }
}

function toExplorer(input) {
  $('explore-input').value = JSON.stringify(input, null, 2);
  show('explorer');
}

// Explorer and replay

async function loadCandidates() {
  const { candidates } = await api.get('/console/api/candidates');
  for (const id of ['explore-candidate', 'replay-candidate']) {
    const sel = $(id);
    const keep = sel.value;
    replace(sel, id === 'explore-candidate' ? h('option', { value: '' }, '(none)') : null,
      candidates.map((c) => h('option', { value: c.id }, `${c.id}${c.revision ? ` (${c.revision})` : ''}`)));
    if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
    else if (id === 'explore-candidate' && candidates.length > 0) sel.value = candidates[0].id;
  }
}

$('explore').addEventListener('submit', async (e) => {
  e.preventDefault();
  showError('explore-error', null);
  const text = $('explore-input').value;
  // The hub's bound (console.maxInputBytes) is checked here first, so a too large paste costs no request.
  const bytes = new TextEncoder().encode(text).length;
  const max = state.user?.maxInputBytes ?? Infinity;
  if (bytes > max) return showError('explore-error', new Error(`the input is ${bytes} bytes; the hub takes at most ${max} (console.maxInputBytes)`));
  let input;
  try {
    input = JSON.parse(text);
  } catch (err) {
    return showError('explore-error', new Error(`not JSON: ${err.message}`));
  }
  try {
    renderEvaluation($('explore-result'), await api.post('/console/api/evaluate', { input, candidate: $('explore-candidate').value || null }));
  } catch (err) {
    replace($('explore-result'));
    showError('explore-error', err);
  }
});

$('replay').addEventListener('submit', async (e) => {
  e.preventDefault();
  showError('replay-error', null);
  try {
    renderReplay($('replay-result'), await api.post('/console/api/replay', { candidate: $('replay-candidate').value }));
  } catch (err) {
    showError('replay-error', err);
  }
});

async function loadHistory() {
  const out = await api.get('/console/api/history');
  renderHistory($('history-rows'), out.history, out.active);
}

// Pins and approvals

const approvals = approvalsView(handle);

async function loadPins() {
  renderPins($('pins'), await api.get('/console/api/pins'), actOnPin);
}

async function actOnPin(action, p) {
  showError('pins-error', null);
  try {
    await api.post(`/console/api/pins/${action}`, { server: p.server, kind: p.kind, name: p.name });
    await loadPins();
  } catch (err) {
    showError('pins-error', err);
  }
}

// --- live updates --------------------------------------------------------------

function onEvent(name, data) {
  armWatchdog();
  if (name === 'hello') {
    state.heartbeatMs = data.heartbeatMs;
    armWatchdog();
    if (state.view === 'overview') renderOverview($('overview'), data.overview);
    approvals.count(data.overview.approvals?.pending ?? 0);
  } else if (name === 'decision') addDecision(data);
  else if (name === 'shadow') updateShadow(data);
  else if (name === 'overview') {
    approvals.count(data.approvals?.pending ?? 0);
    if (state.view === 'overview') renderOverview($('overview'), data);
  }
  else if (name === 'policy' && state.view === 'history') loadHistory().catch(handle);
  else if (name === 'pins' && state.view === 'pins') loadPins().catch(handle);
  else if (name === 'approvals') approvals.notice(data, state.view === 'approvals');
  else if (name === 'end') {
    state.ended = data.reason;
  }
}

/** No heartbeat for two periods: the hub (or the way to it) is gone; the stream is dropped and retried. */
function armWatchdog() {
  clearTimeout(state.watchdog);
  state.watchdog = setTimeout(() => state.abort?.abort(), state.heartbeatMs * 2 + 1000);
}

function stopStream() {
  clearTimeout(state.watchdog);
  state.abort?.abort();
  state.abort = null;
}

async function startStream() {
  stopStream();
  const abort = new AbortController();
  state.abort = abort;
  state.ended = null;
  let opened = false;
  let busy = false;
  try {
    await api.stream((name, data) => {
      if (!opened) {
        opened = true;
        state.retry = 1000;
        link('live', 'live');
      }
      onEvent(name, data);
    }, abort.signal);
  } catch (err) {
    if (err instanceof api.ApiError && (err.status === 401 || err.status === 403)) return handle(err);
    busy = err instanceof api.ApiError && err.code === 'ERR_CONSOLE_STREAM_LIMIT';
  }
  if (state.abort !== abort) return; // replaced or stopped on purpose
  clearTimeout(state.watchdog);
  if (state.ended && /^token|policy/.test(state.ended)) {
    api.token.clear();
    return showLogin(`Session ended: ${state.ended}`);
  }
  const wait = state.retry;
  state.retry = Math.min(state.retry * 2, 30000);
  const retrying = `retrying in ${Math.round(wait / 1000)} s`;
  link(busy ? `Live updates paused: the hub has too many console streams open; ${retrying}` : `Hub unreachable: live updates stopped; ${retrying}`, 'down');
  setTimeout(() => {
    if (state.abort !== abort) return;
    load(state.view).catch(() => undefined);
    startStream();
  }, wait);
}

if (api.token.get()) enter();
else showLogin();
