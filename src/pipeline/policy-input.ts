import type { CallerContext, GuardRequest, Principal } from '../hub/types.js';
import { argumentsSize } from '../validation/arguments-size.js';

// Builders of the policy's input documents (docs/policy-contract.md).
// Field names are snake_case there, as Rego authors expect.

import { CONTRACT_VERSION } from '../policy/contract.js';
import type { SessionView } from '../flows/flow-history.js';

// The one contract version: the engine checks bundles against it, inputs carry it.
export { CONTRACT_VERSION };

/** Wall clock in ns for the policy: wasm has no time.now_ns. */
export function nowNs(): number {
  return Date.now() * 1e6;
}

export interface NetworkFacts {
  socketIp: string | null;
  forwardedFor: string[];
  origin: string | null;
  userAgent: string | null;
  /** The request line: method, and the path without its query (the policy decides which endpoints are open). */
  http: { method: string; path: string };
}

export function networkInput(facts: NetworkFacts): Record<string, unknown> {
  return {
    contract: CONTRACT_VERSION,
    stage: 'network',
    now_ns: nowNs(),
    transport: 'http',
    client: {
      ip: facts.socketIp,
      socket_ip: facts.socketIp,
      forwarded_for: facts.forwardedFor,
      origin: facts.origin,
      user_agent: facts.userAgent,
    },
    http: facts.http,
  };
}

/** `input.principal`: the same document in every stage that knows the caller. */
export function principalInput(p: Principal | null): Record<string, unknown> | null {
  if (!p) return null;
  return {
    sub: p.sub,
    username: p.username ?? null,
    roles: p.roles,
    permissions: p.permissions ?? null,
    scope: p.scope ?? null,
    session_id: p.sessionId ?? null,
    claims: p.claims,
  };
}

/** `input.request.params`: the params as the client sent them, without `_meta` (hub metadata, not content). */
export function paramsInput(params: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!params) return null;
  if (!('_meta' in params)) return params;
  const { _meta: _dropped, ...rest } = params;
  return rest;
}

/** What the input of every stage that knows the caller starts with. */
function callerInput(stage: string, ctx: CallerContext): Record<string, unknown> {
  return {
    contract: CONTRACT_VERSION,
    stage,
    now_ns: nowNs(),
    transport: ctx.transport,
    client: { ip: ctx.client.ip, origin: ctx.client.origin, user_agent: ctx.client.userAgent },
    principal: principalInput(ctx.principal),
  };
}

/** Input of the stage "permission": does the caller hold `permission` (AuthorizationManager.checkPermission)? */
export function permissionInput(ctx: CallerContext, permission: string): Record<string, unknown> {
  return { ...callerInput('permission', ctx), permission };
}

/** `session`: what the caller did before (contract 2, docs/flows.md); empty when nothing is kept. */
export function requestInput(ctx: CallerContext, req: GuardRequest, session?: SessionView): Record<string, unknown> {
  return {
    ...callerInput('request', ctx),
    request: {
      method: req.method,
      kind: req.kind ?? null,
      server: req.server ?? null,
      name: req.name ?? null,
      exposed: req.exposed ?? null,
      arguments: req.arguments ?? null,
      arguments_size: argumentsSize(req.arguments), // bytes of the JSON: Rego in wasm has no cheap byte size
      // Everything the request carries upstream, so validation rules see URIs and completion values too.
      params: paramsInput(req.params),
      protocol_version: ctx.protocolVersion,
      session_id: ctx.sessionId ?? null,
      // Contract 2: the tool's annotations as its upstream declares them.
      annotations: req.annotations ?? null,
      ...(req.approval && { approval: req.approval }),
    },
    session: session ?? { history: [], labels: [] },
    ...(req.candidates && { candidates: req.candidates }),
    // Definition facts (contract 2; kept for contract-1 bundles), absent when pinning is off.
    ...(req.definition && { definition: req.definition }),
  };
}
