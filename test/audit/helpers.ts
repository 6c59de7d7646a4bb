// Shared by the audit end-to-end tests: tokens, MCP calls over raw HTTP, and
// reading what the hub wrote.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AuditRecord } from '../../src/audit/record.js';
import type { HubProcess } from '../helpers/hub-process.js';
import { hs256Token } from '../helpers/tokens.js';
import { INITIALIZE, rawRequest, type RawResponse } from '../helpers/http-client.js';

export async function bearer(secret: string, sub: string, roles: string[], extra: Record<string, unknown> = {}): Promise<string> {
  return `Bearer ${await hs256Token(secret, { sub, roles, ...extra })}`;
}

/** The JSON-RPC message of a response, JSON or one SSE event. */
export function rpc(r: RawResponse): { result?: unknown; error?: { code: number; data?: { code?: string; decisionId?: string } } } {
  if (r.json !== undefined) return r.json;
  const data = r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  return JSON.parse(data[data.length - 1] ?? 'null');
}

export interface McpSession {
  sid: string;
  call(name: string, args?: Record<string, unknown>): Promise<RawResponse>;
  request(method: string, params?: Record<string, unknown>): Promise<RawResponse>;
}

export async function openSession(hub: HubProcess, headers: Record<string, string> = {}, localAddress?: string): Promise<McpSession> {
  const init = await rawRequest(hub.mcpUrl, { body: INITIALIZE, headers, ...(localAddress && { localAddress }) });
  if (init.status !== 200) throw new Error(`initialize failed: ${init.status} ${init.text}`);
  const sid = String(init.headers['mcp-session-id']);
  let id = 100;
  const request = (method: string, params: Record<string, unknown> = {}) =>
    rawRequest(hub.mcpUrl, {
      body: { jsonrpc: '2.0', id: ++id, method, params },
      headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      ...(localAddress && { localAddress }),
    });
  await rawRequest(hub.mcpUrl, {
    body: { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    ...(localAddress && { localAddress }),
  });
  return { sid, request, call: (name, args = {}) => request('tools/call', { name, arguments: args }) };
}

/** An audit record as read back from the file; metadata loosely typed for the assertions. */
export type Rec = Omit<AuditRecord, 'metadata'> & { metadata: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

export function auditRecords(hub: HubProcess): Rec[] {
  const file = path.join(hub.dir, 'logs', 'audit.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Rec);
}

/** Every file under a folder, recursively. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}
