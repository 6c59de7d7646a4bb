import { HatagoError } from '../errors/index.js';
import type { GuardRequest, ListCandidate } from '../hub/types.js';

// Turns a permission string of the guide's grammar (docs/policy-contract.md,
// "Permissions") into the MCP request it stands for, so checkPermission asks
// the compiled policy exactly what a real request would ask.

const METHODS: Record<string, Record<string, { method: string; list?: ListCandidate['kind'] }>> = {
  tools: { call: { method: 'tools/call' }, list: { method: 'tools/list', list: 'tool' } },
  resources: { read: { method: 'resources/read' }, list: { method: 'resources/list', list: 'resource' } },
  prompts: { generate: { method: 'prompts/get' }, list: { method: 'prompts/list', list: 'prompt' } },
};

/** Name used for the probe candidate of a list check. */
export const PROBE = '\u0000hatago-permission-probe';

/**
 * `mcp:<category>:<action>` or `server:<server>:<category>:<action>[:<item>]`.
 * A `*` (or missing) server or item asks about every server or item.
 */
export function permissionRequest(resource: string): GuardRequest {
  const parts = resource.split(':');
  let server: string;
  let rest: string[];
  if (parts[0] === 'mcp') [server, rest] = ['*', parts.slice(1)];
  else if (parts[0] === 'server' && parts.length >= 4) [server, rest] = [parts[1]!, parts.slice(2)];
  else throw new HatagoError('ERR_INVALID_PARAMS', { message: `Not an MCP permission: "${resource}" (expected mcp:<category>:<action> or server:<server>:<category>:<action>[:<item>])` });
  const [category = '', action = '', ...itemParts] = rest;
  const target = METHODS[category]?.[action];
  if (!target) throw new HatagoError('ERR_INVALID_PARAMS', { message: `Unknown category or action in "${resource}"` });
  const name = itemParts.length > 0 ? itemParts.join(':') : '*';
  if (target.list) {
    return { method: target.method, candidates: [{ server, kind: target.list, name, exposed: PROBE }] };
  }
  return { method: target.method, server, name, exposed: name };
}
