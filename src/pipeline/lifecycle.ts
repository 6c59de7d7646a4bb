// The request lifecycle: the stages as they run, in order. Each stage's
// spec lives beside its code (src/pipeline/<stage>/stage.ts); this list is
// made of those specs, the runners check their stages against it, and
// docs/lifecycle.md is tested against it. HTTP stages run once per HTTP
// request; MCP stages once per JSON-RPC request (HTTP and stdio alike).

import { APPROVAL_STAGE } from './approval/stage.js';
import { ARGUMENTS_STAGE } from './arguments/stage.js';
import { HISTORY_STAGE } from './history/stage.js';
import { AUTHENTICATION_STAGE } from './authentication/stage.js';
import { BREAKER_STAGE } from './breaker/stage.js';
import { FORWARD_STAGE } from './forward/stage.js';
import { NETWORK_STAGE } from './network/stage.js';
import { POLICY_STAGE } from './policy/stage.js';
import { RATE_LIMIT_STAGE } from './rate-limit/stage.js';
import { ROUTING_STAGE } from './routing/stage.js';
import type { StageSpec } from './stage.js';
import { TRANSPORT_STAGE } from './transport/stage.js';
import { VALIDATION_STAGE } from './validation/spec.js';
import { BODY_STAGE, ENDPOINT_STAGE, LOGIN_POLICY_STAGE, TOKEN_STAGE } from '../auth/endpoints/token-stages.js';

export type { StageSpec } from './stage.js';

export const LIFECYCLE: readonly StageSpec[] = [
  NETWORK_STAGE,
  AUTHENTICATION_STAGE,
  VALIDATION_STAGE,
  TRANSPORT_STAGE,
  POLICY_STAGE,
  RATE_LIMIT_STAGE,
  ROUTING_STAGE,
  ARGUMENTS_STAGE,
  APPROVAL_STAGE,
  HISTORY_STAGE,
  BREAKER_STAGE,
  FORWARD_STAGE,
];

/**
 * POST /auth/login, /logout, /refresh: not MCP, so not LIFECYCLE; the same
 * network stage first, and the policy decides before the body is read
 * (src/auth/endpoints/token-stages.ts).
 */
export const TOKEN_LIFECYCLE: readonly StageSpec[] = [
  NETWORK_STAGE,
  TOKEN_STAGE,
  LOGIN_POLICY_STAGE,
  BODY_STAGE,
  ENDPOINT_STAGE,
];

/**
 * A runner's stages must be lifecycle stages, in lifecycle order (a runner
 * may run a part of it: /metrics runs network and authentication only).
 * Throws at construction, so a list that drifts from the table never runs.
 */
export function assertLifecycleOrder(stages: readonly { name: string }[], lifecycle: readonly StageSpec[] = LIFECYCLE): void {
  let last = -1;
  for (const s of stages) {
    const at = lifecycle.findIndex((l) => l.name === s.name);
    if (at < 0) throw new Error(`stage "${s.name}" is not in the lifecycle (src/pipeline/lifecycle.ts)`);
    if (at <= last) throw new Error(`stage "${s.name}" runs out of lifecycle order`);
    last = at;
  }
}
