// Approvals (issue 13, part 2: approval as a policy outcome) are built
// separately from the console. This module is the place reserved for them:
// the view says so until that feature exposes its API.
import { h, replace } from './dom.js';

export function renderApprovals(el) {
  replace(el, h('p', { class: 'hint' }, 'Pending approvals will appear here once approval as a policy outcome ships (issue 13). Pending definition changes are under Pins.'));
}
