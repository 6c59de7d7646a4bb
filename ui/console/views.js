// The views: each turns one API answer into DOM (dom.js: text only).
import { h, json, outcome, replace, time } from './dom.js';

export function renderOverview(el, o) {
  const breakers = o.breakers?.servers ?? {};
  const up = h('table', {}, h('thead', {}, h('tr', {}, ['upstream', 'transport', 'state', 'since', 'breaker', 'tools'].map((t) => h('th', {}, t)))),
    h('tbody', {}, o.upstreams.map((u) => h('tr', { 'data-upstream': u.id },
      h('td', {}, u.id), h('td', {}, u.transport),
      h('td', { class: u.state === 'ready' ? 'allow' : 'deny' }, u.state, u.lastError ? ` (${u.lastError})` : ''),
      h('td', {}, time(u.since)),
      h('td', { class: breakers[u.id]?.state === 'open' ? 'deny' : '' }, breakers[u.id]?.state ?? (o.breakers?.enabled ? '-' : 'off')),
      h('td', {}, String(u.counts?.tools ?? 0))))));
  const a = o.policy.active;
  const s = o.policy.shadow;
  const policy = h('table', { id: 'revisions' }, h('thead', {}, h('tr', {}, ['policy', 'revision', 'since', 'detail'].map((t) => h('th', {}, t)))),
    h('tbody', {},
      h('tr', {}, h('td', {}, 'active'), h('td', {}, h('code', {}, a.revision)), h('td', {}, time(a.activatedAt)),
        h('td', {}, `${a.source}${a.signed ? ', signed' : ''}${a.lastError ? `, last rejection ${a.lastError.code} at ${time(a.lastError.at)}` : ''}`)),
      s ? h('tr', {}, h('td', {}, 'shadow'), h('td', {}, h('code', {}, s.revision)), h('td', {}, time(s.loadedAt)), h('td', {}, `${s.bundle}: ${s.evaluated} evaluated, ${s.mismatches} differ`))
        : h('tr', {}, h('td', {}, 'shadow'), h('td', { colspan: 3 }, 'none (policies.shadow)'))));
  const r = o.rates;
  const rates = h('div', { class: 'card', id: 'rates' },
    h('p', {}, `Requests: ${r.requestsPerSecond}/s · refused: ${r.refusedPerSecond}/s (over ${r.windowSeconds} s, from /metrics)`),
    r.denialsByRule.length > 0 ? h('p', {}, 'Denials by rule: ', r.denialsByRule.map((d) => `${d.rule} ${d.count}`).join(', ')) : h('p', { class: 'hint' }, 'No denials in the window.'),
    h('p', { class: 'hint' }, `Decisions kept: ${o.decisions.kept} of ${o.decisions.max} · live streams: ${o.streams.open} of ${o.streams.max}`));
  replace(el, up, policy, rates);
}

export function decisionRow(d, onOpen) {
  const target = d.server || d.name ? `${d.server ?? ''}${d.name ? ` / ${d.name}` : ''}` : '';
  const shadow = d.shadow ? h('span', { class: d.shadow.differs.length > 0 ? 'warn' : '' }, d.shadow.differs.length > 0 ? `differs (${d.shadow.differs.join(', ')})` : 'same') : '';
  const tr = h('tr', { class: 'row', 'data-id': d.id, 'data-outcome': d.allow ? 'allow' : 'deny', tabindex: 0 },
    h('td', {}, time(d.time)), h('td', {}, outcome(d.allow, d.code)), h('td', {}, d.user ?? '(anonymous)'), h('td', {}, d.method ?? ''), h('td', {}, target), h('td', {}, d.rules.join(', ')), h('td', { class: 'shadow' }, shadow));
  tr.addEventListener('click', () => onOpen(d.id));
  tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') onOpen(d.id); });
  return tr;
}

function reasons(list) {
  if (list.length === 0) return h('p', { class: 'hint' }, 'No reasons (allowed).');
  const placed = list.some((r) => r.locations && r.locations.length > 0);
  return h('div', { class: 'reasons' },
    placed ? h('p', { class: 'hint' }, 'Where each rule is written in the bundle\'s copy of the sources (opa build drops comments, so a row can differ from your .rego file; the line is the same).') : null,
    list.map((r) => h('div', { class: 'reason' },
    h('strong', { class: 'rule' }, r.rule), ': ', r.message,
    r.locations === null ? h('div', { class: 'where' }, '(sources of this revision not at hand)')
      : r.locations.length === 0 ? h('div', { class: 'where' }, 'not a literal rule in the sources (a default or computed reason)')
        : r.locations.map((l) => h('div', { class: 'where' }, h('code', {}, `${l.file}:${l.row}  ${l.source}`))))));
}

export function renderDetail(el, d, onExplore) {
  replace(el,
    h('h3', {}, 'Decision ', h('code', {}, d.id)),
    h('p', {}, outcome(d.allow, d.code), ` · ${time(d.time)} · revision `, h('code', {}, d.revision)),
    h('h4', {}, 'Rules that fired'), reasons(d.reasons),
    h('h4', {}, 'Shadow policy'),
    d.shadow ? h('div', { class: 'shadow-answer' }, outcome(d.shadow.decision.allow, d.shadow.decision.code), ` revision ${d.shadow.revision}`,
      d.shadow.differs.length > 0 ? h('span', { class: 'warn' }, ` · differs: ${d.shadow.differs.join(', ')}`) : ' · same outcome',
      h('pre', {}, json(d.shadow.decision))) : h('p', { class: 'hint' }, 'No shadow policy ran on this decision.'),
    h('h4', {}, 'Result'), h('pre', { class: 'result' }, json(d.result)),
    h('h4', {}, 'Input (masked)'),
    d.input ? h('pre', { class: 'input' }, json(d.input)) : h('p', { class: 'hint' }, `Input not kept: ${d.inputBytes} bytes, over console.maxInputBytes.`),
    d.input ? h('button', { type: 'button', id: 'to-explorer', onclick: () => onExplore(d.input) }, 'Evaluate in Explorer') : null);
  el.hidden = false;
}

function side(title, r) {
  return h('div', { class: 'card', 'data-side': title },
    h('h3', {}, title, ' ', h('code', {}, r.revision)),
    h('p', { class: 'verdict' }, outcome(r.allow, r.code)),
    reasons(r.reasons),
    r.visible ? h('p', {}, `visible: ${r.visible.join(', ') || '(none)'}`) : null);
}

export function renderEvaluation(el, out) {
  const parts = [side('active', out.active)];
  if (out.candidate) parts.push(side(`candidate ${out.candidate.id}`, out.candidate));
  replace(el, ...parts);
  if (out.differs) el.append(h('p', { id: 'explore-differs', class: out.differs.length > 0 ? 'warn' : '' }, out.differs.length > 0 ? `The candidate decides differently: ${out.differs.join(', ')}` : 'Same decision.'));
}

export function renderHistory(el, history, active) {
  replace(el, [...history].reverse().map((e) => h('tr', { 'data-event': e.event },
    h('td', {}, time(e.at)),
    h('td', { class: e.event === 'policy_rejected' ? 'deny' : 'allow' }, e.event === 'policy_rejected' ? 'rejected' : 'activated'),
    h('td', {}, h('code', {}, e.revision), e.revision === active && e.event === 'policy_activated' ? ' (active)' : ''),
    h('td', {}, e.event === 'policy_rejected' ? `${e.code}: ${e.reason ?? ''}` : `${e.previousRevision ? `after ${e.previousRevision}, ` : ''}${e.source ?? ''}${e.signed ? ', signed' : ''}`))));
}

export function renderReplay(el, out) {
  const s = out.summary;
  replace(el,
    h('p', { id: 'replay-summary' }, `${s.replayed} recorded decisions replayed, ${s.changed} changed (${s.allowToDeny} allow→deny, ${s.denyToAllow} deny→allow, ${s.other} other); active ${s.active.revision} vs ${s.candidate.id} ${s.candidate.revision}`),
    out.changes.length === 0 ? null : h('table', {}, h('thead', {}, h('tr', {}, ['decision', 'request', 'before', 'after'].map((t) => h('th', {}, t)))),
      h('tbody', {}, out.changes.map((c) => h('tr', {},
        h('td', {}, h('code', {}, c.decisionId)),
        h('td', {}, `${c.request.method ?? ''} ${c.request.server ?? ''} ${c.request.name ?? ''}`),
        h('td', {}, outcome(c.before.allow, c.before.code), c.before.rules ? ` ${c.before.rules.join(', ')}` : ''),
        h('td', {}, outcome(c.after.allow, c.after.code), c.after.rules ? ` ${c.after.rules.join(', ')}` : ''))))));
}

function pinCard(p, act) {
  return h('div', { class: 'card pin', 'data-pin': `${p.server}/${p.kind}/${p.name}`, 'data-status': p.status },
    h('h3', {}, `${p.kind} ${p.server}/${p.name} `, h('span', { class: `badge ${p.status === 'changed' ? 'warn' : ''}` }, p.status)),
    h('p', { class: 'hint' }, `pinned ${p.pinned_digest}`, p.status === 'changed' ? `, now ${p.digest} (seen ${time(p.seen_at)})` : `, first seen ${time(p.first_seen)}`),
    p.diff ? p.diff.map((f) => h('div', {}, h('strong', {}, f.field), h('pre', {}, f.lines.map((l) => h('div', { class: l.startsWith('+') ? 'diff-add' : l.startsWith('-') ? 'diff-del' : '' }, l)))))
      : h('details', {}, h('summary', {}, 'definition'), h('pre', {}, json(p.definition))),
    h('button', { type: 'button', class: 'approve', onclick: () => act('approve', p) }, 'Approve'), ' ',
    h('button', { type: 'button', class: 'danger revoke', onclick: () => act('revoke', p) }, 'Revoke'));
}

export function renderPins(el, out, act) {
  if (!out.enabled) return replace(el, h('p', { class: 'hint' }, 'Pinning is off (security.pinning.enabled: false).'));
  if (out.pending.length === 0) return replace(el, h('p', { class: 'hint', id: 'pins-empty' }, 'Nothing waits for approval.'));
  const changed = out.pending.filter((p) => p.status === 'changed');
  const fresh = out.pending.filter((p) => p.status !== 'changed');
  replace(el,
    h('h3', {}, `Changed since pinned (${changed.length})`),
    changed.length === 0 ? h('p', { class: 'hint', id: 'pins-no-change' }, 'No definition changed.') : changed.map((p) => pinCard(p, act)),
    h('details', { id: 'pins-new' }, h('summary', {}, `Never approved (${fresh.length}): recorded on first sight`), fresh.map((p) => pinCard(p, act))));
}
