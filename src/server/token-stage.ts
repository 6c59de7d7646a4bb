// Stage "token" (docs/policy-contract.md): after a token is verified and
// before anything is authorized, the policy decides whether the token is
// enough for this resource (today: type oauth2's requiredScopes, RFC 6750
// insufficient_scope). TypeScript only builds the input and enforces the answer.

import type { AuthenticationManager, VerifiedCaller } from '../auth/index.js';
import { HatagoError } from '../errors/index.js';
import { CONTRACT_VERSION } from '../policy/engine.js';
import { nowNs, principalInput } from '../pipeline/policy-input.js';
import type { PolicySource } from '../pipeline/policy-source.js';

export interface TokenStageClient {
  ip: string | null;
  origin: string | null;
  userAgent: string | null;
}

export function tokenInput(caller: VerifiedCaller, client: TokenStageClient, transport: 'http' | 'stdio'): Record<string, unknown> {
  return {
    contract: CONTRACT_VERSION,
    stage: 'token',
    now_ns: nowNs(),
    transport,
    client: { ip: client.ip, origin: client.origin, user_agent: client.userAgent },
    principal: principalInput(caller.principal),
    token: { type: caller.token.type, scopes_known: caller.token.scopesKnown },
  };
}

/**
 * Throws the policy's refusal as an authentication failure: code from the
 * decision, the reasons as the (log-only) detail, and the resource's
 * challenge attached (a 403 ERR_INSUFFICIENT_SCOPE carries
 * `error="insufficient_scope"`).
 */
export function tokenStage(policy: PolicySource, auth: AuthenticationManager, caller: VerifiedCaller, client: TokenStageClient, transport: 'http' | 'stdio' = 'http'): void {
  const engine = policy.current();
  const d = engine.decide(tokenInput(caller, client, transport));
  if (d.allow === true) return;
  const detail = d.reasons.map((r) => r.message).join('; ');
  const reason = d.code === 'ERR_INSUFFICIENT_SCOPE' ? 'insufficient_scope' : 'token_refused';
  throw auth.challenge(new HatagoError(d.code, { detail, data: { reason } }));
}
