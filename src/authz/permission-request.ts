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

const CATEGORIES = new Set(['*', ...Object.keys(METHODS)]);
const ACTIONS = new Set(['*', 'list', 'call', 'read', 'generate']);

function notAPermission(resource: string, why: string): HatagoError {
  return new HatagoError('ERR_INVALID_PARAMS', { message: `Not a permission: "${resource}" (${why})` });
}

/**
 * How checkPermission asks the policy about `resource`:
 * - one MCP request (`mcp:<category>:<action>`, `server:<server>:<category>:<action>[:<item>]`
 *   with a concrete category and action): the request stage, as the hub asks
 *   for a real request; a `*` server or item asks about every server or item;
 * - anything else of the grammar (a `*` or missing category or action,
 *   `admin:<resource>:<action>`): `undefined`, and checkPermission asks the
 *   policy's stage "permission" whether the principal holds it.
 * Throws ERR_INVALID_PARAMS for a string outside the grammar.
 */
export function permissionRequest(resource: string): GuardRequest | undefined {
  if (typeof resource !== 'string') throw notAPermission(String(resource), 'not a string');
  const parts = resource.split(':');
  if (parts.includes('')) throw notAPermission(resource, 'empty segment');
  if (parts[0] === 'admin') {
    if (parts.length > 3) throw notAPermission(resource, 'expected admin[:<resource>[:<action>]]');
    return undefined;
  }
  let server: string;
  let rest: string[];
  if (parts[0] === 'mcp' && parts.length <= 3) [server, rest] = ['*', parts.slice(1)];
  else if (parts[0] === 'server') [server, rest] = [parts[1] ?? '*', parts.slice(2)];
  else throw notAPermission(resource, 'expected mcp:<category>:<action>, server:<server>:<category>:<action>[:<item>] or admin:<resource>:<action>');
  const [category = '*', action = '*', ...itemParts] = rest;
  if (!CATEGORIES.has(category) || !ACTIONS.has(action)) throw notAPermission(resource, `unknown category or action`);
  const target = METHODS[category]?.[action];
  if (!target) return undefined;
  const name = itemParts.length > 0 ? itemParts.join(':') : '*';
  if (target.list) {
    return { method: target.method, candidates: [{ server, kind: target.list, name, exposed: PROBE }] };
  }
  return { method: target.method, server, name, exposed: name };
}
