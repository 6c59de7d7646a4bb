// The Approvals view: calls the policy held for a human (docs/approvals.md),
// listed by GET /console/api/approvals and decided with Approve or Deny
// (POST /console/api/approvals/:id, which the hub decides exactly as
// `hatago approvals approve|deny`). The live stream only says that something
// was held or ended; the view then asks the hub again, one request at a time.
import * as api from './api.js';
import { $, h, json, replace, time } from './dom.js';

/** The hub cuts a longer note (docs/approvals.md). */
const NOTE_MAX = 256;

function approversText(a) {
  if (a.approvers.length > 0) return `a holder of admin:approvals:write with role ${a.approvers.join(' or ')}`;
  if (a.channel === 'client') return 'the caller (asked by elicitation); anyone with admin:approvals:write may decide first';
  return 'anyone with admin:approvals:write';
}

function field(name, ...value) {
  return h('tr', {}, h('th', {}, name), h('td', {}, ...value));
}

function card(a, act) {
  const note = h('input', { class: 'note', name: 'note', maxlength: NOTE_MAX, placeholder: 'optional, kept in the audit trail' });
  const error = h('p', { class: 'error', role: 'alert' });
  const buttons = [
    h('button', { type: 'button', class: 'approve', onclick: () => act(a, 'approve', note.value, error, buttons) }, 'Approve'),
    h('button', { type: 'button', class: 'danger deny', onclick: () => act(a, 'deny', note.value, error, buttons) }, 'Deny'),
  ];
  return h('div', { class: 'card approval', 'data-approval': a.id, 'data-channel': a.channel },
    h('h3', {}, `${a.name ?? a.method} on ${a.server} `, h('span', { class: 'badge warn' }, 'held')),
    h('p', { class: 'reason' }, a.reason),
    h('table', { class: 'facts' }, h('tbody', {},
      field('requested by', a.requestedBy ?? '(anonymous)', ''),
      field('server / tool', `${a.server} / ${a.name ?? '-'}`, ` (${a.method})`),
      field('rules', a.rules.join(', ')),
      field('approvers', approversText(a)),
      field('channel', a.channel),
      field('held', time(a.createdAt), ' · expires ', time(a.expiresAt)),
      field('digest', h('code', {}, a.argumentsDigest)),
      field('decision', h('code', {}, a.decisionId), a.revision ? ' · revision ' : '', a.revision ? h('code', {}, a.revision) : ''))),
    h('h4', {}, 'Arguments (masked)'), h('pre', { class: 'arguments' }, json(a.arguments)),
    h('form', { class: 'verdict', onsubmit: (e) => e.preventDefault() }, h('label', {}, 'Note ', note), buttons[0], buttons[1]),
    error);
}

/** The view's loader and its live notices; `handle` gets the errors that end the session. */
export function approvalsView(handle) {
  let loading = null;
  let again = false;

  const count = (n) => {
    const el = $('approvals-count');
    el.textContent = n > 0 ? String(n) : '';
    el.hidden = !(n > 0);
  };

  async function act(a, decision, note, error, buttons) {
    error.textContent = '';
    for (const b of buttons) b.disabled = true;
    try {
      await api.post(`/console/api/approvals/${encodeURIComponent(a.id)}`, { decision, ...(note.trim() && { note: note.trim() }) });
      await load();
    } catch (err) {
      for (const b of buttons) b.disabled = false;
      if (err instanceof api.ApiError && err.status === 401) return handle(err);
      error.textContent = err instanceof api.ApiError ? `${err.status} ${err.code}: ${err.message}` : String(err.message ?? err);
    }
  }

  async function fetchAndRender() {
    const el = $('approvals');
    let out;
    try {
      out = await api.get('/console/api/approvals');
    } catch (err) {
      // Reading the console is not listing held calls: that needs admin:approvals:read too.
      if (err instanceof api.ApiError && err.status === 403 && err.code === 'ERR_PERMISSION_DENIED') {
        return replace(el, h('p', { class: 'hint', id: 'approvals-forbidden' }, 'Your roles do not let you see held calls (admin:approvals:read).'));
      }
      throw err;
    }
    count(out.approvals.length);
    if (out.approvals.length === 0) return replace(el, h('p', { class: 'hint', id: 'approvals-empty' }, 'No call waits for approval.'));
    // A note being written survives the reload.
    const notes = new Map([...el.querySelectorAll('.approval')].map((c) => [c.dataset.approval, c.querySelector('input.note').value]));
    replace(el, out.approvals.map((a) => card(a, act)));
    for (const c of el.querySelectorAll('.approval')) c.querySelector('input.note').value = notes.get(c.dataset.approval) ?? '';
  }

  /** One request at a time: notices that come meanwhile make one more. */
  function load() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async () => {
      do {
        again = false;
        await fetchAndRender();
      } while (again);
    })().finally(() => { loading = null; });
    return loading;
  }

  return {
    load,
    count,
    /** A stream notice: {event: held|ended, id, outcome?, pending}. */
    notice(data, visible) {
      count(data.pending);
      if (visible) load().catch(handle);
    },
  };
}
