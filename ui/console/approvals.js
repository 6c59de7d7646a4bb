// Approvals (issue 13, part 2: approval as a policy outcome) are built
// separately from the console (src/server/approvals-route.ts). This module
// is the place reserved for their view; until it is written, it points to
// that feature's own endpoint.
import { h, replace } from './dom.js';

export function renderApprovals(el) {
  replace(el, h('p', { class: 'hint' }, 'Pending approvals (approval as a policy outcome) are decided at GET /admin/approvals and POST /admin/approvals/:id (docs/approvals.md, permission admin:approvals:*); their view here is reserved for that feature. Pending definition changes are under Pins.'));
}
