// A decision as `hatago policy eval --format json` prints it, and as the
// security console shows it (docs/console.md): one shape for both.
import type { PolicyDecision } from './types.js';

export function decisionJson(d: PolicyDecision): Record<string, unknown> {
  return {
    allow: d.allow,
    ...(!d.allow && { code: d.code }),
    reasons: d.reasons,
    ...(d.visible !== undefined && { visible: d.visible }),
    ...(d.clientIp !== undefined && { client_ip: d.clientIp }),
  };
}
